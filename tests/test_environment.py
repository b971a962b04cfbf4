"""The environment files: requirements.txt and environment.yml pin the same packages at the same versions."""

import tomllib
from pathlib import Path

import pytest
import yaml

from helpers.doctor import canonical, pins

ROOT = Path(__file__).resolve().parents[1]
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


def test_the_helper_package_needs_pinned_packages_in_ranges_that_hold_the_pins():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = requirements()
    for dep in map(Requirement, project["dependencies"]):
        assert canonical(dep.name) in pinned, f"{dep.name}: the helpers need it, so requirements.txt pins it"
        assert dep.specifier.contains(pinned[canonical(dep.name)]), f"the pin of {dep.name} lies outside {dep}"
        assert dep.name == "pillow" or "<" in str(dep.specifier), f"{dep}: an upper bound, so Colab's stays in place"


def test_requires_python_and_the_makefile_agree_on_python_3_11_to_3_13():
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    assert [v for v in ("3.10", "3.11", "3.12", "3.13") if v in spec] == ["3.11", "3.12", "3.13"]
    assert "sys.version_info[:2] <= (3, 13)" in (ROOT / "Makefile").read_text()


def test_the_parser_rejects_a_loose_requirement():
    with pytest.raises(ValueError, match="not an exact pin"):
        pins(["torch>=2"])


def test_the_bug_report_template_asks_where_the_course_runs_and_for_the_doctors_output():
    form = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "bug_report.yml").read_text())
    fields = {item["id"]: item for item in form["body"]}
    assert "Google Colab (CPU)" in fields["where"]["attributes"]["options"]
    assert "helpers.doctor" in fields["doctor"]["attributes"]["description"]
    assert fields["where"]["validations"]["required"] and fields["doctor"]["validations"]["required"]


def test_the_licences_are_there_and_the_readme_states_them():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "Attribution-ShareAlike 4.0 International" in (ROOT / "LICENSE-CC-BY-SA-4.0.txt").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "(LICENSE)" in readme and "(LICENSE-CC-BY-SA-4.0.txt)" in readme and "CC BY-SA 3.0" in readme


def test_make_lab_allows_root_only_for_root():
    import os
    import subprocess

    plan = subprocess.run(["make", "-n", "-o", ".venv/.installed", "lab"], cwd=ROOT, capture_output=True, text=True)
    assert "jupyter lab" in plan.stdout, plan.stdout + plan.stderr
    assert ("--allow-root" in plan.stdout) == (os.getuid() == 0)


def test_a_plain_install_holds_every_package_of_helpers():
    "Colab installs the helpers without -e: only the packages pyproject.toml lists go in, so each must be listed."
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "helpers").rglob("__init__.py")}
    assert found == listed, f"pyproject.toml's [tool.setuptools] packages must be {sorted(found)}"
