"""Lesson 11's helpers (helpers/ten_digits.py) and its benchmark (benchmarks/ten_digits.py): softmax, log-softmax and
cross-entropy agree with PyTorch where naive formulas overflow, the hand-derived gradient is autograd's, the hand loop
and the Learner end with the same weights, and the committed sweep meets its goals and is what the lesson quotes."""

import json
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import benchmarks.ten_digits as bench
from helpers.data import load_all_digits
from helpers.model import linear1
from helpers.nets import make_dls
from helpers.repro import seed_everything, setup_course
from helpers.ten_digits import (
    CNN_TEN_RECIPE,
    TEN_DIGIT_FLOORS,
    cnn_ten,
    cross_entropy,
    cross_entropy_grad,
    fit_ten,
    log_softmax,
    softmax,
    ten_digit_accuracy,
    train_linear_ten,
    two_layer_ten,
)
from tests.conftest import ROOT

MEASURED = json.loads((ROOT / "benchmarks" / "measured" / "ten_digits.json").read_text())
LESSON = ROOT / "notebooks" / "11_ten_digits.ipynb"


def lesson_prose():
    cells = json.loads(LESSON.read_text())["cells"]
    return " ".join(" ".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown").split())


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_softmax_and_log_softmax_agree_with_torch_even_for_huge_scores(scale):
    scores = torch.randn(50, 10) * scale
    assert torch.allclose(softmax(scores), scores.softmax(dim=1), atol=1e-6)
    assert torch.allclose(log_softmax(scores), torch.log_softmax(scores, dim=1), rtol=1e-5, atol=1e-5)
    assert torch.isfinite(log_softmax(scores)).all() and torch.allclose(softmax(scores).sum(1), torch.ones(50))


def test_cross_entropy_is_torchs_and_two_classes_are_the_sigmoid():
    scores, targets = torch.randn(64, 10) * 5, torch.randint(0, 10, (64,))
    assert torch.allclose(cross_entropy(scores, targets), F.cross_entropy(scores, targets), atol=1e-6)
    pair = torch.randn(100, 2)
    assert torch.allclose(softmax(pair)[:, 0], (pair[:, 0] - pair[:, 1]).sigmoid(), atol=1e-6)


def test_the_hand_derived_gradient_is_autograds():
    xb, yb = torch.rand(32, 784), torch.randint(0, 10, (32,))
    w, b = (torch.randn(784, 10) * 0.01).requires_grad_(), torch.zeros(10, requires_grad=True)
    cross_entropy(linear1(xb, w, b), yb).backward()
    grad_w, grad_b = cross_entropy_grad(xb, yb, w.detach(), b.detach())
    assert torch.allclose(grad_w, w.grad, atol=1e-6) and torch.allclose(grad_b, b.grad, atol=1e-6)


def test_the_hand_loop_and_the_learner_end_with_the_same_weights(embedded):
    setup_course()
    x, y = load_all_digits(embedded)
    x, y = x[::4], y[::4]  # 1,000 images, every digit
    w0, b0 = torch.randn(784, 10) * 0.01, torch.randn(10) * 0.01
    seed_everything(3)
    w, b = train_linear_ten(w0.clone(), b0.clone(), make_dls(x, y, x[:64], y[:64]).train, 2, 0.5)
    from fastai.callback import progress  # noqa: F401 (it gives the Learner no_bar)
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    model = nn.Linear(784, 10)
    with torch.no_grad():
        model.weight.copy_(w0.T)
        model.bias.copy_(b0)
    seed_everything(3)
    learn = Learner(make_dls(x, y, x[:64], y[:64]), model, opt_func=SGD, loss_func=F.cross_entropy)
    with learn.no_bar(), learn.no_logging():
        learn.fit(2, 0.5)
    assert not torch.equal(w, w0) and (model.weight.T - w).abs().max() < 1e-5 and (model.bias - b).abs().max() < 1e-5
    assert ten_digit_accuracy(linear1(x, w, b), y) > 0.8


def test_the_deeper_models_give_ten_scores_and_fit_ten_trains_them(embedded):
    setup_course()
    assert two_layer_ten()(torch.rand(3, 784)).shape == (3, 10)
    assert cnn_ten().eval()(torch.rand(3, 784)).shape == (3, 10)
    assert isinstance(cnn_ten()[-2], nn.Conv2d) and cnn_ten()[-2].out_channels == 10
    x, y = load_all_digits(embedded)
    seed_everything(0)
    learn = fit_ten(two_layer_ten(), x[::8], y[::8], x[1::40], y[1::40], lr=0.5, epochs=2)
    assert len(learn.recorder.values) == 2 and learn.recorder.values[-1][2] > 0.5
    seed_everything(0)
    learn = fit_ten(cnn_ten(), x[::8], y[::8], x[1::40], y[1::40], lr=CNN_TEN_RECIPE["lr"], epochs=1, one_cycle=True)
    assert learn.opt_func.__name__ == "Adam" and len(learn.recorder.values) == 1


def test_most_confused_finds_the_largest_mistake_count():
    y = torch.tensor([7, 7, 7, 4, 4, 1, 1])
    predicted = torch.tensor([9, 9, 7, 9, 4, 1, 1])
    assert bench.most_confused(predicted, y) == [7, 9, 2]


def test_goals_need_the_median_the_worst_run_and_no_failure():
    def summary(median, worst, failed=0):
        return {name: {"official_test": {"min": worst, "median": median, "max": 1.0}, "failed": failed}
                for name in bench.GOALS}
    assert all(bench.goals(summary(0.99, 0.985)).values())
    assert not any(bench.goals(summary(0.5, 0.5)).values())
    assert not bench.goals(summary(0.99, 0.95))["cnn: official test median >= 0.975, worst >= 0.965, no failed run"]
    assert not any(bench.goals(summary(0.99, 0.99, failed=1)).values())


def test_the_committed_sweep_is_complete_and_meets_every_goal():
    assert MEASURED["seeds"] == bench.SEEDS and MEASURED["variants"] == bench.VARIANTS and not MEASURED["quick"]
    assert MEASURED["train_images"] == 4000 and MEASURED["official_test_images"] == 10000
    for name in bench.GOALS:
        runs = [r for r in MEASURED["runs"] if r["model"] == name]
        assert len(runs) == len(bench.SEEDS) * len(bench.VARIANTS) and not any("failed" in r for r in runs)
        assert bench.summarise(MEASURED["runs"])[name] == MEASURED["summary"][name]
    assert all(bench.goals(MEASURED["summary"]).values())


def test_the_lessons_floors_lie_below_every_measured_run():
    "A floor protects against a model that trains badly; it must not fail a run like those measured."
    for floor_name, model in [("linear", "linear"), ("two layers", "two_layer"), ("CNN", "cnn")]:
        worst = MEASURED["summary"][model]["valid"]["min"]
        assert TEN_DIGIT_FLOORS[floor_name] <= worst - 0.02, (floor_name, worst)
        assert TEN_DIGIT_FLOORS[floor_name] >= worst - 0.05, f"{floor_name}: a floor so low it checks little"


def test_the_lesson_quotes_the_measured_ranges_and_pairs():
    text = lesson_prose()
    for label, name in [("linear", "linear"), ("two layers", "two_layer"), ("CNN", "cnn")]:
        test = MEASURED["summary"][name]["official_test"]
        row = f"| {label} | {test['min']:.2%}-{test['max']:.2%} |"
        assert row in text, row
    valid = {n: MEASURED["summary"][n]["valid"] for n in ("two_layer", "cnn")}
    two, cnn = valid["two_layer"], valid["cnn"]
    quoted = (f"the two networks' runs scored {two['min']:.1%}-{two['max']:.1%} and {cnn['min']:.1%}-{cnn['max']:.1%}, "
              "ranges about one spread apart at their closest")
    assert quoted in text, quoted
    closest = cnn["min"] - two["max"]
    assert 0.5 * 0.005 <= closest <= 2 * 0.005, "the closest gap between the networks, in binomial spreads of 0.005"
    ranges = [MEASURED["summary"][n]["official_test"] for n in ("linear", "two_layer", "cnn")]
    assert "The ranges do not overlap" in text and all(a["max"] < b["min"] for a, b in zip(ranges, ranges[1:]))
    counts = re.search(r"was a 7 read as a 9 \(in (\d+), (\d+) and (\d+) of the ten runs", text)
    assert counts, "the lesson names how often a 7 read as a 9 was each model's most frequent mistake"
    for n, name in zip(counts.groups(), ("linear", "two_layer", "cnn")):
        pairs = MEASURED["summary"][name]["most_confused"]
        assert int(n) == pairs["7 read as 9"] and pairs["7 read as 9"] == max(pairs.values())


@pytest.mark.slow
@pytest.mark.skipif(not (bench.ROOT.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz").is_file(),
                    reason="needs the official MNIST test set in ../shared/data/mnist")
def test_a_quick_run_scores_every_model_on_the_official_test_set(tmp_path):
    out = tmp_path / "ten.json"
    assert bench.main(["--mnist-test", str(bench.ROOT.parent / "shared" / "data" / "mnist"), "--quick",
                       "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["quick"] and not result["goals_checked"] and result["official_test_images"] == 10000
    for name in bench.GOALS:
        assert result["summary"][name]["runs"] == 1 and 0.5 < result["summary"][name]["official_test"]["min"] <= 1


def test_a_missing_test_folder_is_refused_with_the_fix(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--mnist-test", str(tmp_path / "nowhere")])
    assert "--mnist-test: no folder" in capsys.readouterr().err


def test_the_readme_reports_the_measured_sweep():
    readme = (ROOT / "README.md").read_text()
    for name in bench.GOALS:
        s = MEASURED["summary"][name]
        figures = " | ".join(f"{s[k]['min']:.4f} / {s[k]['median']:.4f} / {s[k]['max']:.4f}" for k in ("valid",
                                                                                                       "official_test"))
        assert f"| {figures} | {s['median_seconds']:.1f} s |" in readme, f"README: the ten-digit row of {name}"
    assert "4,000 embedded training images" in readme
