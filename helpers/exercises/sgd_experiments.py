"""Checkers for the exercises of lesson 5 (05_sgd_experiments.ipynb); the contract is in helpers/exercises/__init__.py.

Each checker calls the learner's function on fresh random inputs of shapes the lesson never used, and compares what
it returns with PyTorch's autograd or with a reference loop computed here, never with a stored answer.
"""

import math
from unittest import mock

import torch

from helpers.exercises import ExerciseError, call, checker, require, require_tensor
from helpers.model import log_loss, mnist_loss

SHAPE_HINT = "print the shape of every tensor you combine; a matrix product (N, a) @ (b, 1) needs a == b."


def _grad_hint(hint, grad_hint):
    "The hint for a crash: `grad_hint` when backward() was refused (tensors that do not ask for gradients)."
    return lambda error: grad_hint if grad_hint and isinstance(error, RuntimeError) and "grad" in str(error) else hint


def _two_gradients(result, d, how):
    "The learner's (grad_w, grad_b): two tensors of shapes (d, 1) and (1,), in float64 to compare with autograd."
    require(isinstance(result, tuple | list) and len(result) == 2, "Return two things: (grad_w, grad_b).", how)
    grad_w, grad_b = result
    require_tensor(grad_w, (d, 1), "grad_w")
    require_tensor(grad_b, (1,), "grad_b")
    return grad_w.double(), grad_b.double()


@checker("write my_slope_of_slope(s): the slope along z of the sigmoid's slope s(1 - s), written with s alone.")
def check_slope_of_slope(func):
    "Exercise 1: the sigmoid's second slope from s = sigmoid(z) alone, compared with autograd's at fresh values."
    z = torch.randn(4, 9, dtype=torch.float64) * 3
    z[0, :4] = torch.tensor([0.0, -math.log(3), 20.0, -20.0], dtype=torch.float64)  # s = 0.5, 0.25, about 1, about 0
    s = z.sigmoid()
    with torch.no_grad():  # the learner gets s only: no z to differentiate
        curve = call(func, s.clone(), what="Calling my_slope_of_slope(s)", hint=SHAPE_HINT)
    require_tensor(curve, z.shape, "my_slope_of_slope(s)")
    leaf = z.clone().requires_grad_()
    (slope,) = torch.autograd.grad(leaf.sigmoid().sum(), leaf, create_graph=True)  # s(1 - s) at each z, as a graph
    slope.sum().backward()  # the slope of each point's slope, along its own z
    exact, curve = leaf.grad, curve.double()
    if torch.allclose(curve, exact, atol=1e-9):
        return "your slope of the slope matches autograd's at 36 values: 0 at s = 0.5, where the sigmoid is steepest."
    at_quarter = f"At s = 0.25 yours is {curve[0, 1].item():.4g}, which autograd does not confirm."
    require(not torch.allclose(curve, 1 - 2 * s, atol=1e-9), f"{at_quarter} You gave the slope along s.",
            "the exercise asks for the slope along z: the chain rule multiplies by s's own slope along z.")
    require(not torch.allclose(curve, s * (1 - s), atol=1e-9), f"{at_quarter} That is the sigmoid's slope itself.",
            "treat s(1 - s) as a new function of s, find its slope along s, then follow the chain to z.")
    require(not torch.allclose(curve, -exact, atol=1e-9), f"{at_quarter} Your sign is flipped.",
            "for z far below 0 the sigmoid's slope is still growing as z grows, so its slope there is positive.")
    raise ExerciseError(f"{at_quarter} Other values are off too.\nHint: write s(1 - s) = s - s**2; its slope along "
                        "s times the slope of s along z (section 3) is the slope along z.")


