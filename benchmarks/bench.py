"""The course's speed and accuracy, measured side by side on this machine.

    python benchmarks/bench.py [--mnist-test DIR] [--out FILE.json] [--quick]

Prints a table and writes JSON (default bench-results/bench.json). --mnist-test DIR adds the official MNIST
test set (IDX files, read through the project's own loader) to the accuracy and load measurements.
--quick runs only the first notebook and one epoch of each model: a check that the harness works, not a
measurement.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tools.run_notebooks

from helpers.repro import seed_everything, setup_course  # noqa: E402

GOALS = {"suite_seconds": 90.0, "slowest_cell_seconds": 5.0, "hand_written_ratio": 1.0,
         "official_test": {"linear": 0.980, "two_layer": 0.985, "cnn": 0.995},
         "train_seconds": {"linear": 10.0, "cnn": 30.0}}


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def machine():
    import fastai

    return {"cores": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "fastai": fastai.__version__, "platform": platform.platform()}


def notebooks(quick):
    "Wall time of each notebook run headlessly in a fresh kernel, and its slowest cell after the first."
    from tools.run_notebooks import NOTEBOOKS, execute

    paths = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))[: 1 if quick else None]
    seconds, slowest = {}, {}
    for path in paths:
        (_, cells), took = timed(execute, path)
        seconds[path.stem] = round(took, 2)
        slowest[path.stem] = round(max(cells[1:], default=0.0), 2)
        print(f"  {path.stem}: {took:.1f} s, slowest later cell {slowest[path.stem]:.1f} s", flush=True)
    return seconds, slowest


def load_times(mnist_test):
    "mnist_path('embedded') cold and warm, load_digits, and the official IDX test set's conversion and loading."
    from helpers.data import load_digits, mnist_path

    result = {}
    with tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("COURSE_CACHE")
        os.environ["COURSE_CACHE"] = cache
        try:
            path, result["embedded_cold"] = timed(mnist_path, "embedded")
            _, result["embedded_warm"] = timed(mnist_path, "embedded")
            _, result["load_digits_embedded"] = timed(load_digits, path)
            if mnist_test:
                test_path, result["idx_build"] = timed(mnist_path, mnist_test)
                _, result["idx_load_digits"] = timed(load_digits, test_path, split="testing")
        finally:
            if old is None:
                del os.environ["COURSE_CACHE"]
            else:
                os.environ["COURSE_CACHE"] = old
    return {k: round(v, 6) for k, v in result.items()}


# -- training speed: the same linear model, data, batch size and epochs, three ways ----------------------


def hand_written(x, y, lr, batch_size, epochs):
    "The notebooks' loop: init_params, fastai's DataLoader over (x, y) pairs, train_epoch."
    from fastai.data.load import DataLoader

    from helpers.model import init_params, linear1, train_epoch

    weights, bias = init_params((784, 1)), init_params(1)
    dl = DataLoader(list(zip(x, y)), batch_size=batch_size, shuffle=True)

    def model(xb):
        return linear1(xb, weights, bias)

    for _ in range(epochs):
        train_epoch(model, dl, lr, [weights, bias])


def plain_torch(x, y, lr, batch_size, epochs):
    "The usual PyTorch loop: nn.Linear, torch.optim.SGD, a DataLoader over a TensorDataset."
    from torch.utils.data import DataLoader, TensorDataset

    from helpers.model import mnist_loss

    model = torch.nn.Linear(784, 1)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    dl = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        for xb, yb in dl:
            loss = mnist_loss(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()


def fastai_learner(x, y, lr, batch_size, epochs):
    "fastai's Learner with its SGD, on DataLoaders of (x, y) pairs; validation skipped, as in the other two."
    import fastai.callback.progress  # noqa: F401 (gives the Learner its no_bar, as `fastai.vision.all` would)
    from fastai.callback.core import Callback, CancelValidException
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    from helpers.model import mnist_loss

    class SkipValidation(Callback):
        def before_validate(self):
            raise CancelValidException()

    pairs = list(zip(x, y))
    dls = DataLoaders(DataLoader(pairs, batch_size=batch_size, shuffle=True), DataLoader(pairs[:1]))
    learn = Learner(dls, torch.nn.Linear(784, 1), opt_func=SGD, loss_func=mnist_loss, cbs=SkipValidation())
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, lr)


def training_speed(x, y, quick, repeats=5):
    "Images per second of each way, the median of several runs taken in turn, and each one's ratio to plain torch."
    from helpers.model import LINEAR_RECIPE

    lr, batch_size, epochs = LINEAR_RECIPE["lr"], LINEAR_RECIPE["batch_size"], LINEAR_RECIPE["epochs"]
    epochs = 1 if quick else epochs
    ways = {"hand_written": hand_written, "plain_torch": plain_torch, "fastai_learner": fastai_learner}
    seconds = {name: [] for name in ways}
    for _ in range(1 if quick else repeats):
        for name, way in ways.items():
            seed_everything()
            seconds[name].append(timed(way, x, y, lr, batch_size, epochs)[1])
    speed = {name: round(len(x) * epochs / statistics.median(s), 1) for name, s in seconds.items()}
    ratios = {name: round(speed[name] / speed["plain_torch"], 3) for name in ("hand_written", "fastai_learner")}
    return speed, ratios


# -- accuracy: the notebooks' recipes, from helpers ------------------------------------------------------


def accuracy(x, y, x_valid, y_valid, test, quick):
    "Each model trained as the notebooks train it, on the embedded training images; valid and official test."
    from helpers.model import LINEAR_RECIPE, baseline_model, batch_accuracy, linear1, train_linear
    from helpers.nets import CNN_RECIPE, TWO_LAYER_RECIPE, train_cnn, train_two_layer

    def score(model, xs, ys):
        with torch.no_grad():
            return round(batch_accuracy(model(xs), ys).item(), 4)

    def linear(x, y, x_valid, y_valid):
        (weights, bias), _ = train_linear(x, y, x_valid, y_valid, **{**LINEAR_RECIPE, **short})
        return lambda xb: linear1(xb, weights, bias)

    short = {"epochs": 1} if quick else {}
    trainers = {
        "baseline": lambda *data: baseline_model(data[0], data[1]),
        "linear": linear,
        "two_layer": lambda *data: train_two_layer(*data, **{**TWO_LAYER_RECIPE, **short}).model.eval(),
        "cnn": lambda *data: train_cnn(*data, **{**CNN_RECIPE, **short}).model.eval(),
    }
    result, seconds = {}, {}
    for name, train in trainers.items():
        seed_everything()
        model, seconds[name] = timed(train, x, y, x_valid, y_valid)
        result[name] = {"valid": score(model, x_valid, y_valid),
                        "official_test": score(model, *test) if test else None}
        print(f"  {name}: {result[name]} ({seconds[name]:.1f} s)", flush=True)
    return result, {k: round(v, 2) for k, v in seconds.items()}


def report(results):
    "A readable table of the measurements and of the goals they meet."
    lines = [f"Machine: {results['machine']['cores']} cores, Python {results['machine']['python']}, "
             f"torch {results['machine']['torch']}, fastai {results['machine']['fastai']}", "",
             f"{'notebook':32} {'seconds':>8} {'slowest later cell':>19}"]
    for name, s in results["notebook_seconds"].items():
        lines.append(f"{name:32} {s:8.1f} {results['slowest_cell_seconds'][name]:19.1f}")
    lines.append(f"{'suite':32} {results['suite_seconds']:8.1f}")
    lines += ["", "load seconds: " + ", ".join(f"{k} {v:.4g}" for k, v in results["load_seconds"].items()), ""]
    lines.append(f"{'training, linear model':32} {'images/s':>10} {'ratio':>7}")
    for name, speed in results["train_images_per_second"].items():
        ratio = results["ratios"].get(name, 1.0)
        lines.append(f"{name:32} {speed:10.0f} {ratio:7.2f}")
    lines += ["", f"{'accuracy':32} {'valid':>8} {'official test':>14} {'train s':>8}"]
    for name, acc in results["accuracy"].items():
        test = "-" if acc["official_test"] is None else f"{acc['official_test']:.4f}"
        lines.append(f"{name:32} {acc['valid']:8.4f} {test:>14} {results['train_seconds'][name]:8.1f}")
    lines += ["", "goals:"]
    for goal, met in goals(results).items():
        lines.append(f"  {'met ' if met else 'MISSED' if met is False else 'n/a '}  {goal}")
    return "\n".join(lines)


def goals(results):
    "{goal: True, False, or None where it was not measured}."
    met = {
        f"suite <= {GOALS['suite_seconds']:.0f} s": results["suite_seconds"] <= GOALS["suite_seconds"],
        f"every later cell <= {GOALS['slowest_cell_seconds']:.0f} s":
            max(results["slowest_cell_seconds"].values()) <= GOALS["slowest_cell_seconds"],
        "hand-written loop at least as fast as plain torch": results["ratios"]["hand_written"] >= 1.0,
    }
    if not results.get("quick"):
        for name, limit in GOALS["train_seconds"].items():
            met[f"{name} trains in <= {limit:.0f} s"] = results["train_seconds"][name] <= limit
    for name, floor in GOALS["official_test"].items():
        acc = results["accuracy"][name]["official_test"]
        met[f"{name} official test >= {floor:.1%}"] = None if acc is None else acc >= floor
    return met


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-test", type=Path, help="a folder with the official MNIST test set's IDX files")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "bench.json")
    parser.add_argument("--quick", action="store_true", help="a fast check of the harness, not a measurement")
    args = parser.parse_args(argv)
    if args.mnist_test and not args.mnist_test.is_dir():
        parser.error(f"--mnist-test: no folder at {args.mnist_test}")

    from helpers.data import load_digits, mnist_path

    setup_course()
    results = {"machine": machine(), "quick": args.quick}
    print("notebooks:", flush=True)
    results["notebook_seconds"], results["slowest_cell_seconds"] = notebooks(args.quick)
    results["suite_seconds"] = round(sum(results["notebook_seconds"].values()), 2)
    results["load_seconds"] = load_times(args.mnist_test)
    path = mnist_path("embedded")
    x, y = load_digits(path)
    x_valid, y_valid = load_digits(path, split="testing")
    test = load_digits(mnist_path(args.mnist_test), split="testing") if args.mnist_test else None
    print("training speed:", flush=True)
    results["train_images_per_second"], results["ratios"] = training_speed(x, y, args.quick)
    print("accuracy:", flush=True)
    results["accuracy"], results["train_seconds"] = accuracy(x, y, x_valid, y_valid, test, args.quick)
    results["goals"] = {goal: met for goal, met in goals(results).items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(report(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
