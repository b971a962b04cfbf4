"""helpers.model and helpers.plots: the baseline, the linear model, its loss, its gradients and its training loop."""

import json
import math
from pathlib import Path

import matplotlib
import pytest
import torch
import torch.nn.functional as F

from helpers.data import load_digits
from helpers.model import (
    INIT_STD,
    LINEAR_RECIPE,
    VALID_FLOORS,
    average_images,
    baseline_model,
    batch_accuracy,
    calc_grad,
    check_finite,
    check_shapes,
    init_params,
    l1_distance,
    l2_distance,
    linear1,
    log_loss,
    mnist_loss,
    mnist_loss_grad,
    train_epoch,
    train_linear,
    train_model,
    train_recording_losses,
    validate_epoch,
    validation_floor,
)
from helpers.repro import seed_everything

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.plots import draw_seven_steps, plot_curves, plot_function, show_digit, show_digits  # noqa: E402


@pytest.fixture(scope="module")
def digits(embedded):
    "The embedded training and validation images of 2s and 9s: x, y, x_valid, y_valid."
    return (*load_digits(embedded), *load_digits(embedded, split="testing"))


def random_batch(n=50, pixels=784, seed=0, dtype=torch.float64):
    "Random images in 0..1, random 0/1 targets, and random weights and bias large enough to spread the sigmoid."
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, pixels, generator=g, dtype=dtype)
    y = (torch.rand(n, 1, generator=g) > 0.5).to(dtype)
    weights = torch.randn(pixels, 1, generator=g, dtype=dtype) * 0.1
    bias = torch.randn(1, generator=g, dtype=dtype)
    return x, y, weights, bias


# -- lesson 2: baseline and linear model ----------------------------------------------------------------------


def test_average_images_are_the_means_of_each_digit():
    x = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.5, 0.0], [0.5, 0.5]])
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    first, second = average_images(x, y)
    assert torch.equal(first, torch.tensor([0.5, 1.0]))
    assert torch.equal(second, torch.tensor([0.5, 0.25]))


def test_distances_give_one_number_per_image():
    a = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0], [0.0, 0.0, 0.0, 4.0]])
    b = torch.zeros(4)
    assert torch.equal(l1_distance(a, b), torch.tensor([0.0, 1.0, 1.0]))
    assert torch.equal(l2_distance(a, b), torch.tensor([0.0, 1.0, 2.0]))  # sqrt(16 / 4): big differences count more
    assert l1_distance(a[1], b).shape == ()
    assert torch.equal(l2_distance(a, a), torch.zeros(3))


def test_baseline_scores_are_nearest_average_decisions(digits):
    x, y, x_valid, y_valid = digits
    model = baseline_model(x, y)
    scores = model(x_valid)
    assert scores.shape == y_valid.shape
    first, second = average_images(x, y)
    assert model(first.view(1, -1)).item() > 0 > model(second.view(1, -1)).item()
    for i in range(0, len(x_valid), 17):  # image by image, the slow and obvious way
        nearer_first = ((x_valid[i] - first) ** 2).mean() < ((x_valid[i] - second) ** 2).mean()
        assert (scores[i, 0] > 0) == nearer_first
    accuracy = batch_accuracy(scores, y_valid).item()
    assert accuracy == ((scores > 0) == (y_valid == 1)).float().mean().item()
    majority = max(y_valid.mean().item(), 1 - y_valid.mean().item())
    assert accuracy > majority + 0.2


def test_baseline_with_l1_distance_differs(digits):
    x, y, x_valid, _ = digits
    assert not torch.equal(baseline_model(x, y, l1_distance)(x_valid), baseline_model(x, y)(x_valid))


def test_init_params_are_random_tracked_and_scaled():
    seed_everything()
    params = init_params((20000,), std=0.01)
    assert params.shape == (20000,) and params.requires_grad and params.is_leaf
    assert params.std().item() == pytest.approx(0.01, rel=0.05)
    assert abs(params.mean().item()) < 0.001
    assert not torch.equal(init_params((5,)), init_params((5,)))


