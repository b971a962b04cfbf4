"""The environment files: requirements.txt and environment.yml pin the same packages at the same versions."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)$")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines):
    "{package: version} of `name==version` lines; any other requirement line is an error."
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"not an exact pin: {line!r}"
        found[canonical(match.group(1))] = match.group(2)
    return found


def requirements():
    return pins((ROOT / "requirements.txt").read_text().splitlines())


def conda_environment():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml should list the course's packages once, under pip"
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    assert python == ["python=3.11"]
    return pins(pip_lists[0])


def test_requirements_and_environment_yml_pin_the_same_packages_and_versions():
    assert requirements() == conda_environment()


def test_the_packages_the_outputs_depend_on_are_pinned():
    needed = {"torch", "torchvision", "fastai", "fastbook", "fastprogress", "pandas", "matplotlib", "numpy",
              "nbval", "pytest", "mlxtend", "jupyterlab", "ipykernel", "nbclient", "ruff"}
    assert needed <= set(requirements())
    assert requirements()["torch"] == "2.14.1" and requirements()["torchvision"] == "0.29.1"


def test_the_helper_package_needs_only_pinned_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {canonical(re.split(r"[<>=!~ ]", dep)[0]) for dep in project["dependencies"]}
    assert names <= set(requirements())


def test_the_parser_rejects_a_loose_requirement():
    with pytest.raises(AssertionError, match="not an exact pin"):
        pins(["torch>=2"])
