"""Checkers for the exercises of lesson 9 (09_backprop_by_hand.ipynb): a backward rule for tanh on the scalar engine,
the gradients of a linear layer by hand, and the frozen units of a two-layer network. Each follows the contract in
helpers/exercises/__init__.py."""

import math

import torch

from helpers.exercises import call, checker, require, wrong
from helpers.model import linear1, mnist_loss


@checker("write scalar_tanh(a): a new Scalar made from a, holding tanh(a), whose pass_back adds the local slope "
         "times the result's gradient to a.grad.")
def check_scalar_tanh(func, scalar_class):
    "Fresh values: tanh alone, then tanh(a) * a, where a collects a gradient along two paths; compared with PyTorch."
    for value in (torch.randn(3) * 1.5).tolist():
        a = scalar_class(value)
        out = call(func, a, hint="build the result with Scalar(value, (a,), 'tanh') and give it a pass_back.")
        require(isinstance(out, scalar_class), f"scalar_tanh returned {type(out).__name__}, not a Scalar.",
                "return a new Scalar made from a, so that backward() can find a.")
        require(abs(out.data - math.tanh(value)) < 1e-9, f"scalar_tanh({value:.3f}) holds {out.data:.4g}.",
                "the value is math.tanh(a.data).")
        out.backward()
        t = math.tanh(value)
        require(abs(a.grad) > 0 or abs(1 - t * t) < 1e-12, "a.grad is still 0 after backward().",
                "make a a parent of the result and set the result's pass_back.")
        require(abs(a.grad - (1 - t * t)) < 1e-9, f"At a = {value:.3f} the slope passed back is {a.grad:.4g}.",
                "differentiate tanh: its slope can be written with tanh(a) itself.")
        b = scalar_class(value)
        (func(b) * b).backward()  # b reaches the result through tanh and directly
        tb = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        (torch.tanh(tb) * tb).backward()
        require(abs(b.grad - tb.grad.item()) < 1e-9,
                f"For tanh(b) * b at b = {value:.3f}, b.grad is {b.grad:.4g}: one of its two paths was lost.",
                "pass_back must add (+=) to a.grad, never set it (=): a value used twice collects both contributions.")
    return "tanh passes back the right slope, and adds to what a already collected."


def _layer_gradients(x, w, b, dz):
    "Autograd's gradients of sum(z * dz) for z = x @ w.T + b (nn.Linear's layout): what the backward pass must give."
    x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
    ((x @ w.T + b) * dz).sum().backward()
    return x.grad, w.grad, b.grad


@checker("write linear_backward(x, w, dz): return (dx, dw, db) for the layer z = x @ w.T + b, with w of shape "
         "(n_out, n_in), given dz.")
def check_linear_backward(func):
    """Fresh random layers of new shapes, compared with autograd. The first is square (N = n_in = n_out) and the second
    has n_in = n_out, where the shapes alone cannot tell a product from its transpose; the others are not square."""
    for n, n_in, n_out in ((4, 4, 4), (6, 3, 3), (7, 4, 6), (3, 6, 1)):
        x, w, b, dz = torch.randn(n, n_in), torch.randn(n_out, n_in), torch.randn(n_out), torch.randn(n, n_out)
        got = call(func, x, w, dz, hint="write the shapes of x, w and dz down, and the shape each gradient must have; "
                                        "then check one entry with the chain rule.")
        require(isinstance(got, tuple | list) and len(got) == 3, "linear_backward should return three tensors.",
                "return dx, dw, db, in that order.")
        for name, g, want in zip(("dx", "dw", "db"), got, _layer_gradients(x, w, b, dz)):
            require(isinstance(g, torch.Tensor) and g.shape == want.shape,
                    f"{name} should have shape {tuple(want.shape)}, its parameter's or input's shape.",
                    "a gradient has the shape of what it is the gradient of.")
            if not torch.allclose(g, want, atol=1e-5):
                if name == "db":
                    hint = "b is added to every row: its gradient adds up the rows of dz."
                elif n_in == n_out:
                    hint = (f"here w is {n_out}x{n_in}, so the shapes cannot tell a product from its transpose: write "
                            f"z[i, j] as a sum over k, and find which entries of w and dz meet in {name}'s entries.")
                else:
                    hint = "check which factor is transposed, and on which side it stands."
                raise wrong(f"{name} has the right shape but wrong numbers (x {n}x{n_in}, w {n_out}x{n_in}).", hint)
    return "dx, dw and db agree with autograd on four new layers, two of them with as many outputs as inputs."


