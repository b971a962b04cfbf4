"""The course's speed and accuracy, measured side by side on this machine.

    python benchmarks/bench.py [--mnist-test DIR] [--out FILE.json] [--quick]

Prints a table and writes JSON (default bench-results/bench.json). --mnist-test DIR adds the official MNIST
test set (IDX files, read through the project's own loader) to the accuracy and load measurements.
It exits 1 when a goal is missed: an accuracy, or a ratio of two ways measured side by side in this run. Absolute
times (the notebooks, training) are reported against their budgets with the machine they ran on, and never fail the
run: on shared cores the same code's time varies by more than a budget's margin.
--quick runs only the first notebook, one epoch of each model and one seed: a check that the harness works, not a
measurement.

The accuracy sweep trains each model for every seed in SWEEP_SEEDS under every processor variant in SWEEP_VARIANTS
(tools/variants.py), each variant in a fresh Python process, since the caps are read when PyTorch starts; it reports
the minimum, median and maximum, and records a run that fails instead of stopping.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tools.run_notebooks

from helpers.model import validate_epoch  # noqa: E402
from helpers.repro import seed_everything, setup_course  # noqa: E402
from tools.run_notebooks import write_text_atomically  # noqa: E402
from tools.variants import VARIANTS  # noqa: E402

# The goals: a missed one fails the run. Accuracy, and the hand-written loop, fed the same index slices as plain
# PyTorch, at least hand_written_ratio times as fast as the faster of the two plain PyTorch ways (timed side by side).
GOALS = {"hand_written_ratio": 1.0,
         "official_test": {"linear": 0.980, "two_layer": 0.985, "cnn": 0.995},
         # over the sweep's runs (seeds x variants), on the official test set: (median at least, minimum at least)
         "sweep_official_test": {"linear": (0.982, 0.980), "two_layer": (0.992, 0.988), "cnn": (0.997, 0.995)}}
# The time budgets, in seconds: reported with the machine, never failing the run. About twice what a 2-core machine
# of this project measures (slowest later cell 3.7 s, training 0.2 / 1.6 / 2.4 s); the suite's is the course's budget
# (170 s for all the lessons), and lesson 11, which trains three ten-digit models on 4,000 images, may take up to 20 s
# in one cell (its slowest measures about 15 s).
BUDGETS = {"suite": 170.0, "slowest later cell": 5.0, "lesson 11's slowest later cell": 20.0, "lesson 11": 60.0,
           "linear training": 1.0, "two_layer training": 4.0, "cnn training": 6.0}
TEN_DIGITS = "11_ten_digits"
SWEEP_SEEDS = [0, 1, 2, 3, 4]
SWEEP_VARIANTS = ["native", "no-simd"]
SPEED_ROUNDS, SPEED_MIN_RUN_TIME = 3, 1.0  # how training_speed times each way: rounds, and seconds in each


def timed(fn, *args, **kwargs):
    """fn's result and its wall time, one run by time.perf_counter: for what is timed once (a notebook, a cold load, a
    model's training), where torch.utils.benchmark's repeated runs do not apply (see training_speed for those)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def machine():
    import fastai

    from tools.run_notebooks import cpu_name

    return {"cpu": cpu_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "fastai": fastai.__version__,
            "platform": platform.platform()}


def describe(machine):
    "The machine in one line: what an absolute time depends on."
    return (f"{machine['cpu']}, {machine['cores']} cores, {machine['torch_threads']} torch threads, "
            f"torch {machine['torch']}")


