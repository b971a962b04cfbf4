"""`make practice`: the practice copy of every lesson, practice/NN_name.ipynb, written from notebooks/NN_name.ipynb.

A practice copy is the lesson with its answers taken out. nbgrader's own preprocessors make it, with the settings in
nbgrader_config.py, the file a teacher's `nbgrader generate_assignment notebooks` reads too:
- ClearSolutions: each exercise's worked solution (the lines between nbgrader's solution markers) becomes the stub
  `raise NotImplementedError()`, which the exercise's checker reports as "Not done yet"; the Solutions cell (answers to
  the Why? questions) becomes a cell for the learner's own answers;
- nbconvert's TagRemovePreprocessor: the cells after it (worked answers with code, tagged practice-remove) go;
- ClearOutput: no outputs and no execution counts.
Then the title cell's Colab badge opens the practice copy, and a line points to the full lesson.

    python -m tools.practice           # write every practice copy (and remove copies of lessons that no longer exist)
    python -m tools.practice --check   # exit 1 if a committed copy differs from what would be written
"""

import argparse
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.preprocessors import ClearOutput, ClearSolutions
from traitlets.config.loader import PyFileConfigLoader

from helpers import colab
from tools.run_notebooks import write_atomically

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS, PRACTICE = ROOT / "notebooks", ROOT / "practice"


def nbgrader_config(root=ROOT):
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


def practice_copy(path, config):
    "The practice copy of the lesson at `path`, a notebook."
    nb = nbformat.read(path, as_version=4)
    resources = {}
    for step in (ClearSolutions, TagRemovePreprocessor, ClearOutput):
        try:
            nb, resources = step(config=config)(nb, resources)
        except RuntimeError as error:  # nbgrader's complaint about a marker
            raise SystemExit(f"{path.name}: {error}. Every pair of solution markers must sit in one exercise cell "
                             "whose metadata marks it as an nbgrader solution (CONTRIBUTING.md, 'Adding an exercise'),"
                             " and no other cell may contain the markers' text.") from None
    title = nb.cells[0]
    title.source = colab.with_badge(title.source, path.name, folder="practice")
    heading, rest = title.source.split("\n", 1)
    title.source = (f"{heading}\n\n**Practice copy.** Each exercise below is a stub for you to fill in, and no cell "
                    f"has run yet. [The full lesson](../notebooks/{path.name}) has every output and the worked "
                    f"solutions.\n{rest}")
    return nb


def serialised(nb):
    "The text nbformat.write stores."
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    config = nbgrader_config()
    lessons = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
    stale = sorted({p.name for p in PRACTICE.glob("*.ipynb")} - {p.name for p in lessons})
    differ = []
    PRACTICE.mkdir(exist_ok=True)
    for path in lessons:
        nb, target = practice_copy(path, config), PRACTICE / path.name
        if target.is_file() and target.read_text(encoding="utf-8") == serialised(nb):
            continue
        differ.append(target.name)
        if not args.check:
            write_atomically(nb, target)
    if args.check:
        for problem, names in (("differs from its lesson", differ), ("has no lesson", stale)):
            for name in names:
                print(f"practice/{name} {problem}: run `make practice` and commit the result", file=sys.stderr)
        return 1 if differ or stale else 0
    for name in stale:
        (PRACTICE / name).unlink()
    print(f"practice/: {len(lessons)} copies; rewrote {', '.join(differ) or 'none'}"
          f"{'; removed ' + ', '.join(stale) if stale else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
