"""Lesson 7's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch
from torch import nn

from helpers.exercises import ExerciseError
from helpers.exercises.relu_network import check_abs_net, check_relu_layer, check_tent_net


def stub(*args):
    raise NotImplementedError()


class StubReLU(nn.Module):
    def forward(self, x):
        raise NotImplementedError()


class RightReLU(nn.Module):
    def forward(self, x):
        return x * (x > 0)


class RightReLUWhere(nn.Module):
    "Another right answer, with a comment that names clamp (comments do not count)."

    def forward(self, x):
        return torch.where(x > 0, x, torch.zeros_like(x))  # like x.clamp(min=0.0)


def tent_params():
    return [torch.tensor([[1.0, 1.0, 1.0]]), torch.tensor([1.0, 0.0, -1.0]), torch.tensor([[1.0], [-2.0], [1.0]]),
            torch.zeros(1)]


def tent_scaled_with_a_dead_unit():
    "Another right answer: steeper units with smaller output weights, and a fourth unit that is never on."
    return [torch.tensor([[2.0, 2.0, 2.0, 0.0]]), torch.tensor([2.0, 0.0, -2.0, -1.0]),
            torch.tensor([[0.5], [-1.0], [0.5], [4.0]]), torch.zeros(1)]


def abs_params():
    return [torch.tensor([[1.0, -1.0]]), torch.zeros(2), torch.tensor([[1.0], [1.0]]), torch.zeros(1)]


def three_units():
    "Another right answer: three units, one of them never on."
    return [torch.tensor([[2.0, -1.0, 0.0]]), torch.zeros(3), torch.tensor([[0.5], [1.0], [3.0]]), torch.zeros(1)]


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(1)


@pytest.mark.parametrize("check, right", [(check_relu_layer, RightReLU), (check_relu_layer, RightReLUWhere),
                                          (check_abs_net, abs_params),
                                          (check_abs_net, three_units), (check_tent_net, tent_params),
                                          (check_tent_net, tent_scaled_with_a_dead_unit)],
                         ids=["relu", "relu with where", "abs", "abs with three units", "tent",
                              "tent scaled, four units"])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check, todo", [(check_relu_layer, StubReLU), (check_abs_net, stub), (check_tent_net, stub)],
                         ids=["relu", "abs", "tent"])
def test_the_untouched_stub_is_not_done_yet(check, todo, capsys):
    assert check(todo) is None
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("forward, hint", [
    (lambda self, x: x.abs(), "absolute value"), (lambda self, x: x * (x < 0), "keeps negative"),
    (lambda self, x: x.mul_(x > 0), "changed the tensor"),
    (lambda self, x: torch.tensor(x.tolist()) * (torch.tensor(x.tolist()) > 0), "gradient"),
], ids=["abs", "the wrong side", "in place", "no gradient"])
def test_relu_layer_catches_abs_the_wrong_side_in_place_and_a_copy(forward, hint):
    layer = type("Wrong", (nn.Module,), {"forward": forward})
    with pytest.raises(ExerciseError, match=hint):
        check_relu_layer(layer)


class ClampReLU(nn.Module):
    def forward(self, x):
        return x.clamp(min=0.0)


class ClampMinReLU(nn.Module):
    def forward(self, x):
        return x.clamp_min(0.0)


class TorchReLU(nn.Module):
    def forward(self, x):
        return torch.relu(x)


class FunctionalReLU(nn.Module):
    def forward(self, x):
        return nn.functional.relu(x)


class MethodReLU(nn.Module):
    def forward(self, x):
        return x.relu()


class ModuleReLU(nn.Module):
    def forward(self, x):
        return nn.ReLU()(x)


@pytest.mark.parametrize("layer, name", [(ClampReLU, "clamp"), (ClampMinReLU, "clamp_min"), (TorchReLU, "relu"),
                                         (FunctionalReLU, "relu"), (MethodReLU, "relu"), (ModuleReLU, "ReLU")],
                         ids=["clamp", "clamp_min", "torch.relu", "F.relu", "x.relu()", "nn.ReLU"])
def test_relu_layer_refuses_a_ready_made_relu(layer, name):
    with pytest.raises(ExerciseError, match=f"`{name}`, a ready-made ReLU"):
        check_relu_layer(layer)


def test_relu_layer_catches_a_layer_with_parameters():
    class Weighted(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.ones(1))

        def forward(self, x):
            return x * (x > 0) * self.scale

    with pytest.raises(ExerciseError, match="parameters"):
        check_relu_layer(Weighted)


def params(w1, b1, w2, b2):
    "A parameter function returning these numbers as tensors, as a learner would write it."
    return lambda: [torch.tensor(w1), torch.tensor(b1), torch.tensor(w2), torch.tensor(b2)]


@pytest.mark.parametrize("wrong, hint", [
    (params([[1.0, 0.0]], [0.0, 0.0], [[1.0], [1.0]], [0.0]), "0 for every negative input"),
    (params([[1.0, -1.0]], [0.0, 0.0], [[1.0], [-1.0]], [0.0]), "x itself"),
    (params([[1.0, -1.0]], [0.0, 0.0], [[-1.0], [-1.0]], [0.0]), "-|x|"),
    (params([[1.0, -1.0]], [1.0, 0.0], [[1.0], [1.0]], [0.0]), "At x = 0"),
    (params([[1.0, -2.0]], [0.0, 0.0], [[1.0], [1.0]], [0.0]), "negative input"),
    (params([[1.0, -1.0]], [0.0, 0.0], [[2.0], [1.0]], [0.0]), "positive input"),
    (params([[1.0, -1.0]], [0.0, 0.0], [[1.0, 1.0]], [0.0]), "shape"),
    (lambda: [torch.tensor([[1.0, -1.0]]), torch.zeros(2)], "not a list of four"),
    (lambda: [[[1.0, -1.0]], [0.0, 0.0], [[1.0], [1.0]], [0.0]], "should be a tensor"),
], ids=["one side only", "identity", "minus abs", "corner moved", "wrong slope left", "wrong slope right",
        "w2 a row", "two tensors", "lists"])
def test_abs_net_catches_one_side_wrong_signs_a_moved_corner_wrong_slopes_and_shapes(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_abs_net(wrong)


def test_abs_net_never_shows_the_answer():
    for wrong in [params([[1.0, 0.0]], [0.0, 0.0], [[1.0], [1.0]], [0.0]),
                  params([[1.0, -1.0]], [0.0, 0.0], [[1.0], [-1.0]], [0.0])]:
        with pytest.raises(ExerciseError) as caught:
            check_abs_net(wrong)
        assert "[[1.0, -1.0]]" not in str(caught.value) and "relu(-x)" not in str(caught.value)


@pytest.mark.parametrize("wrong, hint", [
    (params([[1.0, 1.0, 1.0]], [1.0, 0.0, -1.0], [[1.0], [-2.0], [1.0]], [0.5]), "is 0 left of -1"),
    (params([[1.0, 1.0, 1.0]], [0.0, 0.0, -1.0], [[1.0], [-2.0], [1.0]], [0.0]), "rises with slope 1"),
    (params([[1.0, 1.0, 1.0]], [1.0, 0.0, -1.0], [[1.0], [-1.0], [1.0]], [0.0]), "falls with slope -1"),
    (params([[1.0, 1.0, 1.0]], [1.0, 0.0, -1.0], [[1.0], [-2.0], [0.0]], [0.0]), "stays 0 right of 1"),
    (params([[1.0, -1.0]], [0.0, 0.0], [[-1.0], [-1.0]], [1.0]), "is 0 left of -1"),
    (params([[1.0, 1.0, 1.0]], [1.0, 0.0, -1.0], [[1.0, -2.0, 1.0]], [0.0]), "shape"),
    (lambda: [torch.tensor([[1.0, 1.0, 1.0]]), torch.zeros(3)], "not a list of four"),
], ids=["raised", "first corner at 0", "second corner too soft", "no third unit", "1 - |x|", "w2 a row", "two tensors"])
def test_tent_net_catches_a_raised_floor_misplaced_corners_a_missing_unit_and_shapes(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_tent_net(wrong)


def test_tent_net_never_shows_the_answer():
    wrong = params([[1.0, 1.0, 1.0]], [0.0, 0.0, -1.0], [[1.0], [-2.0], [1.0]], [0.0])
    with pytest.raises(ExerciseError) as caught:
        check_tent_net(wrong)
    assert "[1.0, 0.0, -1.0]" not in str(caught.value) and "-2" not in str(caught.value)
