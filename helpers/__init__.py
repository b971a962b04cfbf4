"""Helpers for the course "How a neural network really learns: 2s against 9s".

Each function here is taught in a notebook first; the modules follow the lessons:
`repro` (set-up), `data` (lesson 1), `model` (lessons 2-4), `plots`, and the later lessons' modules.
"""

from helpers.repro import setup_course, versions

__all__ = ["setup_course", "versions"]
