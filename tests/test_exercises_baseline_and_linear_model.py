"""Lesson 2's checkers accept a right answer, wait for the untouched stub and catch typical mistakes."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.baseline_and_linear_model import (
    check_all_distances,
    check_scores_per_digit,
    check_weighted_sums,
    check_worst_mistakes,
)
from helpers.model import l2_distance


def stub(*args):
    raise NotImplementedError()


# -- right answers, as in the lesson's solutions ------------------------------------------------------------


def all_distances(a, b):
    return ((a[:, None] - b[None]) ** 2).mean(-1).sqrt()


def worst_mistakes(scores, y):
    called_first, is_first = scores[:, 0] > 0, y[:, 0] == 1
    worst_first = []
    for mask in [is_first & ~called_first, ~is_first & called_first]:
        indexes = mask.nonzero()[:, 0]
        worst_first.append(indexes[scores[indexes, 0].abs().argsort(descending=True)])
    return tuple(worst_first)


def with_where(scores, y):
    "Another right answer: torch.where on flat masks, and sort with the signs of the scores."
    s, t = scores[:, 0], y[:, 0]
    first = torch.where((t == 1) & (s <= 0))[0]
    second = torch.where((t == 0) & (s > 0))[0]
    return [first[s[first].argsort()], second[s[second].argsort(descending=True)]]


def unsorted(scores, y):
    called_first, is_first = scores[:, 0] > 0, y[:, 0] == 1
    return (is_first & ~called_first).nonzero()[:, 0], (~is_first & called_first).nonzero()[:, 0]


def weighted_sums(xb, weights, bias):
    return (xb * weights.T).sum(1, keepdim=True) + bias


def scores_per_digit(first, second):
    return torch.stack([2 * first, 2 * second], 1), torch.stack([-(first @ first), -(second @ second)])


def scaled(first, second, factor=1.0, bias_factor=-1.0, order=(0, 1)):
    "Per-digit weights and bias with a factor on the weights and on the bias, columns in the given order."
    pair = [first, second]
    averages = torch.stack([pair[order[0]], pair[order[1]]], 1)
    return factor * 2 * averages, bias_factor * factor * (averages**2).sum(0)


RIGHT = [(check_all_distances, all_distances), (check_worst_mistakes, worst_mistakes),
         (check_weighted_sums, weighted_sums), (check_scores_per_digit, scores_per_digit)]


@pytest.mark.parametrize("check, answer", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_a_right_answer_passes(check, answer, capsys):
    assert check(answer) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=lambda c: c.__name__)
def test_the_untouched_stub_is_not_done_yet(check, capsys):
    assert check(stub) is None
    assert capsys.readouterr().out.startswith("Not done yet:")


def test_other_right_forms_pass(capsys):
    check_worst_mistakes(with_where)
    check_scores_per_digit(lambda f, s: (scores_per_digit(f, s)[0], scores_per_digit(f, s)[1].view(1, 2)))
    check_weighted_sums(lambda xb, w, b: (xb * w.T).sum(1).view(-1, 1) + b)  # flattens the sums, not the weights
    check_weighted_sums(lambda xb, w, b: (xb.T * w).sum(0).unsqueeze(1) + b)  # the images as columns
    assert capsys.readouterr().out.count("Correct!") == 4


# -- plausible wrong answers ----------------------------------------------------------------------------------

WRONG = [
    (check_all_distances, lambda a, b: ((a[:, None] - b[None]) ** 2).mean(-1), "squares of"),
    (check_all_distances, lambda a, b: ((b[:, None] - a[None]) ** 2).mean(-1).sqrt(), "one row per image of b"),
    (check_all_distances, lambda a, b: ((a[:, None] - b[None]) ** 2).sum(-1).sqrt(), "number of pixels"),
    (check_all_distances, lambda a, b: l2_distance(a, b), "error|shape"),  # no new dimension: fails to broadcast
    (check_all_distances, lambda a, b: (a[:, None] - b[None]).abs().mean(-1), "some distances are wrong"),
    (check_all_distances, lambda a, b: torch.cdist(a, b) / a.shape[1] ** 0.5, "torch.cdist"),
    (check_all_distances, lambda a, b: torch.stack([((a - row) ** 2).mean(-1).sqrt() for row in b], 1),
     "one at a time"),
    (check_all_distances, lambda a, b: torch.stack([l2_distance(a, b[j]) for j in range(len(b))], 1), "one at a time"),
    (check_worst_mistakes, lambda s, y: worst_mistakes(s, y)[::-1], "swapped"),
    (check_worst_mistakes, lambda s, y: worst_mistakes(s + 1e-9 * (s == 0), y), "exactly 0"),  # s >= 0: first digit
    (check_worst_mistakes, lambda s, y: (((y == 1) & (s[:, 0] <= 0)).nonzero()[:, 0],  # (N, 1) & (N,): N x N
                                         ((y == 0) & (s[:, 0] > 0)).nonzero()[:, 0]), "more than once"),
    (check_worst_mistakes, unsorted, "wrong order"),
    (check_worst_mistakes, lambda s, y: tuple(i.flip(0) for i in worst_mistakes(s, y)), "least confident"),
    (check_worst_mistakes, lambda s, y: tuple(i[s[i, 0].argsort(descending=True)] for i in unsorted(s, y)),
     "least confident"),  # sorted by the score, not its size: the 2s' negative scores come nearest 0 first
    (check_worst_mistakes, lambda s, y: ((y[:, 0] == 1) & (s[:, 0] <= 0), (y[:, 0] == 0) & (s[:, 0] > 0)), "mask"),
    (check_worst_mistakes, lambda s, y: ((y == 1) & (s <= 0)).nonzero(), "two tensors|shape"),
    (check_worst_mistakes, lambda s, y: tuple(((y == v) & (s <= 0)).nonzero() for v in (1, 0)), "shape"),
    (check_worst_mistakes, lambda s, y: tuple(m.nonzero()[:, 0] for m in ((y[:, 0] == 1) & (s[:, 0] > 0),
                                                                         (y[:, 0] == 0) & (s[:, 0] <= 0))),
     "some indexes are wrong"),  # the images called right
    (check_weighted_sums, lambda xb, w, b: (xb * w.T).sum(1) + b, "flat list"),
    (check_weighted_sums, lambda xb, w, b: (xb * w.T).sum(1, keepdim=True), "bias is missing"),
    (check_weighted_sums, lambda xb, w, b: (xb * w).sum(1).view(-1, 1) + b, "error"),  # the column against rows
    (check_weighted_sums, lambda xb, w, b: (xb * w.T).mean(1, keepdim=True) + b, "some predictions are wrong"),
    (check_weighted_sums, lambda xb, w, b: (xb * w[:, 0]).sum(1).view(-1, 1) + b, "flattens the weights"),
    (check_weighted_sums, lambda xb, w, b: (xb * w.view(-1)).sum(1, keepdim=True) + b, "flattens the weights"),
    (check_weighted_sums, lambda xb, w, b: (xb * w.squeeze()).sum(1, keepdim=True) + b, "flattens the weights"),
    (check_weighted_sums, lambda xb, w, b: (xb * w.T[0]).sum(1, keepdim=True) + b, "flattens the weights"),
    (check_weighted_sums, lambda xb, w, b: xb @ w + b, "multiplies matrices"),  # the exercise asks for no @
    (check_weighted_sums, lambda xb, w, b: torch.matmul(xb, w) + b, "multiplies matrices"),
    (check_scores_per_digit, lambda f, s: scaled(f, s, -1.0), "away from"),  # the part itself, not minus it
    (check_scores_per_digit, lambda f, s: scaled(f, s, order=(1, 0)), "swapped"),
    (check_scores_per_digit, lambda f, s: scaled(f, s, 1 / len(f)), "times too small"),  # means, not sums
    (check_scores_per_digit, lambda f, s: (scaled(f, s)[0], torch.zeros(2)), "bias is missing"),
    (check_scores_per_digit, lambda f, s: scaled(f, s, bias_factor=1.0), "wrong sign"),
    (check_scores_per_digit, lambda f, s: (scaled(f, s)[0] / 2, scaled(f, s)[1]), "half"),
    (check_scores_per_digit, lambda f, s: (scaled(f, s)[0].T, scaled(f, s)[1]), "one row per digit"),
    (check_scores_per_digit, lambda f, s: (scaled(f, s)[0], scaled(f, s)[1][:1]), "two numbers"),
    (check_scores_per_digit, lambda f, s: (scaled(f, s)[0], scaled(f, s)[1] - 1.0), "some scores are wrong"),
]


@pytest.mark.parametrize("check, answer, says", WRONG, ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_a_typical_mistake_is_caught_with_a_hint(check, answer, says, capsys):
    with pytest.raises(ExerciseError, match=f"(?is)({says}).*Hint:"):
        check(answer)
    assert "Correct" not in capsys.readouterr().out
