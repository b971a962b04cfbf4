"""The lessons' experiments, measured over seeds on the official MNIST test set (what the prose of lessons 4, 5, 8, 10
quotes as ranges).

    python benchmarks/experiments.py --mnist-test DIR [--seeds 0 1 2 3 4] [--only loss gd two_layer] [--quick]

Writes benchmarks/measured/experiments.json (committed: the lessons quote it; tests/test_experiments.py checks that
they do) and prints one markdown table per experiment:
- baseline: lesson 2's nearest-average classifier (no training, so one seed says all), and lesson 4's hand-trained
  linear model with its recipe, scored on the validation images and on the official test set;
- loss: the linear model trained with the mnist loss and with log loss (binary cross-entropy), each at a few
  learning rates, scored on the official test set;
- loss_pair: the two losses' best models compared image by image on the official test set (gap, disagreements);
- gd: gradient descent, SGD in a fixed order and shuffled SGD, each at several learning rates: the training loss
  after 20 epochs and after 20 steps;
- two_layer: lesson 8's recipe, and the recipe with one setting changed at a time (hidden units, shifts, learning
  rate, its schedule, epochs, the starting weights); then the path from lesson 7's network by hand to the recipe,
  one setting at a time; scored on the official test set, each row with its settings and its per-seed scores;
- cnn: lesson 10's CNN built up one idea at a time (plain SGD at a constant rate, then batch normalisation, then Adam,
  then the one-cycle schedule), each step at a few learning rates, scored on the official test set.
--quick runs one seed and one setting of each, a check that the harness works.
"""

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for benchmarks.bench, run as a script

from helpers.data import course_digits, load_digits, mnist_path  # noqa: E402
from helpers.model import (  # noqa: E402
    LINEAR_RECIPE,
    baseline_model,
    batch_accuracy,
    linear1,
    log_loss,
    mnist_loss,
    train_run,
    validate_epoch,
)
from helpers.nets import CNN_RECIPE, TWO_LAYER_RECIPE, init_two_layer, two_layer_net  # noqa: E402
from helpers.repro import seed_everything, setup_course  # noqa: E402
from tools.run_notebooks import write_text_atomically  # noqa: E402

LOSS_LRS = {"mnist loss": [0.1, 0.3, 1.0, 3.0], "log loss": [0.03, 0.1, 0.3, 1.0]}
GD_LRS = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0]
GD_EPOCHS = 20
# Lesson 8: the kept recipe (with nn.Linear's own starting weights: init "default"), then exactly one setting changed
# at a time (the name says which, and to what; tests/test_experiments.py checks both).
TWO_LAYER_BASE = {**TWO_LAYER_RECIPE, "falling": True, "init": "default"}
TWO_LAYER_CHANGES = {"the recipe": {}, "30 hidden units": {"hidden": 30}, "no shifts": {"shift": 0},
                     "40 epochs": {"epochs": 40}, "lr 1 (falling)": {"lr": 1.0}, "lr 8 (falling)": {"lr": 8.0},
                     "lr 4 constant": {"falling": False}, "hand-made initialisation": {"init": "hand"}}
# Lesson 7's network by hand (30 hidden units, a constant rate of 1, 40 epochs, no shifts, init_two_layer's starting
# weights), then one setting changed at a time, each step keeping the ones before, until it is the recipe.
TWO_LAYER_HAND = {**TWO_LAYER_BASE, "hidden": 30, "shift": 0, "lr": 1.0, "epochs": 40, "falling": False, "init": "hand"}
TWO_LAYER_PATH = {"lesson 7's network by hand": {}, "+ nn.Linear's initialisation": {"init": "default"},
                  "+ 100 hidden units": {"hidden": 100}, "+ 80 epochs": {"epochs": 80},
                  "+ rate falling to 0": {"falling": True}, "+ rate 4": {"lr": 4.0},
                  "+ shifts of up to 2 pixels": {"shift": 2}}

# Lesson 10: each step adds one idea to the one before; each is tried at these learning rates.
CNN_STEPS = {"plain SGD": ({"norm": False, "adam": False, "one_cycle": False}, [0.3, 1.0, 3.0, 10.0]),
             "+ batch norm": ({"adam": False, "one_cycle": False}, [0.3, 1.0, 3.0, 10.0]),
             "+ Adam": ({"one_cycle": False}, [1e-3, 3e-3, 1e-2]),
             "+ one-cycle (the recipe)": ({}, [CNN_RECIPE["lr"]])}


