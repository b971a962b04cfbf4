"""Lesson 7's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch
from torch import nn

from helpers.exercises import ExerciseError
from helpers.exercises.relu_network import check_collapse, check_relu_layer, check_two_layer_forward


def stub(*args):
    raise NotImplementedError()


class StubReLU(nn.Module):
    def forward(self, x):
        raise NotImplementedError()


class RightReLU(nn.Module):
    def forward(self, x):
        return x.clamp(min=0.0)


def two_layer(xb, w1, b1, w2, b2):
    return (xb @ w1 + b1).clamp(min=0.0) @ w2 + b2


def collapse(w1, b1, w2, b2):
    return w1 @ w2, b1 @ w2 + b2


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(1)


@pytest.mark.parametrize("check, right", [(check_relu_layer, RightReLU), (check_two_layer_forward, two_layer),
                                          (check_collapse, collapse)], ids=["relu", "forward", "collapse"])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check, todo", [(check_relu_layer, StubReLU), (check_two_layer_forward, stub),
                                         (check_collapse, stub)], ids=["relu", "forward", "collapse"])
def test_the_untouched_stub_is_not_done_yet(check, todo, capsys):
    assert check(todo) is None
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("forward, hint", [
    (lambda self, x: x.abs(), "absolute value"), (lambda self, x: -torch.relu(-x), "keeps negative"),
    (lambda self, x: x.clamp_(min=0.0), "changed the tensor"),
    (lambda self, x: torch.tensor(x.tolist()).clamp(min=0), "gradient"),
], ids=["abs", "the wrong side", "in place", "no gradient"])
def test_relu_layer_catches_abs_the_wrong_side_in_place_and_a_copy(forward, hint):
    layer = type("Wrong", (nn.Module,), {"forward": forward})
    with pytest.raises(ExerciseError, match=hint):
        check_relu_layer(layer)


def test_relu_layer_catches_a_layer_with_parameters():
    class Weighted(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x.clamp(min=0.0) * self.scale

    with pytest.raises(ExerciseError, match="parameters"):
        check_relu_layer(Weighted)


@pytest.mark.parametrize("wrong, hint", [
    (lambda xb, w1, b1, w2, b2: (xb @ w1 + b1) @ w2 + b2, "no ReLU between"),
    (lambda xb, w1, b1, w2, b2: two_layer(xb, w1, b1, w2, b2).clamp(min=0.0), "after the second layer"),
    (lambda xb, w1, b1, w2, b2: (xb.clamp(min=0.0) @ w1 + b1) @ w2 + b2, "in front of the first layer"),
    (lambda xb, w1, b1, w2, b2: (xb @ w1).clamp(min=0.0) @ w2 + b2, "both biases"),
    (lambda xb, w1, b1, w2, b2: xb @ w2, "matrix product"),
], ids=["no relu", "relu at the end", "relu first", "a bias forgotten", "wrong product"])
def test_two_layer_forward_catches_a_missing_or_misplaced_relu_a_lost_bias_and_a_wrong_product(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_two_layer_forward(wrong)


@pytest.mark.parametrize("wrong, hint", [
    (lambda w1, b1, w2, b2: (w1 @ w2, b1 @ w2), "second layer's own bias"),
    (lambda w1, b1, w2, b2: (w1 @ w2, b2), "first layer's bias"),
    (lambda w1, b1, w2, b2: (w2.T @ w1.T, b1 @ w2 + b2), "order of the matrix products|shape"),
    (lambda w1, b1, w2, b2: w1 @ w2, "not a pair"),
], ids=["no b2", "no b1", "products swapped", "weights only"])
def test_collapse_catches_a_lost_bias_swapped_products_and_a_missing_bias(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_collapse(wrong)
