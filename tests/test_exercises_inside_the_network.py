"""Lesson 8's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import ExerciseError
from helpers.exercises.inside_the_network import check_falling_rates, check_shift, check_votes
from helpers.repro import setup_course


def stub(*args):
    raise NotImplementedError()


def shift(images, dy, dx, wrap=False, swap=False, sign=1):
    dy, dx = (dx, dy) if swap else (dy, dx)
    dy, dx = sign * dy, sign * dx
    grids = images.view(-1, 28, 28)
    if wrap:
        return grids.roll((dy, dx), dims=(1, 2)).reshape(images.shape)
    moved = torch.zeros_like(grids)
    moved[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
        grids[:, max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    return moved.view(images.shape)


def votes(net, images, relu=True, bias=True, vote=True):
    hidden = images @ net[1].weight.T + (net[1].bias if bias else 0)
    hidden = hidden.clamp(min=0) if relu else hidden
    return hidden * net[3].weight[0] if vote else hidden


@pytest.fixture(scope="module", autouse=True)
def course():
    setup_course()  # fastai (the schedule's checker) is imported after it


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(1)


CASES = [(check_shift, shift), (check_falling_rates, lambda lr, n: [lr * (1 - i / n) for i in range(n)]),
         (check_votes, votes)]


@pytest.mark.parametrize("check, right", CASES, ids=["shift", "rates", "votes"])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check", [c for c, _ in CASES], ids=["shift", "rates", "votes"])
def test_the_untouched_stub_is_not_done_yet(check, capsys):
    assert check(stub) is None
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("mistake, hint", [({"wrap": True}, "comes back"), ({"swap": True}, "swapped"),
                                           ({"sign": -1}, "went backwards")], ids=["roll", "swapped", "backwards"])
def test_shift_catches_wrapping_swapped_axes_and_the_wrong_direction(mistake, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_shift(lambda images, dy, dx: shift(images, dy, dx, **mistake))


def test_shift_catches_a_move_in_place():
    def in_place(images, dy, dx):
        images.copy_(shift(images, dy, dx))
        return images

    with pytest.raises(ExerciseError, match="changed the images"):
        check_shift(in_place)


@pytest.mark.parametrize("wrong, hint", [
    (lambda lr, n: [lr * (1 - i / (n - 1)) for i in range(n)], "0 comes after the end"),
    (lambda lr, n: [lr] * n, "do not fall"), (lambda lr, n: [lr * i / n for i in range(n)], "first rate"),
    (lambda lr, n: [lr * (1 - i / n) for i in range(n - 1)], "rates"),
    (lambda lr, n: [lr * (1 - i / n) ** 2 for i in range(n)], "straight line"),
], ids=["zero at the last step", "constant", "rising", "one short", "curved"])
def test_falling_rates_catch_a_zero_last_step_a_constant_or_rising_rate_a_short_list_and_a_curve(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_falling_rates(wrong)


def test_falling_rates_compare_with_the_rates_a_learner_recorded(capsys):
    right = CASES[1][1]
    recorded = right(4.0, 26)  # what fastai's SchedLin gives: 2 epochs of 13 batches
    check_falling_rates(right, recorded=recorded)
    assert "match the 26 rates" in capsys.readouterr().out
    check_falling_rates(stub, recorded=recorded)
    assert capsys.readouterr().out.startswith("Not done yet")
    with pytest.raises(ExerciseError, match="differ from the ones the Learner used"):
        check_falling_rates(right, recorded=right(4.0, 27)[:26])


def test_falling_rates_hint_never_gives_the_formula():
    with pytest.raises(ExerciseError) as caught:
        check_falling_rates(lambda lr, n: [lr * (1 - i / n) ** 2 for i in range(n)])
    assert "1 - i" not in str(caught.value)


@pytest.mark.parametrize("wrong, hint", [
    (lambda net, x: votes(net, x, vote=False), "not yet their votes"),
    (lambda net, x: votes(net, x, relu=False), "units that are off"),
    (lambda net, x: votes(net, x, bias=False), "leave out something"),
    (lambda net, x: net[2](net[1](x)) * net[3].weight[0], "called the network or its layers"),
    (lambda net, x: net.eval()[:3](x) * net[3].weight[0], "called the network or its layers"),
    (lambda net, x: votes(net, x) + net[3].bias / net[3].in_features, "do not add up"),
    (lambda net, x: torch.cat([votes(net, x).sum(1, keepdim=True), torch.zeros(len(x), net[3].in_features - 1)], 1),
     "not unit by unit"),
    (lambda net, x: votes(net, x)[:, :3], "shape"),
    (lambda net, x: (x @ net[1].weight + net[1].bias).clamp(min=0) * net[3].weight[0], "raised RuntimeError"),
], ids=["activations", "no relu", "no first bias", "calls the layers", "calls them in eval mode", "bias shared out",
        "sum in one column", "too few units", "weight not transposed"])
def test_votes_catch_missing_votes_relu_or_bias_layer_calls_and_a_sum_in_one_column(wrong, hint):
    for seed in range(5):  # on several draws of new networks and images
        torch.manual_seed(seed)
        with pytest.raises(ExerciseError, match=hint):
            check_votes(wrong)


def test_votes_pass_on_many_draws_and_written_with_functions(capsys):
    def with_functions(net, images):
        return F.relu(F.linear(images, net[1].weight, net[1].bias)) * net[3].weight[0]

    for seed in range(10):
        torch.manual_seed(seed)
        for right in (votes, with_functions):
            check_votes(right)
            assert capsys.readouterr().out.startswith("Correct!")


def test_falling_rates_refuse_fastais_own_schedule():
    "Exercise 2 asks for the rates without fastai: calling SchedLin (or sched_lin) is caught with its own hint."
    from fastai.callback import schedule

    with pytest.raises(ExerciseError, match="switched off.*\n.*plain arithmetic"):
        check_falling_rates(lambda lr, n: [float(schedule.SchedLin(lr, 0.0)(i / n)) for i in range(n)])
    with pytest.raises(ExerciseError, match="switched off"):
        check_falling_rates(lambda lr, n: [schedule.sched_lin(lr, 0.0, i / n) for i in range(n)])
    check_falling_rates(CASES[1][1])  # arithmetic alone still passes, and the schedule works again afterwards
    assert schedule.SchedLin(2.0, 0.0)(0.25) == 1.5
