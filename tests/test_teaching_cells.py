"""A function is taught once, in a notebook, and then imported from `helpers`: the two must never drift.

Each helpers module names what it teaches in TAUGHT_IN = {function: notebook}. For every entry, the
notebook must define that function in a code cell, and its code (compared as Python syntax trees, so
comments and blank lines may differ) must be the same as the helper's.
"""

import ast
import importlib
import inspect
import json
import pkgutil
import textwrap
from pathlib import Path

import pytest

import helpers
import helpers.data

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def taught():
    "(module, function name, notebook) for every TAUGHT_IN entry of every helpers module."
    for info in pkgutil.iter_modules(helpers.__path__):
        module = importlib.import_module(f"helpers.{info.name}")
        for name, notebook in getattr(module, "TAUGHT_IN", {}).items():
            yield pytest.param(module, name, notebook, id=f"{info.name}.{name}")


def notebook_definitions(notebook):
    "{name: syntax tree} of every top-level function or class defined in the notebook's code cells."
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    found = {}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        # IPython's %magic and !shell lines are not Python: read each as `pass`, keeping the indentation.
        lines = [line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                 for line in source.splitlines()]
        for node in ast.parse("\n".join(lines)).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                found[node.name] = node
    return found


def test_every_module_names_what_it_teaches():
    assert list(taught()), "no helpers module lists the functions its notebooks teach"


@pytest.mark.parametrize("module, name, notebook", list(taught()))
def test_teaching_cell_and_helper_are_the_same_code(module, name, notebook):
    assert (NOTEBOOKS / notebook).exists(), f"{notebook}, which teaches {name}, is missing"
    in_notebook = notebook_definitions(notebook)
    assert name in in_notebook, f"{notebook} no longer defines {name}; helpers.{module.__name__} still says so"
    helper = ast.parse(textwrap.dedent(inspect.getsource(getattr(module, name)))).body[0]
    assert ast.dump(in_notebook[name]) == ast.dump(helper), (
        f"{name} in {notebook} differs from helpers: change both, then run `make notebooks`"
    )


def test_the_comparison_notices_a_change():
    changed = ast.parse("def to_xy(first, second):\n    return first\n").body[0]
    helper = ast.parse(textwrap.dedent(inspect.getsource(helpers.data.to_xy))).body[0]
    assert ast.dump(changed) != ast.dump(helper)