def notebooks(quick):
    "Wall time of each notebook run headlessly in a fresh kernel, and its slowest cell after the first."
    from tools.run_notebooks import NOTEBOOKS, execute

    paths = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))[: 1 if quick else None]
    from nbclient.exceptions import CellExecutionError

    seconds, slowest, failed = {}, {}, []
    for path in paths:
        try:
            (_, cells), took = timed(execute, path)
        except CellExecutionError as err:
            failed.append(path.stem)
            print(f"  {path.stem}: FAILED {str(err).strip().splitlines()[-1][:200]}", flush=True)
            continue
        seconds[path.stem] = round(took, 2)
        slowest[path.stem] = round(max(cells[1:], default=0.0), 2)
        print(f"  {path.stem}: {took:.1f} s, slowest later cell {slowest[path.stem]:.1f} s", flush=True)
    return seconds, slowest, failed


def load_times(mnist_test):
    "mnist_path('embedded') cold and warm, load_digits, and the official IDX test set's conversion and loading."
    from helpers.data import load_digits, mnist_path

    result = {}
    with tempfile.TemporaryDirectory() as cache, mock.patch.dict(os.environ, COURSE_CACHE=cache):
        path, result["embedded_cold"] = timed(mnist_path, "embedded")
        _, result["embedded_warm"] = timed(mnist_path, "embedded")
        _, result["load_digits_embedded"] = timed(load_digits, path)
        if mnist_test:
            test_path, result["idx_build"] = timed(mnist_path, mnist_test, splits=("testing",))
            _, result["idx_load_digits"] = timed(load_digits, test_path, split="testing")
    return {k: round(v, 6) for k, v in result.items()}


# -- training speed: the same linear model, start, data, batch size and epochs, five ways ----------------------
# The notebooks' hand-written loop and plain PyTorch are each measured twice: served by a data loader as a learner
# writes them (fastai's DataLoader over (x, y) pairs; torch's DataLoader over a TensorDataset), and served the same
# shuffled index slices of x and y, which measures the loops alone. Every way starts from the same weights and
# returns how many images it trained on, so that no way can do less work than the others unnoticed.


class Counted:
    "An iterable of (xb, yb) batches that counts the images it serves."

    def __init__(self, batches):
        self.batches, self.images = batches, 0

    def __iter__(self):
        for xb, yb in self.batches:
            self.images += len(xb)
            yield xb, yb


def sliced(x, y, batch_size, seed):
    "Mini-batches of x and y in a shuffled order drawn from `seed`: index slices, no data loader."
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    for i in range(0, len(x), batch_size):
        index = order[i : i + batch_size]
        yield x[index], y[index]


def hand_written(x, y, start, lr, batch_size, epochs, slices=False):
    "The notebooks' loop (train_epoch on linear1), fed by fastai's DataLoader over (x, y) pairs, or by index slices."
    from fastai.data.load import DataLoader

    from helpers.model import linear1, train_epoch

    weights, bias = (t.clone().requires_grad_() for t in start)
    dl = DataLoader(list(zip(x, y)), batch_size=batch_size, shuffle=True)
    images = 0
    for epoch in range(epochs):
        batches = Counted(sliced(x, y, batch_size, epoch) if slices else dl)
        train_epoch(lambda xb: linear1(xb, weights, bias), batches, lr, [weights, bias])
        images += batches.images
    return images


def plain_torch(x, y, start, lr, batch_size, epochs, slices=False):
    "The usual PyTorch loop: nn.Linear, torch.optim.SGD, fed by a DataLoader over a TensorDataset, or by index slices."
    from torch.utils.data import DataLoader, TensorDataset

    from helpers.model import mnist_loss
    from helpers.optim import linear_from

    model = linear_from(*start)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    dl = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    images = 0
    for epoch in range(epochs):
        batches = Counted(sliced(x, y, batch_size, epoch) if slices else dl)
        for xb, yb in batches:
            loss = mnist_loss(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        images += batches.images
    return images


def fastai_learner(x, y, start, lr, batch_size, epochs):
    "fastai's Learner with its SGD, on DataLoaders of (x, y) pairs; validation skipped, as in the other ways."
    import fastai.callback.progress  # noqa: F401 (gives the Learner its no_bar, as `fastai.vision.all` would)
    from fastai.callback.core import Callback, CancelValidException
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    from helpers.model import mnist_loss
    from helpers.optim import linear_from

    class CountAndSkipValidation(Callback):
        images = 0

        def after_batch(self):
            self.images += len(self.xb[0]) if self.training else 0

        def before_validate(self):
            raise CancelValidException()

    pairs, counter = list(zip(x, y)), CountAndSkipValidation()
    dls = DataLoaders(DataLoader(pairs, batch_size=batch_size, shuffle=True), DataLoader(pairs[:1]))
    learn = Learner(dls, linear_from(*start), opt_func=SGD, loss_func=mnist_loss, cbs=counter)
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, lr)
    return counter.images


