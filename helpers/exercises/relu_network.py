"""Checkers for the exercises of lesson 7 (07_relu_network.ipynb): a ReLU layer, the absolute value built from two
ReLU units, and a tent built from ReLU units whose biases place their corners. Each follows the contract in
helpers/exercises/__init__.py."""

import inspect
import re

import torch
from torch import nn

from helpers.exercises import call, checker, require, require_tensor, wrong

HINT = "read the error; print the shape of each tensor in your function to see where it goes wrong."


# -- exercise 1: a ReLU layer --------------------------------------------------------------------------------------


# the ready-made ReLUs the exercise rules out
READY_MADE = re.compile(r"\b(clamp|clamp_|clamp_min|clamp_min_|clip|clip_|relu|relu_|ReLU)\b")


def _code_of(func):
    "The source of func without comments and docstrings' lines, or '' where Python cannot find it."
    try:
        lines = inspect.getsource(func).splitlines()
    except (OSError, TypeError):
        return ""
    return "\n".join(line.split("#")[0] for line in lines if not line.strip().startswith(('"', "'")))


@checker("write the class MyReLU(nn.Module), whose forward(x) turns every negative number of x into 0.")
def check_relu_layer(cls):
    "Build the learner's layer, run it on new tensors of several shapes inside nn.Sequential, and its gradient."
    layer = call(cls, hint="MyReLU() takes no arguments: define __init__(self) (calling super().__init__()) or none.",
                 what="MyReLU()")
    require(isinstance(layer, nn.Module), f"MyReLU() is a {type(layer).__name__}, not an nn.Module.",
            "write `class MyReLU(nn.Module):` so that it can sit in nn.Sequential like nn.ReLU().")
    found = READY_MADE.search(_code_of(type(layer).forward))
    require(found is None, f"Your forward uses `{found and found.group(0)}`, a ready-made ReLU.",
            "build it yourself: multiply x by a tensor that is 1 where x is positive and 0 elsewhere.")
    require(len(list(layer.parameters())) == 0, "Your layer has parameters: the ReLU learns nothing.",
            "keep no weights in the layer; forward only changes the numbers it is given.")
    for shape in [(int(torch.randint(3, 9, (1,))),), (int(torch.randint(2, 6, (1,))), 7), (2, 3, 5)]:
        x = torch.randn(shape) * 3
        x[..., 0] = 0.0  # a 0 stays 0
        given = x.clone()
        got = call(layer, x, hint=HINT, what="Your layer")
        require_tensor(got, shape, "Your layer's output")
        require(torch.equal(x, given), "Your layer changed the tensor it was given.",
                "return a new tensor (x * something, for example) instead of changing x in place.")
        if torch.equal(got, torch.relu(x)):
            continue
        require(not torch.equal(got, x.abs()), "Negative numbers came out positive: your layer takes absolute values.",
                "negative numbers become 0, not their opposite.")
        require(not torch.equal(got, -torch.relu(-x)), "Your layer keeps negative numbers and zeros positive ones.",
                "it is the positive numbers that pass unchanged.")
        raise wrong(f"For an input of shape {shape}, your layer's output is not the ReLU of it.",
                    "every negative number becomes 0, every other number stays as it is.")
    x = torch.randn(6, 4, requires_grad=True)
    out = call(nn.Sequential(nn.Linear(4, 4), layer, nn.Linear(4, 1)), x, hint=HINT, what="Your layer in nn.Sequential")
    out.sum().backward()
    require(x.grad is not None and x.grad.abs().sum() > 0, "No gradient flows back through your layer.",
            "compute the output with PyTorch operations on x (no .item(), no .detach(), no torch.tensor(...) copy).")
    return "Your layer is the ReLU, on new tensors of three shapes, and passes gradients back inside nn.Sequential."


# -- exercise 2: |x| from two bends -------------------------------------------------------------------------------


def _net(x, w1, b1, w2, b2):
    "simple_net, written out: the first layer, the ReLU, the second layer."
    return (x @ w1 + b1).clamp(min=0.0) @ w2 + b2


def _one_input_params(func, what, hidden_hint):
    "Call the learner's parameter function; check it returns [w1, b1, w2, b2] for one input, as float64 tensors."
    got = call(func, hint=HINT, what=what)
    require(isinstance(got, (list, tuple)) and len(got) == 4,
            f"{what} returned {type(got).__name__}, not a list of four tensors.", "return [w1, b1, w2, b2]")
    for value, name in zip(got, ["w1", "b1", "w2", "b2"]):
        require(isinstance(value, torch.Tensor), f"{name} should be a tensor, not {type(value).__name__}.",
                "build each parameter with torch.tensor(...) or torch.zeros(...), with float numbers like 1.0.")
    w1, b1, w2, b2 = (value.detach().double() for value in got)
    hidden = w1.shape[-1] if w1.dim() == 2 else 0
    require_tensor(w1, (1, hidden) if hidden else (1, hidden_hint), "w1")
    for value, shape, name in [(b1, (hidden,), "b1"), (w2, (hidden, 1), "w2"), (b2, (1,), "b2")]:
        require_tensor(value, shape, name)
    return w1, b1, w2, b2


