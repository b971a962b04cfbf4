"""Checkers for the exercises of lesson 8 (08_inside_the_network.ipynb): an image moved by whole pixels, the falling
learning rate, and whether to trust a difference between two
settings' runs over seeds. Each follows the contract in helpers/exercises/__init__.py."""

import torch

from helpers.exercises import call, checker, require, require_tensor, wrong

HINT = "read the error; print the shapes of the tensors in your function to see where it goes wrong."


# -- exercise 1: moving images by whole pixels ---------------------------------------------------------------------


def _shift(images, dy, dx, wrap=False):
    "Each 28x28 image moved dy rows down and dx columns right, blank where nothing comes in (wrap=True: torch.roll)."
    grids = images.view(-1, 28, 28)
    if wrap:
        return grids.roll((dy, dx), dims=(1, 2)).reshape(images.shape)
    moved = torch.zeros_like(grids)
    rows_to, rows_from = slice(max(dy, 0), 28 + min(dy, 0)), slice(max(-dy, 0), 28 - max(dy, 0))
    cols_to, cols_from = slice(max(dx, 0), 28 + min(dx, 0)), slice(max(-dx, 0), 28 - max(dx, 0))
    moved[:, rows_to, cols_to] = grids[:, rows_from, cols_from]
    return moved.reshape(images.shape)


@checker("write my_shift(images, dy, dx): every image (a row of 784 pixels) moved dy rows down and dx columns right, "
         "blank where nothing comes in.")
def check_shift(func):
    "Move new random images by new amounts, some negative, with the learner's function; compare with the move."
    n = int(torch.randint(2, 6, (1,)))
    images = torch.rand(n, 784) * (torch.rand(n, 784) > 0.5)  # ink everywhere, up to the edges
    moves = [(int(torch.randint(1, 4, (1,))), -int(torch.randint(1, 4, (1,)))),
             (-int(torch.randint(1, 4, (1,))), int(torch.randint(1, 4, (1,)))), (0, 0)]
    for dy, dx in moves:
        given = images.clone()
        got = call(func, images, dy, dx, hint=HINT)
        require_tensor(got, (n, 784), "Your moved images")
        require(torch.equal(images, given), "Your function changed the images it was given.",
                "build the moved images in a new tensor (torch.zeros_like, then copy a slice into it).")
        if torch.equal(got, _shift(images, dy, dx)):
            continue
        require(not torch.equal(got, _shift(images, dy, dx, wrap=True)),
                f"Moved by ({dy}, {dx}), the ink that leaves one side comes back on the other.",
                "torch.roll wraps around; start from blank images and copy only the part that stays inside.")
        require(not torch.equal(got, _shift(images, dx, dy)), f"Moved by ({dy}, {dx}), rows and columns are swapped.",
                "in view(-1, 28, 28) the rows are dimension 1, the columns dimension 2; dy moves rows.")
        require(not torch.equal(got, _shift(images, -dy, -dx)), f"Moved by ({dy}, {dx}), the images went backwards.",
                "a positive dy moves the ink down: the pixel at row r goes to row r + dy.")
        raise wrong(f"Moved by dy={dy}, dx={dx}, your images are not the originals moved.",
                    "view the images as (n, 28, 28), make a blank copy, copy the rows and columns that stay inside.")
    return ("Your images move down, up, left and right by whole pixels, blank where nothing comes in. RandomShift's "
            "window, dy rows and dx columns in, is your my_shift(images, pixels - dy, pixels - dx).")


# -- exercise 2: the falling learning rate -------------------------------------------------------------------------


@checker("write my_falling_rates(lr, n_steps): the rate of each of the n_steps mini-batches, from lr in a straight "
         "line towards 0.")
