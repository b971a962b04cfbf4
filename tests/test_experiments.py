"""The ranges that lessons 4, 6 and 8 quote come from the experiment script's committed results, and the script runs.

benchmarks/measured/experiments*.json hold what `benchmarks/experiments.py` measured over seeds on the official MNIST
test set; every range the prose quotes from them must be there, so that a rerun that changes a result shows up here.
"""

import json
from pathlib import Path

import pytest

import benchmarks.experiments as experiments
from tests.conftest import SHARED_MNIST

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "benchmarks" / "measured"


def markdown(notebook):
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def span(*rows, measure, percent=False):
    "min-max over one or more rows of a measure, as the prose writes it."
    low, high = min(r[measure]["min"] for r in rows), max(r[measure]["max"] for r in rows)
    return f"{100 * low:.2f}-{100 * high:.2f}%" if percent else f"{low:.4f}-{high:.4f}"


def test_lesson_4_quotes_the_measured_ranges():
    found = json.loads((MEASURED / "experiments.json").read_text())
    pair_3_7 = json.loads((MEASURED / "experiments_3_7.json").read_text())
    gd, loss = found["gd"], found["loss"]
    quoted = [span(gd["SGD, shuffled, lr 3.0"], measure="loss_after_20_epochs"),
              span(gd["GD, lr 10.0"], measure="loss_after_20_epochs"),
              span(gd["SGD, shuffled, lr 3.0"], measure="loss_after_20_steps"),
              span(gd["SGD, shuffled, lr 10.0"], measure="loss_after_20_steps"),
              span(loss["mnist loss, lr 1.0"], loss["mnist loss, lr 3.0"], measure="official_test", percent=True),
              span(loss["log loss, lr 0.3"], measure="official_test", percent=True),
              span(pair_3_7["loss"]["mnist loss, lr 1.0"], pair_3_7["loss"]["mnist loss, lr 3.0"],
                   measure="official_test", percent=True),
              span(pair_3_7["loss"]["log loss, lr 1.0"], measure="official_test", percent=True)]
    text = markdown("04_sgd_by_hand.ipynb")
    assert [q for q in quoted if q not in text] == []


def test_lesson_6_table_is_the_measured_one():
    rows = json.loads((MEASURED / "experiments.json").read_text())["two_layer"]
    text = markdown("06_relu_network.ipynb")
    for name, row in rows.items():
        test, valid = row["official_test"], row["valid"]
        cells = (f"{100 * test['mean']:.2f}% | {100 * test['min']:.2f}-{100 * test['max']:.2f}% | "
                 f"{100 * valid['min']:.1f}-{100 * valid['max']:.1f}% |")
        assert cells in text, f"lesson 6 does not quote the measured row {name!r}: {cells}"


@pytest.mark.skipif(not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
                    reason="needs the official MNIST test set in ../shared/data/mnist")
def test_a_quick_run_measures_every_experiment(tmp_path):
    out = tmp_path / "experiments.json"
    assert experiments.main(["--mnist-test", str(SHARED_MNIST), "--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(results) >= set(experiments.EXPERIMENTS)
    for name in experiments.EXPERIMENTS:
        for row in results[name].values():
            assert all({"min", "median", "max", "mean"} == set(summary) for summary in row.values())
    assert 0.5 < results["loss"]["mnist loss, lr 0.3"]["official_test"]["min"] <= 1


def test_lesson_8_table_is_the_measured_one():
    rows = json.loads((MEASURED / "experiments.json").read_text())["cnn"]
    text = markdown("08_going_deeper.ipynb")
    for name in ["plain SGD, lr 0.3", "+ batch norm, lr 0.3", "+ Adam, lr 0.001", "+ one-cycle (the recipe), lr 0.01"]:
        test, valid = rows[name]["official_test"], rows[name]["valid"]
        cells = (f"| {name.split('lr ')[1]} | {100 * test['min']:.2f}-{100 * test['max']:.2f}% | "
                 f"{100 * valid['min']:.1f}-{100 * valid['max']:.1f}% |")
        assert cells in text, f"lesson 8 does not quote the measured row {name!r}: {cells}"
