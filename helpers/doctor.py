"""Check the environment the course runs in, one line each: `python -m helpers.doctor` (or `make doctor`).

[OK] means as the course expects, [FAIL] says what is wrong and how to fix it, [SKIP] names a check that cannot apply
here. Paste the whole output into a bug report. Exits with 1 if any check fails.
"""

import importlib.metadata
import os
import re
import sys
import tempfile
from pathlib import Path

SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"


def check_python():
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] in SUPPORTED_PYTHONS:
        return "OK", f"Python {version}"
    return "FAIL", f"Python {version}: the course supports Python 3.11 to 3.13; create the environment with one"


PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)$")


def canonical(name):
    "A package's name as pip compares them: `jupyter_client` and `Jupyter-Client` are `jupyter-client`."
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines):
    "{package: version} of requirements lines `name==version`; any other requirement is an error."
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        if not match:
            raise ValueError(f"not an exact pin: {line!r}")
        found[canonical(match.group(1))] = match.group(2)
    return found


def check_packages(path=REQUIREMENTS):
    "One result per package that requirements.txt pins (the versions of the stored outputs)."
    if not path.exists():
        return [("SKIP", "pinned packages: no requirements.txt beside the helpers (installed from git, as in Colab); "
                 "versions differ from the stored outputs' only in results' last digits")]
    results = []
    for name, pinned in pins(path.read_text().splitlines()).items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            results.append(("FAIL", f"{name}: not installed, {pinned} pinned (`make` installs requirements.txt)"))
            continue
        if re.split(r"\+", installed)[0] == pinned:  # a local build tag (2.14.1+cpu) is the same release
            results.append(("OK", f"{name} {installed}"))
        else:
            results.append(("FAIL", f"{name} {installed}, but {pinned} is pinned: results may differ from the stored "
                                    "ones in their last digits (`make clean` then `make` rebuilds .venv)"))
    return results


def check_device():
    import torch

    from helpers.repro import pick_device

    try:
        device = pick_device()
    except (ValueError, RuntimeError) as err:
        return "FAIL", f"device: {err}"
    name = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    return "OK", f"device: {device}{name} (COURSE_DEVICE={os.environ.get('COURSE_DEVICE', '') or 'unset'})"


def check_cache():
    from helpers.data import cache_dir

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as err:
        return "FAIL", f"cache folder {folder} is not writable ({err.strerror}): set COURSE_CACHE to a folder you own"
    return "OK", f"cache folder {folder} is writable"


def check_data():
    from helpers.data import course_digits, digit_files, mnist_path

    source = os.environ.get("MNIST_SOURCE", "").strip() or "embedded"
    try:
        path = mnist_path()
        digits = course_digits()
        counts = [len(digit_files(path, d, split)) for split in ("training", "testing") for d in digits]
    except Exception as err:  # the doctor reports every failure, whatever its kind
        return "FAIL", f"data (MNIST_SOURCE={source}): {err}"
    return "OK", (f"data (MNIST_SOURCE={source}): {path.name}, digits {digits[0]} and {digits[1]}: "
                  f"{counts[0]} and {counts[1]} training, {counts[2]} and {counts[3]} testing images")


def main():
    results = [check_python(), *check_packages(), check_device(), check_cache(), check_data()]
    for status, text in results:
        print(f"[{status}] {text}")
    failed = sum(status == "FAIL" for status, _ in results)
    print(f"{failed} check(s) failed" if failed else "every check passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
