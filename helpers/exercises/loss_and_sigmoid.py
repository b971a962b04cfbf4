"""Checkers for the exercises of lesson 3 (03_loss_and_sigmoid.ipynb): the mnist loss without torch.where, log loss from
F.logsigmoid with arithmetic alone, the slope of log loss for 2s and 9s, and a slope measured by nudging a weight.
Each follows the contract in `helpers/exercises/__init__.py`."""

from unittest.mock import patch

import torch
import torch.nn.functional as F

from helpers.exercises import attempt, call, checker, require, require_tensor, wrong
from helpers.model import linear1, log_loss, mnist_loss


def _generator():
    "A random-number generator of its own, freshly seeded, so the checks never touch the lesson's random state."
    g = torch.Generator()
    g.seed()
    return g


def _batch(g, n, lo=-4.0, hi=4.0):
    "n raw predictions in a column, between lo and hi, and n targets (1.0 or 0.0), holding both kinds."
    z = lo + (hi - lo) * torch.rand(n, 1, generator=g)
    t = (torch.rand(n, 1, generator=g) < 0.5).float()
    t[0], t[1] = 1.0, 0.0
    z[0], z[1] = lo, hi  # a confidently wrong 2 and a confidently wrong 9
    return z, t


def _refuses_flat_predictions(func, g):
    "True when func stops (with any exception) on predictions of shape (N,) against targets of shape (N, 1)."
    z, t = _batch(g, 5)
    try:
        func(z.view(-1), t)
    except NotImplementedError:
        raise
    except Exception:  # noqa: BLE001 (a ValueError from check_shapes is expected; any refusal will do)
        return True
    return False


_BCE_WITH_LOGITS = F.binary_cross_entropy_with_logits  # the reference, kept before the check hides it


def _refuse_library_loss(*args, **kwargs):
    "Stands in for PyTorch's binary cross-entropy while my_log_loss is checked: the exercise is to write it."
    raise wrong("my_log_loss calls PyTorch's binary cross-entropy instead of computing log loss itself.",
                "build it from F.logsigmoid(z) and F.logsigmoid(-z), weighted by factors made from the target.")


def _check_loss(func, name, reference, hint, g, lo, hi, finite_hint=None):
    "The checks shared by both losses: a finite number, the right value on fresh batches, and a refused wrong shape."
    for n in (6, 13):
        z, t = _batch(g, n, lo, hi)
        loss = attempt(func, z.clone(), t.clone())
        require_tensor(loss, (), f"{name}(predictions, targets)")
        require(bool(loss.isfinite()), f"{name} gives {loss.item()} on a batch holding a 9 with raw prediction {hi:g}.",
                finite_hint or hint)
        expected = reference(z, t)
        if torch.allclose(loss, expected, atol=1e-4):
            continue
        require(loss >= 0, f"{name} is negative ({loss.item():.4f}) on a random batch.",
                "a loss is never negative: squash with the sigmoid first, and check the signs (for log loss, the minus "
                "in front of the logarithm).")
        require(not torch.allclose(loss, reference(-z, t), atol=1e-4),
                f"{name} gives {loss.item():.4f} on a random batch: it charges each image for the wrong label.",
                "the labels are swapped: a 2 (target 1) must be charged for a low squashed prediction s, "
                "a 9 for a high one.")
        require(False, f"{name} gives {loss.item():.4f} on a random batch of {n} images, which is not the right loss.",
                hint)
    require(_refuses_flat_predictions(func, g),
            f"{name} accepted predictions of shape (5,) against targets of shape (5, 1).",
            "call check_shapes(predictions, targets) first, so that broadcasting cannot hide the mistake.")


@checker("write my_mnist_loss(predictions, targets) without torch.where: check the shapes, sigmoid, two weighted "
         "distances, mean.")
def check_mnist_loss(my_mnist_loss):
    """Compare my_mnist_loss with the lesson's mnist loss on fresh random batches, try a wrong shape, and try targets
    between 0 and 1, where only the arithmetic form (each distance weighted by a factor made from the target) fits."""
    g = _generator()
    hint = ("squash the raw predictions with the sigmoid first, weight the distance for a 2 and the distance for a 9 "
            "each by a factor made from the target, add them, then take the mean over the images.")
    _check_loss(my_mnist_loss, "my_mnist_loss", mnist_loss, hint, g, -4.0, 4.0)
    z = 8 * torch.rand(9, 1, generator=g) - 4
    t = 0.1 + 0.8 * torch.rand(9, 1, generator=g)
    loss = attempt(my_mnist_loss, z.clone(), t.clone())
    s = z.sigmoid()
    require(torch.allclose(loss, (t * (1 - s) + (1 - t) * s).mean(), atol=1e-5),
            "my_mnist_loss is right for targets of 0 and 1, but not for targets between them (such as 0.3): it does "
            "not weight the two distances by factors made from the target.",
            "use no comparison (no torch.where, no targets == 1, no abs): multiply the distance for a 2 by a factor "
            "that is 1 for a 2 and 0 for a 9, the distance for a 9 by one that is 0 for a 2 and 1 for a 9, and add.")
    return "my_mnist_loss is the mnist loss, written with arithmetic alone, and it refuses a flat column."


