"""Pictures for the lessons: digits, functions, training curves, and the seven steps of learning.

The small functions are written out in the notebook that first uses them (see TAUGHT_IN); `show_digits` and
`draw_seven_steps` are plain drawing utilities, explained where they are first used.
"""

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "show_digit": "02_baseline_and_linear_model.ipynb",
    "plot_function": "03_loss_and_sigmoid.ipynb",
    "plot_curves": "04_sgd_by_hand.ipynb",
}


def show_digit(image, title=None, ax=None):
    "Draw one image, given as 784 pixels or as 28x28, dark ink on white paper."
    if ax is None:
        ax = plt.subplots(figsize=(1.8, 1.8))[1]
    ax.imshow(image.detach().cpu().view(28, 28).numpy(), cmap="Greys")
    ax.set_title(title)
    ax.axis("off")
    return ax


def show_digits(images, titles=None, ncols=8):
    "Draw several images in rows of `ncols` with show_digit, each under its title if titles are given."
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_digit(images[i], None if titles is None else titles[i], ax=ax)
            ax.title.set_fontsize(9)  # room for a title of two short lines under each image
        else:
            ax.axis("off")
    return axes


def plot_function(f, lo=-6.0, hi=6.0, title=None, xlabel="x", ylabel=None):
    "Draw y = f(x) for x from lo to hi, where f takes and returns a tensor."
    x = torch.linspace(lo, hi, 200)
    fig, ax = plt.subplots()
    ax.plot(x.tolist(), f(x).tolist())
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def plot_curves(curves, xlabel="epoch", ylabel="loss", title=None):
    "Draw several curves on one plot: `curves` maps a name to a list of values, one value per epoch (from 1)."
    fig, ax = plt.subplots()
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=True))  # whole epochs only
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return ax


SEVEN_STEPS = ["1 initialise", "2 predict", "3 loss", "4 gradient", "5 step", "7 stop"]


def draw_seven_steps():
    """The seven steps of learning as boxes and arrows, drawn with matplotlib only (no system package needed).

    Boxes 1-5 and 7 run left to right; step 6, "repeat", is the arrow that loops from the step back to predict.
    """
    fig, ax = plt.subplots(figsize=(9, 2.4))
    ax.set(xlim=(0, 9), ylim=(0, 2.4))
    ax.axis("off")
    centres = [(0.75 + 1.5 * i, 1.7) for i in range(len(SEVEN_STEPS))]
    for (x, y), name in zip(centres, SEVEN_STEPS):
        box = FancyBboxPatch((x - 0.6, y - 0.3), 1.2, 0.6, boxstyle="round,pad=0.05", fc="#e8f0fa", ec="#2b5d9b")
        ax.add_patch(box)
        ax.text(x, y, name, ha="center", va="center", fontsize=10)
    for (x0, y0), (x1, _) in zip(centres, centres[1:]):
        ax.add_patch(FancyArrowPatch((x0 + 0.65, y0), (x1 - 0.65, y0), arrowstyle="-|>", mutation_scale=14))
    step, predict = centres[4][0], centres[1][0]
    ax.add_patch(FancyArrowPatch((step, 1.3), (predict, 1.3), connectionstyle="arc3,rad=-0.35",
                                 arrowstyle="-|>", mutation_scale=14, color="#b5472b"))
    ax.text((step + predict) / 2, 0.2, "6 repeat, until the model is good enough or time is up",
            ha="center", color="#b5472b", fontsize=10)
    return ax
