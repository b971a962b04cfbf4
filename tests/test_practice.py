"""The practice copies (practice/, `make practice`): what nbgrader's preprocessors make of the lessons, committed byte
for byte, the answers gone and the prose kept, the same student version a teacher's own nbgrader run makes, and every
copy runs top to bottom with its stubs untouched, each checker saying what is still to do."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import practice
from tools.run_notebooks import execute

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
STUB = "raise NotImplementedError()"


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def test_every_committed_practice_copy_is_what_make_practice_writes():
    assert sorted(p.name for p in (ROOT / "practice").glob("*.ipynb")) == [p.name for p in LESSONS]
    assert practice.main(["--check"]) == 0, "run `make practice` and commit practice/"


def test_make_practice_check_names_a_copy_that_drifted_and_one_without_a_lesson(tmp_path, monkeypatch, capsys):
    copies = tmp_path / "practice"
    shutil.copytree(ROOT / "practice", copies)
    (copies / "02_baseline_and_linear_model.ipynb").write_text("{}")
    (copies / "99_gone.ipynb").write_text("{}")
    monkeypatch.setattr(practice, "PRACTICE", copies)
    assert practice.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "practice/02_baseline_and_linear_model.ipynb differs" in err
    assert "practice/99_gone.ipynb has no lesson" in err
    assert practice.main([]) == 0  # writes the drifted copy back and removes the stale one
    assert practice.main(["--check"]) == 0 and not (copies / "99_gone.ipynb").exists()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_exercise_and_the_why_answers_are_marked_the_nbgrader_way(path):
    found = cells(path)
    exercises = [c for c in found if c["cell_type"] == "code" and "### BEGIN SOLUTION" in source(c)]
    assert exercises and all(c["metadata"].get("nbgrader", {}).get("solution") for c in exercises)
    answers = next(i for i, c in enumerate(found) if source(c).startswith("## Solutions"))
    meta = found[answers]["metadata"].get("nbgrader", {})
    whys = next(source(c) for c in found if source(c).startswith("### Why?"))
    assert meta.get("solution") and meta.get("grade"), "the Solutions cell: a hand-graded nbgrader answer cell"
    assert meta.get("points") == len(re.findall(r"^\*\*Why \d+\.\*\*", whys, re.M)), "one point per Why? question"
    assert all("practice-remove" in c["metadata"].get("tags", []) for c in found[answers + 1:])


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_a_practice_copy_keeps_the_lesson_and_removes_every_answer_and_output(path):
    lesson, copy = cells(path), cells(ROOT / "practice" / path.name)
    answers = next(i for i, c in enumerate(lesson) if source(c).startswith("## Solutions"))
    assert [source(c) for c in copy[1:answers]] == [
        re.sub(r"(?ms)^( *)### BEGIN SOLUTION$.*?### END SOLUTION$", r"\1# YOUR CODE HERE\n\1" + STUB, source(c))
        for c in lesson[1:answers]], "every cell up to the Solutions, with each solution stubbed"
    assert len(copy) == answers + 1 and source(copy[-1]).startswith("## Your answers"), "the answers are gone"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in copy if c["cell_type"] == "code")
    title = source(copy[0])
    assert f"/practice/{path.name})" in title and f"(../notebooks/{path.name})" in title, "badge and link"


@pytest.mark.slow
def test_a_teachers_nbgrader_run_makes_the_same_student_version(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    run = subprocess.run([Path(sys.executable).parent / "nbgrader", "generate_assignment", "notebooks", "--no-db"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    for path in LESSONS:
        made = nbformat.read(tmp_path / "build" / "nbgrader" / "notebooks" / path.name, as_version=4)
        ours = nbformat.read(ROOT / "practice" / path.name, as_version=4)
        assert [c.source for c in made.cells[1:]] == [c.source for c in ours.cells[1:]], path.name


def test_a_solution_marker_outside_a_marked_exercise_cell_stops_make_practice_naming_the_lesson(tmp_path):
    nb = nbformat.read(LESSONS[0], as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"))
    nbformat.write(nb, tmp_path / LESSONS[0].name)
    with pytest.raises(SystemExit, match=f"{LESSONS[0].name}: .*nbgrader solution"):
        practice.practice_copy(tmp_path / LESSONS[0].name, practice.nbgrader_config())


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_a_practice_copy_runs_top_to_bottom_and_every_checker_says_what_is_still_to_do(path):
    nb, _ = execute(ROOT / "practice" / path.name)  # raises CellExecutionError on the first error
    exercises = [c for c in nb.cells if c.cell_type == "code" and STUB in c.source]
    printed = ["".join(o.get("text", "") for o in c.outputs if o.get("name") == "stdout") for c in exercises]
    assert printed and all(p.startswith("Not done yet:") and "Correct" not in p for p in printed), printed
