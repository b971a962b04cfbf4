"""Checkers for the exercises of lesson 9 (09_backprop_by_hand.ipynb): a backward rule for tanh on the scalar engine,
the gradients of a linear layer by hand, and the dead units of a two-layer network. Each follows the contract in
helpers/exercises/__init__.py."""

import math

import torch

from helpers.exercises import call, checker, require, wrong
from helpers.model import linear1, mnist_loss
from helpers.nets import init_two_layer


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


def _planted_network(n_images, hidden):
    """Fresh images and a fresh network with units planted dead, one unit on for a single image, and one unit whose sum
    is exactly 0 for some images and below 0 for the others (dead too: at 0 the ReLU's slope is 0).

    Returns (x, params, dead, edge): params as plain tensors, dead the sorted dead units, edge the exact-0 one."""
    x = torch.rand(n_images, 28 * 28) * (torch.rand(n_images, 28 * 28) < 0.3)  # about 30% of the pixels inked
    params = [p.detach() for p in init_two_layer(hidden)]
    units = torch.randperm(hidden)
    planted, lonely, edge = units[:1 + int(torch.randint(3, ()))].tolist(), int(units[-1]), int(units[-2])
    z1 = linear1(x, params[0], params[1])
    params[1][:] = -z1.median(0).values  # every unit on for about half of the images ...
    params[1][planted] = -100.0  # ... but these: pixels lie in [0, 1], so their sums are below 0 for every image
    top2 = z1[:, lonely].topk(2).values
    params[1][lonely] = -top2.mean()  # on for the one image with the largest sum, off for the others
    pixel = int(((x > 0).float().mean(0) - 0.5).abs().argmin())  # a pixel inked in about half of the images
    params[0][:, edge], params[1][edge] = 0.0, 0.0
    params[0][pixel, edge] = -1.0  # sum -x[i, pixel]: exactly 0 where that pixel is blank, below 0 where inked
    return x, params, sorted(planted + [edge]), edge


def _gradients_of_units(x, params, units):
    "Autograd's largest gradient (absolute value) for these units' column of w1, bias and entry of w2, ReLU as torch's."
    w1, b1, w2, b2 = (p.clone().requires_grad_() for p in params)
    y = (torch.rand(len(x), 1) < 0.5).float()
    mnist_loss(linear1(torch.relu(linear1(x, w1, b1)), w2, b2), y).backward()
    return max(w1.grad[:, units].abs().max(), b1.grad[units].abs().max(), w2.grad[units].abs().max())


@checker("write dead_units(x, params): the indices of the hidden units that get a gradient from none of the "
         "images (rows) of x, found from the forward pass alone.")
def check_dead_units(func):
    "Fresh images and networks with dead units planted at random (one with sums of exactly 0), and one unit on once."
    for n_images, hidden in ((40, 9), (25, 12)):
        x, params, dead, edge = _planted_network(n_images, hidden)
        got = call(func, x, [p.clone() for p in params],
                   hint="compute Z1 = linear1(x, w1, b1): one row per image, one column per unit.")
        got = torch.as_tensor(got).flatten()
        require(got.dtype != torch.bool, "dead_units returned a mask of True/False, not indices.",
                "turn the mask into the positions where it is True, with .nonzero().")
        got = sorted(int(i) for i in got.tolist())
        if not got or any(i >= hidden for i in got):
            raise wrong(f"dead_units returned {got}, on a network of {hidden} hidden units with some dead.",
                        "a row of Z1 is one image and a column one unit: 'for every image' runs down the rows.")
        if got == [u for u in dead if u != edge]:
            raise wrong(f"dead_units missed unit {edge}, whose sum is exactly 0 for some images and below 0 for the "
                        "others.", "step 4: at exactly 0 the ReLU gives 0, and its slope there is 0.")
        if got != dead:
            raise wrong(f"dead_units found units {got}: on this new network, not the units that get no gradient.",
                        "a unit is dead only if it is off for EVERY image: one image that turns it on is enough to "
                        "keep it learning.")
        assert _gradients_of_units(x, params, dead) == 0  # autograd agrees: no gradient reaches them
    return "the units you found get a gradient of exactly 0 from autograd: plain SGD would never change them."