def test_linear1_is_a_weighted_sum_plus_bias():
    x, _, weights, bias = random_batch(n=4, pixels=6)
    predictions = linear1(x, weights, bias)
    assert predictions.shape == (4, 1)
    for i in range(4):
        assert predictions[i, 0].item() == pytest.approx(sum(x[i, j] * weights[j, 0] for j in range(6)).item()
                                                         + bias.item())


# -- lesson 3: the loss and its shape check --------------------------------------------------------------------


@pytest.mark.parametrize("pred_shape, target_shape", [((5,), (5, 1)), ((5, 1), (5,)), ((1, 5), (5, 1)),
                                                      ((5, 1), (4, 1))])
@pytest.mark.parametrize("func", [check_shapes, mnist_loss, log_loss, batch_accuracy], ids=lambda f: f.__name__)
def test_shapes_that_would_broadcast_wrongly_are_rejected_with_the_fix(func, pred_shape, target_shape):
    with pytest.raises(ValueError, match=r"view\(-1, 1\)") as err:
        func(torch.zeros(pred_shape), torch.ones(target_shape))
    assert str(tuple(pred_shape)) in str(err.value) and str(tuple(target_shape)) in str(err.value)


def test_mnist_loss_grad_rejects_flat_targets():
    x, y, weights, bias = random_batch(n=6, pixels=3)
    with pytest.raises(ValueError, match="broadcasting"):
        mnist_loss_grad(x, y.view(-1), weights, bias)


def test_the_shape_check_prevents_a_real_wrong_answer():
    predictions, targets = torch.tensor([4.0, -4.0, 4.0]), torch.tensor([[1.0], [0.0], [0.0]])
    with pytest.raises(ValueError, match="broadcasting"):
        mnist_loss(predictions, targets)  # flat predictions against a column of targets
    s = torch.tensor(4.0).sigmoid().item()
    right = ((1 - s) + (1 - s) + s) / 3  # each prediction against its own target
    assert mnist_loss(predictions.view(-1, 1), targets).item() == pytest.approx(right)
    # what broadcasting would have computed without the check: every prediction against every target
    assert torch.where(targets == 1, 1 - predictions.sigmoid(), predictions.sigmoid()).mean().item() != (
        pytest.approx(right))


def test_mnist_loss_is_distance_after_the_sigmoid():
    targets = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    assert mnist_loss(torch.tensor([[20.0], [-20.0], [20.0], [-20.0]]), targets).item() < 1e-6
    assert mnist_loss(torch.tensor([[-20.0], [20.0], [-20.0], [20.0]]), targets).item() > 1 - 1e-6
    assert mnist_loss(torch.zeros(4, 1), targets).item() == 0.5
    raw = torch.tensor([[0.0], [2.0]])
    expected = ((1 - 0.5) + 1 / (1 + math.exp(-2.0))) / 2
    assert mnist_loss(raw, torch.tensor([[1.0], [0.0]])).item() == pytest.approx(expected, rel=1e-6)


def test_log_loss_is_minus_the_log_of_the_probability_of_the_right_answer():
    raw = torch.tensor([[0.0], [2.0], [-3.0], [40.0], [-200.0]], dtype=torch.float64)
    targets = torch.tensor([[1.0], [0.0], [1.0], [0.0], [1.0]], dtype=torch.float64)
    p = torch.sigmoid(raw)
    by_formula = torch.where(targets == 1, -torch.log(p), -torch.log(1 - p))
    by_formula[-1] = 200.0  # log(sigmoid(-200)) underflows in the formula; its value is -200 (to 1e-87)
    by_formula[-2] = 40.0  # and 1 - sigmoid(40) rounds to 0 in float64
    assert log_loss(raw, targets).item() == pytest.approx(by_formula.mean().item(), rel=1e-12)
    assert torch.isfinite(log_loss(raw.float(), targets.float()))  # never log(0), even in float32
    x, y, weights, bias = random_batch(seed=4)
    predictions = linear1(x, weights, bias)
    assert torch.allclose(log_loss(predictions, y), F.binary_cross_entropy_with_logits(predictions, y))


