"""The checkers of lesson 9's exercises, on a solution, on the untouched stub and on plausible wrong answers."""

import math

import pytest
import torch

from helpers.backprop import Scalar, unary_op
from helpers.exercises import ExerciseError
from helpers.exercises.backprop_by_hand import check_frozen_units, check_linear_backward, check_scalar_tanh


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
    return dz @ w, dz.T @ x, dz.sum(0)


def linear_mean_bias(x, w, dz):
    return dz @ w, dz.T @ x, dz.mean(0)


def linear_copied_from_lesson(x, w, dz):  # section 3's layout (z = x @ w + b), not nn.Linear's: the wrong shapes
    return dz @ w.T, x.T @ dz, dz.sum(0)


def linear_dx_transposed(x, w, dz):
    return dz @ w.T, dz.T @ x, dz.sum(0)


def linear_dw_transposed(x, w, dz):  # right on no layer, but with the right shape wherever n_in = n_out
    return dz @ w, x.T @ dz, dz.sum(0)


def linear_db_over_units(x, w, dz):  # sums each image's row: the right length only when N = n_out
    return dz @ w, dz.T @ x, dz.sum(1)


def frozen_right(z1, w2):
    return ((z1 <= 0).all(0) | (w2.flatten() == 0)).nonzero().flatten()


def frozen_as_list(z1, w2):  # another right answer: a list, from the ReLU's output and a loop over the units
    h = torch.relu(z1)
    return [j for j in range(z1.shape[1]) if (h[:, j] == 0).all() or w2[j, 0] == 0]


def frozen_relu_only(z1, w2):  # section 5's dead units: forgets the outgoing weight
    return (z1 <= 0).all(0).nonzero().flatten()


def frozen_weight_only(z1, w2):
    return (w2.flatten() == 0).nonzero().flatten()


def frozen_strict(z1, w2):  # forgets that at exactly 0 the slope is 0 too
    return ((z1 < 0).all(0) | (w2.flatten() == 0)).nonzero().flatten()


def frozen_any(z1, w2):
    return ((z1 <= 0).any(0) | (w2.flatten() == 0)).nonzero().flatten()


def frozen_wrong_axis(z1, w2):
    return (z1 <= 0).all(1).nonzero().flatten()


def frozen_wrong_axis_both(z1, w2):  # one flag per image against one per unit: the shapes clash
    return ((z1 <= 0).all(1) | (w2.flatten() == 0)).nonzero().flatten()


def frozen_mask(z1, w2):
    return (z1 <= 0).all(0) | (w2.flatten() == 0)


def frozen_not_positive_weight(z1, w2):  # takes a negative outgoing weight for a blocked one
    return ((z1 <= 0).all(0) | (w2.flatten() <= 0)).nonzero().flatten()


def frozen_twice(z1, w2):  # lists a unit frozen for both reasons twice
    return torch.cat([frozen_relu_only(z1, w2), frozen_weight_only(z1, w2)])


def test_every_backprop_solution_passes_its_checker(capsys):
    torch.manual_seed(0)
    check_scalar_tanh(tanh_right, Scalar)
    check_linear_backward(linear_right)
    check_frozen_units(frozen_right)
    check_frozen_units(frozen_as_list)
    assert capsys.readouterr().out.count("Correct!") == 4


def test_stubs_say_not_done(capsys):
    check_scalar_tanh(stub, Scalar)
    check_linear_backward(stub)
    check_frozen_units(stub)
    assert capsys.readouterr().out.count("Not done yet") == 3


@pytest.mark.parametrize("func, hint", [(tanh_no_square, "slope"), (tanh_overwrites, "+=")])
def test_a_wrong_tanh_backward_is_caught_with_its_hint(func, hint):
    with pytest.raises(ExerciseError, match="Hint") as err:
        check_scalar_tanh(func, Scalar)
    assert hint in str(err.value)


@pytest.mark.parametrize("func", [linear_mean_bias, linear_copied_from_lesson, linear_dx_transposed,
                                  linear_dw_transposed, linear_db_over_units])
def test_a_wrong_linear_backward_is_caught_with_a_hint(func):
    with pytest.raises(ExerciseError, match="Hint"):
        check_linear_backward(func)


@pytest.mark.parametrize("func, hint", [(linear_dx_transposed, "cannot tell"), (linear_dw_transposed, "cannot tell"),
                                        (linear_copied_from_lesson, "cannot tell"),
                                        (linear_db_over_units, "every row")])
def test_square_layer_defeats_shapes(func, hint):  # the first layer is square: these have the right shapes there
    with pytest.raises(ExerciseError, match="right shape but wrong numbers") as err:
        check_linear_backward(func)
    assert hint in str(err.value) and "4x4" in str(err.value)


@pytest.mark.parametrize("func, hint", [(frozen_relu_only, "step 3"), (frozen_weight_only, "never above 0"),
                                        (frozen_strict, "exactly 0"), (frozen_any, "one image that turns"),
                                        (frozen_wrong_axis, "a row of z1"),
                                        (frozen_wrong_axis_both, "a row of z1"), (frozen_mask, "nonzero"),
                                        (frozen_not_positive_weight, "negative weight"), (frozen_twice, "twice")])
def test_wrong_frozen_units_are_caught_with_the_same_hint_for_any_seed(func, hint):
    for seed in range(5):  # the planted units move with the seed: the same hint every time
        torch.manual_seed(seed)
        with pytest.raises(ExerciseError, match="Hint") as err:
            check_frozen_units(func)
        assert hint in str(err.value)
