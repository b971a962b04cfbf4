"""Checkers for the exercises of lesson 11 (11_ten_digits.ipynb): cross-entropy's gradient with respect to the scores
for targets that are rows of probabilities, recall per digit, and top-k accuracy. Each follows the contract in
helpers/exercises/__init__.py: fresh random inputs every time, compared with what autograd or a plain count gives."""

from unittest.mock import patch

import torch
import torch.nn.functional as F

from helpers.exercises import call, checker, require, require_tensor, wrong


def _hint(err):
    "A hint for an error the learner's code raised."
    if "grad" in str(err):
        return "no autograd here: compute the gradient from the formula, with softmax and integer indexing."
    if "size" in str(err) or "shape" in str(err) or "index" in str(err):
        return "print the shapes of your tensors; targets hold one class number per image."
    return "read the error; try your function on a small tensor you can check by eye."


def _no_autograd(*args, **kwargs):
    "Stands in for backward and torch.autograd.grad while the learner's gradient runs."
    raise RuntimeError("autograd's grad and backward are switched off while the checker runs your function")


def _close(a, b, tol=1e-5):
    return torch.allclose(a.double(), b.double(), rtol=tol, atol=tol)


# -- exercise 1: the gradient of cross-entropy with rows of target weights ---------------------------------------


def _targets(n, classes, kind):
    "Rows of target weights: one-hot rows, rows of probabilities (adding up to 1), or any weights >= 0."
    if kind == "one-hot":
        return F.one_hot(torch.randint(0, classes, (n,)), classes).float()
    if kind == "probabilities":
        return (torch.randn(n, classes) * 2).softmax(dim=1)
    return torch.rand(n, classes) * 2


@checker("write soft_score_gradient(scores, targets): the gradient of the mean of -sum(t * log p) with respect to "
         "the scores, from your derivation.")
def check_soft_score_grad(func):
    "Compare the learner's gradient with autograd's on new scores and targets; the learner's code runs without it."
    cases = [(8, 10, "weights"), (5, 3, "probabilities"), (30, 10, "one-hot"), (1, 7, "weights"), (6, 4, "weights")]
    for n, classes, kind in cases:
        scores, targets = torch.randn(n, classes) * 3, _targets(n, classes, kind)
        leaf = scores.clone().requires_grad_()
        F.cross_entropy(leaf, targets).backward()  # PyTorch's cross-entropy takes rows of target weights too
        with torch.no_grad(), patch.object(torch.Tensor, "backward", _no_autograd), \
                patch.object(torch.autograd, "grad", _no_autograd):  # the exercise is the formula, not autograd
            got = call(func, scores.clone(), targets.clone(), hint=_hint)
        require_tensor(got, (n, classes), f"soft_score_gradient for {n} images and {classes} classes")
        got = got.detach()
        if _close(got, leaf.grad):
            continue
        if _close(got, -leaf.grad):
            raise wrong("Your gradient has the wrong sign everywhere.",
                        "the loss falls when a score with a large target rises: its slope there is negative.")
        if n > 1 and _close(got, leaf.grad * n):
            raise wrong("Your gradient is n times too large.", "the loss is a mean over the images.")
        if kind == "weights" and _close(got, (scores.softmax(dim=1) - targets) / n):
            raise wrong("Right for rows that add up to 1, but these rows of targets do not.",
                        "in the derivation, keep sum_k t_k where the log of the sum of exponentials is differentiated.")
        hard = F.one_hot(targets.argmax(dim=1), classes).float()
        if kind != "one-hot" and _close(got, (scores.softmax(dim=1) - hard) / n):
            raise wrong("You turned each row of targets into a single digit (its largest weight).",
                        "every class's target counts: redo the derivation with the whole row t.")
        raise wrong(f"For {n} images and {classes} classes ({kind} as targets) your gradient differs from autograd's.",
                    "differentiate -sum_k t_k (s_k - log sum_j e^(s_j)) with respect to one score s_i.")
    return "Your formula matches autograd for one-hot rows, probabilities and any weights."


# -- exercise 2: recall per digit ---------------------------------------------------------------------------------


@checker("write recall_per_digit(answers, targets): for each digit d, among the images whose target is d, the "
         "share whose answer is d.")
def check_recall(func):
    "New answers and targets, every digit present; compare with a plain count."
    for n in (200, 57):
        targets = torch.cat([torch.arange(10), torch.randint(0, 10, (n - 10,))])[torch.randperm(n)]
        answers = torch.where(torch.rand(n) < 0.7, targets, torch.randint(0, 10, (n,)))
        expected = torch.tensor([(answers[targets == d] == d).float().mean().item() for d in range(10)])
        got = call(func, answers.clone(), targets.clone(), hint=_hint)
        require_tensor(got, (10,), "recall_per_digit's result")
        got = got.detach().float()
        if _close(got, expected):
            continue
        precision = torch.tensor([(targets[answers == d] == d).float().mean().item() if (answers == d).any()
                                  else 0.0 for d in range(10)])
        if _close(got, precision):
            raise wrong("You divided by how often each digit was *answered*: that is precision, not recall.",
                        "recall looks only at the images whose target is the digit.")
        if _close(got, torch.full((10,), (answers == targets).float().mean().item())):
            raise wrong("Every digit got the same number: the overall accuracy.",
                        "select the images of one digit first, e.g. with a mask targets == d.")
        raise wrong("Your recall differs from a plain count for some digit.",
                    "for digit d: count the images with target d and answer d, divide by the images with target d.")
    return "Recall per digit, right for every digit."


# -- exercise 3: top-k accuracy ------------------------------------------------------------------------------------


@checker("write top_k_accuracy(scores, targets, k): the share of images whose true class is among their k highest "
         "scores.")
def check_top_k(func):
    "New scores and targets for several k; compare with a count over sorted scores."
    for n, classes, k in [(100, 10, 1), (100, 10, 2), (64, 10, 3), (40, 5, 4)]:
        scores, targets = torch.randn(n, classes), torch.randint(0, classes, (n,))
        rank = (scores > scores[torch.arange(n), targets][:, None]).sum(dim=1)  # how many scores beat the true one
        expected = (rank < k).float().mean()
        got = call(func, scores.clone(), targets.clone(), k, hint=_hint)
        require(isinstance(got, torch.Tensor | float), f"Your function returned {type(got).__name__}.",
                "return the share as a number (a 0-d tensor or a float).")
        got = torch.as_tensor(got).detach().float().reshape(-1)
        require(got.numel() == 1, f"Your function returned {got.numel()} numbers, not one.",
                "average over the images at the end.")
        if _close(got, expected.reshape(1)):
            continue
        if _close(got, (rank >= classes - k).float().mean().reshape(1)):
            raise wrong("You counted the k *lowest* scores.", "the highest scores come first with topk's default.")
        if _close(got, (rank < 1).float().mean().reshape(1)):
            raise wrong(f"With k={k} you gave the plain accuracy.", "look at the k highest scores, not only the top.")
        if _close(got, (rank < k).float().sum().reshape(1)):
            raise wrong("You returned a count, not a share.", "divide by the number of images.")
        raise wrong(f"For k={k} your share differs from a count over the sorted scores.",
                    "find each image's k highest scores' classes, then ask whether the target is among them.")
    return "Top-k accuracy, right for every k tried."
