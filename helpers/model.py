"""The baseline, the linear model, its loss and its hand-written training loop (lessons 2, 3 and 4).

Every function here is written out in a notebook first (see TAUGHT_IN); later lessons import it from here.
"""

import torch
import torch.nn.functional as F
from fastprogress.fastprogress import progress_bar

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "average_images": "02_baseline_and_linear_model.ipynb",
    "l1_distance": "02_baseline_and_linear_model.ipynb",
    "l2_distance": "02_baseline_and_linear_model.ipynb",
    "baseline_model": "02_baseline_and_linear_model.ipynb",
    "init_params": "02_baseline_and_linear_model.ipynb",
    "linear1": "02_baseline_and_linear_model.ipynb",
    "check_shapes": "03_loss_and_sigmoid.ipynb",
    "mnist_loss": "03_loss_and_sigmoid.ipynb",
    "log_loss": "03_loss_and_sigmoid.ipynb",
    "calc_grad": "04_sgd_by_hand.ipynb",
    "check_finite": "04_sgd_by_hand.ipynb",
    "train_epoch": "04_sgd_by_hand.ipynb",
    "batch_accuracy": "04_sgd_by_hand.ipynb",
    "validate_epoch": "04_sgd_by_hand.ipynb",
    "train_model": "04_sgd_by_hand.ipynb",
    "train_recording_losses": "04_sgd_by_hand.ipynb",
    "mnist_loss_grad": "05_sgd_experiments.ipynb",
    "train_run": "05_sgd_experiments.ipynb",
    "train_linear": "04_sgd_by_hand.ipynb",
}

# Lesson 2: the scale of the random starting weights. An image has about 90 for its sum of squared pixels, so a
# weighted sum of its 784 pixels with weights of spread 0.01 is about 0.01 * sqrt(90) ~ 0.1 in size: every
# prediction starts undecided, where the sigmoid (lesson 3) is steepest and learning is fastest.
INIT_STD = 0.01

# Lesson 4: the hyperparameters of the hand-trained linear model, chosen on the validation set of the embedded
# data (800 training images): 13 mini-batches of 64 per epoch, 60 epochs = 780 steps of size lr.
LINEAR_RECIPE = {"lr": 0.3, "batch_size": 64, "epochs": 60}

# Lessons 4, 7 and 10: the validation accuracy (200 embedded images of 2s and 9s) that each trained model must reach,
# asserted on the page and in the tests. Each floor sits below the worst of 18 runs (seeds 0-4 and 42, natively and
# under the no-SIMD and AVX2 caps of tools/variants.py), which were: linear 0.975, two-layer 0.985, CNN 0.965. One
# image is 0.005. The CNN's floor is the nearest-average baseline's 0.95: on these 200 images its result depends on a
# handful of ambiguous ones, while on the official test set it is the best model (see the README).
VALID_FLOORS = {"linear": 0.97, "two_layer": 0.975, "cnn": 0.95}
# Other data or another pair: the floors above were measured for 2s against 9s on the embedded images only. Then a
# trained model must reach the nearest-average baseline's validation accuracy less this margin. Over ten pairs and two
# seeds the three trained models were never below the baseline (the linear model tied it for 3 against 7).
OTHER_DATA_MARGIN = 0.02


