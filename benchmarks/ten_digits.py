"""Lesson 11's three ten-digit models, trained on the embedded images and scored on the official MNIST test set.

    python benchmarks/ten_digits.py --mnist-test DIR [--out FILE.json] [--quick]

Each model (linear, two-layer, CNN) is trained with its recipe from helpers/ten_digits.py on the embedded 4,000
training images (400 of each digit) for every seed in SEEDS under every processor variant in VARIANTS (each variant
in a fresh Python process, since the caps are read when PyTorch starts), then scored on the 1,000 embedded validation
images and on the 10,000 images of the official test set. It writes every run and a summary (minimum, median and
maximum accuracy, training seconds, the most confused pair of digits) to benchmarks/measured/ten_digits.json, prints
a table, and exits 1 when an accuracy goal is missed. --quick trains one epoch, one seed, natively: a check of the
harness, not a measurement, and it checks no goal.
"""

import argparse
import collections
import json
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for benchmarks.bench, run as a script

from benchmarks.bench import describe, machine, print_runs, run_in_variants, summarise_runs  # noqa: E402
from helpers.data import EMBEDDED_PER_DIGIT  # noqa: E402
from helpers.repro import setup_course  # noqa: E402
from tools.run_notebooks import write_text_atomically  # noqa: E402

# Official-test accuracy over the sweep: the median at least GOALS[model], the worst run at most WORST_BELOW under it.
GOALS = {"linear": 0.885, "two_layer": 0.95, "cnn": 0.975}
WORST_BELOW = 0.01
SEEDS = [0, 1, 2, 3, 4]
VARIANTS = ["native", "no-simd"]
OUT = ROOT / "benchmarks" / "measured" / "ten_digits.json"


def trainers(quick=False):
    "{name: train(x, y, x_valid, y_valid) -> model giving ten scores per image}, each with lesson 11's recipe."
    from helpers.model import INIT_STD, init_params, linear1
    from helpers.nets import make_dls
    from helpers.ten_digits import (
        CNN_TEN_RECIPE,
        LINEAR_TEN_RECIPE,
        TWO_LAYER_TEN_RECIPE,
        cnn_ten,
        fit_ten,
        train_linear_ten,
        two_layer_ten,
    )

    short = {"epochs": 1} if quick else {}

    def linear(x, y, x_valid, y_valid):
        recipe = {**LINEAR_TEN_RECIPE, **short}
        weights, bias = init_params((28 * 28, 10), std=INIT_STD).detach(), init_params(10, std=INIT_STD).detach()
        dl = make_dls(x, y, x_valid, y_valid, recipe["batch_size"]).train
        weights, bias = train_linear_ten(weights, bias, dl, recipe["epochs"], recipe["lr"])
        return lambda xb: linear1(xb, weights, bias)

    def learner(make, recipe, one_cycle):
        recipe = {**recipe, **short}
        settings = {k: recipe[k] for k in ("lr", "epochs", "batch_size")}
        return lambda *data: fit_ten(make(), *data, one_cycle=one_cycle, **settings).model.eval()

    two_layer = learner(two_layer_ten, TWO_LAYER_TEN_RECIPE, one_cycle=False)  # their defaults are the recipes'
    cnn = learner(cnn_ten, CNN_TEN_RECIPE, one_cycle=True)
    return {"linear": linear, "two_layer": two_layer, "cnn": cnn}


def most_confused(predicted, y):
    "The (true digit, answer, count) met most often among the mistakes; ties go to the lower digits."
    counts = torch.zeros(10, 10, dtype=torch.int64)
    counts.index_put_((y, predicted), torch.ones_like(y), accumulate=True)
    counts.fill_diagonal_(-1)
    true, answer = divmod(int(counts.argmax()), 10)
    return [true, answer, int(counts[true, answer])]


def worker(seeds, mnist_test, quick):
    "Train each model for each seed in this process (whose processor variant the parent set); one JSON line per run."
    from helpers.data import load_all_digits, mnist_path
    from helpers.ten_digits import ten_digit_accuracy

    setup_course()
    path = mnist_path("embedded")
    data = load_all_digits(path) + load_all_digits(path, split="testing")
    x_test, y_test = load_all_digits(mnist_path(mnist_test, splits=("testing",)), split="testing")

    def measure(model):
        with torch.no_grad():
            valid, test = model(data[2]), model(x_test)
        return {"valid": round(ten_digit_accuracy(valid, data[3]).item(), 4),
                "official_test": round(ten_digit_accuracy(test, y_test).item(), 4),
                "most_confused": most_confused(test.argmax(dim=1), y_test)}

    print_runs(seeds, trainers(quick), data, measure)


