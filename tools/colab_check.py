"""`make colab-check`: run every notebook the way Google Colab would, on an older stack than requirements.txt pins.

1. A fresh virtual environment holds COLAB_LIKE (older torch, numpy, pandas, matplotlib, IPython, fastai) and neither
   the course's helpers nor mlxtend, as a Colab runtime does.
2. A snapshot of this working tree becomes a git repository, and each notebook's install block is pointed at it
   (`git+file://...@colab-check` instead of the GitHub address); a stand-in `google.colab` module is imported when the
   kernel starts, so the block runs its install exactly as in Colab.
3. Every notebook runs to the end in a fresh kernel, from an empty working folder (Colab's /content): every cell
   runs and every assertion holds. Stored outputs are not compared: other versions change the last digits.
4. Installing the helpers must have changed none of the packages already there (it may add mlxtend), and an install
   that fails must stop the notebook with a clear message.

Prints the versions it used and the time each step took; exits non-zero if anything fails.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A Colab-like stack, older than requirements.txt. torch 2.13.0's CPU build lies on this project's machines' disk; the
# torchvision that matches it there is a CUDA build that cannot load beside it, but the course never imports
# torchvision (fastai only requires it to be installed). fastai 2.8.7 is the oldest that accepts torch 2.13, and it
# needs the fastcore of its time (fastcore 2 breaks its optimisers).
COLAB_LIKE = ["torch==2.13.0", "torchvision==0.28.0", "fastai==2.8.7", "fastcore==1.8.18", "fastprogress==1.0.3",
              "numpy==2.0.2", "pandas==2.2.2", "matplotlib==3.10.0", "pillow==11.1.0", "ipython==7.34.0",
              "ipykernel==6.17.1", "nbclient", "nbformat"]
COLAB_PIP = "pip==24.1.2"  # Python 3.11's own pip (23.2) cannot read a git+file:///... requirement
SHOWN = ["pip", "torch", "fastai", "fastcore", "fastprogress", "numpy", "pandas", "matplotlib", "pillow", "ipython",
         "ipykernel", "jupyter-client", "mlxtend", "nn-2v9-helpers"]
REF = "colab-check"
STAND_IN = '"Stand-in for Colab\'s module: the notebooks only look for it in sys.modules."\n'


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, **kwargs)


def installed(python):
    listing = run([python, "-m", "pip", "list", "--format=json"], capture_output=True).stdout
    return {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listing)}


def snapshot(repo):
    "This working tree's tracked files (changes included), committed and tagged in a new repository."
    files = run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repo / name)
    git = ["git", "-c", "user.name=colab-check", "-c", "user.email=colab-check@localhost"]
    run(["git", "init", "--quiet", str(repo)])
    run(git + ["add", "--all"], cwd=repo)
    run(git + ["commit", "--quiet", "-m", "snapshot for make colab-check"], cwd=repo)
    run(git + ["tag", REF], cwd=repo)


def prepare_notebooks(folder, repo_url):
    "Copies of the lessons installing from repo_url, and one more whose install must fail."
    import nbformat

    from helpers.colab import with_colab_block

    folder.mkdir()
    paths = []
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(cell for cell in nb.cells if cell.cell_type == "code")
        first.source = with_colab_block(first.source, repo_url, REF)
        nbformat.write(nb, folder / path.name)
        paths.append(folder / path.name)
    broken = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(with_colab_block("", repo_url, "no-such-ref")),
        nbformat.v4.new_code_cell("print('this cell must not run')")])
    nbformat.write(broken, folder / "broken_install.ipynb")
    return paths, folder / "broken_install.ipynb"


def execute(paths, broken, workdir):
    "Runs inside the Colab-like environment (this file with --execute): no course code is imported here."
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    failed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        try:
            NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": workdir}}).execute()
            print(f"  {path.name}: ran to the end in {time.perf_counter() - start:.0f} s", flush=True)
        except CellExecutionError as err:
            failed += 1
            print(f"  FAILED {path.name}\n{err}", flush=True)
    nb = nbformat.read(broken, as_version=4)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": workdir}}).execute()
        failed += 1
        print("  FAILED: an install from a missing ref did not stop the notebook", flush=True)
    except CellExecutionError as err:
        if "pip could not install" in str(err) and not nb.cells[1].get("outputs"):
            print("  an install that fails stops the notebook with pip's message", flush=True)
        else:
            failed += 1
            print(f"  FAILED: an install that fails gave an unclear error:\n{err}", flush=True)
    return failed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=shutil.which("python3.11") or sys.executable,
                        help="the Python 3.11 to build the environment with (torch 2.13.0's file is for 3.11)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder, for a look inside")
    parser.add_argument("--execute", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute:
        *paths, broken, workdir = args.execute
        return 1 if execute(paths, broken, str(workdir)) else 0

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="colab-check-"))
    try:
        venv, python = tmp / "venv", str(tmp / "venv" / "bin" / "python")
        run([args.python, "-m", "venv", str(venv)])
        print(f"Colab-like environment: pip install {COLAB_PIP}, then {' '.join(COLAB_LIKE)}", flush=True)
        run([python, "-m", "pip", "install", "--quiet", COLAB_PIP], stderr=subprocess.DEVNULL)
        run([python, "-m", "pip", "install", "--quiet", *COLAB_LIKE], stderr=subprocess.DEVNULL)
        before = installed(python)
        assert "nn-2v9-helpers" not in before and "mlxtend" not in before
        snapshot(tmp / "repo")
        paths, broken = prepare_notebooks(tmp / "notebooks", f"file://{tmp / 'repo'}")
        stand_in = tmp / "stand-in" / "google" / "colab"
        stand_in.mkdir(parents=True)
        (stand_in / "__init__.py").write_text(STAND_IN)
        startup = tmp / "ipython" / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-colab.py").write_text(f"import sys\nsys.path.insert(0, {str(tmp / 'stand-in')!r})\n"
                                             "import google.colab  # noqa: F401\n")
        (tmp / "content").mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("MNIST_SOURCE", "COURSE_DIGITS", "COURSE_SEED",
                                                               "PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH")}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", IPYTHONDIR=str(tmp / "ipython"),
                   COURSE_CACHE=str(tmp / "cache"), JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
                   PYDEVD_DISABLE_FILE_VALIDATION="1")  # ipykernel 6.17 on Python 3.11 warns about its debugger
        print(f"set up in {time.perf_counter() - started:.0f} s; running the notebooks:", flush=True)
        failed = subprocess.run([python, __file__, "--execute", *map(str, paths), str(broken), str(tmp / "content")],
                                env=env).returncode
        after = installed(python)
        changed = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
        added = sorted(f"{name} {after[name]}" for name in after.keys() - before.keys())
        version = run([python, "-c", "import platform; print(platform.python_version())"], capture_output=True)
        print(f"versions: Python {version.stdout.strip()}, "
              + ", ".join(f"{name} {after[name]}" for name in SHOWN if name in after))
        print(f"the helpers' install added: {', '.join(added)}")
        if changed:
            print(f"FAILED: installing the helpers changed packages already there: {changed}")
        if failed or changed:
            return 1
        print(f"colab-check passed in {time.perf_counter() - started:.0f} s")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
