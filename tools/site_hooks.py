"""MkDocs hooks for `make site` (mkdocs.yml names this file). On each lesson page:
- every figure gets the alternative text stored in its cell's metadata (`"alt"`); a figure without one stops the build;
- the Colab badge becomes the site's own button, so that no page fetches anything from another host;
- the table of contents is rebuilt from the headings: mkdocs-jupyter drops inline code from an entry's text and
  anchor ("Version 5: `DataLoaders`" became "Version 5:", linking to no heading);
- each exercise's worked solution (its code cell and the checker's output) is folded into a closed `<details>` under
  the exercise, so that a learner can try first and look after;
- the notebook style sheet that mkdocs-jupyter writes into every page (over half a megabyte) becomes one shared file.
"""

import hashlib
import json
from pathlib import Path

from bs4 import BeautifulSoup

from helpers.colab import BADGE_IMAGE

COLAB_BUTTON = "assets/open-in-colab.svg"
SHARED_STYLE = 50_000  # characters: an inline style sheet this long is written once, as a file


def figure_alts(notebook):
    "The alternative text of every figure the notebook's stored outputs show, in order."
    alts = []
    for i, cell in enumerate(json.loads(Path(notebook).read_text())["cells"]):
        images = [o for o in cell.get("outputs", []) if {"image/png", "image/jpeg"} & set(o.get("data", {}))]
        if not images:
            continue
        alt = cell["metadata"].get("alt")
        texts = [alt] if isinstance(alt, str) else list(alt or [])
        if len(texts) != len(images) or not all(texts):
            raise ValueError(f"{Path(notebook).name}, cell {i}: {len(images)} figure(s) but {len(texts)} alternative "
                             'text(s); give the cell metadata "alt": "one sentence on what the figure shows"')
        alts += texts
    return alts


def fix_contents(soup, page):
    """Point the i-th entry of the page's table of contents at the i-th heading below the title, with its own text.
    (Material shows the contents twice: in the right sidebar, and in the navigation for narrow windows.)"""
    headings = soup.select(", ".join(f".jupyter-wrapper h{level}[id]" for level in range(2, 7)))  # h1: the title
    for contents in soup.select("nav.md-nav--secondary"):
        links = contents.select("a.md-nav__link")
        if len(links) != len(headings):
            raise ValueError(f"{page.file.src_path}: {len(links)} entries in the contents, {len(headings)} headings")
        for link, heading in zip(links, headings):
            link["href"] = f"#{heading['id']}"
            text = link.select_one(".md-ellipsis") or link
            text.string = heading.get_text().rstrip("¶").strip()


def fold_solutions(soup, notebook):
    "Wrap each exercise cell (an nbgrader solution code cell) of the page in a closed <details> element."
    cells = json.loads(Path(notebook).read_text())["cells"]
    shown = soup.select(".jupyter-wrapper .jp-Notebook > .jp-Cell")  # one per cell (a code cell nests its parts)
    if len(shown) != len(cells):
        raise ValueError(f"{Path(notebook).name}: the page shows {len(shown)} cells, the notebook has {len(cells)}")
    for cell, div in zip(cells, shown):
        marked = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and marked.get("solution"):
            details = div.wrap(soup.new_tag("details", attrs={"class": "worked-solution"}))
            summary = soup.new_tag("summary")
            summary.string = f"Worked solution ({marked['grade_id'].replace('-', ' and ')})"  # what the cell defines
            details.insert(0, summary)


def on_post_page(output, page, config):
    if not page.file.src_path.endswith(".ipynb"):
        return output
    soup = BeautifulSoup(output, "html.parser")
    figures = soup.select(".jupyter-wrapper .jp-RenderedImage img")
    alts = figure_alts(page.file.abs_src_path)
    if len(figures) != len(alts):
        raise ValueError(f"{page.file.src_path}: the page shows {len(figures)} figures, the notebook {len(alts)}")
    for img, alt in zip(figures, alts):
        img["alt"] = alt
    fix_contents(soup, page)
    fold_solutions(soup, page.file.abs_src_path)
    for img in soup.select(f'img[src="{BADGE_IMAGE}"]'):
        img["src"] = COLAB_BUTTON
    for style in soup.select("style"):
        if len(style.string or "") > SHARED_STYLE:
            name = f"assets/notebook-{hashlib.sha256(style.string.encode()).hexdigest()[:12]}.css"
            (Path(config.site_dir) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(config.site_dir) / name).write_text(style.string)
            style.replace_with(soup.new_tag("link", rel="stylesheet", href=name))
    return str(soup)