WAYS = {"hand_written": hand_written, "hand_written_sliced": lambda *a: hand_written(*a, slices=True),
        "plain_torch": plain_torch, "plain_torch_sliced": lambda *a: plain_torch(*a, slices=True),
        "fastai_learner": fastai_learner}


def training_speed(x, y, quick):
    """Images per second of each way, and each way's ratio to the faster of the two plain PyTorch ways; also the
    images each way trained on. torch.utils.benchmark times the ways: in each of SPEED_ROUNDS rounds, each way in
    turn (so that a slow spell of a shared machine falls on all of them) runs a warm-up, then again until it has run
    SPEED_MIN_RUN_TIME seconds; a way's time is the median over its runs of every round. --quick: one round, one run."""
    from torch.utils.benchmark import Measurement, Timer

    from helpers.model import INIT_STD, LINEAR_RECIPE, init_params

    lr, batch_size, epochs = LINEAR_RECIPE["lr"], LINEAR_RECIPE["batch_size"], LINEAR_RECIPE["epochs"]
    seed_everything()
    start = init_params((784, 1), std=INIT_STD).detach(), init_params(1, std=INIT_STD).detach()
    args = (x, y, start, lr, batch_size, 1 if quick else epochs)
    images = {name: way(*args) for name, way in WAYS.items()}
    # num_threads: Timer sets torch's thread count while it times; the course's count, not Timer's default of one
    timers = {name: Timer("way(*args)", globals={"way": way, "args": args}, num_threads=torch.get_num_threads())
              for name, way in WAYS.items()}
    rounds, min_run_time = (1, 0.0) if quick else (SPEED_ROUNDS, SPEED_MIN_RUN_TIME)
    runs = {name: [] for name in WAYS}
    for _ in range(rounds):
        for name, timer in timers.items():
            runs[name].append(timer.blocked_autorange(min_run_time=min_run_time))
    speed = {name: round(images[name] / Measurement.merge(m)[0].median, 1) for name, m in runs.items()}
    plain = max(speed["plain_torch"], speed["plain_torch_sliced"])
    ratios = {name: round(speed[name] / plain, 3) for name in WAYS if not name.startswith("plain_torch")}
    return speed, ratios, images


# -- accuracy: the notebooks' recipes, from helpers ------------------------------------------------------


def scores(model, valid, test):
    """The model's accuracy on the (x, y) pair valid, and on test (None when there is none): the lessons'
    validate_epoch, given the whole set as one batch."""
    return {"valid": validate_epoch(model, [valid]), "official_test": validate_epoch(model, [test]) if test else None}


def trainers(quick):
    "{name: train(x, y, x_valid, y_valid) -> model} for the three trained models, each with its lesson's recipe."
    from helpers.model import LINEAR_RECIPE, linear1, train_linear
    from helpers.nets import CNN_RECIPE, TWO_LAYER_RECIPE, train_cnn, train_two_layer

    short = {"epochs": 1} if quick else {}

    def linear(*data):
        (weights, bias), _ = train_linear(*data, **{**LINEAR_RECIPE, **short})
        return lambda xb: linear1(xb, weights, bias)

    return {"linear": linear,
            "two_layer": lambda *data: train_two_layer(*data, **{**TWO_LAYER_RECIPE, **short}).model.eval(),
            "cnn": lambda *data: train_cnn(*data, **{**CNN_RECIPE, **short}).model.eval()}


