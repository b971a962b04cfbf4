"""Lesson 4's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.sgd_by_hand import (
    check_descend_to,
    check_lr_limits,
    check_train_early,
    check_train_epoch_accumulating,
)
from helpers.model import mnist_loss, train_epoch, validate_epoch


def stub(*args):
    raise NotImplementedError()


def descend_to(c, w, start, lr, steps, sign=-1.0, zero=True, no_grad=True, reduce="sum", detach=True,
               weights="inside"):
    "Gradient descent on the sum of w_i (x_i - c_i)^2; the keywords plant a learner's mistakes."
    xt = start.clone().requires_grad_()
    for _ in range(steps):
        squares = {"inside": w * (xt - c) ** 2, "none": (xt - c) ** 2, "squared": (w * (xt - c)) ** 2}[weights]
        (squares if reduce is None else getattr(squares, reduce)()).backward()
        if no_grad:
            with torch.no_grad():
                xt += sign * lr * xt.grad
        else:
            xt += sign * lr * xt.grad
        if zero:
            xt.grad.zero_()
    return xt.detach() if detach else xt


def accumulating(model, batches, lr, params, k, every=None, lr_factor=1.0, last=True, zero=True, zero_each=False):
    "The epoch of exercise 2: step after every k mini-batches and after the last; the keywords plant mistakes."
    every = every or k
    for i, (xb, yb) in enumerate(batches, start=1):
        if zero_each:
            for p in params:
                if p.grad is not None:
                    p.grad.zero_()
        mnist_loss(model(xb), yb).backward()
        if i % every == 0 or (last and i == len(batches)):
            with torch.no_grad():
                for p in params:
                    p -= lr * lr_factor * p.grad
                    if zero:
                        p.grad.zero_()


def train_early(model, train_dl, valid_dl, lr, max_epochs, params, patience, ties=False, previous=False, extra=0):
    "Early stopping as the lesson asks; the keywords plant a learner's mistakes."
    history, best, stale = [], 0.0, 0
    for _ in range(max_epochs):
        train_epoch(model, train_dl, lr, params)
        history.append(validate_epoch(model, valid_dl))
        if history[-1] >= best if ties else history[-1] > best:
            stale = 0
        else:
            stale += 1
        best = history[-1] if previous else max(best, history[-1])
        if stale == patience + extra:
            break
    return history


@pytest.fixture(autouse=True)
def seeded():
    "The checkers draw their problems at random: the same ones in every run, whichever tests are selected."
    torch.manual_seed(1)


@pytest.fixture(scope="module")
def images():
    torch.manual_seed(0)
    x = torch.rand(300, 784) * (torch.rand(300, 784) > 0.8)
    y = (x[:, :392].sum(1, keepdim=True) > x[:, 392:].sum(1, keepdim=True)).float()
    flip = torch.rand(300, 1) < 0.1  # some noise, so that the validation accuracy stalls and dips
    return x, y, x[200:], torch.where(flip[200:], 1 - y[200:], y[200:])


CASES = [(check_descend_to, descend_to, 0), (check_train_epoch_accumulating, accumulating, 2),
         (check_train_early, train_early, 4)]
IDS = ["descend", "accumulating", "train_early"]


@pytest.mark.parametrize("check, right, data", CASES, ids=IDS)
def test_a_right_answer_passes(check, right, data, images, capsys):
    assert check(right, *images[:data]) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check, right, data", CASES, ids=IDS)
def test_the_untouched_stub_is_not_done_yet(check, right, data, images, capsys):
    assert check(stub, *images[:data]) is None
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("mistake, hint", [
    ({"sign": 1.0}, "uphill"), ({"zero": False}, "zero"), ({"no_grad": False}, "no_grad"),
    ({"reduce": "mean"}, "mean of the terms"), ({"reduce": None}, "single number"), ({"steps_off": 1}, "not where"),
    ({"weights": "none"}, "weight w_i were 1"), ({"weights": "squared"}, "not where"),
], ids=["uphill", "never zeroed", "step outside no_grad", "mean for sum", "no sum", "one step too many",
        "weights forgotten", "weights squared"])
def test_descend_to_catches_a_wrong_sign_no_zeroing_no_grad_a_mean_a_missing_sum_forgotten_weights_and_a_step_too_many(
        mistake, hint):
    def wrong(c, w, start, lr, steps):
        extra = mistake.get("steps_off", 0)
        return descend_to(c, w, start, lr, steps + extra, **{k: v for k, v in mistake.items() if k != "steps_off"})

    with pytest.raises(ExerciseError, match=hint):
        check_descend_to(wrong)


def test_descend_to_accepts_a_final_x_that_still_requires_grad(capsys):
    check_descend_to(lambda c, w, start, lr, steps: descend_to(c, w, start, lr, steps, detach=False))
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("mistake, hint", [
    ({"every": 1}, "step only after every k-th"), ({"lr_factor": "k"}, "not lr \\* k"),
    ({"lr_factor": "1/k"}, "do not divide by k"), ({"last": False}, "step once more after the last"),
    ({"zero": False}, "after each step, and only then"), ({"zero_each": True}, "do not zero the gradients between"),
], ids=["a step every mini-batch", "lr times k", "lr over k", "the last group forgotten", "never zeroed",
        "zeroed every mini-batch"])
def test_accumulating_catches_stepping_every_batch_a_wrong_scale_the_last_group_and_misplaced_zeroing(mistake, hint,
                                                                                                      images):
    def wrong(model, batches, lr, params, k):
        factor = {"k": k, "1/k": 1 / k}.get(mistake.get("lr_factor"), 1.0)
        accumulating(model, batches, lr, params, k, **{**mistake, "lr_factor": factor})

    with pytest.raises(ExerciseError, match=hint):
        check_train_epoch_accumulating(wrong, *images[:2])


def test_accumulating_catches_a_step_outside_no_grad(images):
    def outside(model, batches, lr, params, k):
        for i, (xb, yb) in enumerate(batches, start=1):
            mnist_loss(model(xb), yb).backward()
            if i % k == 0 or i == len(batches):
                for p in params:
                    p -= lr * p.grad  # noqa: PLW2901 (the mistake: PyTorch refuses this outside no_grad)

    with pytest.raises(ExerciseError, match="no_grad"):
        check_train_epoch_accumulating(outside, *images[:2])


def test_accumulating_catches_a_loop_that_forgets_backward_or_steps_uphill(images):
    def no_backward(model, batches, lr, params, k):
        for i, (xb, yb) in enumerate(batches, start=1):
            mnist_loss(model(xb), yb)  # the mistake: no .backward(), so .grad is never filled
            if i % k == 0 or i == len(batches):
                with torch.no_grad():
                    for p in params:
                        p -= lr * p.grad
                        p.grad.zero_()

    def uphill(model, batches, lr, params, k):
        accumulating(model, batches, -lr, params, k)  # the mistake: a sign error, the step goes uphill

    for wrong in [no_backward, uphill]:
        with pytest.raises(ExerciseError):
            check_train_epoch_accumulating(wrong, *images[:2])


@pytest.mark.parametrize("mistake, hint", [({"ties": True}, "use >, not >="), ({"extra": 1}, "as soon as"),
                                           ({"extra": -1}, "not one epoch sooner")],
                         ids=["ties count as a new best", "one epoch late", "one epoch early"])
def test_train_early_catches_ties_counted_as_a_new_best_and_stopping_one_epoch_off(mistake, hint, images):
    with pytest.raises(ExerciseError, match=hint):
        check_train_early(lambda *args: train_early(*args, **mistake), *images)


def test_train_early_catches_a_loop_that_starts_the_parameters_again(images):
    def restarting(model, train_dl, valid_dl, lr, max_epochs, params, patience):
        start = [p.detach().clone() for p in params]
        history = []
        for _ in range(max_epochs):
            with torch.no_grad():
                for p, s in zip(params, start):
                    p.copy_(s)
            train_epoch(model, train_dl, lr, params)
            history.append(validate_epoch(model, valid_dl))
        return history

    with pytest.raises(ExerciseError, match="not those of training"):
        check_train_early(restarting, *images)


def right_descend(c, w, start, lr, steps):
    return descend_to(c, w, start, lr, steps)


def test_lr_limits_passes_the_right_rates_and_reports_the_stub(capsys):
    check_lr_limits(lambda w: (1 / (2 * w), 1 / w.max()), right_descend)
    assert capsys.readouterr().out.startswith("Correct!")
    check_lr_limits(stub, right_descend)
    assert capsys.readouterr().out.startswith("Not done yet")
    check_lr_limits(lambda w: (1 / (2 * w), 1 / w.max()), stub)  # the descent is still to write
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("limits, hint", [
    (lambda w: (1 / w, 1 / w.max()), "twice too large"),
    (lambda w: (1 / (2 * w), 1 / (2 * w.max())), "zigzags"),
    (lambda w: (1 / (2 * w), 1 / w.min()), "smallest"),
    (lambda w: (1 / (2 * w), 2 / w.max()), "is wrong"),
    (lambda w: (1 / (2 * w.max()), 1 / w.max()), "shape"),
    (lambda w: 1 / (2 * w), "two things"),
], ids=["one-step rates doubled", "ceiling at the one-step rate", "ceiling from the smallest w", "ceiling doubled",
        "one number for all", "one thing returned"])
def test_lr_limits_catches_wrong_rates(limits, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_lr_limits(limits, right_descend)


def test_lr_limits_runs_the_learners_descent_at_the_ceiling():
    def uphill(c, w, start, lr, steps):  # a descent that grows every gap shows no boundary
        return descend_to(c, w, start, lr, steps, sign=1.0)

    with pytest.raises(ExerciseError, match="shrink below the ceiling"):
        check_lr_limits(lambda w: (1 / (2 * w), 1 / w.max()), uphill)
