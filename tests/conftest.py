import os
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory):
    "A cache folder of this test session's own, so that tests never depend on (or touch) the user's cache."
    return tmp_path_factory.mktemp("course-cache")


@pytest.fixture(autouse=True)
def isolated_cache(session_cache, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(session_cache))
    monkeypatch.delenv("MNIST_SOURCE", raising=False)
    monkeypatch.delenv("COURSE_SEED", raising=False)
    monkeypatch.delenv("COURSE_DIGITS", raising=False)


@pytest.fixture(scope="session")
def embedded(session_cache):
    "The embedded data set's folder, built once per test session."
    from helpers.data import mnist_path

    with mock.patch.dict(os.environ, COURSE_CACHE=str(session_cache)):
        return mnist_path("embedded")


@pytest.fixture(scope="session")
def official_mnist():
    "The official MNIST test set in IDX form beside the project (development and CI machines only)."
    if not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"the official MNIST test set is not at {SHARED_MNIST} (it is only on development and CI machines)")
    return SHARED_MNIST


def pytest_collection_modifyitems(items):
    "nbval's cells (every cell of every notebook, under --nbval) get the `notebooks` mark, so `-m` can pick the tiers."
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