def sweep(mnist_test, seeds, variants, quick):
    "Every run of every model: one worker process per processor variant."
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", ",".join(map(str, seeds)),
               "--mnist-test", str(mnist_test)] + (["--quick"] if quick else [])
    return run_in_variants(command, variants)


def summarise(runs):
    "bench.summarise_runs for the three models, with each one's median training seconds and most confused pairs."
    summary = summarise_runs(runs, GOALS)
    for name in GOALS:
        ok = [r for r in runs if r.get("model") == name and "failed" not in r]
        pairs = collections.Counter(f"{r['most_confused'][0]} read as {r['most_confused'][1]}" for r in ok)
        summary[name]["median_seconds"] = statistics.median(r["seconds"] for r in ok) if ok else None
        summary[name]["most_confused"] = dict(pairs.most_common())
    return summary


def goals(summary):
    "{goal: met?}: for each model, the official-test median and worst run against GOALS, and no failed run."
    met = {}
    for name, goal in GOALS.items():
        test = summary[name]["official_test"]
        met[f"{name}: official test median >= {goal:.3f}, worst >= {goal - WORST_BELOW:.3f}, no failed run"] = (
            test is not None and test["median"] >= goal and test["min"] >= goal - WORST_BELOW
            and not summary[name]["failed"])
    return met


def report(result):
    "A readable table of the summary and of the goals."
    lines = [f"ten digits, seeds {result['seeds']} x variants {result['variants']}, {result['train_images']} training "
             f"images, {result['official_test_images']} official test images",
             f"{'model':10} {'runs':>4} {'failed':>6}  {'valid min / median / max':>26}  "
             f"{'official test min / median / max':>34}  {'median s':>8}  most confused (true read as answer: runs)"]
    for name, s in result["summary"].items():
        def fmt(d):
            return "-" if d is None else f"{d['min']:.4f} / {d['median']:.4f} / {d['max']:.4f}"
        seconds = "-" if s["median_seconds"] is None else f"{s['median_seconds']:.1f}"
        pairs = ", ".join(f"{pair}: {n}" for pair, n in s["most_confused"].items())
        lines.append(f"{name:10} {s['runs']:4} {s['failed']:6}  {fmt(s['valid']):>26}  "
                     f"{fmt(s['official_test']):>34}  {seconds:>8}  {pairs}")
    lines.append(f"(training seconds on {describe(result['machine'])}: informational, never a goal)")
    if not result["goals_checked"]:
        return "\n".join(lines + ["", "goals: none checked (a --quick run measures nothing)"])
    lines += ["", "goals:"] + [f"  {'met   ' if ok else 'MISSED'}  {goal}" for goal, ok in result["goals"].items()]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mnist-test", type=Path, required=True,
                        help="a folder with the official MNIST test set's IDX files (t10k-images-idx3-ubyte, ...)")
    parser.add_argument("--out", type=Path, help=f"where to write the results (default {OUT.relative_to(ROOT)}; "
                                                 "a --quick run writes nothing unless given one)")
    parser.add_argument("--quick", action="store_true", help="one epoch, one seed, natively: a check of the harness")
    parser.add_argument("--worker", metavar="SEEDS", help=argparse.SUPPRESS)  # used by sweep()
    args = parser.parse_args(argv)
    if not args.mnist_test.is_dir():
        parser.error(f"--mnist-test: no folder at {args.mnist_test}; pass the folder holding the official MNIST test "
                     "set's IDX files (on this project's machines, ../shared/data/mnist)")
    if args.worker:
        worker([int(s) for s in args.worker.split(",")], args.mnist_test, args.quick)
        return 0
    seeds, variants = (SEEDS[:1], VARIANTS[:1]) if args.quick else (SEEDS, VARIANTS)
    setup_course()  # as the workers do, so that machine() reports their thread count
    runs = sweep(args.mnist_test, seeds, variants, args.quick)
    summary = summarise(runs)
    result = {"seeds": seeds, "variants": variants, "quick": args.quick, "goals_checked": not args.quick,
              "train_images": 10 * EMBEDDED_PER_DIGIT["training"], "valid_images": 10 * EMBEDDED_PER_DIGIT["testing"],
              "official_test_images": 10000, "machine": machine(), "summary": summary, "goals": goals(summary),
              "runs": runs}
    out = args.out or (None if args.quick else OUT)
    if out:
        write_text_atomically(out, json.dumps(result, indent=2) + "\n")
    print()
    print(report(result))
    if out:
        print(f"\nwritten to {out}")
    return 1 if not args.quick and not all(result["goals"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