def check_falling_rates(func, recorded=None):
    """Ask the learner's function for new rates and numbers of steps; compare with fastai's SchedLin(lr, 0.0); then,
    if given `recorded` (a Learner's recorder.lrs, one rate per step), with the rates that training used."""
    from fastai.callback.schedule import SchedLin

    for _ in range(3):
        lr, n = round(0.5 + 4 * torch.rand(1).item(), 3), int(torch.randint(5, 40, (1,)))
        got = call(func, lr, n, hint=HINT)
        got = [float(v) for v in got]
        require(len(got) == n, f"For {n} steps you returned {len(got)} rates.", "one rate per mini-batch step.")
        want = [float(SchedLin(lr, 0.0)(i / n)) for i in range(n)]
        if all(abs(a - b) <= 1e-6 * lr for a, b in zip(got, want)):
            continue
        require(abs(got[0] - lr) <= 1e-6 * lr, f"Your first rate is {got[0]:.4g}, not lr = {lr}.",
                "the first step uses the whole rate lr.")
        require(got[-1] < got[0], "Your rates do not fall.", "each step's rate is smaller than the one before.")
        require(abs(got[-1]) > 1e-9, "Your last step has a rate of 0, so it does not move the weights at all.",
                "the position of step i is i / n_steps, the share of training done before it: 0 comes after the end.")
        raise wrong(f"For lr {lr} and {n} steps your rates do not fall in a straight line.",
                    "the rate falls by the same amount at every step, starting from lr at step 0.")
    if recorded is None:
        return "Your rates are the ones fastai's SchedLin(lr, 0.0) gives, for new rates and numbers of steps."
    recorded = [float(v) for v in recorded]
    got = [float(v) for v in call(func, recorded[0], len(recorded), hint=HINT)]
    require(len(got) == len(recorded) and all(abs(a - b) <= 1e-6 * recorded[0] for a, b in zip(got, recorded)),
            "Your rates differ from the ones the Learner used in the training above.",
            "call your function with the Learner's first rate and its number of steps, and compare the lists.")
    return (f"Your rates are SchedLin's for new rates and numbers of steps, and they match the {len(recorded):,} "
            "rates the Learner used in the training above, one per mini-batch step.")


# -- exercise 3: trusting a difference between two settings ----------------------------------------------------------


def _runs(low, high, n):
    "n accuracies between low and high, rounded as the tables round them, as a list of floats."
    return [round(low + (high - low) * v, 4) for v in torch.rand(n).tolist()]


def _trust_cases():
    "New (what it shows, runs_a, runs_b, the answer) for two settings' accuracies over seeds."
    n, base = int(torch.randint(3, 8, (1,))), 0.95 + 0.03 * torch.rand(1).item()
    low = _runs(base, base + 0.005, n)
    high = _runs(max(low) + 0.001, max(low) + 0.006, n)
    touch = _runs(max(low), max(low) + 0.005, n - 1) + [max(low)]  # its worst run equals low's best
    mixed = _runs(min(low), max(low), n - 1) + [round(max(low) + 0.002, 4)]  # higher on the whole, yet overlapping
    broken = _runs(max(mixed) + 0.001, max(mixed) + 0.004, n - 1) + [0.4944]  # one run that broke down
    return [("above", high, low, True), ("below", low, high, True), ("overlap", mixed, low, False),
            ("broken", mixed, broken, False), ("touch", touch, low, False)]


# The second table of lesson 8: the recipe's range and each change's range over seeds (official test, %, [low, high]).
# tests/test_exercises_inside_the_network.py checks these against benchmarks/measured/experiments.json.
RECIPE_RANGE = [99.27, 99.46]
SECOND_TABLE = {"no shifts": [98.09, 98.33], "learning rate falling from 1": [98.58, 98.97],
                "learning rate falling from 8": [49.44, 99.46], "constant learning rate 4": [99.17, 99.56],
                "lesson 7's starting weights": [99.31, 99.51], "30 hidden units": [98.97, 99.22],
                "40 epochs": [99.02, 99.27]}


