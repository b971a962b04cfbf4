"""The benchmark's harness: a quick run writes JSON with every key that the course's goals are read from; a missed
accuracy goal or ratio fails the run, an absolute time over its budget is reported and does not."""

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


@pytest.mark.slow
def test_quick_run_writes_every_key(quick_results):
    results, official = quick_results
    assert {"cpu", "cores", "torch_threads", "python", "torch", "fastai"} <= set(results["machine"])
    assert results["budgets"] == {}  # a quick run compares no time with its budget
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_the_ratio_is_speed_over_the_faster_plain_torch(quick_results):
    results, _ = quick_results
    speed = results["train_images_per_second"]
    plain = max(speed["plain_torch"], speed["plain_torch_sliced"])
    for name in ("hand_written", "hand_written_sliced", "fastai_learner"):
        assert results["ratios"][name] == pytest.approx(speed[name] / plain, rel=1e-2)


@pytest.mark.slow
def test_every_way_trains_on_the_same_images(quick_results):
    results, _ = quick_results
    assert set(results["train_images"]) == set(bench.WAYS)
    assert set(results["train_images"].values()) == {800}  # one epoch of the 800 embedded training images


@pytest.mark.slow
def test_every_way_starts_from_the_same_weights_and_takes_the_same_steps(embedded):
    from helpers.data import load_digits
    from helpers.model import INIT_STD, init_params

    x, y = load_digits(embedded)
    start = init_params((784, 1), std=INIT_STD).detach(), init_params(1, std=INIT_STD).detach()
    kept = [t.clone() for t in start]
    for name, way in bench.WAYS.items():
        assert way(x, y, start, 0.5, 64, 2) == 1600, name
    assert all(torch.equal(a, b) for a, b in zip(start, kept)), "a way trained the shared starting weights in place"


@pytest.mark.slow
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


def test_a_quick_run_checks_no_goal():
    assert bench.goals({"quick": True}) == {"goals (a --quick run checks none)": None}
    assert bench.exit_code({"a": True, "b": None}) == 0
    assert bench.exit_code({"a": True, "b": False}) == 1
    assert bench.exit_code({"a": True, "b": False}, check_goals=False) == 0


# -- a full run, its measurements replaced by these: every goal met, every time within its budget ------------------
MET = {"notebooks": ({"01_data": 10.0, "11_ten_digits": 40.0}, {"01_data": 2.0, "11_ten_digits": 15.0}, []),
       "ratios": {"hand_written": 1.2, "hand_written_sliced": 1.1, "fastai_learner": 0.5},
       "official_test": {"baseline": 0.9, "linear": 0.985, "two_layer": 0.99, "cnn": 0.996},
       "train_seconds": {"baseline": 0.1, "linear": 0.5, "two_layer": 2.0, "cnn": 3.0},
       "sweep_official_test": {"linear": 0.985, "two_layer": 0.993, "cnn": 0.998}}


def full_run(monkeypatch, tmp_path, capsys, **changes):
    "main() on a full run whose measurements are MET with `changes`: its exit code, its JSON and what it printed."
    got = {**MET, **changes}
    monkeypatch.setattr(bench, "notebooks", lambda quick: got["notebooks"])
    monkeypatch.setattr(bench, "load_times", lambda mnist_test: {"embedded_cold": 0.1})
    monkeypatch.setattr(bench, "training_speed", lambda x, y, quick: (
        {name: 1e5 for name in bench.WAYS}, got["ratios"], {name: 48000 for name in bench.WAYS}))
    monkeypatch.setattr(bench, "accuracy", lambda *args: (
        {name: {"valid": acc, "official_test": acc} for name, acc in got["official_test"].items()},
        got["train_seconds"]))
    sweep = {name: {"runs": 10, "failed": 0, "valid": None, "official_test": {"min": acc, "median": acc, "max": acc}}
             for name, acc in got["sweep_official_test"].items()}
    monkeypatch.setattr(bench, "accuracy_sweep", lambda mnist_test, quick: (sweep, {"seeds": [0], "variants": []}, []))
    out = tmp_path / "bench.json"
    code = bench.main(["--out", str(out)])
    return code, json.loads(out.read_text()), capsys.readouterr().out


def test_a_full_run_that_meets_every_goal_exits_0(monkeypatch, tmp_path, capsys):
    code, results, _ = full_run(monkeypatch, tmp_path, capsys)
    assert code == 0 and all(results["goals"].values()) and all(t["within"] for t in results["budgets"].values())
    assert set(results["budgets"]) == set(bench.BUDGETS)


@pytest.mark.parametrize("changes", [
    {"official_test": {**MET["official_test"], "cnn": 0.99}},
    {"sweep_official_test": {**MET["sweep_official_test"], "linear": 0.97}},
    {"ratios": {**MET["ratios"], "hand_written_sliced": 0.9}},
    {"notebooks": ({"01_data": 10.0}, {"01_data": 2.0}, ["11_ten_digits"])},
], ids=["accuracy", "sweep accuracy", "ratio", "a notebook failed"])
def test_a_missed_accuracy_goal_or_ratio_fails_the_run(monkeypatch, tmp_path, capsys, changes):
    code, results, printed = full_run(monkeypatch, tmp_path, capsys, **changes)
    assert code == 1 and list(results["goals"].values()).count(False) == 1
    assert "MISSED" in printed


def test_an_absolute_time_over_its_budget_is_reported_and_does_not_fail(monkeypatch, tmp_path, capsys):
    slow = {"notebooks": ({"01_data": 80.0, "11_ten_digits": 110.0}, {"01_data": 6.5, "11_ten_digits": 15.0}, []),
            "train_seconds": {**MET["train_seconds"], "cnn": 6.08}}
    code, results, printed = full_run(monkeypatch, tmp_path, capsys, **slow)
    assert code == 0 and all(results["goals"].values())
    over = {name for name, t in results["budgets"].items() if not t["within"]}
    assert over == {"suite", "slowest later cell", "lesson 11", "cnn training"}
    assert results["budgets"]["cnn training"] == {"seconds": 6.08, "budget": 6.0, "within": False}
    assert "  OVER    cnn training: 6.08 s, budget 6 s" in printed
    assert "  within  two_layer training: 2.00 s, budget 4 s" in printed
    assert f"informational (absolute times vary with the machine and its load; they never fail the run), on " \
           f"{bench.describe(results['machine'])}:" in printed
    assert str(results["machine"]["cores"]) + " cores" in printed and results["machine"]["torch"] in printed


def test_the_ratio_goal_reads_its_limit_from_goals(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(bench.GOALS, "hand_written_ratio", 1.2)
    assert full_run(monkeypatch, tmp_path, capsys)[0] == 1
    monkeypatch.setitem(bench.GOALS, "hand_written_ratio", 1.1)
    assert full_run(monkeypatch, tmp_path, capsys)[0] == 0