def test_log_loss_pulls_hardest_on_confident_mistakes_where_mnist_loss_hardly_pulls():
    def slope(loss_func, z):
        zt = torch.tensor([[z]], dtype=torch.float64, requires_grad=True)
        loss_func(zt, torch.ones(1, 1, dtype=torch.float64)).backward()
        return zt.grad.item()

    assert slope(log_loss, -6.0) == pytest.approx(torch.sigmoid(torch.tensor(-6.0)).item() - 1, rel=1e-6)
    assert abs(slope(log_loss, -6.0)) > 100 * abs(slope(mnist_loss, -6.0))
    assert abs(slope(log_loss, 6.0)) < 0.01  # a right and sure answer: little left to learn


# -- lesson 4: gradients, by autograd and by hand --------------------------------------------------------------


@pytest.mark.parametrize("seed, n, pixels", [(0, 50, 784), (1, 7, 784), (2, 64, 20), (3, 1, 5)])
def test_hand_derived_gradient_matches_autograd(seed, n, pixels):
    x, y, weights, bias = random_batch(n, pixels, seed)
    weights.requires_grad_()
    bias.requires_grad_()
    calc_grad(x, y, lambda xb: linear1(xb, weights, bias))
    grad_w, grad_b = mnist_loss_grad(x, y, weights, bias)
    assert grad_w.shape == weights.shape and grad_b.shape == bias.shape
    assert not grad_w.requires_grad and not grad_b.requires_grad
    assert torch.allclose(grad_w, weights.grad, rtol=1e-10, atol=1e-14)
    assert torch.allclose(grad_b, bias.grad, rtol=1e-10, atol=1e-14)
    assert grad_w.abs().max() > 1e-6


def test_hand_derived_gradient_matches_finite_differences():
    x, y, weights, bias = random_batch(n=30, pixels=40, seed=4)
    grad_w, grad_b = mnist_loss_grad(x, y, weights, bias)
    h = 1e-6

    def loss(w, b):
        return mnist_loss(linear1(x, w, b), y).item()

    for j in range(40):
        up, down = weights.clone(), weights.clone()
        up[j] += h
        down[j] -= h
        assert grad_w[j, 0].item() == pytest.approx((loss(up, bias) - loss(down, bias)) / (2 * h), rel=1e-6, abs=1e-10)
    assert grad_b.item() == pytest.approx((loss(weights, bias + h) - loss(weights, bias - h)) / (2 * h), rel=1e-6)


def test_calc_grad_adds_to_the_gradients():
    x, y, weights, bias = random_batch(n=10, pixels=8, seed=5)
    weights.requires_grad_()
    loss = calc_grad(x, y, lambda xb: linear1(xb, weights, bias))
    assert loss.item() == pytest.approx(mnist_loss(linear1(x, weights, bias), y).item())
    first = weights.grad.clone()
    calc_grad(x, y, lambda xb: linear1(xb, weights, bias))
    assert torch.allclose(weights.grad, 2 * first)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_check_finite_stops_with_a_message(value):
    with pytest.raises(FloatingPointError, match=r"lr=0\.5.*smaller"):
        check_finite(torch.tensor(value), 0.5)
    check_finite(torch.tensor(0.25), 0.5)  # a finite loss passes


def pairs_loader(x, y, batch_size, shuffle=False):
    from fastai.data.load import DataLoader

    return DataLoader(list(zip(x, y)), batch_size=batch_size, shuffle=shuffle)


def test_train_epoch_stops_when_the_loss_is_not_a_number():
    x, y, _, _ = random_batch(n=8, pixels=5, dtype=torch.float32)
    x[3, 2] = float("nan")
    weights, bias = init_params((5, 1), 0.01), init_params(1, 0.01)
    with pytest.raises(FloatingPointError, match="nan"):
        train_epoch(lambda xb: linear1(xb, weights, bias), pairs_loader(x, y, 4), 0.1, [weights, bias])