def _trusted(changes, recipe):
    "The names of the changes whose range does not meet the recipe's."
    return {name for name, runs in changes.items() if min(runs) > max(recipe) or min(recipe) > max(runs)}


def _table_cases():
    "New tables of changes, [low, high] each, against a new recipe range: some above, below, touching, overlapping."
    low = round(95 + 3 * torch.rand(1).item(), 2)
    recipe = [low, round(low + 0.2 + 0.3 * torch.rand(1).item(), 2)]
    ranges = {"higher": [recipe[1] + 0.05, recipe[1] + 0.3], "lower": [recipe[0] - 0.6, recipe[0] - 0.1],
              "touches": [recipe[1], recipe[1] + 0.2], "overlaps": [recipe[0] + 0.05, recipe[1] + 0.1],
              "wider": [recipe[0] - 40.0, recipe[1]], "inside": [recipe[0] + 0.01, recipe[1] - 0.01]}
    names = list(ranges)
    order = torch.randperm(len(names)).tolist()
    return recipe, {f"change {k}": [round(v, 2) for v in ranges[names[i]]] for k, i in enumerate(order)}


def _check_table(func):
    "Ask the learner's my_trusted about new tables; then about the lesson's second table; the message for it."
    for _ in range(3):
        recipe, changes = _table_cases()
        got = call(func, {k: list(v) for k, v in changes.items()}, list(recipe), hint=HINT)
        require(isinstance(got, list | tuple | set) and all(isinstance(n, str) for n in got),
                f"Your my_trusted returned {got!r}, not a list of the changes' names.",
                "collect the names (the keys of `changes`) whose runs you trust.")
        want = _trusted(changes, recipe)
        if set(got) == want:
            continue
        shown = f"For recipe = {recipe} and changes = {changes}"
        require(not set(got) - want, f"{shown} you trust changes whose range meets the recipe's.",
                "call my_trust(runs, recipe) for every change; keep a name only when it returns True.")
        raise wrong(f"{shown} you left out changes whose range lies wholly above or below the recipe's.",
                    "a change can be better or worse than the recipe: call my_trust(runs, recipe) for every change.")
    got = set(call(func, {k: list(v) for k, v in SECOND_TABLE.items()}, list(RECIPE_RANGE), hint=HINT))
    return (f" On the second table you trust {len(got)} of the {len(SECOND_TABLE)} changes: "
            f"{', '.join(n for n in SECOND_TABLE if n in got)}. 'Learning rate falling from 8' is not one of them,"
            " although one of its runs broke down: its best run ties the recipe's best (Why 2).")


@checker("write my_trust(runs_a, runs_b): True when every run of one setting scored higher than every run of the "
         "other, else False; then my_trusted(changes, recipe).")
def check_trust(func, table_func=None):
    """Ask the learner's function about new pairs of runs: apart either way, touching, overlapping, one run broken;
    then, if given `table_func` (my_trusted), ask it about new tables and the lesson's second table."""
    for kind, runs_a, runs_b, want in _trust_cases():
        got = call(func, list(runs_a), list(runs_b), hint=HINT)
        require(got in (True, False), f"Your function returned {got!r}, not True or False.",
                "return the result of a comparison.")
        if bool(got) == want:
            continue
        shown = f"For runs_a = {runs_a} and runs_b = {runs_b}"
        if kind in ("above", "below"):
            raise wrong(f"{shown} every run of one setting is higher than every run of the other, yet you said "
                        "False.", "either setting may be the better one: look at both ways round.")
        if kind == "touch":
            raise wrong(f"{shown} the worst run of one equals the best run of the other: the ranges touch, so the "
                        "difference is not larger than the spread.", "a tie is not a difference: compare strictly.")
        raise wrong(f"{shown} the ranges overlap, yet you said True.",
                    "compare the ranges (each setting's lowest and highest run), not the means or single runs.")
    done = "You trust a difference only when the two settings' ranges over seeds do not even touch."
    return done if table_func is None else done + _check_table(table_func)
