"""Lesson 11's checkers accept a right answer (written more than one way), wait for an untouched stub, and catch the
usual mistakes."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.ten_digits import check_recall, check_soft_score_grad, check_top_k


def stub(*args):
    raise NotImplementedError()


def soft_gradient(scores, targets, sign=1, mean=True, hard=False, sums_to_one=False):
    "The gradient by the formula; the keywords plant a learner's mistakes."
    if hard:
        targets = torch.nn.functional.one_hot(targets.argmax(dim=1), scores.shape[1]).float()
    total = 1.0 if sums_to_one else targets.sum(dim=1, keepdim=True)
    return sign * (total * scores.softmax(dim=1) - targets) / (len(scores) if mean else 1)


def recall(answers, targets, precision=False, overall=False):
    "Recall per digit; the keywords plant a learner's mistakes."
    if overall:
        return torch.full((10,), (answers == targets).float().mean().item())
    if precision:
        return torch.stack([(targets[answers == d] == d).float().mean() for d in range(10)]).nan_to_num(0.0)
    return torch.tensor([((answers == d) & (targets == d)).sum().item() / (targets == d).sum().item()
                         for d in range(10)])


def top_k(scores, targets, k, lowest=False, count=False):
    "Top-k accuracy; the keywords plant a learner's mistakes."
    best = scores.topk(k, dim=1, largest=not lowest).indices
    hits = (best == targets[:, None]).any(dim=1).float()
    return hits.sum() if count else hits.mean()


def run(check, func, capsys):
    check(func)
    return capsys.readouterr().out


@pytest.mark.parametrize("check", [check_soft_score_grad, check_recall, check_top_k])
def test_the_stub_is_not_done_yet(check, capsys):
    assert run(check, stub, capsys).startswith("Not done yet")
    assert run(check, lambda *args: ..., capsys).startswith("Not done yet")


def test_the_checkers_accept_right_answers(capsys):
    assert run(check_soft_score_grad, soft_gradient, capsys).startswith("Correct!")
    assert run(check_recall, recall, capsys).startswith("Correct!")
    assert run(check_top_k, top_k, capsys).startswith("Correct!")
    by_sorting = lambda s, t, k: (s.argsort(dim=1, descending=True)[:, :k] == t[:, None]).any(1).float().mean()  # noqa: E731
    assert run(check_top_k, by_sorting, capsys).startswith("Correct!")


@pytest.mark.parametrize("mistake, message", [({"sign": -1}, "wrong sign"), ({"mean": False}, "n times"),
                                              ({"hard": True}, "single digit"),
                                              ({"sums_to_one": True}, "rows that add up to 1")])
def test_soft_gradient_checker_catches_sign_scale_and_row_sum_mistakes(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_soft_score_grad(lambda s, t: soft_gradient(s, t, **mistake))


def test_a_gradient_taken_by_autograd_is_refused_with_a_hint():
    "The exercise is the formula: autograd is off while the learner's code runs, even on a tensor it marks itself."
    def with_backward(scores, targets):
        leaf = scores.clone().requires_grad_()
        torch.nn.functional.cross_entropy(leaf, targets).backward()
        return leaf.grad
    with pytest.raises(ExerciseError, match="no autograd"):
        check_soft_score_grad(with_backward)

    def with_autograd_switched_back_on(scores, targets):
        with torch.enable_grad():
            leaf = scores.clone().requires_grad_()
            return torch.autograd.grad(torch.nn.functional.cross_entropy(leaf, targets), leaf)[0]
    with pytest.raises(ExerciseError, match="no autograd"):
        check_soft_score_grad(with_autograd_switched_back_on)


@pytest.mark.parametrize("mistake, message", [({"precision": True}, "precision"), ({"overall": True}, "overall")])
def test_recall_checker_catches_precision_and_overall_accuracy(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_recall(lambda a, t: recall(a, t, **mistake))


@pytest.mark.parametrize("mistake, message", [({"lowest": True}, "lowest"), ({"count": True}, "count")])
def test_top_k_checker_catches_the_lowest_scores_and_a_count(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_top_k(lambda s, t, k: top_k(s, t, k, **mistake))


def test_top_k_that_ignores_k_is_told_so():
    with pytest.raises(ExerciseError, match="plain accuracy"):
        check_top_k(lambda s, t, k: top_k(s, t, 1))


def test_hints_never_give_the_answer():
    "No message of a wrong answer holds the formula's code or a number that solves the exercise."
    for check, func in [(check_soft_score_grad, lambda s, t: s * 0), (check_recall, lambda a, t: torch.zeros(10)),
                        (check_top_k, lambda s, t, k: torch.tensor(0.123))]:
        with pytest.raises(ExerciseError) as err:
            check(func)
        assert "tensor(" not in str(err.value) and "softmax(scores) -" not in str(err.value)
