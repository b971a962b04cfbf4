"""Execute the course's notebooks headlessly, top to bottom, on the data MNIST_SOURCE names (embedded by default).

    python tools/run_notebooks.py               # the main job: run every notebook, print each key result
    python tools/run_notebooks.py --in-place    # `make notebooks`: store fresh outputs in the notebooks
    python tools/run_notebooks.py notebooks/01_data.ipynb   # only some notebooks

Without --in-place the committed notebooks are not touched. With it, each notebook's running time is also stored in
benchmarks/measured/notebook_seconds.json, which the teacher's page quotes (tools/teachers.py). A cell tagged
`key-result` holds a lesson's key result; its printed text is echoed here. Exits non-zero if any notebook fails.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers.colab import with_colab_block
from helpers.data import mnist_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMINGS = ROOT / "benchmarks" / "measured" / "notebook_seconds.json"


def execute(path, timeout=600):
    """Run one notebook in a fresh kernel of this Python, which inherits this environment (MNIST_SOURCE,
    COURSE_DIGITS, COURSE_SEED, COURSE_DEVICE).

    Returns the executed notebook and the seconds each code cell took.
    """
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    first.source = with_colab_block(first.source)
    resources = {"metadata": {"path": str(path.parent)}}
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources,
                            extra_arguments=["--log-level=ERROR"])  # a local kernel: no transport warning
    with mock.patch.dict(os.environ, JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter")):  # this Python's first
        client.execute()
        nb.metadata.kernelspec = kernelspec()
    seconds = []
    for cell in nb.cells:
        timing = cell.metadata.pop("execution", None)
        if cell.cell_type == "code" and timing:
            start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
            seconds.append(_seconds(start, end))
    return nb, seconds


def kernelspec():
    """The kernel metadata that JupyterLab writes when it opens a notebook in this environment: stored as it is, opening
    and saving a notebook without running it leaves the file unchanged (tests/test_lab.py checks it)."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    return {"display_name": spec.display_name, "language": spec.language, "name": "python3"}


def _seconds(start, end):
    from datetime import datetime

    if not (start and end):
        return 0.0
    fmt = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (fmt(end) - fmt(start)).total_seconds()


def key_results(nb):
    "The printed text of the cells tagged `key-result`."
    lines = []
    for cell in nb.cells:
        if "key-result" in cell.metadata.get("tags", []):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stdout":
                    lines.append(out["text"].rstrip())
    return lines


def write_text_atomically(path, text):
    "Write text to path through a temporary file beside it, renamed into place: no half-written file is ever left."
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_atomically(nb, path):
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".ipynb", delete=False, encoding="utf-8") as f:
        nbformat.write(nb, f)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(f.name, 0o666 & ~umask)  # a temporary file is private; a notebook is not
    os.replace(f.name, path)


def cpu_name():
    "The processor's model name where Linux says it, else what the platform module knows."
    import platform

    cpuinfo = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
             if line.startswith("model name")]
    return names[0] if names else platform.processor() or platform.machine()


def store_seconds(seconds, path=TIMINGS):
    "Merge {notebook name: seconds} into the timings file, with the machine they were measured on, atomically."
    stored = json.loads(path.read_text()) if path.exists() else {"seconds": {}}
    stored.update(cores=os.cpu_count(), cpu=cpu_name())
    stored["seconds"] = dict(sorted({**stored["seconds"], **{k: round(v, 1) for k, v in seconds.items()}}.items()))
    write_text_atomically(path, json.dumps(stored, indent=1) + "\n")


def describe_settings():
    "One line: the data, the pair of digits and the seed the notebooks will use (what the kernels inherit)."
    source = mnist_source()
    digits = os.environ.get("COURSE_DIGITS", "").strip() or "2,9"
    seed = os.environ.get("COURSE_SEED", "").strip() or "42"
    return f"data: {source} (MNIST_SOURCE) | digits: {digits} (COURSE_DIGITS) | seed: {seed} (COURSE_SEED)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/*.ipynb")
    parser.add_argument("--in-place", action="store_true", help="store the outputs in the notebooks")
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    if args.in_place and any(os.environ.get(k, "").strip() for k in ("MNIST_SOURCE", "COURSE_DIGITS", "COURSE_SEED")):
        parser.error("--in-place stores the course's own outputs: unset MNIST_SOURCE, COURSE_DIGITS and COURSE_SEED")
    print(describe_settings(), flush=True)
    failed, took_seconds = [], {}
    for path in paths:
        start = time.perf_counter()
        try:
            nb, seconds = execute(path)
        except CellExecutionError as err:
            print(f"FAILED {path.name}\n{err}", file=sys.stderr)
            failed.append(path.name)
            continue
        took = time.perf_counter() - start
        slowest = max(seconds[1:], default=0.0)
        print(f"{path.name}: ran in {took:.1f} s (slowest cell after the first: {slowest:.1f} s)")
        for line in key_results(nb):
            print("    " + line.replace("\n", "\n    "))
        if args.in_place:
            write_atomically(nb, path)
            if path.parent == NOTEBOOKS:  # the course's own lessons, not a copy elsewhere
                took_seconds[path.stem] = took
    if took_seconds:
        store_seconds(took_seconds)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