def accuracy(x, y, x_valid, y_valid, test, quick):
    "Each model trained as the notebooks train it, on the embedded training images; valid and official test."
    from helpers.model import baseline_model

    models = {"baseline": lambda *data: baseline_model(data[0], data[1]), **trainers(quick)}
    result, seconds = {}, {}
    for name, train in models.items():
        seed_everything()
        model, seconds[name] = timed(train, x, y, x_valid, y_valid)
        result[name] = scores(model, (x_valid, y_valid), test)
        print(f"  {name}: {result[name]} ({seconds[name]:.1f} s)", flush=True)
    return result, {k: round(v, 2) for k, v in seconds.items()}


# -- accuracy over seeds and processor variants ---------------------------------------------------------


def print_runs(seeds, trainers, data, measure):
    """Train each of trainers ({name: train(*data) -> model}) for each seed, re-seeded first, and print one JSON line
    per run: its model, seed, training seconds and measure(model), or why it failed. A sweep worker's output."""
    for seed in seeds:
        for name, train in trainers.items():
            run = {"model": name, "seed": seed}
            try:
                seed_everything(seed)
                model, seconds = timed(train, *data)
                run["seconds"] = round(seconds, 2)
                run.update(measure(model))
            except Exception as err:  # a failed run is recorded, and the sweep goes on
                run["failed"] = f"{type(err).__name__}: {err}"[:300]
            print(json.dumps(run), flush=True)


def sweep_worker(seeds, mnist_test, quick):
    "Train each model for each seed in this process (whose processor variant the parent set); one JSON line per run."
    from helpers.data import load_digits, mnist_path

    setup_course()
    path = mnist_path("embedded")
    data = load_digits(path) + load_digits(path, split="testing")
    test = load_digits(mnist_path(mnist_test, splits=("testing",)), split="testing") if mnist_test else None
    print_runs(seeds, trainers(quick), data, lambda model: scores(model, data[2:], test))


def run_in_variants(command, variants):
    """Run a worker command once per processor variant, each in a fresh process (the caps are read when PyTorch
    starts); every JSON line it printed, tagged with its variant. A worker that fails adds a failed run."""
    runs = []
    for variant in variants:
        done = subprocess.run(command, env={**os.environ, **VARIANTS[variant]}, capture_output=True, text=True,
                              cwd=ROOT)
        found = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0:
            found.append({"model": None, "failed": f"worker exited {done.returncode}: {done.stderr[-300:]}"})
        for run in found:
            run["variant"] = variant
            print(f"  {variant:8} {json.dumps(run)}", flush=True)
        runs += found
    return runs


def accuracy_sweep(mnist_test, quick):
    "Every model over SWEEP_SEEDS x SWEEP_VARIANTS: {model: {valid: {min, median, max}, official_test: ..., runs}}."
    seeds, variants = (SWEEP_SEEDS[:1], SWEEP_VARIANTS[:1]) if quick else (SWEEP_SEEDS, SWEEP_VARIANTS)
    command = [sys.executable, str(Path(__file__).resolve()), "--sweep-worker", ",".join(map(str, seeds))]
    command += (["--mnist-test", str(mnist_test)] if mnist_test else []) + (["--quick"] if quick else [])
    runs = run_in_variants(command, variants)
    return summarise_runs(runs, ("linear", "two_layer", "cnn")), {"seeds": seeds, "variants": variants}, runs


def summarise_runs(runs, models):
    """{model: {runs, failed, valid and official_test as {min, median, max} (None where not measured)}} over a
    sweep's runs; a failed worker (model None) counts as a failed run of every model."""
    summary = {}
    for name in models:
        ok = [r for r in runs if r.get("model") == name and "failed" not in r]
        summary[name] = {"runs": len(ok), "failed": sum(1 for r in runs if r.get("model") in (name, None)
                                                         and "failed" in r)}
        for key in ("valid", "official_test"):
            values = [r[key] for r in ok if r.get(key) is not None]
            summary[name][key] = ({"min": min(values), "median": statistics.median(values), "max": max(values)}
                                  if values else None)
    return summary


