"""The lessons' experiments, measured over seeds on the official MNIST test set (what the prose of lessons 5, 7 and 9
quotes as ranges).

    python benchmarks/experiments.py --mnist-test DIR [--seeds 0 1 2 3 4] [--only loss gd two_layer] [--quick]

Writes benchmarks/measured/experiments.json (committed: the lessons quote it; tests/test_experiments.py checks that
they do) and prints one markdown table per experiment:
- baseline: lesson 2's nearest-average classifier (no training, so one seed says all), and lesson 4's hand-trained
  linear model with its recipe, scored on the validation images and on the official test set;
- loss: the linear model trained with the mnist loss and with log loss (binary cross-entropy), each at a few
  learning rates, scored on the official test set;
- gd: gradient descent, SGD in a fixed order and shuffled SGD, each at several learning rates: the training loss
  after 20 epochs and after 20 steps;
- two_layer: lesson 7's recipe, and the recipe with one factor changed at a time (hidden units, shifts, learning
  rate, its schedule, epochs), scored on the official test set;
- cnn: lesson 9's CNN built up one idea at a time (plain SGD at a constant rate, then batch normalisation, then Adam,
  then the one-cycle schedule), each step at a few learning rates, scored on the official test set.
--quick runs one seed and one setting of each, a check that the harness works.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]

from helpers.data import course_digits, load_digits, mnist_path  # noqa: E402
from helpers.model import (  # noqa: E402
    INIT_STD,
    LINEAR_RECIPE,
    baseline_model,
    batch_accuracy,
    init_params,
    linear1,
    mnist_loss,
)
from helpers.nets import CNN_RECIPE, TWO_LAYER_RECIPE  # noqa: E402
from helpers.repro import seed_everything, setup_course  # noqa: E402

LOSS_LRS = {"mnist loss": [0.1, 0.3, 1.0, 3.0], "log loss": [0.03, 0.1, 0.3, 1.0]}
GD_LRS = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
GD_EPOCHS = 20
# Lesson 7: the kept recipe, then one factor changed at a time (the name says which, and to what).
TWO_LAYER_CHANGES = {"lesson 7's recipe": {}, "30 hidden units": {"hidden": 30}, "no shifts": {"shift": 0},
                     "40 epochs": {"epochs": 40}, "lr 1 (falling)": {"lr": 1.0}, "lr 8 (falling)": {"lr": 8.0},
                     "lr 4 constant": {"falling": False}, "lr 1 constant": {"lr": 1.0, "falling": False}}

# Lesson 9: each step adds one idea to the one before; each is tried at these learning rates.
CNN_STEPS = {"plain SGD": ({"norm": False, "adam": False, "one_cycle": False}, [0.3, 1.0, 3.0, 10.0]),
             "+ batch norm": ({"adam": False, "one_cycle": False}, [0.3, 1.0, 3.0, 10.0]),
             "+ Adam": ({"one_cycle": False}, [1e-3, 3e-3, 1e-2]),
             "+ one-cycle (the recipe)": ({}, [CNN_RECIPE["lr"]])}


def log_loss(predictions, targets):
    "Binary cross-entropy from raw predictions (the library's version of lesson 3's log loss)."
    return F.binary_cross_entropy_with_logits(predictions, targets)


def train_linear_with(loss_func, x, y, lr, batch_size, epochs, shuffle=True):
    """Lesson 4's linear model and loop (start spread INIT_STD, plain SGD), fed index slices; returns the training
    loss (mnist loss, on every training image) after each epoch and after each of the first steps, and the model."""
    weights = init_params((x.shape[1], 1), std=INIT_STD)
    bias = init_params(1, std=INIT_STD)
    per_epoch, per_step = [], []
    for _ in range(epochs):
        order = torch.randperm(len(x)) if shuffle else torch.arange(len(x))
        for i in range(0, len(x), batch_size):
            index = order[i : i + batch_size]
            loss_func(linear1(x[index], weights, bias), y[index]).backward()
            with torch.no_grad():
                for p in (weights, bias):
                    p -= lr * p.grad
                    p.grad.zero_()
            if len(per_step) < GD_EPOCHS:
                with torch.no_grad():
                    per_step.append(mnist_loss(linear1(x, weights, bias), y).item())
        with torch.no_grad():
            per_epoch.append(mnist_loss(linear1(x, weights, bias), y).item())
    return per_epoch, per_step, lambda xb: linear1(xb, weights, bias)


def accuracy(model, x, y):
    with torch.no_grad():
        return round(batch_accuracy(model(x), y).item(), 4)


def summary(values):
    "min, median, max and mean, rounded."
    return {"min": round(min(values), 4), "median": round(statistics.median(values), 4),
            "max": round(max(values), 4), "mean": round(statistics.mean(values), 4)}


def over_seeds(train, data, seeds, **settings):
    "Run train(data, **settings), which returns a model, once per seed, re-seeded first; its valid and test scores."
    x_valid, y_valid, x_test, y_test = data[2:]
    valid, test = [], []
    for seed in seeds:
        seed_everything(seed)
        model = train(data, **settings)
        valid.append(accuracy(model, x_valid, y_valid))
        test.append(accuracy(model, x_test, y_test))
    return {"valid": summary(valid), "official_test": summary(test)}


def linear_model(data, loss_func, lr, epochs):
    "Lesson 4's linear model trained with loss_func on the embedded training images (train_linear_with)."
    return train_linear_with(loss_func, *data[:2], lr, LINEAR_RECIPE["batch_size"], epochs)[2]


def trained_model(data, trainer, **settings):
    "The model of the Learner that trainer (train_two_layer or train_cnn) returns for the embedded images."
    return trainer(*data[:4], **settings).model.eval()


def baseline_experiment(data, seeds, quick):
    "The nearest average (deterministic: one seed) against lesson 4's hand-trained linear model over seeds."
    epochs = 1 if quick else LINEAR_RECIPE["epochs"]
    return {"nearest average (L2)": over_seeds(lambda data: baseline_model(*data[:2]), data, seeds[:1]),
            "linear model, lesson 4's recipe": over_seeds(linear_model, data, seeds, loss_func=mnist_loss,
                                                          lr=LINEAR_RECIPE["lr"], epochs=epochs)}


def loss_experiment(data, seeds, quick):
    rows = {}
    for name, lrs in LOSS_LRS.items():
        func = mnist_loss if name == "mnist loss" else log_loss
        epochs = 1 if quick else LINEAR_RECIPE["epochs"]
        for lr in lrs[1:2] if quick else lrs:
            rows[f"{name}, lr {lr}"] = over_seeds(linear_model, data, seeds, loss_func=func, lr=lr, epochs=epochs)
            print(f"  {name}, lr {lr}: official test {rows[f'{name}, lr {lr}']['official_test']}", flush=True)
    return rows


def gd_experiment(data, seeds, quick):
    x, y = data[:2]
    methods = {"GD": (len(x), False), "SGD, fixed order": (64, False), "SGD, shuffled": (64, True)}
    rows = {}
    for name, (batch_size, shuffle) in methods.items():
        for lr in GD_LRS[:1] if quick else GD_LRS:
            at_epochs, at_steps = [], []
            for seed in seeds:
                seed_everything(seed)
                per_epoch, per_step, _ = train_linear_with(mnist_loss, x, y, lr, batch_size, GD_EPOCHS, shuffle)
                at_epochs.append(per_epoch[-1])
                at_steps.append(per_step[GD_EPOCHS - 1])
            rows[f"{name}, lr {lr}"] = {"loss_after_20_epochs": summary(at_epochs),
                                        "loss_after_20_steps": summary(at_steps)}
            print(f"  {name}, lr {lr}: after 20 epochs {summary(at_epochs)}", flush=True)
    return rows


def two_layer_experiment(data, seeds, quick):
    from helpers.nets import train_two_layer

    rows = {}
    for name, change in list(TWO_LAYER_CHANGES.items())[: 2 if quick else None]:
        settings = {**TWO_LAYER_RECIPE, **change, **({"epochs": 1} if quick else {})}
        rows[name] = over_seeds(trained_model, data, seeds, trainer=train_two_layer, **settings)
        print(f"  {name}: {rows[name]}", flush=True)
    return rows


def cnn_experiment(data, seeds, quick):
    from helpers.nets import train_cnn

    epochs = 1 if quick else CNN_RECIPE["epochs"]
    rows = {}
    for name, (change, rates) in CNN_STEPS.items():
        for lr in rates[:1] if quick else rates:
            rows[f"{name}, lr {lr}"] = over_seeds(trained_model, data, seeds, trainer=train_cnn, lr=lr, epochs=epochs,
                                                  **change)
            print(f"  {name}, lr {lr}: {rows[f'{name}, lr {lr}']}", flush=True)
    return rows


def table(rows):
    "A markdown table: each row's settings, then min-max (median) of each measure."
    measures = list(next(iter(rows.values())))
    lines = ["| setting | " + " | ".join(m.replace("_", " ") for m in measures) + " |",
             "|---" * (len(measures) + 1) + "|"]
    for name, row in rows.items():
        cells = [f"{row[m]['min']:.4f}-{row[m]['max']:.4f} (median {row[m]['median']:.4f})" for m in measures]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


EXPERIMENTS = {"baseline": baseline_experiment, "loss": loss_experiment, "gd": gd_experiment,
               "two_layer": two_layer_experiment, "cnn": cnn_experiment}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-test", type=Path, required=True, help="a folder with the official IDX test set")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--only", nargs="+", choices=list(EXPERIMENTS), default=list(EXPERIMENTS))
    parser.add_argument("--out", type=Path, help="default: benchmarks/measured/experiments.json "
                        "(for another pair of digits, such as 3,7: experiments_3_7.json)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    setup_course()
    seeds = args.seeds[:1] if args.quick else args.seeds
    digits = course_digits()
    path = mnist_path("embedded")
    test_path = mnist_path(str(args.mnist_test), splits=("testing",))
    data = (*load_digits(path, digits), *load_digits(path, digits, split="testing"),
            *load_digits(test_path, digits, split="testing"))
    suffix = "" if tuple(digits) == (2, 9) else f"_{digits[0]}_{digits[1]}"
    out = args.out or ROOT / "benchmarks" / "measured" / f"experiments{suffix}.json"
    results = json.loads(out.read_text()) if out.is_file() else {}  # the experiments not run now are kept
    if not isinstance(results.get("seeds"), dict):  # the first version kept one list of seeds for all
        results["seeds"] = {name: results.get("seeds") for name in EXPERIMENTS if name in results}
    results["digits"] = list(digits)
    for name in args.only:
        print(f"{name}:", flush=True)
        results[name] = EXPERIMENTS[name](data, seeds, args.quick)
        results["seeds"][name] = seeds
        print(table(results[name]), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
