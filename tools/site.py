"""`make site`: the course as a static website in build/site, from the stored notebooks (nothing is executed).

Assembles MkDocs' input in build/site-docs: the home page (site/index.md, with the lessons listed from the README's
table), the notebooks as they are, the glossary, the teacher's page (its practice copies opened in Colab), the Colab
button, and MathJax 3 from the npm registry (so that the mathematics typesets offline). Then `mkdocs build`
(mkdocs.yml; tools/site_hooks.py adds each figure's alternative text, the local Colab button, a correct table of
contents, and folds each exercise's worked solution). `make site-check` tests the result in Chromium
(tests/test_site.py).
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from helpers.colab import COURSE_REF, COURSE_REPO, colab_url

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "build" / "site-docs"
SITE = ROOT / "build" / "site"
# What the site takes from MathJax 3 (npm's mathjax, pinned in site/package-lock.json): the TeX-to-HTML component, the
# TeX extensions it loads on demand, the fonts, the menu and the accessibility components (not the speech rule
# files: 3.9 MB, needed only when a reader turns the speech explorer on in MathJax's menu).
MATHJAX_PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y"]


def lessons():
    "(notebook name, one line on what it builds) from the README's table of lessons."
    rows = re.findall(r"^\| \d+ \| \[\w+\]\(notebooks/(\w+\.ipynb)\) \| ([^|]+) \|", (ROOT / "README.md").read_text(),
                      flags=re.M)
    return [(name, line.strip()) for name, line in rows]


def title(path):
    first = "".join(json.loads(path.read_text())["cells"][0]["source"]).split("\n")[0]
    return first.removeprefix("# ")


def home_page():
    listed = "\n".join(f"{i}. [{title(ROOT / 'notebooks' / name)}]({name}): {line} "
                       f"([open in Colab]({colab_url(name)}); "
                       f"[its practice copy in Colab]({colab_url(name, folder='practice')}))"
                       for i, (name, line) in enumerate(lessons(), 1))
    text = (ROOT / "site" / "index.md").read_text()
    return text.replace("<!-- lessons -->", listed).replace("{repo}", COURSE_REPO).replace("{ref}", COURSE_REF)


def copy_mathjax(target):
    "MathJax from the npm registry, installed once into site/node_modules (`npm ci`) at the version the lock file pins."
    site = ROOT / "site"
    pinned = json.loads((site / "package-lock.json").read_text())["packages"]["node_modules/mathjax"]["version"]
    installed = site / "node_modules" / "mathjax" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != pinned:
        if shutil.which("npm") is None:
            sys.exit("make site needs npm to fetch MathJax from the npm registry: install Node.js (Debian: apt-get "
                     "install npm)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=site, check=True)
    for part in MATHJAX_PARTS:
        source = site / "node_modules" / "mathjax" / "es5" / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / part)
    shutil.copy(site / "mathjax-setup.js", target / "mathjax-setup.js")
    shutil.copy(site / "node_modules" / "mathjax" / "LICENSE", target / "LICENSE")


def assemble():
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if sorted(name for name, _ in lessons()) != [p.name for p in notebooks]:
        sys.exit("README.md's table of lessons must list every notebook: the home page is made from it")
    shutil.rmtree(DOCS, ignore_errors=True)
    DOCS.mkdir(parents=True)
    for path in notebooks:
        shutil.copy(path, DOCS / path.name)
    (DOCS / "index.md").write_text(home_page())
    glossary = (ROOT / "GLOSSARY.md").read_text().replace("](notebooks/", "](")
    (DOCS / "glossary.md").write_text(glossary)
    teachers = (ROOT / "TEACHERS.md").read_text().replace("](notebooks/", "](")
    teachers = re.sub(r"\]\(practice/([\w.-]+\.ipynb)\)", lambda m: f"]({colab_url(m[1], folder='practice')})",
                      teachers)
    (DOCS / "teachers.md").write_text(teachers)
    (DOCS / "assets").mkdir()
    shutil.copy(ROOT / "site" / "open-in-colab.svg", DOCS / "assets" / "open-in-colab.svg")
    copy_mathjax(DOCS / "mathjax")


def size(folder):
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main():
    assemble()
    shutil.rmtree(SITE, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "-f", str(ROOT / "mkdocs.yml")], check=True,
                   cwd=ROOT)
    pages = sorted(p.name for p in SITE.glob("*.html"))
    print(f"site: {SITE.relative_to(ROOT)}/, {len(pages)} pages, {size(SITE) / 1e6:.1f} MB; open "
          f"{(SITE / 'index.html').relative_to(ROOT)} in a browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
