"""Check the environment the course runs in, one line each: `python -m helpers.doctor` (or `make doctor`).

[OK] means as the course expects, [FAIL] says what is wrong and how to fix it, [SKIP] names a check that cannot apply
here. Paste the whole output into a bug report. Exits with 1 if any check fails.
"""

import importlib.metadata
import os
import platform
import sys
import tempfile
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier
from packaging.utils import canonicalize_name

SUPPORTED_PYTHONS = ((3, 11), (3, 12), (3, 13))
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements.txt"
DEV_REQUIREMENTS = REQUIREMENTS.with_name("requirements-dev.txt")  # the contributor's tools, on top of the learner's


def check_python():
    version = platform.python_version()
    if sys.version_info[:2] in SUPPORTED_PYTHONS:
        return "OK", f"Python {version}"
    return "FAIL", f"Python {version}: the course supports Python 3.11 to 3.13; create the environment with one"


def canonical(name):
    "A package's name as pip compares them: `jupyter_client` and `Jupyter-Client` are `jupyter-client`."
    return canonicalize_name(name)


def pins(lines):
    """{package: version} of requirements lines `name==version`, read by packaging; any other requirement is an error.
    A line `-r other.txt` (the contributor's file includes the learner's) names another file and is skipped."""
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r "):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as err:
            raise ValueError(f"not an exact pin: {line!r} ({err})") from err
        specifiers = list(requirement.specifier)
        if requirement.url or requirement.marker or len(specifiers) != 1 or specifiers[0].operator != "==":
            raise ValueError(f"not an exact pin: {line!r}")
        found[canonical(requirement.name)] = specifiers[0].version
    return found


def installed_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_packages(path=REQUIREMENTS):
    "One result per package that requirements.txt pins (the versions of the stored outputs)."
    if not path.exists():
        return [("SKIP", "pinned packages: no requirements.txt beside the helpers (installed from git, as in Colab); "
                 "versions differ from the stored outputs' only in results' last digits")]
    return [check_pin(name, pinned, "`make` installs requirements.txt")
            for name, pinned in pins(path.read_text().splitlines()).items()]


def check_contributor_packages(path=DEV_REQUIREMENTS):
    """The contributor's tools (requirements-dev.txt), where they are installed: one result per pin, or one SKIP line
    in a learner's environment, which holds none of them."""
    if not path.exists():
        return []
    pinned = pins(path.read_text().splitlines())
    if not any(installed_version(name) for name in pinned):
        return [("SKIP", "the contributor's tools (requirements-dev.txt): none installed, as in a learner's "
                         "environment; `make test` installs them")]
    return [check_pin(name, version, "`make test` installs requirements-dev.txt") for name, version in pinned.items()]


def check_pin(name, pinned, how_to_install):
    installed = installed_version(name)
    if installed is None:
        return "FAIL", f"{name}: not installed, {pinned} pinned ({how_to_install})"
    if Specifier(f"=={pinned}").contains(installed, prereleases=True):  # as pip reads it: 2.14.1+cpu is 2.14.1
        return "OK", f"{name} {installed}"
    return "FAIL", (f"{name} {installed}, but {pinned} is pinned: results may differ from the stored ones in their "
                    "last digits (`make clean` then `make` rebuilds .venv)")


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
    from helpers.data import course_digits, digit_files, mnist_path, mnist_source

    source = mnist_source()
    try:
        path = mnist_path()
        digits = course_digits()
        counts = [len(digit_files(path, d, split)) for split in ("training", "testing") for d in digits]
    except Exception as err:  # the doctor reports every failure, whatever its kind
        return "FAIL", f"data (MNIST_SOURCE={source}): {err}"
    return "OK", (f"data (MNIST_SOURCE={source}): {path.name}, digits {digits[0]} and {digits[1]}: "
                  f"{counts[0]} and {counts[1]} training, {counts[2]} and {counts[3]} testing images")


def main():
    results = [check_python(), *check_packages(), *check_contributor_packages(), check_device(), check_cache(),
               check_data()]
    for status, text in results:
        print(f"[{status}] {text}")
    failed = sum(status == "FAIL" for status, _ in results)
    print(f"{failed} check(s) failed" if failed else "every check passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
