"""What nbval cannot see: every notebook's structure follows CONTRIBUTING.md, and the main job works."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from helpers.colab import COURSE_REF, COURSE_REPO, badge, colab_block, colab_url, with_badge, with_colab_block

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NBVAL_TAGS = {"nbval-ignore-output", "nbval-skip"}


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def markdown_words(cells):
    return sum(len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_lesson_is_20_to_40_minutes_of_reading(path):
    "At most 3,500 words of prose and 60 cells; no code cell but the set-up cell longer than 15 lines."
    cells = json.loads(path.read_text())["cells"]
    assert markdown_words(cells) <= 3500, f"{path.name}: {markdown_words(cells)} words of prose"
    assert len(cells) <= 60, f"{path.name}: {len(cells)} cells"
    long = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and len("".join(c["source"]).splitlines()) > 15]
    first = next(i for i, c in enumerate(cells) if c["cell_type"] == "code")
    assert [i for i in long if i != first] == [], f"{path.name}: code cells longer than 15 lines"


def exercise_cells(path):
    "The code cells of a lesson's Exercises section (up to the next section of the same level)."
    cells = json.loads(path.read_text())["cells"]
    start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## Exercises"))
    end = next(i for i in range(start + 1, len(cells)) if "".join(cells[i]["source"]).startswith("## "))
    return ["".join(c["source"]) for c in cells[start:end] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_make_the_learner_write_code_checked_by_the_lessons_checkers(path):
    """At least three exercises, each a worked solution between nbgrader's markers (so that a practice copy can stub
    it) followed by a call of a checker from helpers.exercises.<stem>, which has tests of its own."""
    stem = path.stem[3:]
    first = "".join(code_cells(path)[0]["source"])
    assert f"from helpers.exercises.{stem} import" in first, f"{path.name}: import the checkers in the first cell"
    checked = [src for src in exercise_cells(path) if "### BEGIN SOLUTION" in src]
    assert len(checked) >= 3, f"{path.name}: {len(checked)} exercises with a solution between markers"
    for src in checked:
        lines = [line.strip() for line in src.splitlines()]
        assert lines.count("### BEGIN SOLUTION") == lines.count("### END SOLUTION"), src
        assert re.search(r"^check_\w+\(", src, re.M), f"{path.name}: an exercise that calls no checker:\n{src}"
    assert (ROOT / "tests" / f"test_exercises_{stem}.py").is_file(), f"tests for helpers/exercises/{stem}.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_lesson_asks_for_a_prediction_before_a_cell_answers_it(path):
    cells = json.loads(path.read_text())["cells"]
    asks = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown"
            and re.search(r"\bpredict\b", "".join(c["source"]), re.I) and i + 1 < len(cells)
            and cells[i + 1]["cell_type"] == "code"]
    assert asks, f"{path.name}: no 'predict before you run' question followed by the cell that answers it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_installs_in_colab_then_sets_up_and_prints_the_versions(path):
    first = "".join(code_cells(path)[0]["source"])
    assert first.startswith(colab_block()), "run `make notebooks` (or `make publish`) to renew the Colab block"
    assert "device = setup_course()\nprint(versions(device))" in first
    assert "drive.mount" not in json.dumps(json.loads(path.read_text())["cells"]), "nothing asks for Google Drive"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_title_cell_has_its_colab_badge_and_the_readme_links_to_colab(path):
    cells = json.loads(path.read_text())["cells"]
    title = "".join(cells[0]["source"]).split("\n")
    assert title[0].startswith("# Lesson ") and title[2] == badge(path.name), "run `make publish` to renew the badge"
    readme = (ROOT / "README.md").read_text()
    assert f"({colab_url(path.name)})" in readme, "run `make publish` to renew the README"
    assert f"({colab_url(path.name, folder='practice')})" in readme, "the README links the practice copy in Colab"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_come_from_one_clean_run(path):
    counts = [c["execution_count"] for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks` to store a clean top-to-bottom run"
    for cell in code_cells(path):
        for out in cell["outputs"]:
            assert out["output_type"] != "error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), "".join(out["text"])[:200]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_key_result_and_every_ignored_output_has_a_reason(path):
    cells = code_cells(path)
    keys = [c for c in cells if "key-result" in c["metadata"].get("tags", [])]
    assert len(keys) == 1, "tag exactly one cell `key-result`"
    assert any(o.get("name") == "stdout" for o in keys[0]["outputs"]), "the key-result cell prints its result"
    for i, cell in enumerate(cells):
        source = "".join(cell["source"])
        assert "NBVAL_" not in source, f"cell {i}: mark a cell for nbval with a tag (CONTRIBUTING.md), not a comment"
        tags = NBVAL_TAGS.intersection(cell["metadata"].get("tags", []))
        if tags:
            assert source.startswith("# "), f"cell {i}: tagged {tags}: its first line says why, for the learner too"
        if "nbval-ignore-output" in tags:
            following = "".join(cells[i + 1]["source"]) if i + 1 < len(cells) else ""
            assert "assert" in following, f"cell {i}: an ignored output needs a following cell that asserts"


def test_the_colab_block_and_badge_are_renewed_from_the_settings():
    assert f"git+{COURSE_REPO}@{COURSE_REF}" in colab_block()
    stale = colab_block("https://github.com/old/place", "v0") + "\nimport torch\n"
    assert with_colab_block(stale) == colab_block() + "\nimport torch\n"
    assert with_colab_block("import torch\n") == colab_block() + "\nimport torch\n"
    title = "# Lesson 9: more\n\nText.\n"
    renewed = with_badge(title, "09_more.ipynb")
    assert renewed == f"# Lesson 9: more\n\n{badge('09_more.ipynb')}\n\nText.\n"
    assert with_badge(with_badge(title, "09_more.ipynb", "https://github.com/a/b", "v1"), "09_more.ipynb") == renewed
    assert colab_url("01_data.ipynb", "https://github.com/a/b", "v1") == (
        "https://colab.research.google.com/github/a/b/blob/v1/notebooks/01_data.ipynb")


def test_publish_rewrites_every_place_and_refuses_an_address_colab_cannot_open(tmp_path, capsys):
    from tools import publish

    for part in ("helpers/colab.py", "README.md", "notebooks/01_data.ipynb"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / part, tmp_path / part)
    assert publish.main(["--repo", "https://github.com/someone/fork", "--ref", "v2.0"], root=tmp_path) == 0
    settings = (tmp_path / "helpers/colab.py").read_text()
    assert 'COURSE_REPO = "https://github.com/someone/fork"' in settings and 'COURSE_REF = "v2.0"' in settings
    new_url = "https://colab.research.google.com/github/someone/fork/blob/v2.0/notebooks/01_data.ipynb"
    assert new_url in (tmp_path / "README.md").read_text()
    assert "/how-a-network-learns/blob/" not in (tmp_path / "README.md").read_text()
    nb = (tmp_path / "notebooks/01_data.ipynb").read_text()
    assert new_url in nb and "git+https://github.com/someone/fork@v2.0" in nb
    for bad in (["--repo", "https://gitlab.com/a/b"], ["--repo", "https://github.com/a/b.git/"], ["--ref", "a b"]):
        with pytest.raises(SystemExit):
            publish.main(bad, root=tmp_path)
    assert "Colab opens notebooks from GitHub" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.notebooks
def test_main_job_runs_a_notebook_without_touching_it_and_prints_its_key_result(tmp_path, capsys, monkeypatch):
    import tools.run_notebooks as runner

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import os\nsource = os.environ.get('MNIST_SOURCE', 'embedded')"),
                nbformat.v4.new_code_cell("print(f'key: {6 * 7} on {source}')", metadata={"tags": ["key-result"]})]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    assert runner.main([str(path)]) == 0
    assert path.read_bytes() == before
    out = capsys.readouterr().out
    assert "key: 42 on embedded" in out and "data: embedded (MNIST_SOURCE) | digits: 2,9" in out
    copy = tmp_path / "02_copy.ipynb"
    shutil.copy(path, copy)
    timings = runner.TIMINGS.read_bytes()
    assert runner.main(["--in-place", str(copy)]) == 0
    assert runner.TIMINGS.read_bytes() == timings, "only the course's lessons have their running times stored"
    stored = nbformat.read(copy, as_version=4)
    assert stored.cells[0].source.startswith(colab_block())
    assert stored.metadata.kernelspec.display_name == "Python 3 (ipykernel)"
    assert [c.execution_count for c in stored.cells] == [1, 2]
    assert stored.cells[1].outputs[0]["text"] == "key: 42 on embedded\n"


@pytest.mark.slow
@pytest.mark.notebooks
def test_main_job_follows_the_settings_and_never_stores_them(tmp_path, capsys, monkeypatch):
    import tools.run_notebooks as runner

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.environ['MNIST_SOURCE'], os.environ['COURSE_DIGITS'])",
                                          metadata={"tags": ["key-result"]})]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("MNIST_SOURCE", str(tmp_path))
    monkeypatch.setenv("COURSE_DIGITS", "3,7")
    assert runner.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert f"data: {tmp_path} (MNIST_SOURCE) | digits: 3,7 (COURSE_DIGITS)" in out and f"{tmp_path} 3,7" in out
    with pytest.raises(SystemExit):
        runner.main(["--in-place", str(path)])
    assert "unset MNIST_SOURCE, COURSE_DIGITS and COURSE_SEED" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.notebooks
def test_main_job_reports_a_failing_notebook(tmp_path, capsys):
    import tools.run_notebooks as runner

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("assert 1 + 1 == 3, 'arithmetic is broken'")]
    nbformat.write(nb, tmp_path / "01_broken.ipynb")
    assert runner.main([str(tmp_path / "01_broken.ipynb")]) == 1
    assert "arithmetic is broken" in capsys.readouterr().err


ENDING = ["## Exercises", "### Why?", "## Recap", "## Glossary", "## Further research", "## Solutions"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_lesson_ends_with_exercises_why_questions_recap_glossary_research_and_solutions(path):
    cells = json.loads(path.read_text())["cells"]
    headings = [line for c in cells if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()
                if line.startswith("#")]
    found = [h for h in headings if h in ENDING]
    assert found == ENDING, f"{path.name}: the closing sections are {found}, not {ENDING} in this order"


def test_the_glossary_page_collects_every_lesson_and_the_readme_links_it():
    from tools import glossary

    assert glossary.main(["--check"]) == 0, "GLOSSARY.md is stale: run `python tools/glossary.py`"
    for path in NOTEBOOKS:
        assert len(glossary.lesson_glossary(path)) >= 3, f"{path.name}: a glossary of at least three terms"
    assert "(GLOSSARY.md)" in (ROOT / "README.md").read_text()
    # the site's glossary page typesets no formulas: a $...$ in an entry would show as raw TeX there
    tex = [line for line in (ROOT / "GLOSSARY.md").read_text().splitlines() if "$" in line]
    assert not tex, f"write glossary entries without TeX: {tex[:2]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_file_stays_small(path):
    assert path.stat().st_size <= 600 * 1024, f"{path.name} is {path.stat().st_size // 1024} KB: at most 600 KB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_has_alternative_text_for_the_website(path):
    from tools.site_hooks import figure_alts

    alts = figure_alts(path)  # raises, naming the cell, where a figure has none
    assert all(15 <= len(alt.split()) <= 60 for alt in alts), "a sentence or two on what the figure shows"