@checker("write my_log_loss(predictions, targets) without torch.where: check the shapes, F.logsigmoid(z) once, the 9's "
         "log probability from it, weighted by factors made from the target, minus the mean.")
def check_log_loss(my_log_loss):
    """Compare my_log_loss with F.binary_cross_entropy_with_logits on fresh random batches with raw predictions up to
    +-30, where 1 - sigmoid(z) rounds to 0 in 32 bits; try a wrong shape, and targets between 0 and 1."""
    # nn.BCEWithLogitsLoss calls F.binary_cross_entropy_with_logits, so it is refused too
    with (patch.object(F, "binary_cross_entropy_with_logits", _refuse_library_loss),
          patch.object(F, "binary_cross_entropy", _refuse_library_loss)):
        return _check_log_loss(my_log_loss)


def _check_log_loss(my_log_loss):
    g = _generator()
    z, t = _batch(g, 8, -30.0, 30.0)
    with patch.object(F, "logsigmoid", wraps=F.logsigmoid) as logsigmoid:
        attempt(my_log_loss, z.clone(), t.clone())
    require(logsigmoid.call_count <= 1, f"my_log_loss calls F.logsigmoid {logsigmoid.call_count} times.",
            "call it once, at z, for the 2's log probability; the 9's follows from it: what is sigma(-z) / sigma(z)?")
    hint = ("a 2 is charged -log sigma(z), which is -F.logsigmoid(z), and a 9 -log sigma(-z); weight each charge by "
            "its factor made from the target, add, and take the mean over the images (not the sum).")
    finite_hint = ("in 32 bits sigmoid(z) is exactly 1 from about z = 17, so log(1 - sigmoid(z)) is -inf: never form "
                   "the sigmoid; a 9's log probability log sigma(-z) is F.logsigmoid(-z).")
    _check_loss(my_log_loss, "my_log_loss", _BCE_WITH_LOGITS, hint, g, -30.0, 30.0, finite_hint)
    z = 60 * torch.rand(9, 1, generator=g) - 30
    t = 0.1 + 0.8 * torch.rand(9, 1, generator=g)
    loss = attempt(my_log_loss, z.clone(), t.clone())
    require(torch.allclose(loss, _BCE_WITH_LOGITS(z, t), atol=1e-4),
            "my_log_loss is right for targets of 0 and 1, but not for targets between them (such as 0.3): it does "
            "not weight the two logarithms by factors made from the target.",
            "use no comparison (no torch.where, no targets == 1): as in Exercise 1, the factor of log sigma(z) is 1 "
            "for a 2 and 0 for a 9, that of log sigma(-z) the other way round, and the two add up to 1.")
    return "my_log_loss agrees with F.binary_cross_entropy_with_logits for raw predictions up to +-30 and soft targets."