@checker("write abs_params(): the [w1, b1, w2, b2] that make simple_net, with one input and two hidden units, "
         "compute |x|.")
def check_abs_net(func):
    "Run the network with the learner's parameters on new inputs of both signs (and 0); compare with |x|."
    w1, b1, w2, b2 = _one_input_params(func, "abs_params()", 2)
    hidden = w1.shape[1]
    n = int(torch.randint(20, 40, (1,)))
    x = torch.cat([torch.zeros(1, 1), -torch.rand(n, 1) * 9 - 0.1, torch.rand(n, 1) * 9 + 0.1]).double()
    out, want = _net(x, w1, b1, w2, b2), x.abs()
    if torch.allclose(out, want, rtol=1e-5, atol=1e-5):
        return f"With {hidden} hidden units, simple_net gives |x| on new inputs, negative ones, positive ones and 0."
    negative, positive = x[:, 0] < 0, x[:, 0] > 0
    for planted, what, hint in [
        (x.clamp(min=0.0), "Your network gives 0 for every negative input: only the positive side has a unit.",
         "a second unit can look at the other side of 0, if its weight in w1 makes its sum grow as x falls."),
        (x, "Your network gives x itself: for negative inputs its output is negative.",
         "a unit that is on for negative x must add to the output, not take away from it: check the signs in w2."),
        (-want, "Your network gives -|x|.", "flip the signs of the second layer's weights."),
    ]:
        require(not torch.allclose(out, planted, rtol=1e-5, atol=1e-5), what, hint)
    require(abs(out[0, 0].item()) < 1e-5, f"At x = 0 your network gives {out[0, 0].item():.3g}, not 0.",
            "|x| has its corner at 0: each unit switches on where x @ w1 + b1 crosses 0, so look at b1 and b2.")
    for side, name in [(negative, "negative"), (positive, "positive")]:
        bad = side & ~torch.isclose(out, want, rtol=1e-5, atol=1e-5)[:, 0]
        if bad.any():
            at = x[bad][0, 0].item()
            raise wrong(f"For the {name} input x = {at:.3g} your network gives {out[bad][0, 0].item():.3g}, "
                        f"not {abs(at):.3g}.", "|x| rises with slope 1 on both sides of 0: on each side exactly one "
                        "unit should be on, and its path through w1 and w2 should multiply x by +1 or -1.")
    raise wrong("Your network's outputs are not |x|.", "for each unit, work out where it is on and what it adds.")


# -- exercise 3: a tent, with biases that place the corners ----------------------------------------------------------


TENT_PIECES = [  # (where, what the tent does there, a hint that does not give the parameters away)
    ((-6.0, -1.0), "is 0 left of -1", "left of -1 every unit that is on must add nothing up: look at which units are "
     "on there (a unit is on where x * w1 + b1 > 0) and at b2."),
    ((-1.0, 0.0), "rises with slope 1 from 0 at x = -1 to 1 at x = 0", "a unit switches on where x * w1 + b1 = 0, "
     "at x = -b1 / w1: the tent's first corner is at -1, and a unit's slope in the output is its w1 times its w2."),
    ((0.0, 1.0), "falls with slope -1 from 1 at x = 0 to 0 at x = 1", "at x = 0 the slope must turn from +1 to -1; "
     "a unit that switches on there changes the slope by its w1 times its w2."),
    ((1.0, 6.0), "stays 0 right of 1", "at x = 1 the slope must turn from -1 back to 0: one more corner is needed "
     "there."),
]


@checker("write tent_params(): the [w1, b1, w2, b2] that make simple_net, with one input, draw the tent: 0 up to -1, "
         "1 at 0, 0 from 1 on.")
def check_tent_net(func):
    "Run the network with the learner's parameters on new inputs on every piece of the tent; compare piece by piece."
    w1, b1, w2, b2 = _one_input_params(func, "tent_params()", 3)
    for (lo, hi), does, hint in TENT_PIECES:
        x = torch.cat([torch.tensor([[lo], [hi]]), lo + torch.rand(int(torch.randint(10, 20, (1,))), 1) * (hi - lo)])
        x = x.double()
        out, want = _net(x, w1, b1, w2, b2), (1 - x.abs()).clamp(min=0.0)
        bad = ~torch.isclose(out, want, rtol=1e-5, atol=1e-5)[:, 0]
        if bad.any():
            at = x[bad][0, 0].item()
            raise wrong(f"The tent {does}, but at x = {at:.3g} your network gives {out[bad][0, 0].item():.3g}, "
                        f"not {want[bad][0, 0].item():.3g}.", hint)
    return (f"With {w1.shape[1]} hidden units, simple_net draws the tent on new inputs on all four of its pieces: "
            "each bias puts one corner in place.")
