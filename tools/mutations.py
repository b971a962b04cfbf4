"""Plant known one-line bugs in helpers/ and benchmarks/, one at a time, and check that the unit tests catch each.

    python -m tools.mutations              # every mutation below (`make mutations`)
    python -m tools.mutations 3 7          # only mutations 3 and 7

Each mutation replaces one piece of code (it must occur exactly once in its file) in a fresh copy of the project,
then runs the unit tests named with it. A mutation is *killed* when those tests fail, and *survives* when they pass:
a surviving mutation is a bug the tests would not notice. The copy sits beside a link to ../shared, so tests that
read the official MNIST test set run too. Exits non-zero if any mutation survives, or if the tests fail on the
unchanged copy (then a kill would prove nothing).
"""

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["helpers", "tests", "benchmarks", "tools", "notebooks", "pyproject.toml", "README.md"]  # tests read README


class Mutation(NamedTuple):
    file: str
    old: str
    new: str
    bug: str
    tests: str  # pytest arguments: files and -k filters


MUTATIONS = [
    Mutation("helpers/ten_digits.py", "e = (scores - scores.max(dim=1, keepdim=True).values).exp()", "e = scores.exp()",
             "softmax without the max trick overflows on large scores", "tests/test_ten_digits.py -k softmax"),
    Mutation("helpers/ten_digits.py", "        g /= len(yb)\n", "",
             "the hand-derived gradient forgets the mean over the batch", "tests/test_ten_digits.py -k gradient"),
    Mutation("benchmarks/ten_digits.py", "counts.fill_diagonal_(-1)", "pass",
             "the most confused pair counts the right answers", "tests/test_ten_digits.py -k most_confused"),
    Mutation("helpers/nets.py", "torch.randint(0, 2 * p + 1,", "torch.randint(0, 2 * p,",
             "RandomShift never draws its largest move", "tests/test_nets.py -k random_shift"),
    Mutation("helpers/nets.py", "if not self.training or self.pixels == 0:", "if self.pixels == 0:",
             "RandomShift also moves images while the model is evaluated", "tests/test_nets.py -k random_shift"),
    Mutation("helpers/nets.py", "    for n_out in channels:", "    for n_out in CNN_RECIPE['channels']:",
             "simple_cnn ignores its channels", "tests/test_nets.py -k simple_cnn"),
    Mutation("helpers/nets.py", "return DataLoaders(train_dl, valid_dl, device=device)",
             "return DataLoaders(train_dl, valid_dl)", "make_dls ignores its device", "tests/test_nets.py -k make_dls"),
    Mutation("helpers/nets.py", "valid_dl = DataLoader(list(zip(x_valid, y_valid)), batch_size=256)",
             "valid_dl = DataLoader(list(zip(x_valid, y_valid)), batch_size=batch_size)",
             "make_dls serves the validation set in training-sized batches", "tests/test_nets.py -k make_dls"),
    Mutation("helpers/nets.py", "SchedLin(lr, 0.0)", "SchedLin(lr, lr)",
             "the two-layer recipe keeps a constant learning rate", "tests/test_nets.py -k learning_rate_falls"),
    Mutation("helpers/nets.py", "return x.clamp(min=0.0)", "return x.clamp(max=0.0)",
             "relu keeps the negative numbers instead", "tests/test_nets.py -k relu"),
    Mutation("helpers/model.py", "correct = (predictions.sigmoid() > 0.5) == (targets == 1)",
             "correct = (predictions.sigmoid() >= 0.5) == (targets == 1)",
             "batch_accuracy reads a sigmoid of exactly 0.5 as the first digit",
             "tests/test_model.py -k batch_accuracy"),
    Mutation("helpers/model.py", "history = train_model(model, train_dl, valid_dl, lr, epochs,",
             "history = train_model(model, train_dl, valid_dl, LINEAR_RECIPE['lr'], epochs,",
             "train_linear ignores its lr", "tests/test_model.py -k overrides"),
    Mutation("helpers/model.py", "train_dl = DataLoader(list(zip(x.to(device), y.to(device))), batch_size=batch_size,",
             "train_dl = DataLoader(list(zip(x.to(device), y.to(device))), batch_size=LINEAR_RECIPE['batch_size'],",
             "train_linear ignores its batch_size", "tests/test_model.py -k overrides"),
    Mutation("helpers/model.py", "    check_shapes(predictions, targets)\n    predictions = predictions.sigmoid()",
             "    predictions = predictions.sigmoid()", "mnist_loss no longer checks shapes",
             "tests/test_model.py -k shape_check"),
    Mutation("helpers/model.py", "correct += batch_accuracy(model(xb), yb).item() * len(xb)",
             "correct += batch_accuracy(model(xb), yb).item()",
             "validate_epoch averages batches without weighting them by size", "tests/test_model.py -k validate_epoch"),
    Mutation("helpers/model.py", "g = torch.where(yb == 1, -s * (1 - s), s * (1 - s)) / len(xb)",
             "g = torch.where(yb == 1, s * (1 - s), -s * (1 - s)) / len(xb)",
             "the hand-derived gradient has the wrong sign", "tests/test_model.py -k hand_derived"),
    Mutation("helpers/model.py", "                p -= lr * p.grad\n                p.grad.zero_()",
             "                p -= lr * p.grad", "train_epoch never clears the gradients",
             "tests/test_model.py -k train_epoch_lowers"),
    Mutation("helpers/model.py", "F.logsigmoid(predictions), F.logsigmoid(-predictions)",
             "F.logsigmoid(-predictions), F.logsigmoid(predictions)", "log_loss charges the wrong answer",
             "tests/test_model.py -k log_loss"),
    Mutation("helpers/model.py", "for name, (xs, ys) in zip(record, [train, valid]):",
             "for name, (xs, ys) in zip(record, [train, train]):",
             "train_recording_losses records the training set as the validation set",
             "tests/test_model.py -k train_recording_losses"),
    Mutation("helpers/model.py", "return (a - b).abs().mean(-1)", "return (a - b).mean(-1)",
             "l1_distance forgets the absolute value", "tests/test_model.py -k distances"),
    Mutation("helpers/model.py", "return x[y[:, 0] == 1].mean(0), x[y[:, 0] == 0].mean(0)",
             "return x[y[:, 0] == 0].mean(0), x[y[:, 0] == 1].mean(0)",
             "average_images returns the two averages the wrong way round", "tests/test_model.py -k average_images"),
    Mutation("helpers/repro.py", 'else os.environ.get("COURSE_DEVICE", "")).strip()', 'else "").strip()',
             "pick_device ignores COURSE_DEVICE", "tests/test_repro.py"),
    Mutation("helpers/repro.py", 'text = os.environ.get("COURSE_SEED", "").strip()', 'text = ""',
             "the course's seed ignores COURSE_SEED", "tests/test_repro.py"),
    Mutation("helpers/repro.py", "torch.set_num_threads(threads)", "torch.set_num_threads(THREADS)",
             "setup_course ignores its thread count", "tests/test_repro.py"),
    Mutation("helpers/data.py", "y = torch.cat([torch.ones(len(first)), torch.zeros(len(second))]).unsqueeze(1)",
             "y = torch.cat([torch.zeros(len(first)), torch.ones(len(second))]).unsqueeze(1)",
             "to_xy labels the first digit 0", "tests/test_data.py"),
    Mutation("helpers/data.py", "for f in digit_files(path, d, split)]).float() / 255",
             "for f in digit_files(path, d, split)]).float()", "load_digits forgets to scale to 0..1",
             "tests/test_data.py"),
    Mutation("helpers/data.py", 'if f.suffix.lower() == ".png" and not f.name.startswith(".") and f.is_file())',
             'if f.suffix == ".png" and f.is_file())', "image_files skips .PNG and keeps hidden junk",
             "tests/test_data.py -k 'upper_case_png or junk'"),
    Mutation("helpers/data.py", 'text = os.environ.get("COURSE_DIGITS", "").strip()', 'text = ""',
             "the pair of digits ignores COURSE_DIGITS", "tests/test_data.py -k course_digits"),
    Mutation("helpers/data.py", "place.chmod((0o777 if place.is_dir() else 0o666) & ~umask)", "place.chmod(0o700)",
             "built cache folders stay private whatever the umask", "tests/test_data.py -k umask"),
    Mutation("helpers/model.py", 'if source == "embedded" and tuple(digits) == (2, 9):',
             "if True:", "the measured floors are applied to any data and pair", "tests/test_model.py -k floor"),
    Mutation("helpers/model.py", "OTHER_DATA_MARGIN = 0.02", "OTHER_DATA_MARGIN = 0.2",
             "the floor for other data or another pair is loosened tenfold", "tests/test_model.py -k floor"),
    Mutation("helpers/data.py", "offset=4 + 4 * ndim)\n", "offset=4 + 4 * ndim)[:expected]\n",
             "an IDX file with extra bytes after its data is accepted", "tests/test_data.py -k bytes_after"),
    Mutation("helpers/data.py", 'key.update(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}".encode())',
             'key.update(f"{f.name}".encode())', "IDX files replaced after their conversion still give the old images",
             "tests/test_data.py -k replaced"),
    Mutation("helpers/data.py", 'return os.environ.get("MNIST_SOURCE", "").strip() or "embedded"',
             'return "embedded"', "the data's name ignores MNIST_SOURCE", "tests/test_data.py -k mnist_source"),
    Mutation("helpers/nets.py", "learn.fit_one_cycle(epochs, lr) if one_cycle",
             "learn.fit_one_cycle(epochs) if one_cycle",
             "the CNN's learning rate is ignored under the one-cycle schedule", "tests/test_nets.py -k one_cycle"),
    Mutation("helpers/interpret.py", "    if training:\n        model.train()  # back to the mode we found it in\n", "",
             "predict leaves a model it found training in evaluation mode", "tests/test_nets.py -k test_predict"),
    Mutation("helpers/optim.py", "p -= self.lr * p.grad", "p += self.lr * p.grad",
             "BasicOptim steps up the gradient", "tests/test_equivalence.py -k hand_written_loop"),
    Mutation("helpers/interpret.py", "order = confidence[wrong].argsort(descending=True)",
             "order = confidence[wrong].argsort()", "find_mistakes puts the least sure mistake first",
             "tests/test_nets.py -k find_mistakes"),
    Mutation("helpers/interpret.py", 'answer = pd.Series([digits[0] if p > 0.5 else digits[1]',
             'answer = pd.Series([digits[1] if p > 0.5 else digits[0]', "confusion_matrix swaps the model's answers",
             "tests/test_nets.py -k confusion_matrix"),
    Mutation("benchmarks/bench.py", '"official_test": validate_epoch(model, [test]) if test else None}',
             '"official_test": validate_epoch(model, [valid]) if test else None}',
             "the benchmark scores 'official test' on the validation set", "tests/test_bench.py -k official_test"),
    Mutation("benchmarks/bench.py",
             "    for epoch in range(epochs):\n        batches = Counted(sliced(x, y, batch_size, epoch) if slices "
             "else dl)\n        for xb, yb in batches:",
             "    for epoch in range(3 * epochs):\n        batches = Counted(sliced(x, y, batch_size, epoch) if slices "
             "else dl)\n        for xb, yb in batches:",
             "the plain PyTorch loop runs three times the epochs", "tests/test_bench.py -k same_images"),
    Mutation("benchmarks/bench.py", 'plain = max(speed["plain_torch"], speed["plain_torch_sliced"])',
             'plain = min(speed["plain_torch"], speed["plain_torch_sliced"])',
             "the ratios are against the slower plain PyTorch way", "tests/test_bench.py -k ratio"),
    Mutation("benchmarks/bench.py", "return 1 if check_goals and any(value is False for value in met.values()) else 0",
             "return 0", "a missed goal does not fail the benchmark", "tests/test_bench.py -k goal"),
    Mutation("benchmarks/bench.py", 'results["ratios"]["hand_written_sliced"] >= GOALS["hand_written_ratio"]',
             'results["ratios"]["hand_written_sliced"] >= 1.0', "the ratio goal ignores GOALS",
             "tests/test_bench.py -k ratio_goal_reads"),
    Mutation("benchmarks/bench.py", 'return exit_code(results["goals"], check_goals=not args.no_goals)',
             'return exit_code({**results["goals"], **{n: t["within"] for n, t in results["budgets"].items()}}, '
             'check_goals=not args.no_goals)', "an absolute time over its budget fails the run",
             "tests/test_bench.py -k budget"),
    Mutation("benchmarks/bench.py", '"within": s <= BUDGETS[name]}', '"within": True}',
             "a time over its budget is reported as within it", "tests/test_bench.py -k budget"),
    Mutation("benchmarks/experiments.py", "return losses[steps - 1 :: steps], losses[:GD_EPOCHS]",
             "return losses[steps :: steps], losses[:GD_EPOCHS]",
             "the experiments read each epoch's loss one step late",
             "tests/test_exercises_sgd_experiments.py -k train_run_is_the_loop"),
    Mutation("benchmarks/bench.py", '"min": min(values), "median": statistics.median(values)',
             '"min": min(values), "median": statistics.mean(values)',
             "the sweep reports the mean as the median", "tests/test_bench.py -k failed_sweep"),
    Mutation("benchmarks/bench.py", "weights, bias = (t.clone().requires_grad_() for t in start)",
             "weights, bias = (t.requires_grad_() for t in start)",
             "the hand-written way trains the shared starting weights in place", "tests/test_bench.py -k same_weights"),
]