def _planted_units(n_images, hidden):
    """Fresh first-layer sums z1 (images, units) and second-layer weights w2 (units, 1), with frozen units planted at
    random: off for every image (one of them with sums of exactly 0 for some images), outgoing weight exactly 0 while
    on for every image, and one unit both. Beside them, live units that look alike: one on for a single image, one
    with a negative outgoing weight and one with a positive one.

    Returns (z1, w2, kinds): kinds maps "off", "edge", "zero", "both", "lonely", "negative" and "positive" to their
    units."""
    z1, w2 = torch.randn(n_images, hidden), 0.5 * torch.randn(hidden, 1)
    w2 += 0.1 * w2.sign()  # no outgoing weight near 0 but the planted ones
    units = torch.randperm(hidden).tolist()
    n_off, n_zero = 1 + int(torch.randint(2, ())), 1 + int(torch.randint(2, ()))
    kinds = {"edge": units[:1], "both": units[1:2], "lonely": units[2:3], "negative": units[3:4],
             "positive": units[4:5], "off": units[5:5 + n_off], "zero": units[5 + n_off:5 + n_off + n_zero]}
    for unit in kinds["off"] + kinds["both"] + kinds["lonely"]:
        z1[:, unit] = -torch.rand(n_images) - 0.1  # below 0 for every image ...
    z1[int(torch.randint(n_images, ())), kinds["lonely"][0]] = torch.rand(()) + 0.1  # ... but one image for this one
    edge = kinds["edge"][0]
    z1[:, edge] = -torch.rand(n_images) - 0.1
    z1[torch.randperm(n_images)[:n_images // 2], edge] = 0.0  # exactly 0 for half of the images: off there too
    for unit in kinds["zero"]:
        z1[:, unit] = torch.rand(n_images) + 0.1  # on for every image, but nothing comes back through w2
    w2[kinds["zero"] + kinds["both"]] = 0.0
    w2[kinds["negative"]] = -w2[kinds["negative"]].abs()
    w2[kinds["positive"]] = w2[kinds["positive"]].abs()
    return z1, w2, kinds


def _frozen_by_autograd(z1, w2):
    """The units whose column of dL/dZ1 autograd finds all 0 for the mnist loss on random targets: step 5 builds a
    unit's gradients of w1 (X.T @ dZ1) and b1 (column sums) from that column alone, so they are 0 too. In float64, so
    that no sigmoid rounds to exactly 0 or 1."""
    z1 = z1.double().requires_grad_()
    y = (torch.rand(len(z1), 1) < 0.5).double()
    mnist_loss(linear1(torch.relu(z1), w2.double(), torch.zeros(1, dtype=torch.float64)), y).backward()
    return sorted((z1.grad == 0).all(0).nonzero().flatten().tolist())


@checker("write frozen_units(z1, w2): the indices of the hidden units whose incoming weights (column of w1, entry of "
         "b1) get a gradient of exactly 0 from this mini-batch, found from z1 and w2 alone.")
def check_frozen_units(func):
    "Fresh sums and weights with frozen units of both kinds planted at random, compared with autograd."
    for n_images, hidden in ((20, 10), (33, 14), (12, 9)):
        z1, w2, kinds = _planted_units(n_images, hidden)
        frozen = _frozen_by_autograd(z1, w2)
        assert frozen == sorted(kinds["off"] + kinds["edge"] + kinds["zero"] + kinds["both"])  # as planted
        got = call(func, z1.clone(), w2.clone(), hint="a row of z1 is one image and a column one unit; w2 has one "
                                                      "row per unit.")
        got = torch.as_tensor(got).flatten()
        require(got.dtype != torch.bool, "frozen_units returned a mask of True/False, not indices.",
                "turn the mask into the positions where it is True, with .nonzero().")
        got = [int(i) for i in got.tolist()]
        if not got or any(not 0 <= i < hidden for i in got):
            raise wrong(f"frozen_units returned {sorted(got)}, on a layer of {hidden} hidden units with some frozen.",
                        "a row of z1 is one image and a column one unit: 'for every image' runs down the rows.")
        require(len(set(got)) == len(got), f"frozen_units listed a unit twice: {sorted(got)}.",
                "a unit frozen for both reasons is still one unit: combine the two conditions before you turn them "
                "into indices.")
        missed, extra = set(frozen) - set(got), set(got) - set(frozen)
        if missed & set(kinds["zero"]):
            raise wrong(f"frozen_units missed unit(s) {sorted(missed & set(kinds['zero']))}, which are on for every "
                        "image.", "step 3: dH = dz2 @ W2.T. What does unit j's column of dH hold when W2[j] is 0?")
        if missed - set(kinds["edge"]):
            raise wrong(f"frozen_units missed unit(s) {sorted(missed)}, which are off for every image.",
                        "step 4: dZ1 = dH * [Z1 > 0]. What is unit j's column of dZ1 when its sums are never above 0?")
        if missed:
            raise wrong(f"frozen_units missed unit {kinds['edge'][0]}, whose sum is exactly 0 for some images and "
                        "below 0 for the others.", "step 4: at exactly 0 the ReLU gives 0, and its slope there is 0.")
        if extra == {i for i in range(hidden) if w2[i] < 0} - set(frozen):  # just the live units with w2 below 0
            raise wrong(f"frozen_units found unit(s) {sorted(extra)}, whose outgoing weights are negative.",
                        "a negative weight still passes the gradient back (with its sign flipped): only 0 stops it.")
        if extra:
            raise wrong(f"frozen_units found unit(s) {sorted(extra)}, which get a gradient from some image.",
                        "one image that turns a unit on (while its outgoing weight is not 0) is enough to move its "
                        "incoming weights.")
    return ("autograd gives the units you found a gradient of exactly 0, and every other unit some gradient: both "
            "kinds of frozen unit.")