@checker("write my_log_loss_grad(xb, yb, weights, bias): the gradient of log loss, by hand.")
def check_log_loss_grad(func):
    "Exercise 2: the gradient of log loss for a batch, compared with autograd's on a fresh batch of another shape."
    n, d = 37, 12
    xb = torch.rand(n, d, dtype=torch.float64)
    yb = (torch.rand(n, 1) > 0.5).double()
    yb[:2] = torch.tensor([[1.0], [0.0]], dtype=torch.float64)  # both digits present
    weights, bias = torch.randn(d, 1, dtype=torch.float64), torch.randn(1, dtype=torch.float64)
    with torch.no_grad():  # by hand: autograd records nothing in here
        result = call(func, xb, yb, weights.clone(), bias.clone(),
                      what="Calling my_log_loss_grad on 37 images of 12 pixels",
                      hint="compute the gradient from your formula: the checker runs your function under "
                      "torch.no_grad(), where .backward() cannot work. And " + SHAPE_HINT)
    grad_w, grad_b = _two_gradients(result, d, "end with return grad_w, grad_b.")
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    log_loss(xb @ w + b, yb).backward()
    if torch.allclose(grad_w, w.grad) and torch.allclose(grad_b, b.grad):
        s = torch.sigmoid(torch.tensor(-6.0)).item()  # a 2 confidently called a 9, at z = -6
        return (f"your gradient matches autograd's. A 2 called a 9 at z = -6 pulls on z with {1 - s:.4f} under log "
                f"loss, {s * (1 - s):.4f} under the mnist loss.")
    require(not torch.allclose(grad_w / n, w.grad), f"Your gradient is {n} times too large (there were {n} images).",
            "the loss is the mean over the images, so each image's slope carries a factor 1/N.")
    require(not torch.allclose(grad_w * n, w.grad), f"Your gradient is {n} times too small (there were {n} images).",
            "divide by N once, not twice.")
    s = (xb @ weights + bias).sigmoid()
    nines_flipped = torch.where(yb == 1, s - 1, -s) / n  # right for the 2s, the wrong sign for the 9s
    require(not torch.allclose(grad_w, xb.T @ nines_flipped),
            "Your gradient is right for the 2s but has the wrong sign for the 9s.",
            "for a 9 the loss is -log(1 - s); the slope of log(1 - s) with respect to s is -1 / (1 - s).")
    raise ExerciseError("Your gradient differs from autograd's.\nHint: multiply the slope of the loss with respect to "
                        "s by the sigmoid's slope s * (1 - s); it simplifies to one short expression of s and y.")


@checker("write my_differences(f, w, j, h): the one-sided and the central difference of f along w[j]; then "
         "my_shrink(): your prediction of how much each one's error shrinks when h shrinks tenfold.")
def check_differences(func, shrink):
    """Exercise 3: both finite differences, compared with the formulas on a fresh curved function; then the learner's
    predicted shrink factors, compared with the errors measured on sin at 1."""
    w, c = torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64)

    def f(params):
        return ((params**3).sum() + (c * params.sin()).sum()).item()

    def nudged(j, step):
        moved = w.clone()
        moved[j] += step
        return f(moved)

    before, h = w.clone(), 1e-2
    results = [call(func, f, w, j, h, what=f"Calling my_differences(f, w, {j}, {h})", hint=SHAPE_HINT)
               for j in range(len(w))]
    require(torch.equal(w, before), "Your function changed w itself.",
            "nudge copies (w.clone()), so that the parameters are left as they were.")
    require(all(isinstance(r, tuple | list) and len(r) == 2 for r in results),
            "Return two numbers: (one_sided, central).", "end with return one_sided, central.")
    got = torch.tensor([[float(v) for v in r] for r in results], dtype=torch.float64)
    one_sided = torch.tensor([(nudged(j, h) - f(w)) / h for j in range(len(w))], dtype=torch.float64)
    central = torch.tensor([(nudged(j, h) - nudged(j, -h)) / (2 * h) for j in range(len(w))], dtype=torch.float64)
    close = lambda a, b: torch.allclose(a, b, rtol=1e-9, atol=1e-9)  # noqa: E731
    require(not (close(got[:, 0], central) and close(got[:, 1], one_sided)), "Your two results are swapped.",
            "return the one-sided difference first, then the central one.")
    require(not close(got[:, 1], 2 * central), "Your central difference is twice the slope.",
            "its two points are 2h apart, so divide their difference by 2h.")
    require(close(got[:, 0], one_sided), f"With h = {h} your one-sided difference is not (f(w + h) - f(w)) / h.",
            "nudge a copy of w up by h at position j only, and divide the change of f by h.")
    require(close(got[:, 1], central), f"With h = {h} your central difference is not (f(w + h) - f(w - h)) / 2h.",
            "take one point on each side of w, at w[j] + h and w[j] - h, and divide by the distance between them.")
    # their errors on one fixed curve, sin at 1, whose exact slope is cos(1): a table that is the same on every run
    point, rows, errors = torch.ones(1, dtype=torch.float64), [], []
    for step in (1e-1, 1e-2, 1e-3):
        one, two = (float(v) for v in func(lambda p: p.sin().sum().item(), point, 0, step))
        errors.append((abs(one - math.cos(1)), abs(two - math.cos(1))))
        rows.append(f"h = {step:g}: one-sided {errors[-1][0]:.0e}, central {errors[-1][1]:.0e}")
    predicted = call(shrink, what="Calling my_shrink()", hint="return two numbers: (one_sided, central).")
    require(isinstance(predicted, tuple | list) and len(predicted) == 2
            and all(isinstance(v, int | float) and v > 0 for v in predicted),
            "my_shrink() should return two positive numbers: (one_sided, central).",
            "end with return one_sided, central: by what factor each error shrinks when h shrinks tenfold.")
    # the measured factor per tenfold step, averaged (geometrically) over the two steps; a prediction within 1.5 times
    measured = [(errors[0][k] / errors[-1][k]) ** 0.5 for k in (0, 1)]
    for k, name in enumerate(["one-sided", "central"]):
        require(measured[k] / 1.5 < predicted[k] < measured[k] * 1.5,
                f"Both differences are right, but the {name} error does not shrink {predicted[k]:g}-fold.",
                "a one-sided difference errs by about h/2 times the slope of the slope; in the central one that "
                "term cancels between the two sides, and what is left grows like a higher power of h: which?")
    return "both differences are right, and so is your prediction. Their errors for sin at 1:\n" + "\n".join(rows)


