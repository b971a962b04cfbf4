"""A function is taught once, in a notebook, and then imported from `helpers`: the two must never drift.

Each helpers module names what it teaches in TAUGHT_IN = {function: notebook}. Both ways are checked: every entry
must be defined in its notebook, each of its definitions there with the helper's code (compared as Python syntax
trees, so comments and blank lines may differ); and every function or class a notebook defines under the name of a
helper must be listed in that helper's TAUGHT_IN, with this notebook, so that no copy escapes the comparison.
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

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK_NAMES = sorted(p.name for p in NOTEBOOKS.glob("[0-9]*.ipynb"))


def modules():
    "Every module of the helpers package."
    return [importlib.import_module(f"helpers.{info.name}") for info in pkgutil.iter_modules(helpers.__path__)]


def taught():
    "(module, function name, notebook) for every TAUGHT_IN entry of every helpers module."
    for module in modules():
        for name, notebook in getattr(module, "TAUGHT_IN", {}).items():
            yield pytest.param(module, name, notebook, id=f"{module.__name__}.{name}")


def defined_in_helpers():
    "{name: module} of every function and class that a helpers module defines itself (not those it imports)."
    found = {}
    for module in modules():
        for name, value in vars(module).items():
            if (inspect.isfunction(value) or inspect.isclass(value)) and value.__module__ == module.__name__:
                found[name] = module
    return found


def notebook_definitions(notebook):
    "{name: [syntax tree, ...]} of every top-level function or class defined in the notebook's code cells, in order."
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
                found.setdefault(node.name, []).append(node)
    return found


def helper_tree(obj):
    "The syntax tree of a helper's definition."
    return ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0]


def same_code(a, b):
    "True when two definitions are the same code: equal syntax trees (comments and blank lines do not count)."
    return ast.dump(a) == ast.dump(b)


def test_every_module_names_what_it_teaches():
    for module in modules():
        # set-up, tools and the exercises' checkers are not taught
        if module.__name__ not in ("helpers.colab", "helpers.repro", "helpers.doctor", "helpers.exercises"):
            assert getattr(module, "TAUGHT_IN", None), f"{module.__name__} has no TAUGHT_IN"


@pytest.mark.parametrize("module, name, notebook", list(taught()))
def test_teaching_cell_and_helper_are_the_same_code(module, name, notebook):
    assert notebook in NOTEBOOK_NAMES, f"{notebook}, which teaches {name}, is missing"
    in_notebook = notebook_definitions(notebook)
    assert name in in_notebook, f"{notebook} no longer defines {name}; {module.__name__} still says so"
    helper = helper_tree(getattr(module, name))
    for i, definition in enumerate(in_notebook[name], start=1):
        assert same_code(definition, helper), (
            f"definition {i} of {name} in {notebook} differs from {module.__name__}: change both, then run "
            "`make notebooks`"
        )


@pytest.mark.parametrize("notebook", NOTEBOOK_NAMES)
def test_every_notebook_copy_of_a_helper_is_listed_and_compared(notebook):
    helpers_by_name = defined_in_helpers()
    for name in notebook_definitions(notebook):
        if name in helpers_by_name:
            module = helpers_by_name[name]
            assert getattr(module, "TAUGHT_IN", {}).get(name) == notebook, (
                f"{notebook} defines {name}, as {module.__name__} does, but {module.__name__}.TAUGHT_IN does not "
                f"name {notebook} for it: add it there, so that the two are compared"
            )


def test_the_comparison_ignores_comments_but_notices_any_change_of_code():
    for module, name, _ in (p.values for p in taught()):
        source = textwrap.dedent(inspect.getsource(getattr(module, name)))
        original = ast.parse(source).body[0]
        commented = "# a comment\n" + source.replace("\n", "\n\n", 1)  # a comment and a blank line more
        assert same_code(ast.parse(commented).body[0], original), name
        # one change of code: the first constant or name that can change is changed
        changed = ast.parse(source).body[0]
        node = next(n for n in ast.walk(changed) if isinstance(n, ast.Constant | ast.Name) and n is not changed)
        if isinstance(node, ast.Constant):
            node.value = f"{node.value!r} changed"
        else:
            node.id += "_changed"
        assert not same_code(changed, original), f"a change in {name} went unnoticed"
