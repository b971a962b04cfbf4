"""Reproducibility: one call at the top of every notebook."""

import os
import platform
import random
import warnings

import matplotlib as mpl
import numpy as np
import torch

DEFAULT_SEED = 42
THREADS = 2


def course_seed():
    "The course's seed: the environment variable COURSE_SEED (a whole number from 0 to 2**32 - 1), else 42."
    text = os.environ.get("COURSE_SEED", "").strip()
    if not text:
        return DEFAULT_SEED
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise ValueError(
            f"COURSE_SEED={text!r} is not a seed: set it to a whole number from 0 to 4294967295 (such as 0 or 42), "
            "or unset it for the course's default, 42."
        )
    return seed


def seed_everything(seed=None):
    "Seed Python's, NumPy's and PyTorch's random number generators (CPU and every GPU); None means course_seed()."
    seed = course_seed() if seed is None else seed
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


DEVICE_TYPES = ("cpu", "cuda", "mps", "meta")  # meta: a device without data, used by the tests


def pick_device(device=None):
    """The device to compute on: the argument, else the environment variable COURSE_DEVICE, else the CPU.

    Spaces and capitals are forgiven ('CUDA', ' cpu'). 'cuda' (or 'cuda:1') and 'mps' are honoured only when that
    hardware is there; asking for it without it is an error, not a silent fallback.
    """
    setting = "device" if device is not None else "COURSE_DEVICE"
    name = str(device if device is not None else os.environ.get("COURSE_DEVICE", "")).strip().lower() or "cpu"
    kind = name.split(":")[0]
    if kind not in DEVICE_TYPES or (":" in name and not name.split(":", 1)[1].isdigit()):
        hint = " (PyTorch calls an NVIDIA GPU 'cuda')" if kind == "gpu" else ""
        raise ValueError(f"{setting}={name!r} is not a device{hint}: use 'cpu', 'cuda' (or 'cuda:0', 'cuda:1', ...) "
                         "or 'mps' (Apple silicon), or unset COURSE_DEVICE for the CPU.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"A CUDA device ({name!r}) was asked for, but PyTorch sees no GPU here. "
            "In Colab choose Runtime > Change runtime type > GPU; elsewhere unset COURSE_DEVICE "
            "or pass device='cpu'."
        )
    if kind == "mps" and not torch.backends.mps.is_available():
        raise RuntimeError(
            "The Apple-silicon GPU ('mps') was asked for, but PyTorch cannot use one here (it needs a Mac with "
            "Apple silicon and a PyTorch built for it). Unset COURSE_DEVICE or pass device='cpu'."
        )
    return torch.device(name)


def setup_course(seed=None, threads=THREADS, device=None):
    """Make every run of a notebook print the same numbers, and return the device to compute on.

    - seeds Python, NumPy and PyTorch with `seed`, else COURSE_SEED, else 42 (see course_seed);
    - fixes PyTorch's thread count (a different count can change the order of float additions);
    - turns on PyTorch's deterministic algorithms (on a GPU this needs CUBLAS_WORKSPACE_CONFIG);
    - sets plot defaults: small figures, the grey colour map with ink dark on white paper;
    - silences one deprecation warning that fastai 2.8 triggers on import with torch 2.14;
    - imports fastai's data loading before seeding: its first import draws a number from Python's `random`, and
      the random numbers after a seed must not depend on whether fastai had been imported yet.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    import fastai.data.load  # noqa: F401 (before seeding; see above)

    seed_everything(seed)
    mpl.rcParams.update({"figure.figsize": (5, 3.5), "figure.dpi": 100, "image.cmap": "Greys",
                         "axes.grid": False, "font.size": 10})
    return pick_device(device)


def versions(device):
    "One line with the versions that decide a run's last digits, and the device: print it where results are shown."
    import fastai

    return (f"Python {platform.python_version()} | torch {torch.__version__} | fastai {fastai.__version__} "
            f"| device: {device}")
