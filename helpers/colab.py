"""The block that opens every notebook: in Google Colab it installs the course's helpers.

The course's repository URL is written here and nowhere else by hand: `make notebooks` copies COLAB_BLOCK
to the top of each notebook's first code cell, and tests/test_notebooks.py checks that they agree.
"""

COURSE_REPO = "https://github.com/nn-2v9/how-a-network-learns"

COLAB_BLOCK = f"""\
# In Google Colab only: install the course's helpers (and what Colab lacks). Elsewhere this does nothing.
import sys

if "google.colab" in sys.modules:
    %pip install --quiet "nn-2v9-helpers @ git+{COURSE_REPO}"
"""


def with_colab_block(source):
    "A first cell's source with its Colab block (everything up to the %pip line) replaced by COLAB_BLOCK."
    lines = source.split("\n")
    if lines[0].startswith("# In Google Colab only"):
        end = next(i for i, line in enumerate(lines) if line.lstrip().startswith("%pip install"))
        source = "\n".join(lines[end + 1 :]).lstrip("\n")
    return COLAB_BLOCK + "\n" + source
