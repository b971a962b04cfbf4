"""Run every notebook headlessly for several seeds and processor variants: every cell must run, every assert hold.

    python -m tools.robust                          # seeds 0, 1, 2, natively and under the no-SIMD cap
    python -m tools.robust --seeds 3 --variants avx2 notebooks/07_going_deeper.ipynb

This checks execution only, not stored outputs (nbval does that for the course's own seed): the numbers a notebook
prints may differ from run to run here, its assertions may not. Prints one line per run (a seed under a variant)
and exits non-zero if any notebook failed in any run.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from nbclient.exceptions import CellExecutionError

from tools.run_notebooks import NOTEBOOKS, execute
from tools.variants import VARIANTS


def last_line(err):
    "The last non-empty line of a cell's error: the exception and its message."
    lines = [line for line in str(err).splitlines() if line.strip()]
    return lines[-1][:300] if lines else repr(err)


def run(paths, seed, variant):
    "Execute each notebook with COURSE_SEED=seed under the variant's caps; return (failures, seconds)."
    settings = {"COURSE_SEED": str(seed), **VARIANTS[variant]}
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)  # each notebook's kernel inherits this environment
    failures, start = [], time.perf_counter()
    try:
        for path in paths:
            try:
                execute(path)
            except CellExecutionError as err:
                failures.append(f"{path.name}: {last_line(err)}")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return failures, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    parser.add_argument("--variants", default="native,no-simd", help=f"comma-separated, of {', '.join(VARIANTS)}")
    args = parser.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds must be whole numbers separated by commas, such as 0,1,2; got {args.seeds!r}")
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    failed_runs = 0
    for variant in variants:
        for seed in seeds:
            failures, seconds = run(paths, seed, variant)
            status = "ok" if not failures else f"FAILED {len(failures)} of {len(paths)}"
            print(f"seed {seed}, {variant:8}: {status:12} {len(paths)} notebooks in {seconds:.0f} s", flush=True)
            for failure in failures:
                print(f"    {failure}", flush=True)
            failed_runs += bool(failures)
    total = len(variants) * len(seeds)
    print(f"{total - failed_runs} passed, {failed_runs} failed (runs of {len(paths)} notebooks each)")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
