"""Backpropagation by hand (lesson 9): the two-layer network's gradients without autograd, and a tiny autograd engine.

`forward_two_layer` runs lesson 7's network and the mnist loss, keeping what it computes on the way;
`backward_two_layer` goes back through those results with the chain rule, in matrix form, to every gradient.
`Scalar` is an automatic-differentiation engine for single numbers, after the design of Andrej Karpathy's micrograd
(https://github.com/karpathy/micrograd), in our own code: each value remembers the values it was made from and how to
pass a gradient back to them; its operations are functions given to the class one at a time; `topological_order`
lists the values so that each comes after the values it was made from, `backward` walks that list in reverse, and
`draw_graph` (a drawing utility, not taught) draws them.

Every function and class here but `draw_graph` is written out in 09_backprop_by_hand.ipynb first (see TAUGHT_IN).
"""

import math

import matplotlib.pyplot as plt
import torch

from helpers.model import check_shapes, linear1
from helpers.nets import relu

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "forward_two_layer": "09_backprop_by_hand.ipynb",
    "backward_two_layer": "09_backprop_by_hand.ipynb",
    "Scalar": "09_backprop_by_hand.ipynb",
    "scalar_add": "09_backprop_by_hand.ipynb",
    "scalar_mul": "09_backprop_by_hand.ipynb",
    "topological_order": "09_backprop_by_hand.ipynb",
    "backward": "09_backprop_by_hand.ipynb",
    "unary_op": "09_backprop_by_hand.ipynb",
    "scalar_relu": "09_backprop_by_hand.ipynb",
    "scalar_sigmoid": "09_backprop_by_hand.ipynb",
    "scalar_neg": "09_backprop_by_hand.ipynb",
    "scalar_sub": "09_backprop_by_hand.ipynb",
    "scalar_rsub": "09_backprop_by_hand.ipynb",
}


# -- the two-layer network, by hand -------------------------------------------------------------------------


def forward_two_layer(xb, yb, params):
    """The forward pass of lesson 7's network and the mnist loss, without autograd: (loss, cache).

    The cache keeps what the backward pass needs besides the parameters and the mini-batch itself (xb gives w1's
    gradient): z1 (the hidden sums before the ReLU), h (after it) and s (the predictions after the sigmoid).
    """
    w1, b1, w2, b2 = params
    with torch.no_grad():
        z1 = linear1(xb, w1, b1)  # (N, hidden)
        h = relu(z1)  # (N, hidden)
        z2 = linear1(h, w2, b2)  # (N, 1)
        check_shapes(z2, yb)
        s = z2.sigmoid()  # (N, 1)
        loss = torch.where(yb == 1, 1 - s, s).mean()
    return loss, {"z1": z1, "h": h, "s": s}


def backward_two_layer(xb, yb, params, cache):
    "The chain rule from the loss back to every parameter, without autograd: [gw1, gb1, gw2, gb2], shaped as params."
    w2 = params[2]  # the only parameter the backward pass needs
    z1, h, s = cache["z1"], cache["h"], cache["s"]
    with torch.no_grad():
        dz2 = torch.where(yb == 1, -s * (1 - s), s * (1 - s)) / len(xb)  # (N, 1): step 1
        gw2 = h.T @ dz2  # (hidden, N) @ (N, 1) -> (hidden, 1)
        gb2 = dz2.sum(0)  # (1,)
        dh = dz2 @ w2.T  # (N, 1) @ (1, hidden) -> (N, hidden)
        dz1 = dh * (z1 > 0)  # the ReLU passes the gradient back only where it let the value through
        gw1 = xb.T @ dz1  # (784, N) @ (N, hidden) -> (784, hidden)
        gb1 = dz1.sum(0)  # (hidden,)
    return [gw1, gb1, gw2, gb2]


# -- a tiny automatic-differentiation engine (after Karpathy's micrograd, written our own way) ----------------


class Scalar:
    """One number in a computation: its value, its gradient, the values it was made from and how to pass a gradient
    back to them. Its operations are functions written one at a time below, then given to the class."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0  # how the final result changes with this value, filled in by backward()
        self.parents = parents  # the values this one was computed from
        self.op = op  # the operation that made it ("" for a number we typed in)
        self.label = label
        self.pass_back = lambda: None  # set by the operation that made this value

    def __repr__(self):
        return f"Scalar({self.label or self.op or 'number'}: data={self.data:.4g}, grad={self.grad:.4g})"


def scalar_add(a, b):
    "a + b (b may be a plain number). Both local slopes are 1: each parent gets the result's gradient unchanged."
    b = b if isinstance(b, Scalar) else Scalar(b)
    out = Scalar(a.data + b.data, (a, b), "+")

    def pass_back():
        a.grad += out.grad  # += : a value used twice collects a share from each use
        b.grad += out.grad

    out.pass_back = pass_back
    return out


Scalar.__add__ = Scalar.__radd__ = scalar_add  # a + b, and 2 + a


def scalar_mul(a, b):
    "a * b (b may be a plain number). The local slope for each parent is the other factor."
    b = b if isinstance(b, Scalar) else Scalar(b)
    out = Scalar(a.data * b.data, (a, b), "*")

    def pass_back():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out.pass_back = pass_back
    return out


Scalar.__mul__ = Scalar.__rmul__ = scalar_mul  # a * b, and 2 * a


def topological_order(root):
    "Every value that `root` was computed from, and root itself, each once and after all the values it was made from."
    order, seen = [], set()

    def visit(value):
        if value not in seen:
            seen.add(value)
            for parent in value.parents:
                visit(parent)  # first everything this value was made from ...
            order.append(value)  # ... then the value itself

    visit(root)
    return order


def backward(root):
    """Fill in how `root` changes with every value it was computed from. The results in between start again from 0;
    the values made from nothing (inputs, parameters) add to the gradient they already hold, as PyTorch's do."""
    order = topological_order(root)
    for value in order:
        if value.parents:
            value.grad = 0.0  # a result: recomputed from scratch
    root.grad = 1.0  # d(root)/d(root)
    for value in reversed(order):  # each value after every value made from it
        value.pass_back()