def test_train_epoch_stops_when_the_steps_overflow(digits):
    x, y, _, _ = digits
    seed_everything()
    weights, bias = init_params((784, 1), INIT_STD), init_params(1, INIT_STD)
    with pytest.raises(FloatingPointError, match="lr=1e\\+39"):
        train_epoch(lambda xb: linear1(xb, weights, bias), pairs_loader(x, y, 64), 1e39, [weights, bias])


def test_train_epoch_lowers_the_loss_and_zeroes_the_gradients(digits):
    x, y, _, _ = digits
    seed_everything()
    weights, bias = init_params((784, 1), INIT_STD), init_params(1, INIT_STD)
    before = mnist_loss(linear1(x, weights, bias), y).item()
    train_epoch(lambda xb: linear1(xb, weights, bias), pairs_loader(x, y, 64, shuffle=True), 0.3, [weights, bias])
    assert mnist_loss(linear1(x, weights, bias), y).item() < before / 2
    assert weights.grad.abs().max() == 0 and bias.grad.abs().max() == 0


def test_train_recording_losses_trains_like_train_model_and_records_both_sets(digits):
    x, y, x_valid, y_valid = digits
    pairs_loader(x, y, 64)  # imports fastai before the seeding below: importing it draws random numbers
    runs = []
    for record in (False, True):
        seed_everything()
        weights, bias = init_params((784, 1), INIT_STD), init_params(1, INIT_STD)
        dl = pairs_loader(x, y, 64, shuffle=True)
        model = lambda xb, w=weights, b=bias: linear1(xb, w, b)  # noqa: E731
        if record:
            losses = train_recording_losses(model, dl, 0.3, 3, [weights, bias], (x, y), (x_valid, y_valid))
        else:
            train_model(model, dl, pairs_loader(x_valid, y_valid, 64), 0.3, 3, [weights, bias])
        runs.append(weights.detach().clone())
    assert torch.equal(runs[0], runs[1])  # recording changes nothing about the training
    assert set(losses) == {"training loss", "validation loss"} and all(len(v) == 3 for v in losses.values())
    with torch.no_grad():
        assert losses["training loss"][-1] == pytest.approx(mnist_loss(model(x), y).item())
        assert losses["validation loss"][-1] == pytest.approx(mnist_loss(model(x_valid), y_valid).item())
    assert losses["training loss"][-1] < losses["training loss"][0]


def test_batch_accuracy_reads_sigmoid_above_half_as_the_first_digit():
    predictions = torch.tensor([[2.0], [-1.0], [-0.5], [0.1]])
    targets = torch.tensor([[1.0], [0.0], [1.0], [0.0]])
    assert batch_accuracy(predictions, targets).item() == 0.5


def test_batch_accuracy_reads_a_sigmoid_of_exactly_one_half_as_the_second_digit():
    undecided = torch.zeros(4, 1)  # sigmoid(0) is exactly 0.5: not above it, so "the second digit"
    assert batch_accuracy(undecided, torch.ones(4, 1)).item() == 0.0
    assert batch_accuracy(undecided, torch.zeros(4, 1)).item() == 1.0
    barely = torch.full((4, 1), 1e-6)  # the smallest step above 0.5 that float32 can show
    assert batch_accuracy(barely, torch.ones(4, 1)).item() == 1.0


def test_validate_epoch_weights_each_batch_by_its_size():
    x = torch.tensor([[1.0], [1.0], [1.0], [1.0]])
    y = torch.tensor([[1.0], [0.0], [0.0], [1.0]])
    # batches of 3 and 1: accuracies 1/3 and 1; their plain mean would be 2/3, the right answer is 2/4
    assert validate_epoch(lambda xb: xb, pairs_loader(x, y, 3)) == 0.5