def report(results):
    "A readable table of the measurements, of the time budgets and of the goals they meet."
    lines = [f"Machine: {describe(results['machine'])}, Python {results['machine']['python']}, "
             f"fastai {results['machine']['fastai']}", "",
             f"{'notebook':32} {'seconds':>8} {'slowest later cell':>19}"]
    for name, s in results["notebook_seconds"].items():
        lines.append(f"{name:32} {s:8.1f} {results['slowest_cell_seconds'][name]:19.1f}")
    lines.append(f"{'suite':32} {results['suite_seconds']:8.1f}")
    lines += ["", "load seconds: " + ", ".join(f"{k} {v:.4g}" for k, v in results["load_seconds"].items()), ""]
    lines.append(f"{'training, linear model':32} {'images/s':>10} {'ratio to the faster plain torch':>32}")
    for name, speed in results["train_images_per_second"].items():
        ratio = results["ratios"].get(name)
        lines.append(f"{name:32} {speed:10.0f} {'' if ratio is None else f'{ratio:.2f}':>32}")
    lines += ["", f"{'accuracy':32} {'valid':>8} {'official test':>14} {'train s':>8}"]
    for name, acc in results["accuracy"].items():
        test = "-" if acc["official_test"] is None else f"{acc['official_test']:.4f}"
        lines.append(f"{name:32} {acc['valid']:8.4f} {test:>14} {results['train_seconds'][name]:8.1f}")
    sweep = results.get("accuracy_sweep")
    if sweep:
        lines += ["", f"accuracy over seeds {results['sweep']['seeds']} x variants {results['sweep']['variants']}:",
                  f"{'model':12} {'runs':>5} {'failed':>7}  {'valid min / median / max':>26}  "
                  f"{'official test min / median / max':>34}"]
        fmt = lambda d: "-" if d is None else f"{d['min']:.4f} / {d['median']:.4f} / {d['max']:.4f}"  # noqa: E731
        for name, acc in sweep.items():
            lines.append(f"{name:12} {acc['runs']:5} {acc['failed']:7}  {fmt(acc['valid']):>26}  "
                         f"{fmt(acc['official_test']):>34}")
    lines += ["", "time budgets, informational (absolute times vary with the machine and its load; they never fail the "
              f"run), on {describe(results['machine'])}:"]
    for name, t in budgets(results).items():
        mark = "within" if t["within"] else "OVER  "
        lines.append(f"  {mark}  {name}: {t['seconds']:.2f} s, budget {t['budget']:g} s")
    if results.get("quick"):
        lines.append("  none compared (a --quick run times one notebook and one epoch)")
    lines += ["", "goals (a missed one fails the run):"]
    for goal, met in goals(results).items():
        lines.append(f"  {'met   ' if met else 'MISSED' if met is False else 'n/a   '}  {goal}")
    return "\n".join(lines)


def budgets(results):
    """{what: {seconds, budget, within}} for each absolute time measured that has a budget in BUDGETS: reported, never
    a goal. A --quick run compares none."""
    if results.get("quick"):
        return {}
    cells = results["slowest_cell_seconds"]
    seconds = {"suite": results["suite_seconds"],
               "slowest later cell": max((s for stem, s in cells.items() if stem != TEN_DIGITS), default=None),
               "lesson 11's slowest later cell": cells.get(TEN_DIGITS),
               "lesson 11": results["notebook_seconds"].get(TEN_DIGITS),
               **{f"{name} training": s for name, s in results["train_seconds"].items()}}
    return {name: {"seconds": s, "budget": BUDGETS[name], "within": s <= BUDGETS[name]}
            for name, s in seconds.items() if name in BUDGETS and s is not None}


