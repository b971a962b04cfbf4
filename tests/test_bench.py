"""The benchmark's harness: a quick run writes JSON with every key that the course's goals are read from."""

import gzip
import json
import subprocess

import numpy as np
import pytest
import torch

import benchmarks.bench as bench
from tests.conftest import SHARED_MNIST


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
    return SHARED_MNIST if (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file() else None


def test_quick_run_writes_every_key(quick_results):
    results, official = quick_results
    assert {"cores", "python", "torch", "fastai"} <= set(results["machine"])
    assert results["notebook_seconds"] and set(results["notebook_seconds"]) == set(results["slowest_cell_seconds"])
    assert results["suite_seconds"] == pytest.approx(sum(results["notebook_seconds"].values()), abs=0.05)
    assert {"embedded_cold", "embedded_warm", "load_digits_embedded"} <= set(results["load_seconds"])
    assert set(results["train_images_per_second"]) == set(bench.WAYS) == {
        "hand_written", "hand_written_sliced", "plain_torch", "plain_torch_sliced", "fastai_learner"}
    assert all(v > 0 for v in results["train_images_per_second"].values())
    assert set(results["ratios"]) == {"hand_written", "hand_written_sliced", "fastai_learner"}
    assert set(results["accuracy"]) == {"baseline", "linear", "two_layer", "cnn"}
    for acc in results["accuracy"].values():
        assert set(acc) == {"valid", "official_test"}
        assert 0.5 < acc["valid"] <= 1.0  # even one epoch does better than a coin
        assert (acc["official_test"] is None) == (official is None)
    if official:
        assert {"idx_build", "idx_load_digits"} <= set(results["load_seconds"])
    assert results["failed_notebooks"] == []


def test_quick_sweep_summarises_its_runs(quick_results):
    results, official = quick_results
    assert results["sweep"] == {"seeds": bench.SWEEP_SEEDS[:1], "variants": bench.SWEEP_VARIANTS[:1]}
    runs = results["sweep_runs"]
    assert sorted(r["model"] for r in runs) == ["cnn", "linear", "two_layer"]
    for name, summary in results["accuracy_sweep"].items():
        mine = [r for r in runs if r["model"] == name]
        assert summary["runs"] == len(mine) == 1 and summary["failed"] == 0
        assert summary["valid"] == {"min": mine[0]["valid"], "median": mine[0]["valid"], "max": mine[0]["valid"]}
        assert (summary["official_test"] is None) == (official is None)


def test_a_failed_sweep_run_is_recorded_not_fatal(monkeypatch):
    def broken_run(command, **kwargs):
        lines = [{"model": "linear", "seed": 0, "valid": 0.97, "official_test": None},
                 {"model": "linear", "seed": 1, "valid": 0.99, "official_test": None},
                 {"model": "linear", "seed": 2, "valid": 0.975, "official_test": None},
                 {"model": "cnn", "seed": 0, "failed": "AssertionError: a floor"}]
        return subprocess.CompletedProcess(command, 0, stdout="\n".join(map(json.dumps, lines)), stderr="")

    monkeypatch.setattr(bench.subprocess, "run", broken_run)
    summary, sweep, runs = bench.accuracy_sweep(None, quick=True)
    assert summary["cnn"]["failed"] == 1 and summary["cnn"]["runs"] == 0 and summary["cnn"]["valid"] is None
    assert summary["linear"]["runs"] == 3 and summary["linear"]["valid"] == {"min": 0.97, "median": 0.975, "max": 0.99}
    assert len(runs) == 4 and all(r["variant"] == "native" for r in runs)


def test_the_ratio_is_speed_over_the_faster_plain_torch(quick_results):
    results, _ = quick_results
    speed = results["train_images_per_second"]
    plain = max(speed["plain_torch"], speed["plain_torch_sliced"])
    for name in ("hand_written", "hand_written_sliced", "fastai_learner"):
        assert results["ratios"][name] == pytest.approx(speed[name] / plain, rel=1e-2)


def test_every_way_trains_on_the_same_images(quick_results):
    results, _ = quick_results
    assert set(results["train_images"]) == set(bench.WAYS)
    assert set(results["train_images"].values()) == {800}  # one epoch of the 800 embedded training images


def test_every_way_starts_from_the_same_weights_and_takes_the_same_steps(embedded):
    from helpers.data import load_digits
    from helpers.model import INIT_STD, init_params

    x, y = load_digits(embedded)
    start = init_params((784, 1), std=INIT_STD).detach(), init_params(1, std=INIT_STD).detach()
    kept = [t.clone() for t in start]
    for name, way in bench.WAYS.items():
        assert way(x, y, start, 0.5, 64, 2) == 1600, name
    assert all(torch.equal(a, b) for a, b in zip(start, kept)), "a way trained the shared starting weights in place"


def test_the_official_test_score_is_the_official_test_sets(quick_results, embedded):
    results, official = quick_results
    if official is None:
        pytest.skip(f"the official MNIST test set is not at {SHARED_MNIST}")
    assert results["official_test_images"] == {"total": 2041, "first_digit": 1032}
    # the nearest-average baseline, computed here with NumPy straight from the IDX files
    from helpers.data import load_digits

    with gzip.open(official / "t10k-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784) / 255
    with gzip.open(official / "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    x, y = (t.numpy().astype(np.float64) for t in load_digits(embedded))
    average_2, average_9 = x[y[:, 0] == 1].mean(0), x[y[:, 0] == 0].mean(0)
    pair = (labels == 2) | (labels == 9)
    nearer_2 = ((images[pair] - average_2) ** 2).mean(1) < ((images[pair] - average_9) ** 2).mean(1)
    expected = (nearer_2 == (labels[pair] == 2)).mean()
    assert results["accuracy"]["baseline"]["official_test"] == pytest.approx(expected, abs=1e-4)
    assert abs(results["accuracy"]["baseline"]["official_test"] - results["accuracy"]["baseline"]["valid"]) > 1e-3


def test_a_quick_run_checks_no_goal_and_a_missed_goal_fails_the_run():
    assert bench.goals({"quick": True}) == {"goals (a --quick run checks none)": None}
    assert bench.exit_code({"a": True, "b": None}) == 0
    assert bench.exit_code({"a": True, "b": False}) == 1
    assert bench.exit_code({"a": True, "b": False}, check_goals=False) == 0


def test_goals_read_their_limits_from_goals(quick_results, monkeypatch):
    results, _ = quick_results
    full = {**results, "quick": False, "ratios": {**results["ratios"], "hand_written_sliced": 0.9},
            "train_seconds": {"linear": 0.5, "two_layer": 3.0, "cnn": 5.0}}
    met = bench.goals(full)
    ratio_goal = next(goal for goal in met if goal.startswith("hand-written loop"))
    assert met[ratio_goal] is False
    monkeypatch.setitem(bench.GOALS, "hand_written_ratio", 0.8)
    assert bench.goals(full)[next(g for g in bench.goals(full) if g.startswith("hand-written loop"))] is True
    assert all(bench.goals(full)[g] for g in bench.goals(full) if "trains in" in g)
    monkeypatch.setitem(bench.GOALS, "train_seconds", {"linear": 0.4, "two_layer": 4.0, "cnn": 6.0})
    assert bench.goals(full)["linear trains in <= 0.4 s"] is False
