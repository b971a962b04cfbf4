"""Networks with more than one layer (lessons 7, 8 and 10): the ReLU, a two-layer network, random shifts, a small CNN.

Every function and class here is written out in a notebook first (see TAUGHT_IN); the benchmark and later cells
import them from here, with the recipes (the hyperparameters the notebooks use) below.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from helpers.model import batch_accuracy, linear1, mnist_loss

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "relu": "07_relu_network.ipynb",
    "init_two_layer": "07_relu_network.ipynb",
    "simple_net": "07_relu_network.ipynb",
    "rings": "07_relu_network.ipynb",
    "make_dls": "08_inside_the_network.ipynb",
    "RandomShift": "08_inside_the_network.ipynb",
    "two_layer_net": "08_inside_the_network.ipynb",
    "train_two_layer": "08_inside_the_network.ipynb",
    "simple_cnn": "10_going_deeper.ipynb",
    "train_cnn": "10_going_deeper.ipynb",
}

# Lesson 8: the recipe of the two-layer network that the Learner trains, chosen on the embedded validation set over
# five seeds: 100 hidden units, each training image moved by up to 2 pixels at random, plain SGD on mnist_loss with a
# learning rate that falls in a straight line from lr to 0 (a constant rate ends wherever its last big step lands).
# The official MNIST test set chose nothing: benchmarks/experiments.py only measures the recipe and its one-change
# neighbours on it afterwards (lesson 8's tables; no single change raises the recipe's mean validation accuracy).
TWO_LAYER_RECIPE = {"hidden": 100, "shift": 2, "lr": 4.0, "batch_size": 64, "epochs": 80}

# Lesson 10: the recipe of the small convolutional network.
CNN_RECIPE = {"channels": (8, 16, 32, 64), "shift": 2, "lr": 1e-2, "batch_size": 64, "epochs": 35}


# -- lesson 7: two layers by hand ---------------------------------------------------------------------------


def relu(x):
    "The rectified linear unit: every negative number becomes 0, every other number stays as it is."
    return x.clamp(min=0.0)


def init_two_layer(hidden, std1=0.1, std2=0.01, device="cpu"):
    "Random starting weights and biases for 784 pixels -> `hidden` units -> 1 output, each recording its gradients."
    w1 = (torch.randn(28 * 28, hidden, device=device) * std1).requires_grad_()
    b1 = torch.zeros(hidden, device=device).requires_grad_()
    w2 = (torch.randn(hidden, 1, device=device) * std2).requires_grad_()
    b2 = torch.zeros(1, device=device).requires_grad_()
    return [w1, b1, w2, b2]


def simple_net(xb, params):
    "Two linear layers with a ReLU between: each hidden unit is a weighted sum of the pixels, the output one of them."
    w1, b1, w2, b2 = params
    hidden = relu(linear1(xb, w1, b1))
    return linear1(hidden, w2, b2)


# -- lesson 8: the same with PyTorch and fastai -------------------------------------------------------------


def make_dls(x, y, x_valid, y_valid, batch_size=64, device="cpu"):
    "fastai DataLoaders: the training pairs shuffled in mini-batches, the validation pairs in order, on `device`."
    from fastai.data.core import DataLoaders  # here, not at the top: fastai is imported after setup_course()
    from fastai.data.load import DataLoader

    train_dl = DataLoader(list(zip(x, y)), batch_size=batch_size, shuffle=True)
    valid_dl = DataLoader(list(zip(x_valid, y_valid)), batch_size=256)
    return DataLoaders(train_dl, valid_dl, device=device)


class RandomShift(nn.Module):
    "While the model trains, move each image by up to `pixels` pixels in each direction at random; else pass it on."

    def __init__(self, pixels=2):
        super().__init__()
        self.pixels = pixels

    def forward(self, xb):
        if not self.training or self.pixels == 0:
            return xb
        n, p = len(xb), self.pixels
        framed = F.pad(xb.view(n, 28, 28), (p, p, p, p))  # a blank frame p pixels wide around each image
        dy, dx = torch.randint(0, 2 * p + 1, (2, n, 1, 1), device=xb.device)
        steps = torch.arange(28, device=xb.device)
        rows, cols = dy + steps.view(1, 28, 1), dx + steps.view(1, 1, 28)
        image = torch.arange(n, device=xb.device).view(n, 1, 1)
        return framed[image, rows, cols].view(xb.shape)


def two_layer_net(hidden=100, shift=0):
    "Lesson 7's network as PyTorch layers: random shifts (training only), 784 -> hidden, ReLU, hidden -> 1."
    return nn.Sequential(RandomShift(shift), nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Linear(hidden, 1))


def train_two_layer(x, y, x_valid, y_valid, device="cpu", hidden=TWO_LAYER_RECIPE["hidden"],
                    shift=TWO_LAYER_RECIPE["shift"], lr=TWO_LAYER_RECIPE["lr"],
                    batch_size=TWO_LAYER_RECIPE["batch_size"], epochs=TWO_LAYER_RECIPE["epochs"], falling=True):
    """Lesson 8's recipe in one call: the two-layer net trained by the Learner with SGD, lr falling to 0 (constant if
    falling=False); the Learner."""
    import fastai.callback.progress  # noqa: F401 (it gives the Learner `no_bar`)
    from fastai.callback.schedule import ParamScheduler, SchedLin
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    dls = make_dls(x, y, x_valid, y_valid, batch_size, device)
    learn = Learner(dls, two_layer_net(hidden, shift), opt_func=SGD, loss_func=mnist_loss, metrics=batch_accuracy)
    schedule = [ParamScheduler({"lr": SchedLin(lr, 0.0)})] if falling else []  # from lr, in a straight line, to 0
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, lr, cbs=schedule)
    return learn


# -- lesson 10: a small convolutional network ----------------------------------------------------------------


def simple_cnn(channels=CNN_RECIPE["channels"], shift=CNN_RECIPE["shift"], norm=True):
    """Random shifts (training only), then 3x3 convolutions with stride 2: 28x28 -> 14 -> 7 -> 4 -> 2 -> 1 output.

    Each of the first layers has its number of channels, batch normalisation (unless norm=False) and a ReLU; the last
    one gives 1 channel.
    """
    layers = [RandomShift(shift), nn.Unflatten(1, (1, 28, 28))]
    n_in = 1
    for n_out in channels:
        layers += [nn.Conv2d(n_in, n_out, kernel_size=3, stride=2, padding=1)]
        layers += [nn.BatchNorm2d(n_out), nn.ReLU()] if norm else [nn.ReLU()]
        n_in = n_out
    layers += [nn.Conv2d(n_in, 1, kernel_size=3, stride=2, padding=1), nn.Flatten()]
    return nn.Sequential(*layers)


def train_cnn(x, y, x_valid, y_valid, device="cpu", channels=CNN_RECIPE["channels"], shift=CNN_RECIPE["shift"],
              lr=CNN_RECIPE["lr"], batch_size=CNN_RECIPE["batch_size"], epochs=CNN_RECIPE["epochs"], norm=True,
              adam=True, one_cycle=True):
    """Lesson 10's CNN trained by the Learner, by default with batch normalisation, Adam and the one-cycle schedule;
    norm=False, adam=False (plain SGD) and one_cycle=False (a constant rate) take each away. Returns the Learner."""
    from fastai.callback import progress, schedule  # noqa: F401 (they give the Learner no_bar and fit_one_cycle)
    from fastai.learner import Learner
    from fastai.optimizer import SGD, Adam

    dls = make_dls(x, y, x_valid, y_valid, batch_size, device)
    learn = Learner(dls, simple_cnn(channels, shift, norm), opt_func=Adam if adam else SGD, loss_func=mnist_loss,
                    metrics=batch_accuracy)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(epochs, lr) if one_cycle else learn.fit(epochs, lr)
    return learn


# -- lesson 7: points in a plane (lesson 9 trains its scalar engine on them) ----------------------------------


def rings(n, noise=0.15):
    "n points in the plane: label 1 near a circle of radius 1, label 0 near a circle of radius 2 around it."
    inner = torch.arange(n) % 2 == 0
    angle = torch.rand(n) * 2 * math.pi
    radius = torch.where(inner, 1.0, 2.0) + noise * torch.randn(n)
    return torch.stack([radius * angle.cos(), radius * angle.sin()], 1), inner.float().view(-1, 1)
