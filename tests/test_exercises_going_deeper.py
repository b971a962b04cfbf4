"""Lesson 10's checkers accept a right answer (written more than one way), wait for an untouched stub, and catch the
usual mistakes."""

import pytest
import torch
import torch.nn.functional as F

from helpers.exercises import ExerciseError
from helpers.exercises.going_deeper import check_adam, check_batch_norm, check_conv2d, check_left_edge


def stub(*args):
    raise NotImplementedError()


def conv2d(image, weights, stride=1, padding=0, flip=False, no_stride=False, no_padding=False):
    "A convolution by hand, as the lesson asks; the keywords plant a learner's mistakes."
    w = weights.flip(0, 1) if flip else weights
    if not no_padding:
        image = F.pad(image, (padding,) * 4)
    step, k = 1 if no_stride else stride, w.shape[0]
    rows = range(0, image.shape[0] - k + 1, step)
    cols = range(0, image.shape[1] - k + 1, step)
    return torch.stack([torch.stack([(image[i:i + k, j:j + k] * w).sum() for j in cols]) for i in rows])


def batch_norm(x, weight, bias, running_mean, running_var, training, momentum=0.1, eps=1e-5, whole=False,
               unbiased=False, update=True, eval_batch=False):
    "Batch normalisation by hand; the keywords plant a learner's mistakes."
    if training or eval_batch:
        dims = (0, 1, 2, 3) if whole else (0, 2, 3)
        mean, var = x.mean(dim=dims), x.var(dim=dims, unbiased=unbiased)
        if training and update:
            n = x.numel() / x.shape[1]
            running_mean.mul_(1 - momentum).add_(momentum * x.mean(dim=(0, 2, 3)))
            running_var.mul_(1 - momentum).add_(momentum * x.var(dim=(0, 2, 3), unbiased=False) * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    if mean.dim() == 0:
        mean, var = mean.expand(x.shape[1]), var.expand(x.shape[1])
    shape = (1, -1, 1, 1)
    return (x - mean.view(shape)) / (var.view(shape) + eps).sqrt() * weight.view(shape) + bias.view(shape)


def adam(p, grads, lr, betas, eps, weight_decay, correct=True, decoupled=False):
    "Adam's steps as torch.optim.Adam takes them; the keywords plant a learner's mistakes."
    avg, sqr = torch.zeros_like(p), torch.zeros_like(p)
    for step, grad in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * p
        avg = betas[0] * avg + (1 - betas[0]) * grad
        sqr = betas[1] * sqr + (1 - betas[1]) * grad**2
        if correct:
            p = p - lr * (avg / (1 - betas[0] ** step)) / ((sqr / (1 - betas[1] ** step)).sqrt() + eps)
        else:
            p = p - lr * avg / (sqr.sqrt() + eps)
    return p


def run(check, func, capsys):
    check(func)
    return capsys.readouterr().out


@pytest.mark.parametrize("check", [check_conv2d, check_left_edge, check_batch_norm, check_adam])
def test_the_stub_is_not_done_yet(check, capsys):
    assert run(check, stub, capsys).startswith("Not done yet")


def test_the_checkers_accept_right_answers(capsys):
    assert run(check_conv2d, conv2d, capsys).startswith("Correct!")
    for filt in ([[-1.0, 0.0, 1.0]] * 3, [[-1.0, 1.0, 0.0]] * 3, [[0.0, -1.0, 1.0]] * 3, [[-1.0, 0.0, 1.0],
                 [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]):
        assert run(check_left_edge, lambda f=filt: torch.tensor(f), capsys).startswith("Correct!")
    assert run(check_batch_norm, batch_norm, capsys).startswith("Correct!")
    assert run(check_adam, adam, capsys).startswith("Correct!")


@pytest.mark.parametrize("mistake, message", [({"flip": True}, "turned the filter"), ({"no_stride": True}, "shape"),
                                              ({"no_padding": True}, "shape")])
def test_conv2d_checker_catches_a_learners_convolution_mistakes_with_a_hint(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_conv2d(lambda *args: conv2d(*args, **mistake))


def test_conv2d_that_calls_the_library_is_refused():
    with pytest.raises(ExerciseError, match="switched off"):
        check_conv2d(lambda image, weights, stride, padding: F.conv2d(image[None, None], weights[None, None],
                                                                       stride=stride, padding=padding)[0, 0])


@pytest.mark.parametrize("filt, message", [
    ([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], "no positive response"),  # the top-edge filter
    ([[1.0, 0.0, -1.0]] * 3, "no positive response"),  # a right-edge filter
    ([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]], "horizontal edge"),  # ink on the right, any row
    ([[-1.0, 2.0, -1.0]] * 3, "right edge"),  # a ridge: lights up on both sides of a stroke
])
def test_left_edge_checker_refuses_filters_for_another_edge(filt, message):
    with pytest.raises(ExerciseError, match=message):
        check_left_edge(lambda: torch.tensor(filt))


@pytest.mark.parametrize("mistake, message", [({"whole": True}, "whole batch"), ({"unbiased": True}, "unbiased"),
                                              ({"update": False}, "running averages"),
                                              ({"eval_batch": True}, "evaluation mode")])
def test_batch_norm_checker_catches_the_whole_batch_the_unbiased_variance_and_evaluation_mode_slips(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_batch_norm(lambda *args: batch_norm(*args, **mistake))


@pytest.mark.parametrize("mistake, message", [({"correct": False}, "bias correction"),
                                              ({"decoupled": True}, "decoupled")])
def test_adam_checker_catches_a_missing_bias_correction_and_decoupled_decay(mistake, message):
    with pytest.raises(ExerciseError, match=message):
        check_adam(lambda *args: adam(*args, **mistake))


def test_hints_never_give_the_answer():
    "No message of a wrong answer holds a filter or a number that solves the exercise."
    with pytest.raises(ExerciseError) as err:
        check_left_edge(lambda: torch.zeros(3, 3))
    assert "[-1" not in str(err.value) and "tensor(" not in str(err.value)
