"""The checkers of lesson 3's exercises accept a right answer, wait for the stub and catch typical mistakes."""

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import ExerciseError
from helpers.exercises.loss_and_sigmoid import (
    check_log_loss,
    check_log_loss_slope,
    check_mnist_loss,
    check_weight_slope,
)
from helpers.model import check_shapes, linear1


def stub(*args, **kwargs):
    raise NotImplementedError()


def mnist_loss(predictions, targets):
    check_shapes(predictions, targets)
    s = predictions.sigmoid()
    return (targets * (1 - s) + (1 - targets) * s).mean()


def mnist_loss_with_where(predictions, targets):
    check_shapes(predictions, targets)
    s = predictions.sigmoid()
    return torch.where(targets == 1, 1 - s, s).mean()


def mnist_loss_abs(predictions, targets):
    check_shapes(predictions, targets)
    return (targets - predictions.sigmoid()).abs().mean()


def mnist_loss_swapped(predictions, targets):
    check_shapes(predictions, targets)
    s = predictions.sigmoid()
    return (targets * s + (1 - targets) * (1 - s)).mean()


def mnist_loss_no_mean(predictions, targets):
    check_shapes(predictions, targets)
    s = predictions.sigmoid()
    return targets * (1 - s) + (1 - targets) * s


def mnist_loss_no_sigmoid(predictions, targets):
    check_shapes(predictions, targets)
    return (targets * (1 - predictions) + (1 - targets) * predictions).mean()


def mnist_loss_no_shape_check(predictions, targets):
    s = predictions.sigmoid()
    return (targets * (1 - s) + (1 - targets) * s).mean()


def log_loss(predictions, targets):
    check_shapes(predictions, targets)
    log_2 = F.logsigmoid(predictions)
    return -(targets * log_2 + (1 - targets) * (log_2 - predictions)).mean()


def log_loss_two_logsigmoids(predictions, targets):
    check_shapes(predictions, targets)
    return -(targets * F.logsigmoid(predictions) + (1 - targets) * F.logsigmoid(-predictions)).mean()


def log_loss_naive(predictions, targets):
    check_shapes(predictions, targets)
    s = torch.sigmoid(predictions)
    return -(targets * torch.log(s) + (1 - targets) * torch.log(1 - s)).mean()


def log_loss_naive_where(predictions, targets):
    check_shapes(predictions, targets)
    s = torch.sigmoid(predictions)
    return -torch.log(torch.where(targets == 1, s, 1 - s)).mean()


def log_loss_where(predictions, targets):
    check_shapes(predictions, targets)
    log_2 = F.logsigmoid(predictions)
    return -torch.where(targets == 1, log_2, log_2 - predictions).mean()


def log_loss_no_minus(predictions, targets):
    check_shapes(predictions, targets)
    return (targets * F.logsigmoid(predictions) + (1 - targets) * F.logsigmoid(-predictions)).mean()


def log_loss_swapped(predictions, targets):
    check_shapes(predictions, targets)
    return -(targets * F.logsigmoid(-predictions) + (1 - targets) * F.logsigmoid(predictions)).mean()


def log_loss_sum(predictions, targets):
    check_shapes(predictions, targets)
    return -(targets * F.logsigmoid(predictions) + (1 - targets) * F.logsigmoid(-predictions)).sum()


def log_loss_no_shape_check(predictions, targets):
    return -(targets * F.logsigmoid(predictions) + (1 - targets) * F.logsigmoid(-predictions)).mean()


def log_loss_slope(z, targets):
    return torch.sigmoid(z) - targets


def log_loss_slope_only_twos(z, targets):
    return torch.sigmoid(z) - 1


def log_loss_slope_sign_error(z, targets):
    s = torch.sigmoid(z)
    return torch.where(targets == 1, s - 1, 1 - s)


def log_loss_slope_with_where(z, targets):
    s = torch.sigmoid(z)
    return torch.where(targets == 1, s - 1, s)


def log_loss_slope_of_the_mean(z, targets):
    return (torch.sigmoid(z) - targets) / len(z)


def log_loss_slope_mnist(z, targets):
    s = torch.sigmoid(z)
    return torch.where(targets == 1, -s * (1 - s), s * (1 - s))


def weight_slope(loss_func, x, y, weights, bias, i, h=1e-6):
    x, y, bias = x.double(), y.double(), bias.double()
    up, down = weights.detach().double().clone(), weights.detach().double().clone()
    up[i] += h
    down[i] -= h
    return (loss_func(linear1(x, up, bias), y) - loss_func(linear1(x, down, bias), y)).item() / (2 * h)


def weight_slope_in_32_bits(loss_func, x, y, weights, bias, i, h=1e-6):
    up, down = weights.clone(), weights.clone()
    up[i] += h
    down[i] -= h
    return (loss_func(linear1(x, up, bias), y) - loss_func(linear1(x, down, bias), y)).item() / (2 * h)


