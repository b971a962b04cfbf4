"""The benchmark's harness: a quick run writes JSON with every key that the course's goals are read from."""

import json

import pytest

import benchmarks.bench as bench


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory, official_mnist_or_none):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    argv = ["--quick", "--out", str(out)]
    if official_mnist_or_none:
        argv += ["--mnist-test", str(official_mnist_or_none)]
    assert bench.main(argv) == 0
    return json.loads(out.read_text()), official_mnist_or_none


@pytest.fixture(scope="module")
def official_mnist_or_none():
    from tests.conftest import SHARED_MNIST

    return SHARED_MNIST if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file() else None


def test_quick_run_writes_every_key(quick_results):
    results, official = quick_results
    assert {"cores", "python", "torch", "fastai"} <= set(results["machine"])
    assert results["notebook_seconds"] and set(results["notebook_seconds"]) == set(results["slowest_cell_seconds"])
    assert results["suite_seconds"] == pytest.approx(sum(results["notebook_seconds"].values()), abs=0.05)
    assert {"embedded_cold", "embedded_warm", "load_digits_embedded"} <= set(results["load_seconds"])
    assert set(results["train_images_per_second"]) == {"hand_written", "plain_torch", "fastai_learner"}
    assert all(v > 0 for v in results["train_images_per_second"].values())
    assert set(results["ratios"]) == {"hand_written", "fastai_learner"}
    assert set(results["accuracy"]) == {"baseline", "linear", "two_layer", "cnn"}
    for acc in results["accuracy"].values():
        assert set(acc) == {"valid", "official_test"}
        assert 0.5 < acc["valid"] <= 1.0  # even one epoch does better than a coin
        assert (acc["official_test"] is None) == (official is None)
    if official:
        assert {"idx_build", "idx_load_digits"} <= set(results["load_seconds"])


def test_the_ratio_is_speed_over_plain_torch(quick_results):
    results, _ = quick_results
    speed = results["train_images_per_second"]
    assert results["ratios"]["hand_written"] == pytest.approx(speed["hand_written"] / speed["plain_torch"], rel=1e-2)
