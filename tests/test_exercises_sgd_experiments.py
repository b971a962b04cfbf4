"""Lesson 5's checkers (helpers/exercises/sgd_experiments.py): a right answer passes, the untouched stub says what is
still to do, and typical wrong answers are refused with a hint. Also: the lesson's `train_run` is the very loop that
benchmarks/experiments.py measures over seeds, so the page's run is one of the measured ones."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.sgd_experiments import (
    check_differences,
    check_full_gradient,
    check_log_loss_grad,
    check_slope_of_slope,
)
from helpers.model import linear1, mnist_loss


def stub(*args):
    raise NotImplementedError()


def passes(check, func, capsys):
    assert check(func) is None
    assert "Correct!" in capsys.readouterr().out


def is_stub(check, capsys):
    assert check(stub) is None
    assert "Not done yet" in capsys.readouterr().out


# -- exercise 1: the slope of the sigmoid's slope, from s = sigmoid(z) -------------------------------------------


def slope_of_slope(s):
    return s * (1 - s) * (1 - 2 * s)


def test_slope_of_slope_checker_passes_the_solution_and_waits_for_the_stub(capsys):
    passes(check_slope_of_slope, slope_of_slope, capsys)
    is_stub(check_slope_of_slope, capsys)


@pytest.mark.parametrize("wrong", [lambda s: 1 - 2 * s,  # the slope along s: forgot the link ds/dz
                                   lambda s: s * (1 - s),  # the sigmoid's slope itself
                                   lambda s: s * (1 - s) * (2 * s - 1),  # a sign slip
                                   lambda s: (1 - 2 * s) * s,  # half the link ds/dz
                                   lambda s: s * (1 - s) ** 2])  # differentiated 1 - s only
def test_slope_of_slope_refuses_wrong_answers(wrong):
    with pytest.raises(ExerciseError):
        check_slope_of_slope(wrong)


def test_slope_of_slope_names_the_mistake():
    with pytest.raises(ExerciseError, match="slope along s"):
        check_slope_of_slope(lambda s: 1 - 2 * s)
    with pytest.raises(ExerciseError, match="sigmoid's slope itself"):
        check_slope_of_slope(lambda s: s * (1 - s))
    with pytest.raises(ExerciseError, match="sign is flipped"):
        check_slope_of_slope(lambda s: s * (1 - s) * (2 * s - 1))


def test_slope_of_slope_hints_never_give_the_answer():
    with pytest.raises(ExerciseError) as error:
        check_slope_of_slope(lambda s: s * (1 - s) ** 2)
    assert "(1 - 2" not in str(error.value) and "1 - 2s" not in str(error.value)


# -- exercise 2: the gradient of log loss -----------------------------------------------------------------------


def log_loss_grad(xb, yb, weights, bias):
    s = linear1(xb, weights, bias).sigmoid()
    g = (s - yb) / len(xb)
    return xb.T @ g, g.sum(0)


def test_log_loss_grad_checker_passes_the_solution_and_waits_for_the_stub(capsys):
    passes(check_log_loss_grad, log_loss_grad, capsys)
    is_stub(check_log_loss_grad, capsys)


def no_mean(xb, yb, weights, bias):  # forgot the 1/N
    s = linear1(xb, weights, bias).sigmoid()
    g = s - yb
    return xb.T @ g, g.sum(0)


def nines_flipped(xb, yb, weights, bias):  # a sign error for the 9s
    s = linear1(xb, weights, bias).sigmoid()
    g = torch.where(yb == 1, s - 1, -s) / len(xb)
    return xb.T @ g, g.sum(0)


def wrong_product(xb, yb, weights, bias):  # xb @ g: the shapes do not fit
    s = linear1(xb, weights, bias).sigmoid()
    g = (s - yb) / len(xb)
    return xb @ g, g.sum(0)


def bias_as_number(xb, yb, weights, bias):  # g.sum() has shape (), the bias (1,)
    s = linear1(xb, weights, bias).sigmoid()
    g = (s - yb) / len(xb)
    return xb.T @ g, g.sum()


def mnist_loss_gradient(xb, yb, weights, bias):  # the mnist loss's gradient, not log loss's
    s = linear1(xb, weights, bias).sigmoid()
    g = torch.where(yb == 1, -s * (1 - s), s * (1 - s)) / len(xb)
    return xb.T @ g, g.sum(0)


def with_autograd(xb, yb, weights, bias):  # not by hand: the checker runs it under no_grad
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    torch.nn.functional.binary_cross_entropy_with_logits(xb @ w + b, yb).backward()
    return w.grad, b.grad


@pytest.mark.parametrize("wrong", [no_mean, nines_flipped, wrong_product, bias_as_number, mnist_loss_gradient,
                                   with_autograd])
def test_log_loss_grad_refuses_wrong_answers(wrong):
    with pytest.raises(ExerciseError):
        check_log_loss_grad(wrong)


def test_log_loss_grad_names_the_mistake():
    with pytest.raises(ExerciseError, match="times too large"):
        check_log_loss_grad(no_mean)
    with pytest.raises(ExerciseError, match="wrong sign for the 9s"):
        check_log_loss_grad(nines_flipped)


# -- exercise 3: one-sided and central differences ----------------------------------------------------------------


def differences(f, w, j, h):
    up, down = w.clone(), w.clone()
    up[j] += h
    down[j] -= h
    return (f(up) - f(w)) / h, (f(up) - f(down)) / (2 * h)


def shrink():
    return 10, 100


def test_differences_checker_passes_the_solution_and_waits_for_each_stub(capsys):
    assert check_differences(differences, shrink) is None
    assert "Correct!" in capsys.readouterr().out
    assert check_differences(stub, shrink) is None
    assert "Not done yet" in capsys.readouterr().out
    assert check_differences(differences, stub) is None  # the differences done, the prediction not yet
    assert "Not done yet" in capsys.readouterr().out


def test_differences_shows_the_errors_shrink(capsys):
    check_differences(differences, shrink)
    out = capsys.readouterr().out
    assert "h = 0.1: one-sided 4e-02, central 9e-04" in out and "h = 0.001: one-sided 4e-04, central 9e-08" in out


def swapped(f, w, j, h):
    one_sided, central = differences(f, w, j, h)
    return central, one_sided


def over_h(f, w, j, h):  # forgot the 2 of 2h
    one_sided, central = differences(f, w, j, h)
    return one_sided, 2 * central


def in_place(f, w, j, h):  # nudges w itself and leaves it nudged
    at = f(w)
    w[j] += h
    up = f(w)
    w[j] -= 2 * h
    return (up - at) / h, (up - f(w)) / (2 * h)


def backward_one_sided(f, w, j, h):  # one-sided to the left: (f(w) - f(w - h)) / h
    down = w.clone()
    down[j] -= h
    return (f(w) - f(down)) / h, differences(f, w, j, h)[1]


def central_only(f, w, j, h):  # returns one number
    return differences(f, w, j, h)[1]


@pytest.mark.parametrize("wrong", [swapped, over_h, in_place, backward_one_sided, central_only])
def test_differences_refuses_wrong_answers(wrong):
    with pytest.raises(ExerciseError):
        check_differences(wrong, shrink)


def test_differences_names_the_mistake():
    with pytest.raises(ExerciseError, match="swapped"):
        check_differences(swapped, shrink)
    with pytest.raises(ExerciseError, match="changed w itself"):
        check_differences(in_place, shrink)


@pytest.mark.parametrize("prediction", [(10, 10), (100, 100), (10, 1000), (2, 4), (100, 10), (10,), "10, 100"])
def test_differences_refuses_wrong_predictions(prediction):
    # plausible wrong predictions: both alike, the central one a power too far, halving h in mind, or the two swapped
    with pytest.raises(ExerciseError) as caught:
        check_differences(differences, lambda: prediction)
    hint = str(caught.value).split("Hint:")[1]
    assert "10" not in hint and "^2" not in hint and "squared" not in hint  # the hint never gives the answer


# -- exercise 4: GD's gradient from mini-batches ----------------------------------------------------------------


def full_gradient(batches, weights, bias, scale=None, zero=False):
    "The solution (scale=None), or a plausible mistake: another weight per mini-batch, or .grad zeroed between them."
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    n = sum(len(xb) for xb, _ in batches)
    for xb, yb in batches:
        if zero and w.grad is not None:
            w.grad.zero_(), b.grad.zero_()
        weight = len(xb) / n if scale is None else scale(len(xb), len(batches))
        (mnist_loss(linear1(xb, w, b), yb) * weight).backward()
    return w.grad, b.grad


def test_full_gradient_checker_passes_the_solution_and_waits_for_the_stub(capsys):
    passes(check_full_gradient, full_gradient, capsys)
    is_stub(check_full_gradient, capsys)


@pytest.mark.parametrize("mistake", [{"scale": lambda m, k: 1.0},  # the batch means added up, unweighted
                                     {"scale": lambda m, k: 1 / k},  # the plain mean of the batch means
                                     {"scale": lambda m, k: m},  # the sum over the images, not the mean
                                     {"zero": True}])  # .grad zeroed before each mini-batch: the last one's share
def test_full_gradient_refuses_wrong_answers(mistake):
    with pytest.raises(ExerciseError):
        check_full_gradient(lambda *args: full_gradient(*args, **mistake))


def test_full_gradient_refuses_one_backward_on_all_the_images_joined():
    def joined(batches, weights, bias):
        xb, yb = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
        w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
        mnist_loss(xb @ w + b, yb).backward()
        return w.grad, b.grad

    with pytest.raises(ExerciseError, match="1 time"):
        check_full_gradient(joined)


def test_full_gradient_names_the_mistake():
    with pytest.raises(ExerciseError, match="plain mean"):
        check_full_gradient(lambda *args: full_gradient(*args, scale=lambda m, k: 1 / k))
    with pytest.raises(ExerciseError, match="last mini-batch"):
        check_full_gradient(lambda *args: full_gradient(*args, zero=True))


def no_requires_grad(batches, weights, bias):  # backward() on the plain tensors the checker passes in
    n = sum(len(xb) for xb, _ in batches)
    for xb, yb in batches:
        (mnist_loss(linear1(xb, weights, bias), yb) * len(xb) / n).backward()
    return weights.grad, bias.grad


def test_full_gradient_hints_at_requires_grad():
    with pytest.raises(ExerciseError, match=r"requires_grad_\(\)"):
        check_full_gradient(no_requires_grad)


def test_log_loss_grad_message_gives_both_pulls(capsys):
    check_log_loss_grad(log_loss_grad)
    assert "0.9975 under log loss, 0.0025 under the mnist loss" in capsys.readouterr().out


# -- the lesson's train_run is the loop the experiment script measures ------------------------------------------


def test_train_run_is_the_loop_that_benchmarks_experiments_measures(embedded):
    import benchmarks.experiments as experiments
    from helpers.data import load_digits
    from helpers.model import train_run
    from helpers.repro import seed_everything

    x, y = load_digits(embedded, (2, 9))
    for lr, batch_size, shuffle in [(3.0, 64, True), (10.0, len(x), False), (1.0, 64, False)]:
        seed_everything(42)
        _, losses = train_run(x, y, lr, batch_size, epochs=2, shuffle=shuffle)
        seed_everything(42)
        per_epoch, per_step, _ = experiments.train_linear_with(mnist_loss, x, y, lr, batch_size, 2, shuffle)
        steps = len(losses) // 2
        assert losses[steps - 1 :: steps] == per_epoch and losses[: len(per_step)] == per_step
