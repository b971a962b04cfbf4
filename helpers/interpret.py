"""Looking inside a trained model (lesson 8): weights as images, hidden activations, mistakes, confusion matrix.

Every function here is written out in lesson 8 first (see TAUGHT_IN); lesson 10 imports them from here.
"""

import matplotlib.pyplot as plt
import pandas as pd
import torch
from torch import nn

from helpers.model import check_shapes

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "show_weights": "08_inside_the_network.ipynb",
    "predict": "08_inside_the_network.ipynb",
    "hidden_activations": "08_inside_the_network.ipynb",
    "show_activations": "08_inside_the_network.ipynb",
    "find_mistakes": "08_inside_the_network.ipynb",
    "confusion_matrix": "08_inside_the_network.ipynb",
}


def show_weights(weights, ncols=10, titles=None, size=1.1, shared=False):
    "Draw each row (784 weights) as a 28x28 picture, red > 0, blue < 0; one colour scale each unless shared; the axes."
    images = weights.detach().cpu().view(-1, 28, 28)
    nrows = (len(images) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, (size + 0.1) * nrows), squeeze=False)
    common = images.abs().max().item() or 1.0
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            limit = common if shared else images[i].abs().max().item() or 1.0
            shown = ax.imshow(images[i].numpy(), cmap="bwr", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_title(str(i) if titles is None else titles[i], fontsize=8)
    if shared:
        fig.colorbar(shown, ax=axes, shrink=0.6, label="weight")
    return axes


def predict(model, x):
    "The model's probability that each image (row of x) is the first digit, computed in evaluation mode."
    training = isinstance(model, nn.Module) and model.training
    if training:
        model.eval()  # layers such as RandomShift act only while training
    with torch.no_grad():
        probs = model(x).sigmoid()
    if training:
        model.train()  # back to the mode we found it in
    return probs


def hidden_activations(net, x):
    "What the hidden units of a two-layer net (from two_layer_net) give for each image: (images, hidden units)."
    with torch.no_grad():
        return net[2](net[1](x))


def show_activations(activations, labels):
    "Draw activations (images, units) as a heat map, one row per image labelled on the left; returns the axes."
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(labels) + 1))
    shown = ax.imshow(activations.detach().cpu().numpy(), cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("hidden unit")
    fig.colorbar(shown, ax=ax, label="activation")
    return ax


def find_mistakes(model, x, y):
    "The images the model gets wrong, surest first: (their indices in x, the probability of the wrong answer)."
    probs = predict(model, x)
    check_shapes(probs, y)
    confidence = torch.where(probs > 0.5, probs, 1 - probs).flatten()
    wrong = ((probs > 0.5) != (y == 1)).flatten().nonzero().flatten()
    order = confidence[wrong].argsort(descending=True)
    return wrong[order].cpu(), confidence[wrong][order].cpu()


def confusion_matrix(probs, y, digits=(2, 9)):
    "A table that counts the images by their true digit (rows) and the model's answer (columns)."
    check_shapes(probs, y)
    actual = pd.Series([digits[0] if t == 1 else digits[1] for t in y.flatten().tolist()], name="actual")
    answer = pd.Series([digits[0] if p > 0.5 else digits[1] for p in probs.flatten().tolist()], name="predicted")
    return pd.crosstab(actual, answer).reindex(index=list(digits), columns=list(digits), fill_value=0)
