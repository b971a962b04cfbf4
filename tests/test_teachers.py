"""The teacher's page (TEACHERS.md, tools/teachers.py) and what it is made from: every lesson says what it assumes and
three to five learning objectives, each checked by named exercises or Why? questions, and rates each exercise."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from tools import teachers

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_the_teachers_page_is_what_the_lessons_say_and_the_readme_and_site_link_it():
    assert teachers.main(["--check"]) == 0, "TEACHERS.md is stale: run `python -m tools.teachers`"
    assert "(TEACHERS.md)" in (ROOT / "README.md").read_text()
    assert "(teachers.md)" in (ROOT / "site" / "index.md").read_text()


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_objective_is_checked_by_the_lessons_exercises_and_every_exercise_checks_one(path):
    plan = teachers.lesson_plan(path)
    cells = json.loads(path.read_text())["cells"]
    solutions = [c for c in cells if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")]
    assert 3 <= len(plan["objectives"]) <= 5, f"{path.name}: {len(plan['objectives'])} objectives"
    numbers = [n for n, _, _ in plan["exercises"]]
    assert numbers == list(range(1, len(numbers) + 1)) and 3 <= len(numbers) <= len(solutions), "Exercise 1, 2, ..."
    assert all(label for _, _, label in plan["exercises"]), "each exercise has a title or defines something"
    named = set().union(*(teachers.references(checked) for _, checked in plan["objectives"]))
    assert named == {n for n, _, _ in plan["exercises"]}, f"{path.name}: objectives name exercises {sorted(named)}"
    whys = set().union(*(teachers.references(checked, "Why") for _, checked in plan["objectives"]))
    assert whys <= set(range(1, plan["whys"] + 1)), f"{path.name}: an objective names a Why? question it lacks"
    assert plan["assumes"], f"{path.name}: say what the lesson assumes"


def test_a_lesson_without_objectives_or_with_an_unchecked_one_is_refused_by_name(tmp_path):
    nb = nbformat.read(LESSONS[1], as_version=4)
    title = nb.cells[0].source
    nb.cells[0].source = title.replace(teachers.OBJECTIVES, "**Goals:**")
    nbformat.write(nb, tmp_path / "02_x.ipynb")
    with pytest.raises(ValueError, match="02_x.ipynb: the title cell needs"):
        teachers.lesson_plan(tmp_path / "02_x.ipynb")
    nb.cells[0].source = re.sub(r" \((?:Exercises?|Why)[^)]*\);", ";", title, count=1)
    nbformat.write(nb, tmp_path / "02_x.ipynb")
    with pytest.raises(ValueError, match="must end with what checks it"):
        teachers.lesson_plan(tmp_path / "02_x.ipynb")


def test_an_objectives_references_are_read_with_the_word_before_each_number():
    assert teachers.references("Exercises 1, 2 and 3, Why 3") == {1, 2, 3}
    assert teachers.references("Exercise 4, Why 1 and 2", "Why") == {1, 2}
    assert teachers.references("Why 2") == set()


def test_reading_time_counts_prose_and_code_and_rounds_up_to_five_minutes():
    assert teachers.reading_minutes({"words": 200, "code_lines": 0}) == 5
    assert teachers.reading_minutes({"words": 3000, "code_lines": 100}) == 25  # 15 + 10 minutes
    assert teachers.reading_minutes({"words": 3001, "code_lines": 100}) == 30
