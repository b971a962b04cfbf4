"""The checkers of lesson 9's exercises, on a solution, on the untouched stub and on plausible wrong answers."""

import math

import pytest
import torch

from helpers.backprop import Scalar, unary_op
from helpers.exercises import ExerciseError
from helpers.exercises.backprop_by_hand import check_engine_step, check_linear_backward, check_scalar_tanh


def stub(*args):
    raise NotImplementedError()


def tanh_right(a):
    t = math.tanh(a.data)
    return unary_op(a, t, 1 - t * t, "tanh")


def tanh_no_square(a):
    t = math.tanh(a.data)
    return unary_op(a, t, 1 - t, "tanh")


def tanh_overwrites(a):
    t = math.tanh(a.data)
    out = Scalar(t, (a,), "tanh")

    def pass_back():
        a.grad = (1 - t * t) * out.grad

    out.pass_back = pass_back
    return out


def linear_right(x, w, dz):
    return dz @ w.T, x.T @ dz, dz.sum(0)


def linear_mean_bias(x, w, dz):
    return dz @ w.T, x.T @ dz, dz.mean(0)


def linear_wrong_side(x, w, dz):
    return dz @ w.T, dz.T @ x, dz.sum(0)


def step_right(params, make_loss, lr):
    for p in params:
        p.grad = 0.0
    make_loss().backward()
    for p in params:
        p.data -= lr * p.grad


def step_no_zero(params, make_loss, lr):
    make_loss().backward()
    for p in params:
        p.data -= lr * p.grad


def test_solutions_pass(capsys):
    torch.manual_seed(0)
    check_scalar_tanh(tanh_right, Scalar)
    check_linear_backward(linear_right)
    check_engine_step(step_right, Scalar)
    assert capsys.readouterr().out.count("Correct!") == 3


def test_stubs_say_not_done(capsys):
    check_scalar_tanh(stub, Scalar)
    check_linear_backward(stub)
    check_engine_step(stub, Scalar)
    assert capsys.readouterr().out.count("Not done yet") == 3


@pytest.mark.parametrize("func, hint", [(tanh_no_square, "slope"), (tanh_overwrites, "+=")])
def test_wrong_tanh(func, hint):
    with pytest.raises(ExerciseError, match="Hint") as err:
        check_scalar_tanh(func, Scalar)
    assert hint in str(err.value)


@pytest.mark.parametrize("func", [linear_mean_bias, linear_wrong_side])
def test_wrong_layer(func):
    with pytest.raises(ExerciseError, match="Hint"):
        check_linear_backward(func)


def test_wrong_step():
    with pytest.raises(ExerciseError, match="set it to 0"):
        check_engine_step(step_no_zero, Scalar)