@pytest.mark.parametrize("progress", [False, True])
def test_train_model_returns_one_accuracy_per_epoch_with_or_without_a_bar(digits, capsys, progress):
    x, y, x_valid, y_valid = digits
    seed_everything()
    weights, bias = init_params((784, 1), INIT_STD), init_params(1, INIT_STD)

    def model(xb):
        return linear1(xb, weights, bias)

    history = train_model(model, pairs_loader(x, y, 64, shuffle=True), pairs_loader(x_valid, y_valid, 64), 0.3, 3,
                          [weights, bias], progress=progress)
    assert len(history) == 3 and all(0 <= acc <= 1 for acc in history)
    assert history[-1] == validate_epoch(model, pairs_loader(x_valid, y_valid, 7))
    assert ("3/3" in capsys.readouterr().out) == progress  # the console progress bar


# -- the recipe that later lessons and the benchmark use ---------------------------------------------------------


def test_train_linear_beats_the_baseline_and_reaches_the_floor(digits):
    x, y, x_valid, y_valid = digits
    baseline = batch_accuracy(baseline_model(x, y)(x_valid), y_valid).item()
    seed_everything()
    (weights, bias), history = train_linear(x, y, x_valid, y_valid)
    assert len(history) == LINEAR_RECIPE["epochs"]
    assert weights.shape == (784, 1) and bias.shape == (1,)
    assert history[-1] >= VALID_FLOORS["linear"] and history[-1] > baseline
    assert history[-1] == round(batch_accuracy(linear1(x_valid, weights, bias), y_valid).item(), 4)


def test_train_linear_is_repeatable_and_takes_overrides(digits):
    x, y, x_valid, y_valid = digits
    runs = []
    for _ in range(2):
        seed_everything()
        runs.append(train_linear(x, y, x_valid, y_valid, epochs=2, lr=0.5, batch_size=100))
    (w1, b1), h1 = runs[0]
    (w2, b2), h2 = runs[1]
    assert len(h1) == 2 and h1 == h2 and torch.equal(w1, w2) and torch.equal(b1, b2)
    seed_everything()
    start = init_params((784, 1), std=INIT_STD), init_params(1, std=INIT_STD)
    seed_everything()
    (w0, b0), _ = train_linear(x, y, x_valid, y_valid, epochs=1, lr=0.0)
    assert torch.equal(w0, start[0]) and torch.equal(b0, start[1]), "lr=0 must leave the starting weights alone"
    seed_everything()
    (w_big, _), _ = train_linear(x, y, x_valid, y_valid, epochs=2, lr=0.5, batch_size=400)
    assert not torch.equal(w_big, w1), "another batch size must give other steps"
    seed_everything()
    (w_lr, _), _ = train_linear(x, y, x_valid, y_valid, epochs=2, lr=0.25, batch_size=100)
    assert not torch.equal(w_lr, w1), "another learning rate must give other steps"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_train_linear_keeps_everything_on_the_gpu(digits):
    x, y, x_valid, y_valid = digits
    seed_everything()
    (weights, bias), history = train_linear(x, y, x_valid, y_valid, device="cuda")
    assert weights.device.type == "cuda" and bias.device.type == "cuda"
    assert history[-1] >= 0.97


# -- plots ---------------------------------------------------------------------------------------------------------


def test_show_digit_draws_28_by_28_from_either_shape():
    for image in (torch.rand(784), torch.rand(28, 28)):
        ax = show_digit(image.requires_grad_(), title="a 2")
        assert ax.images[0].get_array().shape == (28, 28) and ax.get_title() == "a 2"
    axes = show_digits(torch.rand(10, 784), [str(i) for i in range(10)], ncols=4)
    assert axes.shape == (3, 4) and sum(len(ax.images) for ax in axes.flat) == 10
    plt.close("all")