def train_linear_with(loss_func, x, y, lr, batch_size, epochs, shuffle=True):
    """Lesson 5's train_run (lesson 4's linear model and loop, fed index slices) with loss_func; returns the training
    loss (mnist loss, on every training image) after each epoch and after each of the first GD_EPOCHS steps, and the
    model."""
    (weights, bias), losses = train_run(x, y, lr, batch_size, epochs, shuffle, loss_func)
    steps = math.ceil(len(x) / batch_size)  # in each epoch
    return losses[steps - 1 :: steps], losses[:GD_EPOCHS], lambda xb: linear1(xb, weights, bias)


def summary(values):
    "min, median, max and mean, rounded."
    return {"min": round(min(values), 4), "median": round(statistics.median(values), 4),
            "max": round(max(values), 4), "mean": round(statistics.mean(values), 4)}


def over_seeds(train, data, seeds, **settings):
    """Run train(data, **settings), which returns a model, once per seed, re-seeded first; its valid and test scores
    (summaries, and each seed's score in the order of `seeds` under "per_seed")."""
    x_valid, y_valid, x_test, y_test = data[2:]
    valid, test = [], []
    for seed in seeds:
        seed_everything(seed)
        model = train(data, **settings)
        valid.append(validate_epoch(model, [(x_valid, y_valid)]))
        test.append(validate_epoch(model, [(x_test, y_test)]))
    per_seed = {"valid": valid, "official_test": test}
    return {"valid": summary(valid), "official_test": summary(test), "per_seed": per_seed}


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


def hand_initialised(hidden=100, shift=0):
    "two_layer_net with lesson 7's starting weights (init_two_layer: spreads 0.1 and 0.01, biases 0) in its layers."
    net = two_layer_net(hidden, shift)  # the module's own, imported at the top: not the one patched in below
    w1, b1, w2, b2 = init_two_layer(hidden)
    with torch.no_grad():
        for layer, w, b in [(net[1], w1, b1), (net[3], w2, b2)]:
            layer.weight.copy_(w.T)  # nn.Linear keeps its weights transposed
            layer.bias.copy_(b)
    return net


def train_two_layer_with(x, y, x_valid, y_valid, device="cpu", init="default", **settings):
    """helpers.nets.train_two_layer(..., **settings), its network starting from nn.Linear's own random weights
    (init="default") or from lesson 7's init_two_layer (init="hand"); the Learner."""
    from unittest import mock

    from helpers import nets

    if init == "default":
        return nets.train_two_layer(x, y, x_valid, y_valid, device=device, **settings)
    assert init == "hand", f"unknown init {init!r}"
    with mock.patch.object(nets, "two_layer_net", hand_initialised):
        return nets.train_two_layer(x, y, x_valid, y_valid, device=device, **settings)


def two_layer_settings():
    "{row name: the settings it trains with} for the one-change table, then the path from lesson 7's network by hand."
    rows = {name: {**TWO_LAYER_BASE, **change} for name, change in TWO_LAYER_CHANGES.items()}
    step = dict(TWO_LAYER_HAND)
    for name, change in TWO_LAYER_PATH.items():
        step = {**step, **change}
        rows[name] = dict(step)
    return rows


def two_layer_experiment(data, seeds, quick):
    rows, done = {}, {}  # rows with the same settings (the path ends at the recipe) are trained once
    for name, settings in list(two_layer_settings().items())[: 2 if quick else None]:
        settings = {**settings, **({"epochs": 1} if quick else {})}
        key = json.dumps(settings, sort_keys=True)
        if key not in done:
            done[key] = over_seeds(trained_model, data, seeds, trainer=train_two_layer_with, **settings)
        rows[name] = {**done[key], "settings": settings}
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
    measures = [m for m, v in next(iter(rows.values())).items() if isinstance(v, dict) and "min" in v]
    lines = ["| setting | " + " | ".join(m.replace("_", " ") for m in measures) + " |",
             "|---" * (len(measures) + 1) + "|"]
    for name, row in rows.items():
        cells = [f"{row[m]['min']:.4f}-{row[m]['max']:.4f} (median {row[m]['median']:.4f})" for m in measures]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# Lesson 5: the rate at which each loss scored highest on the official test set (the median over the seeds of the
# loss experiment; tests/test_experiments.py checks that they still are), compared image by image.
LOSS_PAIR = {"mnist loss": 1.0, "log loss": 0.3}


