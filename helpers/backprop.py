"""Backpropagation by hand (lesson 8): the two-layer network's gradients without autograd, and a tiny autograd engine.

`forward_two_layer` runs lesson 7's network and the mnist loss, keeping what it computes on the way;
`backward_two_layer` goes back through those results with the chain rule, in matrix form, to every gradient.
`Scalar` is an automatic-differentiation engine for single numbers: each value remembers the values it was made from
and how to pass a gradient back to them; `topological_order` lists the values so that each comes after the values it
was made from, and `draw_graph` draws them.

Every function and class here is written out in 08_backprop_by_hand.ipynb first (see TAUGHT_IN).
"""

import math

import matplotlib.pyplot as plt
import torch

from helpers.model import check_shapes, linear1
from helpers.nets import relu

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "forward_two_layer": "08_backprop_by_hand.ipynb",
    "backward_two_layer": "08_backprop_by_hand.ipynb",
    "Scalar": "08_backprop_by_hand.ipynb",
    "topological_order": "08_backprop_by_hand.ipynb",
    "draw_graph": "08_backprop_by_hand.ipynb",
}


# -- the two-layer network, by hand -------------------------------------------------------------------------


def forward_two_layer(xb, yb, params):
    """The forward pass of lesson 7's network and the mnist loss, without autograd: (loss, cache).

    The cache keeps what the backward pass needs: z1 (the hidden sums before the ReLU), h (after it) and s (the
    predictions after the sigmoid).
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
    """The backward pass: the chain rule from the loss back to every parameter, without autograd.

    Returns the gradients [gw1, gb1, gw2, gb2], each of the same shape as its parameter.
    """
    w2 = params[2]  # the only parameter the backward pass needs
    z1, h, s = cache["z1"], cache["h"], cache["s"]
    with torch.no_grad():
        dz2 = torch.where(yb == 1, -s * (1 - s), s * (1 - s)) / len(xb)  # (N, 1): lesson 5's g
        gw2 = h.T @ dz2  # (hidden, N) @ (N, 1) -> (hidden, 1)
        gb2 = dz2.sum(0)  # (1,)
        dh = dz2 @ w2.T  # (N, 1) @ (1, hidden) -> (N, hidden)
        dz1 = dh * (z1 > 0)  # the ReLU passes the gradient back only where it let the value through
        gw1 = xb.T @ dz1  # (784, N) @ (N, hidden) -> (784, hidden)
        gb1 = dz1.sum(0)  # (hidden,)
    return [gw1, gb1, gw2, gb2]


# -- a tiny automatic-differentiation engine ----------------------------------------------------------------


class Scalar:
    """One number in a computation: its value, its gradient, the values it was made from and how to pass a gradient
    back to them. It knows +, -, * (a plain number on either side too), ** a plain number, exp, sigmoid and relu."""

    def __init__(self, data, parents=(), op="", label=""):
        self.data = float(data)
        self.grad = 0.0  # how the final result changes with this value, filled in by backward()
        self.parents = parents  # the values this one was computed from
        self.op = op  # the operation that made it ("" for a number we typed in)
        self.label = label
        self.pass_back = lambda: None  # set by the operation that made this value

    def __repr__(self):
        return f"Scalar({self.label or self.op or 'number'}: data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data + other.data, (self, other), "+")

        def pass_back():
            self.grad += out.grad  # d(a + b)/da = 1
            other.grad += out.grad  # d(a + b)/db = 1
        out.pass_back = pass_back
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Scalar) else Scalar(other)
        out = Scalar(self.data * other.data, (self, other), "*")

        def pass_back():
            self.grad += other.data * out.grad  # d(a * b)/da = b
            other.grad += self.data * out.grad  # d(a * b)/db = a
        out.pass_back = pass_back
        return out

    def __pow__(self, power):
        assert isinstance(power, int | float), "the power must be a plain number"
        out = Scalar(self.data**power, (self,), f"**{power}")

        def pass_back():
            self.grad += power * self.data ** (power - 1) * out.grad  # d(a**p)/da = p * a**(p - 1)
        out.pass_back = pass_back
        return out

    def exp(self):
        out = Scalar(math.exp(self.data), (self,), "exp")

        def pass_back():
            self.grad += out.data * out.grad  # the slope of e**a is e**a itself
        out.pass_back = pass_back
        return out

    def sigmoid(self):
        out = Scalar(1 / (1 + math.exp(-self.data)), (self,), "sigmoid")

        def pass_back():
            self.grad += out.data * (1 - out.data) * out.grad  # lesson 5: s * (1 - s)
        out.pass_back = pass_back
        return out

    def relu(self):
        out = Scalar(max(self.data, 0.0), (self,), "relu")

        def pass_back():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad  # slope 1 where positive, else 0
        out.pass_back = pass_back
        return out

    def __neg__(self):  # -a
        return self * -1

    def __sub__(self, other):  # a - b
        return self + (-other)

    def __radd__(self, other):  # number + a
        return self + other

    def __rsub__(self, other):  # number - a
        return (-self) + other

    def __rmul__(self, other):  # number * a
        return self * other

    def backward(self):
        "Fill in the .grad of every value this one was computed from: how this value changes with each of them."
        self.grad = 1.0  # d(self)/d(self)
        for value in reversed(topological_order(self)):
            value.pass_back()


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


def draw_graph(root):
    """Draw the computation graph of `root`: one box per value (its operation or name, its data and its grad), each
    column one operation further from `root`, which stands on the right; arrows point from a value to its results.
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
    boxes = {}
    for value in order:
        text = f"{value.label or value.op or 'constant'}\n{value.data:.4g}\ngrad {value.grad:.4g}"
        colour = "lightyellow" if value.parents else "lightblue"  # results yellow, inputs blue
        boxes[value] = ax.text(*place[value], text, ha="center", va="center", fontsize=8,
                               bbox={"boxstyle": "round", "facecolor": colour})
    for value in order:
        for parent in value.parents:  # an arrow from each value to the result made from it
            ax.annotate("", xy=place[value], xytext=place[parent], arrowprops={
                "arrowstyle": "->", "color": "grey", "patchA": boxes[parent].get_bbox_patch(),
                "patchB": boxes[value].get_bbox_patch()})
    ax.set_xlim(-len(columns) + 0.5, 0.5)
    ax.set_ylim(-tallest / 2, tallest / 2)
    ax.axis("off")
    return ax
