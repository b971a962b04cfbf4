"""Helpers for the course "How a neural network really learns: 2s against 9s".

Each function here is taught in a notebook first; the modules follow the lessons:
`repro` (set-up), `data` (lessons 1 and 11), `model` (lessons 2-5), `plots` (lessons 2 and 3), the later lessons'
modules, and `exercises` (the checkers of every lesson's exercises).
"""

from helpers.repro import setup_course, versions

__all__ = ["setup_course", "versions"]
