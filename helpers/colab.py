"""Where the course is published, and what that puts into every notebook: a Colab badge and a block that installs the
helpers when (and only when) the notebook runs in Google Colab.

COURSE_REPO and COURSE_REF are written here and nowhere else by hand. `make publish COURSE_REPO=... COURSE_REF=...`
(tools/publish.py) rewrites them and every place that uses them: each notebook's badge and first cell, and the
README's table of Colab links. tests/test_notebooks.py checks that every place agrees with them.
"""

COURSE_REPO = "https://github.com/nn-2v9/how-a-network-learns"
COURSE_REF = "main"  # the tag or branch that Colab opens and installs the helpers from

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_START = "[![Open In Colab]"


def colab_url(name, repo=COURSE_REPO, ref=COURSE_REF, folder="notebooks"):
    """The address that opens the notebook `name` (such as `01_data.ipynb`) of the published course in Colab: the lesson
    in notebooks/, or its practice copy with folder="practice"."""
    github = repo.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github}/blob/{ref}/{folder}/{name}"


def badge(name, repo=COURSE_REPO, ref=COURSE_REF, folder="notebooks"):
    return f"{BADGE_START}({BADGE_IMAGE})]({colab_url(name, repo, ref, folder)})"


def colab_block(repo=COURSE_REPO, ref=COURSE_REF):
    "The lines that open every notebook's first code cell."
    return f"""\
# In Google Colab only: install the course's helpers (and what Colab lacks). Elsewhere this does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    HELPERS = "nn-2v9-helpers @ git+{repo}@{ref}"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", HELPERS], capture_output=True, text=True)
    if pip.returncode != 0:
        raise RuntimeError(f"pip could not install {{HELPERS}}:\\n{{pip.stderr}}\\nFix it, then run this cell again.")
"""


def with_colab_block(source, repo=COURSE_REPO, ref=COURSE_REF):
    "A first code cell's source with its Colab block (the comment, then lines up to the end of the `if`) renewed."
    lines = source.split("\n")
    if lines[0].startswith("# In Google Colab only"):
        start = next(i for i, line in enumerate(lines) if line.startswith('if "google.colab"'))
        end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in ("", " ")), len(lines))
        source = "\n".join(lines[end:])
    return colab_block(repo, ref) + "\n" + source


def with_badge(source, name, repo=COURSE_REPO, ref=COURSE_REF, folder="notebooks"):
    "A title cell's markdown with its Colab badge renewed: the badge is the paragraph after the first line."
    lines = [line for line in source.split("\n") if not line.startswith(BADGE_START)]
    while len(lines) > 2 and lines[1] == lines[2] == "":
        del lines[2]
    return "\n".join(lines[:1] + ["", badge(name, repo, ref, folder)] + lines[1:])
