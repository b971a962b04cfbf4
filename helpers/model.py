"""The linear model, its loss and its hand-written training loop (lessons 2, 3 and 4).

Every function here is written out in a notebook first (see TAUGHT_IN); later lessons import it from here.
"""

import torch

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "init_params": "02_baseline_and_linear_model.ipynb",
    "linear1": "02_baseline_and_linear_model.ipynb",
    "check_shapes": "03_loss_and_sigmoid.ipynb",
    "mnist_loss": "03_loss_and_sigmoid.ipynb",
    "calc_grad": "04_sgd_by_hand.ipynb",
    "check_finite": "04_sgd_by_hand.ipynb",
    "train_epoch": "04_sgd_by_hand.ipynb",
    "batch_accuracy": "04_sgd_by_hand.ipynb",
    "validate_epoch": "04_sgd_by_hand.ipynb",
}


def init_params(size, std=1.0, device="cpu"):
    "Random starting values of the given size, marked so that PyTorch records their gradients."
    return (torch.randn(size, device=device) * std).requires_grad_()


def linear1(xb, weights, bias):
    "One prediction per row of xb: the weighted sum of its pixels, plus the bias."
    return xb @ weights + bias


def check_shapes(predictions, targets):
    "Stop with a clear message when predictions and targets differ in shape (broadcasting would hide it)."
    if predictions.shape != targets.shape:
        raise ValueError(
            f"predictions have shape {tuple(predictions.shape)} but targets {tuple(targets.shape)}: "
            "they must be the same, or broadcasting compares every prediction with every target. "
            "Give both one column, for example with .view(-1, 1)."
        )


def mnist_loss(predictions, targets):
    "How far the squashed predictions are from the targets: 0 when all are right and sure, 1 at worst."
    check_shapes(predictions, targets)
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def calc_grad(xb, yb, model, loss_func=mnist_loss):
    "Predict a mini-batch, measure the loss and let PyTorch add its gradient to each parameter's .grad."
    loss = loss_func(model(xb), yb)
    loss.backward()
    return loss


def check_finite(loss, lr):
    "Stop training with a clear message when the loss is no longer a number."
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"The loss became {loss.item()}: the steps are too large for this model. "
            f"Try a learning rate about 10 times smaller than lr={lr}."
        )


def train_epoch(model, dl, lr, params):
    "One pass over the training data: for each mini-batch, compute the gradients and step every parameter."
    for xb, yb in dl:
        loss = calc_grad(xb, yb, model)
        check_finite(loss, lr)
        for p in params:
            p.data -= p.grad * lr
            p.grad.zero_()


def batch_accuracy(predictions, targets):
    "The fraction of a mini-batch classified correctly: a prediction above 0.5 after the sigmoid means 'first digit'."
    check_shapes(predictions, targets)
    correct = (predictions.sigmoid() > 0.5) == (targets == 1)
    return correct.float().mean()


def validate_epoch(model, dl):
    "Accuracy over a whole data set, each mini-batch weighted by its size, rounded to 4 places."
    correct, total = 0.0, 0
    with torch.no_grad():
        for xb, yb in dl:
            correct += batch_accuracy(model(xb), yb).item() * len(xb)
            total += len(xb)
    return round(correct / total, 4)