def weight_slope_only_weights_in_64_bits(loss_func, x, y, weights, bias, i, h=1e-6):
    up, down = weights.double(), weights.double()
    up[i] += h
    down[i] -= h
    return (loss_func(linear1(x, up, bias), y) - loss_func(linear1(x, down, bias), y)).item() / (2 * h)


def weight_slope_over_h(loss_func, x, y, weights, bias, i, h=1e-6):
    x, y, bias = x.double(), y.double(), bias.double()
    up, down = weights.double(), weights.double()
    up[i] += h
    down[i] -= h
    return (loss_func(linear1(x, up, bias), y) - loss_func(linear1(x, down, bias), y)).item() / h


def weight_slope_in_place(loss_func, x, y, weights, bias, i, h=1e-6):
    x, y, bias = x.double(), y.double(), bias.double()
    before = loss_func(linear1(x, weights, bias), y)
    weights[i] += h
    return (loss_func(linear1(x, weights, bias), y) - before).item() / h


def weight_slope_of_bias(loss_func, x, y, weights, bias, i, h=1e-6):
    x, y, weights, bias = x.double(), y.double(), weights.double(), bias.double()
    up, down = bias + h, bias - h
    return (loss_func(linear1(x, weights, up), y) - loss_func(linear1(x, weights, down), y)).item() / (2 * h)


CASES = [
    (check_mnist_loss, mnist_loss, [mnist_loss_with_where, mnist_loss_abs, mnist_loss_swapped, mnist_loss_no_mean,
                                    mnist_loss_no_sigmoid, mnist_loss_no_shape_check]),
    (check_log_loss, log_loss, [log_loss_two_logsigmoids, log_loss_naive, log_loss_naive_where, log_loss_where,
                                log_loss_no_minus, log_loss_swapped, log_loss_sum, log_loss_no_shape_check,
                                mnist_loss]),
    (check_log_loss_slope, log_loss_slope, [log_loss_slope_only_twos, log_loss_slope_sign_error,
                                            log_loss_slope_of_the_mean, log_loss_slope_mnist,
                                            log_loss_slope_with_where]),
    (check_weight_slope, weight_slope, [weight_slope_in_32_bits, weight_slope_only_weights_in_64_bits,
                                         weight_slope_over_h, weight_slope_in_place, weight_slope_of_bias]),
]


@pytest.mark.parametrize("check, right, wrongs", CASES, ids=[c[0].__name__ for c in CASES])
def test_a_right_answer_passes_the_stub_waits_and_mistakes_are_caught(check, right, wrongs, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")
    assert check(stub) is None
    assert capsys.readouterr().out.startswith("Not done yet:")
    for wrong in wrongs:
        with pytest.raises(ExerciseError, match="Hint:"):
            check(wrong)


def test_the_checkers_leave_the_global_random_state_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for check, right, _ in CASES:
        check(right)
    assert torch.equal(torch.rand(3), expected)


def test_the_naive_log_loss_is_caught_by_its_infinite_value_at_large_z():
    with pytest.raises(ExerciseError, match="-inf"):
        check_log_loss(log_loss_naive)
    with pytest.raises(ExerciseError, match="between them"):
        check_log_loss(log_loss_where)


def test_pytorchs_own_loss_is_refused_and_its_slopes_pass(capsys):
    "Exercise 2 is to write log loss: calling PyTorch's (or nn.BCEWithLogitsLoss) is refused; nothing stays patched."
    def bce(predictions, targets):
        check_shapes(predictions, targets)
        return F.binary_cross_entropy_with_logits(predictions, targets)

    def bce_module(predictions, targets):
        check_shapes(predictions, targets)
        return torch.nn.BCEWithLogitsLoss()(predictions, targets)

    def bce_slopes(z, targets):
        z = z.clone().requires_grad_()
        F.binary_cross_entropy_with_logits(z, targets, reduction="sum").backward()
        return z.grad

    original = F.binary_cross_entropy_with_logits
    for func in (bce, bce_module):
        with pytest.raises(ExerciseError, match="calls PyTorch's binary cross-entropy"):
            check_log_loss(func)
    assert F.binary_cross_entropy_with_logits is original
    check_log_loss_slope(bce_slopes)
    assert capsys.readouterr().out.count("Correct!") == 1


def test_a_32_bit_nudge_is_caught_with_the_floating_point_hint():
    with pytest.raises(ExerciseError, match="64-bit copies"):
        check_weight_slope(weight_slope_in_32_bits)


def test_a_slope_written_with_where_is_caught_on_soft_targets():
    with pytest.raises(ExerciseError, match="between them"):
        check_log_loss_slope(log_loss_slope_with_where)


def test_a_log_loss_calling_logsigmoid_twice_is_sent_back_to_the_identity():
    original = F.logsigmoid
    with pytest.raises(ExerciseError, match="sigma\\(-z\\) / sigma\\(z\\)"):
        check_log_loss(log_loss_two_logsigmoids)
    assert F.logsigmoid is original
