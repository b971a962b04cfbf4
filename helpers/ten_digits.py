"""All ten digits (lesson 11): softmax, log-softmax, cross-entropy and its gradient by hand, the linear model trained
with them, and the three ten-digit models with their recipes.

Every function here is written out in lesson 11 first (see TAUGHT_IN); the benchmark (benchmarks/ten_digits.py)
imports them from here.
"""

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from helpers.model import linear1
from helpers.nets import RandomShift, make_dls, simple_cnn

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "softmax": "11_ten_digits.ipynb",
    "log_softmax": "11_ten_digits.ipynb",
    "cross_entropy": "11_ten_digits.ipynb",
    "cross_entropy_grad": "11_ten_digits.ipynb",
    "train_linear_ten": "11_ten_digits.ipynb",
    "ten_digit_accuracy": "11_ten_digits.ipynb",
    "two_layer_ten": "11_ten_digits.ipynb",
    "cnn_ten": "11_ten_digits.ipynb",
    "fit_ten": "11_ten_digits.ipynb",
}

# The recipes, chosen on the embedded validation images (1,000, 100 of each digit) over seeds; the official MNIST test
# set chose nothing: benchmarks/ten_digits.py only measures them on it afterwards.
LINEAR_TEN_RECIPE = {"lr": 0.5, "batch_size": 64, "epochs": 20}  # plain SGD, constant rate, the hand-written loop
TWO_LAYER_TEN_RECIPE = {"hidden": 200, "shift": 1, "lr": 0.5, "batch_size": 64, "epochs": 40}  # SGD, falling rate
CNN_TEN_RECIPE = {"shift": 2, "lr": 1e-2, "batch_size": 64, "epochs": 15}  # lesson 10's: Adam, one-cycle

# Lesson 11's floors on the validation accuracy of its fixed-size subset (1,000 images, 100 of each digit): below the
# worst of benchmarks/ten_digits.py's runs (seeds 0-4, natively and without SIMD; benchmarks/measured/ten_digits.json)
# with a margin for other data (tools/robust.py). They protect against a model that trains badly or not at all.
TEN_DIGIT_FLOORS = {"linear": 0.87, "two layers": 0.935, "CNN": 0.945}


def softmax(scores):
    "Each row of scores as probabilities that add up to 1; the row's largest score is taken off first (no overflow)."
    e = (scores - scores.max(dim=1, keepdim=True).values).exp()
    return e / e.sum(dim=1, keepdim=True)


def log_softmax(scores):
    "The log of softmax(scores), computed without taking the log of a number that may have rounded to 0."
    shifted = scores - scores.max(dim=1, keepdim=True).values
    return shifted - shifted.exp().sum(dim=1, keepdim=True).log()


def cross_entropy(scores, targets):
    "Minus the log of the probability each image gives its true digit (targets: int64 digits), averaged."
    return -log_softmax(scores)[torch.arange(len(targets)), targets].mean()


def cross_entropy_grad(xb, yb, weights, bias):
    "The gradient of cross_entropy for the linear model, from the formula (softmax - one-hot) / n; no autograd."
    with torch.no_grad():
        g = softmax(linear1(xb, weights, bias))
        g[torch.arange(len(yb)), yb] -= 1  # softmax minus one-hot: take 1 off each image's true digit
        g /= len(yb)
        return xb.T @ g, g.sum(0)


def train_linear_ten(weights, bias, dl, epochs, lr):
    "Train the 784x10 linear model in place by the hand-written loop, with the hand-derived gradient; no autograd."
    for _ in range(epochs):
        for xb, yb in dl:
            grad_w, grad_b = cross_entropy_grad(xb, yb, weights, bias)
            weights -= lr * grad_w
            bias -= lr * grad_b
    return weights, bias


def ten_digit_accuracy(scores, targets):
    "The fraction of images whose highest score is their true digit."
    return (scores.argmax(dim=1) == targets).float().mean()


def two_layer_ten(hidden=TWO_LAYER_TEN_RECIPE["hidden"], shift=TWO_LAYER_TEN_RECIPE["shift"]):
    "Lesson 8's two-layer network with ten outputs: random shifts (training only), 784 -> hidden, ReLU, hidden -> 10."
    return nn.Sequential(RandomShift(shift), nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def cnn_ten(shift=CNN_TEN_RECIPE["shift"]):
    "Lesson 10's CNN with its last convolution swapped for one that gives ten channels: one score per digit."
    model = simple_cnn(shift=shift)
    model[-2] = nn.Conv2d(model[-2].in_channels, 10, kernel_size=3, stride=2, padding=1)
    return model


def fit_ten(model, x, y, x_valid, y_valid, lr, epochs, one_cycle=False, batch_size=64, device="cpu", bar=False):
    """Train a ten-digit model with fastai's Learner on cross-entropy: plain SGD with the rate falling in a straight
    line to 0, or (one_cycle=True) lesson 10's Adam with the one-cycle schedule; a progress bar if bar. Returns it."""
    from fastai.callback import progress, schedule  # noqa: F401 (they give the Learner no_bar and fit_one_cycle)
    from fastai.learner import Learner
    from fastai.optimizer import SGD, Adam

    dls = make_dls(x, y, x_valid, y_valid, batch_size, device)
    learn = Learner(dls, model, opt_func=Adam if one_cycle else SGD, loss_func=F.cross_entropy,
                    metrics=ten_digit_accuracy)
    falling = schedule.ParamScheduler({"lr": schedule.SchedLin(lr, 0.0)})  # from lr, in a straight line, to 0
    with learn.no_logging(), contextlib.nullcontext() if bar else learn.no_bar():
        learn.fit_one_cycle(epochs, lr) if one_cycle else learn.fit(epochs, lr, cbs=falling)
    return learn
