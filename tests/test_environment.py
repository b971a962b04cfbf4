"""The environment files: the learner's pins (requirements.txt, which environment.yml reads), the contributor's
(requirements-dev.txt), and the ranges the helper package asks for."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from helpers.doctor import canonical, pins

ROOT = Path(__file__).resolve().parents[1]
def requirements(name="requirements.txt"):
    "The exact pins of a requirements file; a `-r other.txt` line is read as a reference, not a pin."
    lines = (ROOT / name).read_text().splitlines()
    return pins(line for line in lines if not line.startswith("-r "))


def installed_closure(names):
    "Every installed distribution that these need, directly or through others (extras left out)."
    import importlib.metadata

    from packaging.requirements import Requirement

    seen, todo = set(), [canonical(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonical(requirement.name))
    return seen


def test_environment_yml_reads_the_learners_pins_from_requirements_txt():
    "One source of pins: conda's environment is requirements.txt's, and names no package of its own."
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_lists == [["-r requirements.txt"]]
    assert [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")] == ["python=3.11"]


def test_the_contributors_file_adds_tools_to_the_learners_pins_without_repeating_them():
    dev_lines = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev_lines
    repeated = set(requirements()) & set(requirements("requirements-dev.txt"))
    assert not repeated, f"pinned in both files: {sorted(repeated)}; keep each pin once"


def test_the_learners_environment_holds_no_contributor_tool():
    "What requirements.txt installs, with everything it pulls in, holds none of the tools only contributors run."
    tools = {"pytest", "nbval", "ruff", "playwright", "mkdocs", "mkdocs-material", "mkdocs-jupyter", "nbgrader",
             "check-jsonschema"}
    assert tools <= set(requirements("requirements-dev.txt"))
    pulled_in = installed_closure(requirements())
    assert not tools & pulled_in, f"the learner's environment would install {sorted(tools & pulled_in)}"


def test_every_package_the_lessons_and_helpers_import_is_pinned_for_the_learner():
    "A notebook or helper importing a package that only requirements-dev.txt pins would fail in a learner's .venv."
    import ast
    import importlib.metadata
    import json

    sources = [p.read_text() for p in (ROOT / "helpers").rglob("*.py")]
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        for cell in (c for c in cells if c["cell_type"] == "code"):
            lines = "".join(cell["source"]).splitlines()
            sources.append("\n".join(line for line in lines if not line.lstrip().startswith(("!", "%"))))
    modules = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    distributions = importlib.metadata.packages_distributions()
    learner = installed_closure(requirements())
    third_party = {m for m in modules if m in distributions and m != "helpers"}
    assert {"torch", "fastai", "matplotlib"} <= third_party, "the import reader found too little"
    missing = {m for m in third_party if not {canonical(d) for d in distributions[m]} & learner}
    assert not missing, f"imported by the lessons or helpers but not in the learner's environment: {sorted(missing)}"


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


def test_the_doctors_pin_reader_rejects_a_loose_requirement():
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


def test_the_repository_stands_alone_no_file_points_to_a_design_or_guide_outside_it():
    "Only the official MNIST test set may be read from beside the repository (../shared/data/mnist, where it exists)."
    import subprocess

    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    outside = re.compile(r"COURSE\.md|DEVELOPERS\.md|\.\./shared/(?!data/mnist)")
    found = [name for name in listed if (ROOT / name).suffix in {".py", ".md", ".ipynb", ".yml", ".toml", ".txt", ""}
             and (ROOT / name).is_file() and outside.search((ROOT / name).read_text(errors="replace"))]
    assert not found, f"these point outside the repository: {found}"
