"""Every "lesson N" in the project names the right lesson, so that a split or a renumbering cannot leave a stale number.

The lessons are the notebooks `notebooks/NN_stem.ipynb`, numbered 1, 2, 3, ... without gaps. A reference is resolved
wherever the text says what it points at:
- a notebook's title is "# Lesson N: ..." with N its own number, and its "Next, lesson M" is the lesson after it;
- a link or a file name beside a lesson number ("[lesson 6](notebooks/06_learner_equivalence.ipynb)") agree;
- a helper named with a lesson ("`train_epoch` from lesson 4", "lesson 4's `train_epoch`", "`train_epoch` (lesson
  4)") is taught in that lesson (its module's TAUGHT_IN);
- a helpers module named with lessons ("`model` (lessons 2-5)") is taught in exactly those lessons, and a module that
  says it is "written out in lesson N" has N among its TAUGHT_IN lessons;
and every other "lesson N" names a lesson that exists. Searched: the notebooks, the Markdown pages, the Python files
(docstrings and comments included), the Makefile and the site's pages.
"""

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NUMBERS = {int(p.name[:2]): p.stem for p in NOTEBOOKS}
LESSON = re.compile(r"\b[Ll]essons? ((?:\d+(?:\s*(?:,|-|–|to|and|or)\s*)?)+)")


def lesson_numbers(listed):
    "The lessons in a list as prose writes it: '4', '2-5', '5, 7 and 9', '1 to 4'."
    found = set()
    for part in re.split(r"\s*(?:,|and|or)\s*", listed.strip(" ,")):
        ends = [int(n) for n in re.findall(r"\d+", part)]
        if len(ends) == 2 and re.search(r"-|–|to", part):
            found.update(range(ends[0], ends[1] + 1))
        else:
            found.update(ends)
    return found


def texts():
    "(name, text) of every file searched; a notebook's cells are joined, markdown and code alike."
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        yield path.name, "\n\n".join("".join(c["source"]) for c in cells)
    patterns = ["*.md", "helpers/**/*.py", "tests/*.py", "tools/*.py", "benchmarks/*.py", "Makefile", "site/*.md",
                ".github/**/*.yml"]
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.resolve() == Path(__file__).resolve():
                continue  # this file's own examples
            yield str(path.relative_to(ROOT)), path.read_text()


def taught():
    "{helper name: lesson number} and {module name: set of lesson numbers} from every TAUGHT_IN."
    names, modules = {}, {}
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        for name, notebook in getattr(module, "TAUGHT_IN", {}).items():
            names[name] = int(notebook[:2])
            modules.setdefault(info.name, set()).add(int(notebook[:2]))
    return names, modules


def test_the_lessons_are_numbered_without_gaps_and_titled_with_their_number():
    assert sorted(NUMBERS) == list(range(1, len(NUMBERS) + 1)), f"lessons numbered {sorted(NUMBERS)}"
    for number, stem in NUMBERS.items():
        cells = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())["cells"]
        title = "".join(cells[0]["source"]).splitlines()[0]
        assert title.startswith(f"# Lesson {number}: "), f"{stem}: the title reads {title!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_next_lesson_is_the_one_after(path):
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for found in re.findall(r"Next, lesson (\d+)", text):
        assert int(found) == int(path.name[:2]) + 1, f"{path.name} announces lesson {found} as the next"


def test_every_lesson_number_names_a_lesson_that_exists():
    wrong = [(name, m.group(0)) for name, text in texts() for m in LESSON.finditer(text)
             if not lesson_numbers(m.group(1)) <= set(NUMBERS)]
    assert wrong == []


def test_a_lesson_number_beside_a_notebook_file_is_that_file_number():
    beside = re.compile(r"[Ll]esson (\d+)\]?\(?[^\n()]{0,12}?\b(\d\d)_[a-z_]+\.ipynb")
    wrong = [(name, m.group(0)) for name, text in texts() for m in beside.finditer(text)
             if int(m.group(1)) != int(m.group(2))]
    assert wrong == []
    stems = {stem for name, text in texts() if not name.startswith("tests/")  # tests make notebooks of their own
             for stem in re.findall(r"\b\d\d_[a-z_]+(?=\.ipynb)", text)}
    assert stems <= set(NUMBERS.values()), f"notebooks that do not exist: {stems - set(NUMBERS.values())}"


def test_a_helper_named_with_a_lesson_is_taught_in_that_lesson():
    names, _ = taught()
    forms = [re.compile(r"`(\w+)(?:\(\))?` from lesson (\d+)"), re.compile(r"`(\w+)(?:\(\))?` \(lesson (\d+)\)"),
             re.compile(r"[Ll]esson (\d+)'s `(\w+)`")]
    wrong = []
    for name, text in texts():
        for form in forms:
            for m in form.finditer(text):
                helper, number = (m.group(2), m.group(1)) if m.group(1).isdigit() else m.groups()
                if helper in names and names[helper] != int(number):
                    wrong.append((name, m.group(0), f"taught in lesson {names[helper]}"))
    assert wrong == []


def test_a_helpers_module_named_with_lessons_is_taught_in_exactly_those():
    _, modules = taught()
    named = re.compile(r"`(\w+)` \(lessons? ([\d ,and\-–to]+)\)")
    wrong = [(name, m.group(0), sorted(modules[m.group(1)])) for name, text in texts() for m in named.finditer(text)
             if m.group(1) in modules and lesson_numbers(m.group(2)) != modules[m.group(1)]]
    assert wrong == []
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        for found in re.findall(r"written out in lesson (\d+)", module.__doc__ or ""):
            assert int(found) in modules.get(info.name, set()), f"helpers.{info.name}: lesson {found}"


def test_the_resolver_reads_the_forms_prose_uses():
    assert lesson_numbers("2-5") == {2, 3, 4, 5}
    assert lesson_numbers("5, 7 and 9") == {5, 7, 9}
    assert lesson_numbers("1 to 4") == {1, 2, 3, 4}
    assert [m.group(1) for m in LESSON.finditer("lessons 6 and 8 quote it; lesson 12's")] == ["6 and 8", "12"]