def validation_floor(model, baseline_accuracy, source, digits):
    """The validation accuracy that a trained `model` ("linear", "two_layer" or "cnn") must reach on this data.

    source: the data the lesson loaded, as mnist_source() names it ("embedded", "full" or a folder); digits: its pair.
    The measured floor for the embedded images of 2s and 9s; on other data or another pair, the nearest-average
    baseline's accuracy (from lesson 2) less OTHER_DATA_MARGIN.
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be the name of the data, as mnist_source() gives it, not {source!r}: the floor "
                        "depends on which data was chosen, not on where its folder is.")
    if source == "embedded" and tuple(digits) == (2, 9):
        return VALID_FLOORS[model]
    return round(baseline_accuracy - OTHER_DATA_MARGIN, 4)


# -- lesson 2: the nearest-average baseline ---------------------------------------------------------------


def average_images(x, y):
    "The average image of the first digit (y == 1) and of the second (y == 0), each a flat tensor of 784 pixels."
    return x[y[:, 0] == 1].mean(0), x[y[:, 0] == 0].mean(0)


def l1_distance(a, b):
    "The mean absolute difference of the pixels: one distance per image (per row) when a holds many images."
    return (a - b).abs().mean(-1)


def l2_distance(a, b):
    "The square root of the mean squared difference of the pixels: one distance per image (per row)."
    return ((a - b) ** 2).mean(-1).sqrt()


def baseline_model(x_train, y_train, distance=l2_distance):
    """The nearest-average classifier: it scores each image by how much nearer it is to the first digit's average.

    Returns a function from x (N, 784) to scores (N, 1): positive means "nearer the first digit's average".
    """
    first, second = average_images(x_train, y_train)

    def model(x):
        return (distance(x, second) - distance(x, first)).view(-1, 1)

    return model


# -- lesson 2: the linear model -----------------------------------------------------------------------------


def init_params(size, std=1.0, device="cpu"):
    "Random starting values of the given size, marked so that PyTorch records their gradients."
    return (torch.randn(size, device=device) * std).requires_grad_()


def linear1(xb, weights, bias):
    "One prediction per row of xb: the weighted sum of its pixels, plus the bias."
    return xb @ weights + bias


# -- lesson 3: the loss ---------------------------------------------------------------------------------------


def check_shapes(predictions, targets):
    "Stop with a clear message when predictions and targets differ in shape (broadcasting would hide it)."
    if predictions.shape != targets.shape:
        raise ValueError(
            f"predictions have shape {tuple(predictions.shape)} but targets {tuple(targets.shape)}: "
            "they must be the same, or broadcasting compares every prediction with every target. "
            "Give both one column, for example with .view(-1, 1)."
        )


def mnist_loss(predictions, targets):
    "How far the squashed predictions are from the targets: near 0 when all are right and sure, never above 1."
    check_shapes(predictions, targets)
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def log_loss(predictions, targets):
    "Binary cross-entropy: minus the log of the probability given to the right answer, averaged over the images."
    check_shapes(predictions, targets)
    return -torch.where(targets == 1, F.logsigmoid(predictions), F.logsigmoid(-predictions)).mean()


# -- lesson 4: training by hand -------------------------------------------------------------------------------


def calc_grad(xb, yb, model, loss_func=mnist_loss):
    "Predict a mini-batch, measure the loss and let PyTorch add its gradient to each parameter's .grad."
    loss = loss_func(model(xb), yb)
    loss.backward()
    return loss


def check_finite(loss, lr):
    "Stop training with a clear message when the loss is no longer a number (NaN) or has become infinite."
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f"The loss became {loss.item()}, so training cannot go on. Most often the learning rate (lr={lr}) is "
            "too large and the steps have blown the parameters up: start again from fresh parameters with a "
            "smaller one (try lr / 10). If that does not help, look for NaN or infinite values in the data."
        )


def train_epoch(model, dl, lr, params):
    "One pass over the training data: for each mini-batch, compute the gradients and step every parameter."
    for xb, yb in dl:
        loss = calc_grad(xb, yb, model)
        check_finite(loss, lr)
        with torch.no_grad():  # the step is not part of the calculation whose gradient we take
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()


def batch_accuracy(predictions, targets):
    "The fraction of a mini-batch classified correctly: a prediction above 0.5 after the sigmoid means 'first digit'."
    check_shapes(predictions, targets)
    correct = (predictions.sigmoid() > 0.5) == (targets == 1)
    return correct.float().mean()


def validate_epoch(model, dl):
    "Accuracy over a data set (mini-batches weighted by size), rounded to 4 places so equal accuracies compare equal."
    correct, total = 0.0, 0
    with torch.no_grad():
        for xb, yb in dl:
            correct += batch_accuracy(model(xb), yb).item() * len(xb)
            total += len(xb)
    return round(correct / total, 4)


def train_model(model, train_dl, valid_dl, lr, epochs, params, progress=False):
    "Train for some epochs and return the validation accuracy after each one (with a progress bar if asked)."
    history = []
    for _ in progress_bar(range(epochs)) if progress else range(epochs):
        train_epoch(model, train_dl, lr, params)
        history.append(validate_epoch(model, valid_dl))
    return history


def train_recording_losses(model, train_dl, lr, epochs, params, train, valid):
    "Train for some epochs; after each, record the mnist loss on the training and validation images ((x, y) pairs)."
    record = {"training loss": [], "validation loss": []}
    for _ in range(epochs):
        train_epoch(model, train_dl, lr, params)
        with torch.no_grad():
            for name, (xs, ys) in zip(record, [train, valid]):
                record[name].append(mnist_loss(model(xs), ys).item())
    return record


def mnist_loss_grad(xb, yb, weights, bias):
    "The gradient of mnist_loss with respect to weights and bias, from the formula worked out by hand (no autograd)."
    with torch.no_grad():
        s = linear1(xb, weights, bias).sigmoid()
        check_shapes(s, yb)
        g = torch.where(yb == 1, -s * (1 - s), s * (1 - s)) / len(xb)
        return xb.T @ g, g.sum(0)


def train_linear(x, y, x_valid, y_valid, device="cpu", progress=False, lr=LINEAR_RECIPE["lr"],
                 batch_size=LINEAR_RECIPE["batch_size"], epochs=LINEAR_RECIPE["epochs"]):
    "Lesson 4's whole recipe in one call: start small, train by hand, return ((weights, bias), validation history)."
    weights = init_params((x.shape[1], 1), std=INIT_STD, device=device)
    bias = init_params(1, std=INIT_STD, device=device)
    train_dl = DataLoader(list(zip(x.to(device), y.to(device))), batch_size=batch_size, shuffle=True)
    valid_dl = DataLoader(list(zip(x_valid.to(device), y_valid.to(device))), batch_size=batch_size)

    def model(xb):
        return linear1(xb, weights, bias)

    history = train_model(model, train_dl, valid_dl, lr, epochs, [weights, bias], progress)
    return (weights, bias), history


# -- lesson 5: experiments with the training loop ------------------------------------------------------------


def train_run(x, y, lr, batch_size, epochs, shuffle=True, loss_func=mnist_loss):
    "Train lesson 4's linear model by hand; return its (weights, bias) and the mnist loss on all of x after each step."
    weights = init_params((x.shape[1], 1), std=INIT_STD, device=x.device)
    bias = init_params(1, std=INIT_STD, device=x.device)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x), device=x.device) if shuffle else torch.arange(len(x), device=x.device)
        for batch in order.split(batch_size):
            calc_grad(x[batch], y[batch], lambda xb: linear1(xb, weights, bias), loss_func)
            with torch.no_grad():
                for p in (weights, bias):
                    p -= lr * p.grad
                    p.grad.zero_()
                losses.append(mnist_loss(linear1(x, weights, bias), y).item())
    return (weights.detach(), bias.detach()), losses


def DataLoader(*args, **kwargs):
    """fastai's DataLoader, imported at the first call: this module is imported before setup_course(), and fastai only
    after it (CONTRIBUTING.md). train_linear, written out in lesson 4 where DataLoader is fastai's, uses this name."""
    from fastai.data.load import DataLoader as FastaiDataLoader

    return FastaiDataLoader(*args, **kwargs)