def _batch_gradients(batches, weights, bias, scale):
    "Each mini-batch's mnist-loss gradient times scale(len(xb)), added up in .grad (plausible wrong answers)."
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    for xb, yb in batches:
        (mnist_loss(xb @ w + b, yb) * scale(len(xb))).backward()
    return w.grad, b.grad


@checker("write my_full_gradient(batches, weights, bias): GD's gradient, one backward() per mini-batch.")
def check_full_gradient(func):
    "Exercise 4: the gradient on all the images from mini-batches of unequal sizes, compared with autograd's on all."
    sizes, d = [16, 16, 16, 5], 9
    n = sum(sizes)
    x = torch.rand(n, d, dtype=torch.float64)
    y = (torch.rand(n, 1) > 0.5).double()
    weights, bias = torch.randn(d, 1, dtype=torch.float64) * 0.3, torch.randn(1, dtype=torch.float64) * 0.3
    batches = list(zip(x.split(sizes), y.split(sizes)))
    grad_hint = ("backward() needs tensors that ask for gradients: start from weights.clone().requires_grad_() and "
                 "the same for bias, and read their .grad at the end.")
    backward = torch.Tensor.backward
    with mock.patch.object(torch.Tensor, "backward", autospec=True, side_effect=backward) as counted:
        result = call(func, batches, weights.clone(), bias.clone(),
                      what=f"Calling my_full_gradient on mini-batches of {sizes}",
                      hint=_grad_hint(SHAPE_HINT, grad_hint))
    grad_w, grad_b = _two_gradients(result, d, "end with return w.grad, b.grad.")
    require(counted.call_count == len(sizes),
            f"Your function called backward() {counted.call_count} time(s) for {len(sizes)} mini-batches.",
            "call it once per mini-batch, on that mini-batch's own loss (no torch.cat), and let .grad add them up.")
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    mnist_loss(x @ w + b, y).backward()  # GD's gradient: all the images at once
    if torch.allclose(grad_w, w.grad) and torch.allclose(grad_b, b.grad):
        return (f"from {len(sizes)} mini-batches of {', '.join(map(str, sizes))} images you rebuilt the gradient "
                f"of all {n}: GD's step, computed in chunks.")
    mistakes = [(f"the sum of the {len(sizes)} mini-batches' gradients", batches, lambda m: 1.0),
                ("the plain mean of the mini-batches' gradients, which counts each image of the short last batch "
                 "more than the others", batches, lambda m: 1 / len(sizes)),
                (f"{n} times too large: the sum of the images' slopes, not their mean", batches, lambda m: m),
                ("the last mini-batch's share alone (was .grad zeroed, or were w and b made anew, for each?)",
                 batches[-1:], lambda m: m / n)]
    for mistake, some, scale in mistakes:
        require(not torch.allclose(grad_w, _batch_gradients(some, weights, bias, scale)[0]),
                f"Your gradient is {mistake}.", "each mini-batch's loss is the mean over its own images; what share "
                "of the mean over all the images does it make up?")
    raise ExerciseError("Your gradient differs from the one on all the images at once.\nHint: start from copies of "
                        "weights and bias with requires_grad_(), call backward() on each mini-batch's weighted loss, "
                        "and let .grad add them up.")