Scalar.backward = backward


def unary_op(a, value, slope, op):
    "A Scalar made from `a` alone, holding `value`; pass_back hands `a` the result's gradient times `slope`."
    out = Scalar(value, (a,), op)

    def pass_back():
        a.grad += slope * out.grad

    out.pass_back = pass_back
    return out


def scalar_relu(a):
    "max(a, 0): slope 1 where a is positive, else 0."
    return unary_op(a, max(a.data, 0.0), 1.0 if a.data > 0 else 0.0, "relu")


def scalar_sigmoid(a):
    "1 / (1 + e**-a): slope s * (1 - s), lesson 5."
    s = 1 / (1 + math.exp(-a.data))
    return unary_op(a, s, s * (1 - s), "sigmoid")


def scalar_neg(a):
    "-a, which is a * -1."
    return scalar_mul(a, -1.0)


def scalar_sub(a, b):
    "a - b, which is a + (-b)."
    return scalar_add(a, -b)


def scalar_rsub(a, b):
    "b - a, for a plain number b: (-a) + b."
    return scalar_add(scalar_neg(a), b)


Scalar.relu, Scalar.sigmoid = scalar_relu, scalar_sigmoid
Scalar.__neg__, Scalar.__sub__, Scalar.__rsub__ = scalar_neg, scalar_sub, scalar_rsub


def draw_graph(root):
    """Draw the computation graph of `root`: one box per value (its name, "c = a * b" for a labelled result of labelled
    values, else its operation; its data and its grad; inputs blue, results yellow), each column one operation further
    from `root`, which stands on the right; arrows point from a value to its results, and an arrow into a `+` or a `*`
    carries its local slope (1, or the other factor).
    """
    order = topological_order(root)
    steps = {root: 0}  # for each value: the most operations on a path from it to root
    for value in reversed(order):
        for parent in value.parents:
            steps[parent] = max(steps.get(parent, 0), steps[value] + 1)
    columns = {}
    for value in order:
        columns.setdefault(steps[value], []).append(value)
    place = {v: (-step, (len(vs) - 1) / 2 - row) for step, vs in columns.items() for row, v in enumerate(vs)}
    tallest = max(len(vs) for vs in columns.values())
    _, ax = plt.subplots(figsize=(1.5 * len(columns) + 0.5, 0.9 * tallest + 0.5))
    ax.set_xlim(-len(columns) + 0.5, 0.5)
    ax.set_ylim(-tallest / 2, tallest / 2)
    boxes = {}
    for value in order:
        name = value.label or value.op or "constant"
        if value.label and value.op in ("+", "*") and all(p.label for p in value.parents):  # "c = a * b"
            name = f"{value.label} = {value.parents[0].label} {value.op} {value.parents[1].label}"
        text = f"{name}\n{value.data:.4g}\ngrad {value.grad:.4g}"
        colour = "lightyellow" if value.parents else "lightblue"  # results yellow, inputs blue
        boxes[value] = ax.text(*place[value], text, ha="center", va="center", fontsize=8,
                               bbox={"boxstyle": "round", "facecolor": colour})
    for value in order:
        for k, parent in enumerate(value.parents):  # an arrow from each value to the result made from it
            bend = -0.3 if steps[parent] - steps[value] > 1 else 0.0  # an arrow that skips a column curves over it
            ax.annotate("", xy=place[value], xytext=place[parent], arrowprops={
                "arrowstyle": "->", "color": "grey", "patchA": boxes[parent].get_bbox_patch(),
                "patchB": boxes[value].get_bbox_patch(), "connectionstyle": f"arc3,rad={bend}"})
            slope = 1.0 if value.op == "+" else value.parents[1 - k].data if value.op == "*" else None
            if slope is not None:  # the local slope that the backward pass multiplies by, at the arrow's middle
                (x0, y0), (x1, y1) = ax.transData.transform([place[parent], place[value]])
                middle = ((x0 + x1) / 2 + bend * (y1 - y0) / 2, (y0 + y1) / 2 - bend * (x1 - x0) / 2)  # arc3's
                ax.text(*ax.transData.inverted().transform(middle), f"× {slope:.4g}", ha="center", va="bottom",
                        fontsize=8, color="darkred")
    ax.axis("off")
    return ax
