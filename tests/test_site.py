"""The course's website (`make site`) in a real browser: `make site-check` builds it, then loads every page in Debian's
Chromium, driven by Playwright, at a phone's width and a desktop's, from a local web server.

Skipped, with the reason, where there is no Chromium (`apt-get install chromium`; .ci/run installs it) or no built
site. Screenshots of every page at both widths go to build/site-screenshots/ for a person to look at.
"""

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "site-screenshots"
CHROMIUM = os.environ.get("COURSE_BROWSER") or shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
PAGES = ["index.html", *(p.stem + ".html" for p in NOTEBOOKS), "glossary.html", "teachers.html"]
WIDTHS = (375, 1280)
MAX_MB = 15
RAW_TEX = re.compile(r"\$[^$\s][^$]*\$|\\\(|\\\[|\\frac|\\sum|\\partial")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (apt-get install chromium, or name a Chrome in "
                                                "COURSE_BROWSER); CI installs it"),
    pytest.mark.skipif(not (SITE / "index.html").exists(), reason="no site built: run make site-check"),
]


def has_maths(page):
    path = ROOT / "notebooks" / page.replace(".html", ".ipynb")
    if not path.exists():
        return False
    cells = json.loads(path.read_text())["cells"]
    return any("$" in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.fixture(scope="module")
def base_url():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def test_the_site_has_a_home_page_every_lesson_and_the_glossary_and_stays_small():
    for page in PAGES:
        assert (SITE / page).exists(), f"{page} is missing"
    for path in NOTEBOOKS:
        assert (SITE / path.name).read_bytes() == path.read_bytes(), f"{path.name}: the download is not the lesson"
    megabytes = sum(f.stat().st_size for f in SITE.rglob("*") if f.is_file()) / 1e6
    assert megabytes <= MAX_MB, f"the site is {megabytes:.1f} MB: at most {MAX_MB}"


def internal_targets(page_url, hrefs, base):
    "The files and fragments that this page's links to the site point at."
    for href in hrefs:
        url = urljoin(page_url, href)
        if url.startswith(base):
            parsed = urlparse(url)
            yield unquote(parsed.path[len(urlparse(base).path):]) or "index.html", parsed.fragment


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES)
def test_a_page_loads_cleanly_and_reads_well(page, width, base_url, browser):
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    errors, failed, foreign = [], [], []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    tab.on("response", lambda r: failed.append(f"{r.url} ({r.status})") if r.status >= 400 else None)
    tab.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((base_url, "data:")) else None)
    url = base_url + page
    tab.goto(url, wait_until="networkidle")
    if has_maths(page):
        tab.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        tab.evaluate("() => MathJax.startup.promise")
        assert tab.locator("mjx-container").count() > 0, f"{page}: no typeset formula"
        assert tab.locator("mjx-merror").count() == 0, f"{page}: a formula MathJax could not typeset"
    tab.screenshot(path=str(SHOTS / f"{page.removesuffix('.html')}-{width}.png"))
    assert not failed, f"{page}: failed requests {failed[:3]}"
    assert not errors, f"{page}: console errors {errors[:3]}"
    assert not foreign, f"{page}: fetched from another host {foreign[:3]}"
    images = tab.evaluate("""() => Array.from(document.images).map(i => ({src: i.src.slice(0, 80), alt: i.alt,
                             decoded: i.complete && i.naturalWidth > 0}))""")
    assert all(i["decoded"] for i in images), f"{page}: images not decoded {[i for i in images if not i['decoded']]}"
    assert all(i["alt"].strip() and not i["alt"].startswith("No description") for i in images), (
        f"{page}: images without alternative text {[i['src'] for i in images if not i['alt'].strip()]}")
    text = tab.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
                           a.querySelectorAll('pre, code, script, .jp-OutputArea-output pre').forEach(e => e.remove());
                           return a.innerText; }""")
    assert not RAW_TEX.search(text), f"{page}: raw TeX left in the text: {RAW_TEX.search(text).group(0)!r}"
    levels = [int(tag[1]) for tag in tab.evaluate(
        "() => Array.from(document.querySelectorAll('article h1, article h2, article h3, article h4, article h5, "
        "article h6')).map(h => h.tagName.toLowerCase())")]
    assert levels and levels[0] == 1, f"{page}: the page must open with one h1, not h{levels[:1]}"
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert levels.count(1) == 1 and not jumps, f"{page}: headings out of order {jumps[:3]}"
    overflow = tab.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page}: {overflow} px wider than a {width} px window"
    hrefs = tab.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))")
    for target, fragment in internal_targets(url, hrefs, base_url):
        assert (SITE / target).is_file(), f"{page}: a link to {target}, which is not in the site"
        if fragment and target.endswith(".html"):
            assert f'id="{fragment}"' in (SITE / target).read_text(), f"{page}: a link to {target}#{fragment}"
    order = PAGES.index(page)
    for kind, neighbour in (("prev", order - 1), ("next", order + 1)):
        expected = [PAGES[neighbour]] if 0 <= neighbour < len(PAGES) else []
        found = tab.evaluate(f"() => Array.from(document.querySelectorAll('a.md-footer__link--{kind}'))"
                             ".map(a => a.getAttribute('href'))")
        assert found == expected, f"{page}: the {kind} link goes to {found}, not {expected}"
    if page not in ("index.html", "glossary.html", "teachers.html"):
        assert tab.locator('a[href*="colab.research.google.com"] img[alt="Open In Colab"]').count() == 1
        assert tab.locator(f'a[href$="{page.replace(".html", ".ipynb")}"]').count() >= 1, f"{page}: no download link"
    context.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_exercise_shows_its_worked_solution_only_when_the_reader_opens_it(path, base_url, browser):
    cells = json.loads(path.read_text())["cells"]
    exercises = [c for c in cells if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")]
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.goto(base_url + path.stem + ".html", wait_until="networkidle")
    folds = tab.locator("details.worked-solution")
    assert folds.count() == len(exercises) >= 3, f"{path.name}: {folds.count()} folded solutions"
    for i in range(folds.count()):
        fold = folds.nth(i)
        assert fold.get_attribute("open") is None and not fold.locator("pre").first.is_visible(), "closed at first"
        fold.locator("summary").click()
        assert fold.locator("pre").first.is_visible() and "Correct!" in fold.inner_text()
    tab.close()
