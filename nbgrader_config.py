"""nbgrader's settings for this course. `make practice` (tools/practice.py) reads them to write the practice copies,
and a teacher's `nbgrader generate_assignment notebooks` run at the top of the repository reads them too, so both
make the same student version (tests/test_practice.py checks it).

The lessons are the assignment "notebooks": nbgrader finds them in ./notebooks and writes its student version to
build/nbgrader/notebooks.
"""

from nbconvert.preprocessors import TagRemovePreprocessor
from nbgrader.converters import GenerateAssignment

c = get_config()  # noqa: F821 (traitlets' config loader provides it)

c.CourseDirectory.source_directory = "."
c.CourseDirectory.release_directory = "build/nbgrader"

# Every exercise is the body of a function or method, so a cell holding this stub still runs: it only defines the
# function. The exercise's checker calls it, catches the NotImplementedError and prints "Not done yet: ...", so
# "Run all" goes on (helpers/exercises/__init__.py).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# The Solutions cell (answers to the Why? questions, graded by hand in nbgrader) becomes the learner's own answers.
c.ClearSolutions.text_stub = (
    "## Your answers\n\n"
    "YOUR ANSWER HERE: write your answers to the Why? questions in this cell. The full lesson's Solutions section "
    "answers them, and explains the exercises."
)
c.ClearSolutions.enforce_metadata = True  # markers only in cells marked as solutions

# The cells after the Solutions cell hold worked answers with code: the practice copy leaves them out.
c.TagRemovePreprocessor.enabled = True
c.TagRemovePreprocessor.remove_cell_tags = {"practice-remove"}
c.GenerateAssignment.preprocessors = [
    *GenerateAssignment.class_traits()["preprocessors"].default(),
    TagRemovePreprocessor,
]
