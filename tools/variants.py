"""The processor variants the course is checked under, on one machine.

PyTorch, oneDNN and MKL each pick their kernels for the processor they run on, so the last bits of sums differ from
one processor to another and training amplifies them. Capping the instruction sets they may use makes them pick the
kernels an older or different processor would: the course's outputs and assertions must hold under each variant.
"""

VARIANTS = {
    "native": {},
    "no-simd": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
}


def shell_prefix(name):
    "The variant as `VAR=value ...` for a shell command line (empty for the native one)."
    return " ".join(f"{key}={value}" for key, value in VARIANTS[name].items())


if __name__ == "__main__":  # `make` reads a variant's caps from here: python tools/variants.py no-simd
    import sys

    print(shell_prefix(sys.argv[1]))