def goals(results):
    """{goal: True, False, or None where it was not measured}: accuracy, and what is measured side by side in one run;
    never an absolute time (see budgets). A --quick run measures nothing, so it checks no goal."""
    if results.get("quick"):
        return {"goals (a --quick run checks none)": None}
    met = {
        "every notebook ran to the end": not results.get("failed_notebooks"),
        f"hand-written loop (same slices) >= {GOALS['hand_written_ratio']}x the faster plain torch":
            results["ratios"]["hand_written_sliced"] >= GOALS["hand_written_ratio"],
        "every way trained on the same images": len(set(results["train_images"].values())) == 1,
    }
    for name, floor in GOALS["official_test"].items():
        acc = results["accuracy"][name]["official_test"]
        met[f"{name} official test >= {floor:.1%}"] = None if acc is None else acc >= floor
    for name, (median, least) in GOALS["sweep_official_test"].items():
        acc = results.get("accuracy_sweep", {}).get(name) or {}
        test = acc.get("official_test")
        met[f"{name} over the sweep: official test median >= {median:.1%}, minimum >= {least:.1%}, no failed run"] = (
            None if test is None else test["median"] >= median and test["min"] >= least and not acc["failed"])
    return met


def exit_code(met, check_goals=True):
    "1 when a goal was missed (and goals are checked), else 0; a goal that was not measured is not missed."
    return 1 if check_goals and any(value is False for value in met.values()) else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-test", type=Path, help="a folder with the official MNIST test set's IDX files")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "bench.json")
    parser.add_argument("--quick", action="store_true", help="a fast check of the harness, not a measurement")
    parser.add_argument("--no-goals", action="store_true", help="report missed goals, but exit 0 (exploring)")
    parser.add_argument("--sweep-worker", metavar="SEEDS", help=argparse.SUPPRESS)  # used by accuracy_sweep
    args = parser.parse_args(argv)
    if args.mnist_test and not args.mnist_test.is_dir():
        parser.error(f"--mnist-test: no folder at {args.mnist_test}")
    if args.sweep_worker:
        sweep_worker([int(s) for s in args.sweep_worker.split(",")], args.mnist_test, args.quick)
        return 0

    from helpers.data import load_digits, mnist_path

    setup_course()
    results = {"machine": machine(), "quick": args.quick}
    print("notebooks:", flush=True)
    results["notebook_seconds"], results["slowest_cell_seconds"], results["failed_notebooks"] = notebooks(args.quick)
    results["suite_seconds"] = round(sum(results["notebook_seconds"].values()), 2)
    results["load_seconds"] = load_times(args.mnist_test)
    path = mnist_path("embedded")
    x, y = load_digits(path)
    x_valid, y_valid = load_digits(path, split="testing")
    test = load_digits(mnist_path(args.mnist_test, splits=("testing",)), split="testing") if args.mnist_test else None
    if test:
        results["official_test_images"] = {"total": len(test[1]), "first_digit": int(test[1].sum().item())}
    print("training speed:", flush=True)
    results["train_images_per_second"], results["ratios"], results["train_images"] = training_speed(x, y, args.quick)
    print("accuracy:", flush=True)
    results["accuracy"], results["train_seconds"] = accuracy(x, y, x_valid, y_valid, test, args.quick)
    print("accuracy sweep:", flush=True)
    results["accuracy_sweep"], results["sweep"], results["sweep_runs"] = accuracy_sweep(args.mnist_test, args.quick)
    results["budgets"], results["goals"] = budgets(results), goals(results)
    write_text_atomically(args.out, json.dumps(results, indent=2) + "\n")
    print()
    print(report(results))
    print(f"\nwritten to {args.out}")
    return exit_code(results["goals"], check_goals=not args.no_goals)


if __name__ == "__main__":
    sys.exit(main())