@checker("write my_log_loss_slope(z, targets): sigma(z) - 1 for a 2, your rule for a 9, in one expression.")
def check_log_loss_slope(my_log_loss_slope):
    "Compare my_log_loss_slope with autograd's slopes of each image's own log loss, on fresh random batches."
    g = _generator()
    for n in (7, 12):
        z, t = _batch(g, n, -6.0, 6.0)
        slopes = attempt(my_log_loss_slope, z.clone(), t.clone())
        require_tensor(slopes, (n, 1), "my_log_loss_slope(z, targets)")
        zz = z.clone().requires_grad_()
        F.binary_cross_entropy_with_logits(zz, t, reduction="sum").backward()
        exact, twos, nines = zz.grad, t == 1, t == 0
        if torch.allclose(slopes, exact, atol=1e-5):
            continue
        require(not torch.allclose(slopes * n, exact, atol=1e-5), f"your slopes are {n} times too small.",
                "give the slope of each image's own loss, not of the mean over the images.")
        require(torch.allclose(slopes[twos], exact[twos], atol=1e-5), "for the 2s your slopes are not sigma(z) - 1.",
                "the lesson measured a 2's slope and checked the rule sigma(z) - 1 (torch.sigmoid).")
        require(bool((slopes[nines] > 0).all()), "for the 9s some of your slopes are 0 or negative.",
                "a 9's log loss rises as z rises (the model leans towards 'a 2'), so its slope is positive. "
                "Since 1 - sigma(z) = sigma(-z), a 9's loss at z is a 2's loss at -z.")
        require(False, "for the 9s your slopes are not the slopes of log loss.",
                "compare a few with the lesson's slope(log_loss, z, 0.0), and use 1 - sigma(z) = sigma(-z): "
                "a 9's loss at z is a 2's loss at -z, so its slope at z is minus a 2's slope at -z.")
    z = 12 * torch.rand(9, 1, generator=g) - 6
    t = 0.1 + 0.8 * torch.rand(9, 1, generator=g)
    slopes = attempt(my_log_loss_slope, z.clone(), t.clone())
    zz = z.clone().requires_grad_()
    _BCE_WITH_LOGITS(zz, t, reduction="sum").backward()
    require(isinstance(slopes, torch.Tensor) and slopes.shape == z.shape and torch.allclose(slopes, zz.grad, atol=1e-5),
            "my_log_loss_slope is right for targets of 0 and 1, but not for targets between them (such as 0.3).",
            "write one expression with no comparison of the targets: weight a 2's rule by t and a 9's by 1 - t, as "
            "in Exercise 1, and simplify.")
    return "my_log_loss_slope gives the exact slope of log loss for 2s, 9s and soft targets alike."


@checker("write my_weight_slope: in 64-bit copies, nudge weights[i] up and down by h, and divide the loss's change by "
         "2 * h.")
def check_weight_slope(my_weight_slope):
    """Compare my_weight_slope with the exact slope from autograd on a fresh small random model given in 32-bit numbers,
    as the lesson's model is; the slope must be right to 3 significant digits, which a 1e-6 nudge in 32 bits is not."""
    g = _generator()
    n, k = 20, 6
    x = torch.rand(n, k, generator=g)
    y = (torch.rand(n, 1, generator=g) < 0.5).float()
    weights = torch.randn(k, 1, generator=g)
    bias = torch.randn(1, generator=g)
    mixed = ("PyTorch multiplies two tensors only if both have the same precision: make 64-bit copies of x, y, the "
             "weights and the bias (.double()) before you nudge.")
    for loss_func in (mnist_loss, log_loss):
        w = weights.double().requires_grad_()
        loss_func(linear1(x.double(), w, bias.double()), y.double()).backward()
        for i in torch.randperm(k, generator=g)[:3].tolist():
            kept = weights.clone()
            value = call(my_weight_slope, loss_func, x, y, kept, bias, i, hint=mixed, what="my_weight_slope")
            require(torch.equal(kept, weights), "my_weight_slope changed the weights it was given.",
                    "nudge copies (weights.clone() or .double()), so that the model is left as it was.")
            require(isinstance(value, (float, int)) or (isinstance(value, torch.Tensor) and value.numel() == 1),
                    f"my_weight_slope returned {type(value).__name__}, not one number.",
                    "return the change of the loss divided by the size of the move, with .item().")
            value, exact = float(value), w.grad[i, 0].item()
            if abs(value - exact) <= 1e-3 * abs(exact) + 1e-7:
                continue
            require(abs(value - 2 * exact) > 1e-3 * abs(exact) + 1e-7,
                    f"for weight {i} your slope is twice the true slope.",
                    "the two nudged weights are 2 * h apart: divide by that distance.")
            in_64_bits = float(call(my_weight_slope, loss_func, x.double(), y.double(), weights.double(),
                                    bias.double(), i, hint=mixed, what="my_weight_slope"))
            require(abs(in_64_bits - exact) > 1e-3 * abs(exact) + 1e-7,
                    f"for weight {i} with {loss_func.__name__}, your slope {value:.4g} is not right to 3 significant "
                    "digits, though it would be if you were given 64-bit numbers.",
                    "a nudge of 1e-6 moves a 32-bit loss by only a few of its smallest steps (the note on "
                    "floating-point numbers): nudge 64-bit copies, made with .double().")
            require(False, f"for weight {i} with {loss_func.__name__}, your slope {value:.4g} is not the true slope.",
                    "compute the loss of linear1(x, up, bias) and of linear1(x, down, bias), where up and down are "
                    "copies of the weights with weights[i] moved by +h and -h; divide the difference by 2 * h.")
    return "my_weight_slope matches the exact slope of both losses, to 3 significant digits, for random weights."
