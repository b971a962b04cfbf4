"""Checkers for the exercises of lesson 9 (09_backprop_by_hand.ipynb): a backward rule for tanh on the scalar engine,
the gradients of a linear layer by hand, and one training step of the engine. Each follows the contract in
helpers/exercises/__init__.py."""

import math

import torch

from helpers.exercises import call, checker, require, wrong


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
                "pass_back must add (+=) to a.grad, never set it (=): a value used twice collects both shares.")
    return "tanh passes back the right slope, and adds to what a already collected."


def _layer_gradients(x, w, b, dz):
    "Autograd's gradients of sum(z * dz) for z = x @ w + b: what a layer's backward pass must give."
    x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
    ((x @ w + b) * dz).sum().backward()
    return x.grad, w.grad, b.grad


@checker("write linear_backward(x, w, dz): return (dx, dw, db) for the layer z = x @ w + b, given dz.")
def check_linear_backward(func):
    "Fresh random layers of new shapes (never square, so a missing transpose shows); compared with autograd."
    for n, i, o in ((5, 3, 2), (7, 4, 6), (3, 6, 1)):
        x, w, b, dz = torch.randn(n, i), torch.randn(i, o), torch.randn(o), torch.randn(n, o)
        got = call(func, x, w, dz, hint="write the shapes down: only one product of two of x, w, dz (or their "
                                        "transposes) has the shape of the gradient you want.")
        require(isinstance(got, tuple | list) and len(got) == 3, "linear_backward should return three tensors.",
                "return dx, dw, db, in that order.")
        for name, g, want in zip(("dx", "dw", "db"), got, _layer_gradients(x, w, b, dz)):
            require(isinstance(g, torch.Tensor) and g.shape == want.shape,
                    f"{name} should have shape {tuple(want.shape)}, its parameter's or input's shape.",
                    "a gradient has the shape of what it is the gradient of.")
            if not torch.allclose(g, want, atol=1e-5):
                hint = ("b is added to every row: its gradient adds up the rows of dz."
                        if name == "db" else "check which factor is transposed, and on which side it stands.")
                raise wrong(f"{name} has the right shape but wrong numbers (x {n}x{i}, w {i}x{o}).", hint)
    return "dx, dw and db agree with autograd on three new layers."


@checker("write engine_step(params, make_loss, lr): set every parameter's grad to 0, build the loss, backward(), then "
         "move every parameter's data by -lr times its grad.")
def check_engine_step(func, scalar_class):
    "Three steps on a fresh quadratic, the parameters holding stale gradients at first; compared with plain descent."
    start, centre = torch.randn(3).tolist(), torch.randn(3).tolist()
    lr = 0.1 + 0.2 * torch.rand(1).item()
    params = [scalar_class(v) for v in start]
    for p in params:
        p.grad = 7.0  # left over from an earlier backward()

    def make_loss():
        return sum(((p - c) * (p - c) for p, c in zip(params, centre)), params[0] * params[1])

    want = list(start)
    for _ in range(3):
        call(func, params, make_loss, lr, returns=False, hint="read the error, and print p.data and p.grad.")
        grads = [2 * (want[0] - centre[0]) + want[1], 2 * (want[1] - centre[1]) + want[0], 2 * (want[2] - centre[2])]
        want = [v - lr * g for v, g in zip(want, grads)]
    got = [p.data for p in params]
    if all(abs(g - v) < 1e-9 for g, v in zip(got, want)):
        return "three steps of gradient descent, whatever the gradients held before."
    require(all(abs(g - v) > 1e-9 for g, v in zip(got, start)), "Some parameters never moved.",
            "change p.data, the number itself, for every parameter.")
    raise wrong("After three steps your parameters are not where gradient descent takes them.",
                "backward() adds to a parameter's grad: set it to 0 before each backward(), and step downhill.")
