"""Lessons 1-5 run to the end, every assertion holding, for other pairs of digits and on other data.

The whole course runs for another pair and on other data in `make robust` (tools/robust.py); here the first five
lessons, which every later one builds on, run for 3s against 7s, for 4s against 9s (a hard pair: the nearest average
gets about 86% of them right), and on a layout folder other than the embedded one.
"""

import os
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from tools.robust import environment, last_line, other_layout
from tools.run_notebooks import NOTEBOOKS, execute

FIRST_FIVE = sorted(NOTEBOOKS.glob("0[1-5]_*.ipynb"))


def run_with(settings, path):
    "Execute one notebook with these environment settings; the notebook's own error if a cell fails."
    with environment(settings):
        try:
            execute(path)
        except CellExecutionError as err:
            pytest.fail(f"{path.name} with {settings}: {last_line(err)}")


@pytest.mark.parametrize("digits", ["3,7", "4,9"])
@pytest.mark.parametrize("path", FIRST_FIVE, ids=lambda p: p.name[:2])
def test_lessons_run_for_another_pair(path, digits):
    run_with({"COURSE_DIGITS": digits}, path)


@pytest.fixture(scope="module")
def other_data_with_junk(session_cache):
    "OTHER_LAYOUT, with the files other programs leave in folders: the lessons must count only the images."
    os.environ["COURSE_CACHE"] = str(session_cache)
    layout = Path(other_layout())
    for folder in layout.glob("*/*"):
        (folder / ".DS_Store").write_bytes(b"Mac")
        (folder / "Thumbs.db").write_bytes(b"Windows")
        (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)
    return layout


@pytest.mark.parametrize("path", FIRST_FIVE, ids=lambda p: p.name[:2])
def test_lessons_run_on_other_data(path, other_data_with_junk):
    assert other_data_with_junk.name != "mnist_embedded_v1"
    run_with({"MNIST_SOURCE": str(other_data_with_junk)}, path)