def copy_project(into):
    "A copy of the project's code and tests in `into`/project, with ../shared beside it when there is one."
    project = into / "project"
    project.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, project / name)
    if (ROOT.parent / "shared").is_dir():
        (into / "shared").symlink_to(ROOT.parent / "shared")
    return project


def run_tests(project, tests):
    "Run pytest on `tests` in the copy (whose helpers come before the installed ones); True when they pass."
    env = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *shlex.split(tests)]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):  # 5: no test selected, 2-4: usage or collection errors
        raise RuntimeError(f"pytest {tests} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.returncode == 0


def apply(project, mutation):
    "Plant the mutation in the copy; its piece of code must occur exactly once."
    path = project / mutation.file
    text = path.read_text()
    count = text.count(mutation.old)
    if count != 1:
        raise ValueError(f"{mutation.file}: the code to mutate occurs {count} times, not once: {mutation.old!r}")
    path.write_text(text.replace(mutation.old, mutation.new))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("numbers", nargs="*", type=int, help="run only these mutations (numbered from 1)")
    args = parser.parse_args(argv)
    chosen = [(i, m) for i, m in enumerate(MUTATIONS, start=1) if not args.numbers or i in args.numbers]
    start = time.perf_counter()
    survived = []
    with tempfile.TemporaryDirectory(prefix="mutations-") as tmp:
        base = Path(tmp) / "unchanged"
        base.mkdir()
        project = copy_project(base)
        every_test = " ".join(sorted({shlex.split(m.tests)[0] for _, m in chosen}))
        if not run_tests(project, every_test):
            print(f"the unit tests fail on the unchanged project ({every_test}): fix them first", file=sys.stderr)
            return 2
        for i, mutation in chosen:
            place = Path(tmp) / f"mutation-{i}"
            place.mkdir()
            project = copy_project(place)
            apply(project, mutation)
            took = time.perf_counter()
            killed = not run_tests(project, mutation.tests)
            took = time.perf_counter() - took
            print(f"{i:2} {'killed  ' if killed else 'SURVIVED'} {took:5.1f} s  {mutation.file}: {mutation.bug}",
                  flush=True)
            if not killed:
                survived.append(i)
            shutil.rmtree(place)
    print(f"{len(chosen) - len(survived)} killed, {len(survived)} survived, of {len(chosen)} mutations, "
          f"in {time.perf_counter() - start:.0f} s")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