def loss_pair_experiment(data, seeds, quick):
    """The two losses' best models on each seed, compared on the official test set: the gap in images right (mnist loss
    minus log loss) and the number of images on which they disagree, which sets the sampling noise of the gap."""
    x_test, y_test = data[4:]
    epochs = 1 if quick else LINEAR_RECIPE["epochs"]
    gaps, disagreements = [], []
    for seed in seeds:
        says, right = [], []
        for name, lr in LOSS_PAIR.items():
            seed_everything(seed)
            model = linear_model(data, mnist_loss if name == "mnist loss" else log_loss, lr, epochs)
            with torch.no_grad():
                says.append(model(x_test) > 0)
            right.append((says[-1].float() == y_test).sum().item())
        gaps.append(right[0] - right[1])
        disagreements.append((says[0] != says[1]).sum().item())
    name = " against ".join(f"{loss}, lr {lr}" for loss, lr in LOSS_PAIR.items())
    return {name: {"gap_images": summary(gaps), "disagreements": summary(disagreements),
                   "per_seed": {"gap_images": gaps, "disagreements": disagreements}}}


# Lesson 10: why plain SGD (no batch norm, constant rate) answers the same for every image at rates of 3 and more:
# the same network from Kaiming's starting weights (for ReLU, biases 0) at those rates and smaller ones, and from
# PyTorch's default starting weights at rates smaller than the cnn experiment's. Besides the scores: the share of the
# official test images given the most common answer (1.0: one answer for all), the share of test images whose
# sigmoid is within 1e-4 of 0 or 1 (saturated: almost no gradient), the share of the last hidden layer's channels that
# are 0 on every test image (dead ReLUs), and whether every output is a finite number (1.0) or some overflowed (0.0).
CNN_INIT_RUNS = [("kaiming", 3.0), ("kaiming", 10.0), ("kaiming", 0.3), ("kaiming", 1.0), ("kaiming", 0.1),
                 ("default", 0.1), ("default", 0.03)]


def train_plain_cnn(x, y, x_valid, y_valid, device="cpu", init="default", lr=0.3, epochs=CNN_RECIPE["epochs"]):
    "Lesson 10's CNN without batch norm, plain SGD at a constant rate, from `init` ('default' or 'kaiming')."
    import fastai.callback.progress  # noqa: F401 (it gives the Learner `no_bar`)
    from fastai.learner import Learner
    from fastai.optimizer import SGD
    from torch import nn

    from helpers.nets import make_dls, simple_cnn

    model = simple_cnn(norm=False)
    if init == "kaiming":
        for layer in model.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                nn.init.zeros_(layer.bias)
    dls = make_dls(x, y, x_valid, y_valid, CNN_RECIPE["batch_size"], device)
    learn = Learner(dls, model, opt_func=SGD, loss_func=mnist_loss, metrics=batch_accuracy)
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, lr)
    return learn


def cnn_init_experiment(data, seeds, quick):
    x_test = data[4]
    epochs = 1 if quick else CNN_RECIPE["epochs"]
    rows = {}
    for init, lr in CNN_INIT_RUNS[:1] if quick else CNN_INIT_RUNS:
        valid, test, same, flat, dead, finite = [], [], [], [], [], []
        for seed in seeds:
            seed_everything(seed)
            model = train_plain_cnn(*data[:4], init=init, lr=lr, epochs=epochs).model.eval()
            valid.append(validate_epoch(model, [data[2:4]]))
            test.append(validate_epoch(model, [data[4:]]))
            with torch.no_grad():
                out = model(x_test)
                says = (out > 0).float()
                hidden = model[:-2](x_test)  # the last ReLU's output: (images, channels, 2, 2)
            same.append(round(max(says.mean().item(), 1 - says.mean().item()), 4))
            flat.append(round((out.abs() > 9.2).float().mean().item(), 4))  # sigmoid within 1e-4 of 0 or 1
            dead.append(round((hidden.amax(dim=(0, 2, 3)) == 0).float().mean().item(), 4))
            finite.append(float(torch.isfinite(out).all().item()))
        name = f"{init} init, lr {lr}"
        rows[name] = {"valid": summary(valid), "official_test": summary(test), "same_answer": summary(same),
                      "saturated": summary(flat),
                      "dead_channels": summary(dead), "finite_outputs": summary(finite),
                      "per_seed": {"valid": valid, "official_test": test, "same_answer": same, "saturated": flat,
                                   "dead_channels": dead, "finite_outputs": finite}}
        print(f"  {name}: {rows[name]}", flush=True)
    return rows


EXPERIMENTS = {"baseline": baseline_experiment, "loss": loss_experiment, "loss_pair": loss_pair_experiment,
               "gd": gd_experiment,
               "two_layer": two_layer_experiment, "cnn": cnn_experiment, "cnn_init": cnn_init_experiment}


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
    write_text_atomically(out, json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
