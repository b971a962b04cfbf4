"""Point the course at where it is published: rewrite COURSE_REPO and COURSE_REF in helpers/colab.py, then every
place that uses them (each notebook's Colab badge and install block, the README's Colab links). Runs nothing.

    make publish COURSE_REPO=https://github.com/OWNER/REPO COURSE_REF=v1.0  # or: python -m tools.publish --repo --ref
    python -m tools.publish      # renew every place from the settings (make notebooks does it too)
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

import helpers.colab as colab
from tools.run_notebooks import write_atomically

ROOT = Path(__file__).resolve().parents[1]
REPO = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")
REF = re.compile(r"[\w.-]+")
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s]*?/(notebooks|practice)/([\w.-]+\.ipynb)")


def set_settings(repo, ref, path):
    text = path.read_text()
    for name, value in (("COURSE_REPO", repo), ("COURSE_REF", ref)):
        text = re.sub(rf'^{name} = "[^"]*"', f'{name} = "{value}"', text, count=1, flags=re.M)
    path.write_text(text)


def renew_notebook(path, repo, ref):
    "Renew the badge and the install block of one notebook; True if it changed."
    nb = nbformat.read(path, as_version=4)
    title = next(cell for cell in nb.cells if cell.cell_type == "markdown")
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    before = (title.source, first.source)
    title.source = colab.with_badge(title.source, path.name, repo, ref)
    first.source = colab.with_colab_block(first.source, repo, ref)
    if (title.source, first.source) == before:
        return False
    write_atomically(nb, path)
    return True


def renew_readme(path, repo, ref):
    text = path.read_text()
    renewed = COLAB_LINK.sub(lambda m: colab.colab_url(m.group(2), repo, ref, m.group(1)), text)
    if renewed == text:
        return False
    path.write_text(renewed)
    return True


def main(argv=None, root=ROOT):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", help="the GitHub repository that Colab opens the notebooks from (COURSE_REPO)")
    parser.add_argument("--ref", help="the tag or branch the notebooks and helpers come from (COURSE_REF)")
    args = parser.parse_args(argv)
    if args.repo is not None and not REPO.fullmatch(args.repo):
        parser.error(f"COURSE_REPO={args.repo!r}: Colab opens notebooks from GitHub, so give "
                     "https://github.com/OWNER/REPO (no .git, no trailing slash)")
    if args.ref is not None and not REF.fullmatch(args.ref):
        parser.error(f"COURSE_REF={args.ref!r}: give a tag or branch name of letters, digits, '.', '_' or '-'")
    repo, ref = args.repo or colab.COURSE_REPO, args.ref or colab.COURSE_REF
    set_settings(repo, ref, root / "helpers" / "colab.py")
    changed = [p.name for p in sorted((root / "notebooks").glob("[0-9]*.ipynb")) if renew_notebook(p, repo, ref)]
    if renew_readme(root / "README.md", repo, ref):
        changed.append("README.md")
    print(f"COURSE_REPO={repo} COURSE_REF={ref}: "
          f"{'renewed ' + ', '.join(changed) if changed else 'every place already agrees'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
