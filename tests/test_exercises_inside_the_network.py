"""Lesson 8's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.inside_the_network import check_confusion, check_falling_rates, check_shift
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


def confusion(probs, y, transpose=False, flip=False):
    two, says = (y == 1).flatten(), (probs > 0.5).flatten()
    table = torch.stack([torch.stack([(two & says).sum(), (two & ~says).sum()]),
                         torch.stack([(~two & says).sum(), (~two & ~says).sum()])])
    table = table.T if transpose else table
    return table.flip(0, 1) if flip else table


@pytest.fixture(scope="module", autouse=True)
def course():
    setup_course()  # fastai (the schedule's checker) is imported after it


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(1)


CASES = [(check_shift, shift), (check_falling_rates, lambda lr, n: [lr * (1 - i / n) for i in range(n)]),
         (check_confusion, confusion)]


@pytest.mark.parametrize("check, right", CASES, ids=["shift", "rates", "confusion"])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check", [c for c, _ in CASES], ids=["shift", "rates", "confusion"])
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


@pytest.mark.parametrize("mistake, hint", [({"transpose": True}, "rows are the answers"),
                                           ({"flip": True}, "wrong way round")], ids=["transposed", "flipped"])
def test_confusion_catches_rows_and_columns_swapped_and_the_digits_reversed(mistake, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_confusion(lambda probs, y: confusion(probs, y, **mistake))


def test_confusion_catches_counts_that_miss_images():
    def half(probs, y):
        return confusion(probs[: len(probs) // 2], y[: len(y) // 2])

    with pytest.raises(ExerciseError, match="add up"):
        check_confusion(half)
