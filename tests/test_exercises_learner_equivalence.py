"""Lesson 6's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch
from fastai.callback.core import Callback
from torch import nn

from helpers.exercises import ExerciseError
from helpers.exercises.learner_equivalence import check_grad_log, check_my_linear, check_weight_decay
from helpers.optim import BasicOptim


def stub(*args):
    raise NotImplementedError()


# -- exercise 1 ------------------------------------------------------------------------------------------------


def weight_decay_optim(rule):
    "A MyWeightDecayOptim whose step moves each parameter by rule(p, grad, lr, wd), under no_grad."

    class Optim(BasicOptim):
        def __init__(self, params, lr, wd):
            super().__init__(params, lr)
            self.wd = wd

        def step(self):
            with torch.no_grad():
                for p in self.params:
                    p -= rule(p, p.grad, self.lr, self.wd)

    return Optim


def test_weight_decay_accepts_the_solution(capsys):
    check_weight_decay(weight_decay_optim(lambda p, g, lr, wd: lr * (g + wd * p)))
    assert capsys.readouterr().out.startswith("Correct!")


def test_weight_decay_accepts_fastais_two_steps(capsys):
    "fastai's form, the pull p *= 1 - lr*wd and then the plain step, is the same step up to float32 rounding."

    class TwoSteps(BasicOptim):
        def __init__(self, params, lr, wd):
            super().__init__(params, lr)
            self.wd = wd

        def step(self):
            with torch.no_grad():
                for p in self.params:
                    p *= 1 - self.lr * self.wd
                    p -= self.lr * p.grad

    check_weight_decay(TwoSteps)
    assert capsys.readouterr().out.startswith("Correct!")


def test_weight_decay_catches_the_pull_alone():
    with pytest.raises(ExerciseError, match="not where the rule puts them"):
        check_weight_decay(weight_decay_optim(lambda p, g, lr, wd: lr * wd * p))


def test_weight_decay_waits_for_the_stub(capsys):
    class Stub(BasicOptim):
        def __init__(self, params, lr, wd):
            super().__init__(params, lr)

        def step(self):
            raise NotImplementedError()

    check_weight_decay(Stub)
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("rule, hint", [
    (lambda p, g, lr, wd: -lr * (g + wd * p), "against the gradient"),
    (lambda p, g, lr, wd: lr * (g - wd * p), "compare the sign"),
    (lambda p, g, lr, wd: lr * g, "must use self.wd"),
    (lambda p, g, lr, wd: lr * g + wd * p, "inside lr"),
    (lambda p, g, lr, wd: lr * (g + wd), "torch.no_grad"),
], ids=["uphill", "decay pushes away", "no decay", "decay not scaled by lr", "another rule"])
def test_weight_decay_catches_the_usual_mistakes(rule, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_weight_decay(weight_decay_optim(rule))


def test_weight_decay_catches_a_step_outside_no_grad():
    class Outside(BasicOptim):
        def __init__(self, params, lr, wd):
            super().__init__(params, lr)
            self.wd = wd

        def step(self):
            for p in self.params:
                p -= self.lr * (p.grad + self.wd * p)  # the mistake: PyTorch refuses this outside no_grad

    with pytest.raises(ExerciseError, match="no_grad"):
        check_weight_decay(Outside)


# -- exercise 2 ------------------------------------------------------------------------------------------------


class MyLinear(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, 1) * 0.01)
        self.bias = nn.Parameter(torch.randn(1) * 0.01)

    def forward(self, xb):
        return xb @ self.weight + self.bias


def test_my_linear_accepts_the_solution(capsys):
    check_my_linear(MyLinear)
    assert capsys.readouterr().out.startswith("Correct!")


def test_my_linear_waits_for_the_stub(capsys):
    class Stub(nn.Module):
        def __init__(self, n_in):
            raise NotImplementedError()

    check_my_linear(Stub)
    assert capsys.readouterr().out.startswith("Not done yet")


class PlainTensors(MyLinear):
    def __init__(self, n_in):
        nn.Module.__init__(self)
        self.weight = torch.randn(n_in, 1) * 0.01  # the mistake: not nn.Parameter, so never trained
        self.bias = torch.randn(1) * 0.01


class NoSuper(MyLinear):
    def __init__(self, n_in):
        self.weight = nn.Parameter(torch.randn(n_in, 1) * 0.01)  # the mistake: nn.Module.__init__ never called


class NoBias(MyLinear):
    def forward(self, xb):
        return xb @ self.weight


class Row(MyLinear):
    def __init__(self, n_in):
        super().__init__(n_in)
        self.weight = nn.Parameter(torch.randn(1, n_in) * 0.01)

    def forward(self, xb):
        return xb @ self.weight.T + self.bias


class Large(MyLinear):
    def __init__(self, n_in):
        super().__init__(n_in)
        self.weight = nn.Parameter(torch.randn(n_in, 1) * 10)


class Flat(MyLinear):
    def forward(self, xb):
        return (xb @ self.weight + self.bias).flatten()


@pytest.mark.parametrize("cls, hint", [(PlainTensors, "not registered"), (NoSuper, "super"),
                                       (NoBias, "xb @ self.weight"), (Row, "one weight per input"), (Large, "small"),
                                       (Flat, "one column")],
                         ids=["plain tensors", "no super().__init__()", "no bias", "a row of weights", "large start",
                              "flat predictions"])
def test_my_linear_catches_the_usual_mistakes(cls, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_my_linear(cls)


# -- exercise 3 ------------------------------------------------------------------------------------------------


def grad_log(event="before_step", reset=True, item=True, size=lambda g: g.abs().mean(), training_only=False):
    "A GradLog class; the keywords plant the usual mistakes."

    class GradLog(Callback):
        def __init__(self):
            self.grad_sizes = []

        def before_fit(self):
            if reset:
                self.grad_sizes = []

        def record(self):
            if self.training or not training_only:
                value = size(self.model.weight.grad)
                self.grad_sizes.append(value.item() if item else value)

    setattr(GradLog, event, GradLog.record)
    return lambda: GradLog


def test_grad_log_accepts_the_solution_at_before_step_or_after_step(capsys):
    for event in ("before_step", "after_step", "after_backward"):
        check_grad_log(grad_log(event))
        assert capsys.readouterr().out.startswith("Correct!")


def test_grad_log_waits_for_the_stub(capsys):
    check_grad_log(stub)
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("mistake, hint", [
    ({"event": "after_batch", "training_only": True}, "after they were cleared"),
    ({"event": "after_batch"}, "record only at an event that training batches reach"),
    ({"event": "after_loss"}, "does self.model.weight.grad exist yet"),
    ({"reset": False}, "afresh in before_fit"),
    ({"item": False}, "item"),
    ({"size": lambda g: g.mean()}, "absolute values"),
    ({"size": lambda g: g.abs().sum()}, "then their mean"),
], ids=["after the clearing", "validation batches too", "before backward", "never reset", "tensors", "no abs",
        "sum, not mean"])
def test_grad_log_catches_the_usual_mistakes(mistake, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_grad_log(grad_log(**mistake))


def test_grad_log_catches_an_object_instead_of_a_class():
    with pytest.raises(ExerciseError, match="class"):
        check_grad_log(lambda: grad_log()()())