def test_plot_function_and_plot_curves_draw_what_they_are_given():
    ax = plot_function(torch.sigmoid, -6, 6)
    xs, ys = ax.lines[0].get_data()
    assert len(xs) == 200 and xs[0] == -6 and xs[-1] == 6
    assert ys[100] == pytest.approx(torch.sigmoid(torch.tensor(xs[100])).item())
    ax = plot_curves({"a": [3, 2, 1], "b": [1, 1, 1]}, ylabel="loss")
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3] and ax.get_ylabel() == "loss"
    plt.close("all")


def test_seven_steps_diagram_names_every_step():
    ax = draw_seven_steps()
    texts = " ".join(t.get_text() for t in ax.texts)
    for step in ["1 initialise", "2 predict", "3 loss", "4 gradient", "5 step", "6 repeat", "7 stop"]:
        assert step in texts
    plt.close("all")


def test_the_measured_floors_apply_only_to_the_embedded_source_and_the_course_pair():
    baseline = 0.9  # below every measured floor, so that each answer says which rule gave it
    assert validation_floor("linear", baseline, "embedded", (2, 9)) == VALID_FLOORS["linear"]
    assert validation_floor("cnn", baseline, "embedded", [2, 9]) == VALID_FLOORS["cnn"]
    relative = validation_floor("linear", baseline, "embedded", (3, 7))
    assert relative < baseline and relative not in VALID_FLOORS.values()
    for source in ("full", "/data/mnist", "embedded_v2"):  # other data, whatever its folder is called
        assert validation_floor("two_layer", baseline, source, (2, 9)) == relative
    with pytest.raises(KeyError):
        validation_floor("forest", baseline, "embedded", (2, 9))


def test_validation_floor_refuses_a_folder_for_the_source(embedded):
    "Passing the data's folder (the old call) must not silently apply the floor for other data."
    with pytest.raises(TypeError, match="mnist_source"):
        validation_floor("linear", 0.95, embedded, (2, 9))


# -- the floors against the measured runs (benchmarks/experiments.py, committed in benchmarks/measured) --------------

MEASURED = Path(__file__).resolve().parents[1] / "benchmarks" / "measured"
# A floor more than 12 of the 200 validation images below the worst measured run would let through a model that
# learned clearly less than the recipe does; a floor above the worst run would fail a good run.
SLACK = 0.06


def worst_runs(digits):
    "{model: the lowest validation accuracy measured over seeds for its recipe} for the embedded images of `digits`."
    if tuple(digits) == (2, 9):
        measured = json.loads((MEASURED / "experiments.json").read_text())
        assert measured["digits"] == [2, 9]
        return {"linear": measured["baseline"]["linear model, lesson 4's recipe"]["valid"]["min"],
                "two_layer": measured["two_layer"]["the recipe"]["valid"]["min"],
                "cnn": measured["cnn"]["+ one-cycle (the recipe), lr 0.01"]["valid"]["min"]}
    measured = json.loads((MEASURED / f"experiments_{digits[0]}_{digits[1]}.json").read_text())
    assert measured["digits"] == list(digits)
    return {"linear": measured["loss"][f"mnist loss, lr {LINEAR_RECIPE['lr']}"]["valid"]["min"]}


@pytest.mark.parametrize("pair", [(2, 9), (3, 7)])
def test_the_floor_for_other_data_lies_just_below_every_measured_run(embedded, pair):
    "The floor of other data or another pair, from the baseline, must pass every measured run and fail a weak one."
    x, y = load_digits(embedded, pair)
    x_valid, y_valid = load_digits(embedded, pair, split="testing")
    baseline = batch_accuracy(baseline_model(x, y)(x_valid), y_valid).item()
    for model, worst in worst_runs(pair).items():
        floor = validation_floor(model, baseline, "other data", pair)  # as if these images were someone else's
        assert worst - SLACK <= floor <= worst, f"{model}: floor {floor} for worst measured run {worst}"


def test_the_measured_floors_lie_just_below_every_measured_run():
    for model, worst in worst_runs((2, 9)).items():
        floor = validation_floor(model, 0.0, "embedded", (2, 9))
        assert worst - SLACK <= floor <= worst, f"{model}: floor {floor} for worst measured run {worst}"
