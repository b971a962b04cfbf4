"""Lesson 8's checkers accept a right answer, wait for an untouched stub, and catch the usual mistakes."""

import pytest
import torch

from helpers.exercises import ExerciseError
from helpers.exercises.inside_the_network import check_falling_rates, check_shift, check_trust
from helpers.repro import setup_course


def stub(*args):
    raise NotImplementedError()


def shift(images, dy, dx, wrap=False, swap=False, sign=1):
    dy, dx = (dx, dy) if swap else (dy, dx)
    dy, dx = sign * dy, sign * dx
    grids = images.view(-1, 28, 28)
    if wrap:
        return grids.roll((dy, dx), dims=(1, 2)).reshape(images.shape)
    moved = torch.zeros_like(grids)
    moved[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
        grids[:, max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    return moved.view(images.shape)


def trust(runs_a, runs_b):
    return min(runs_a) > max(runs_b) or min(runs_b) > max(runs_a)


@pytest.fixture(scope="module", autouse=True)
def course():
    setup_course()  # fastai (the schedule's checker) is imported after it


@pytest.fixture(autouse=True)
def seeded():
    torch.manual_seed(1)


CASES = [(check_shift, shift), (check_falling_rates, lambda lr, n: [lr * (1 - i / n) for i in range(n)]),
         (check_trust, trust)]


@pytest.mark.parametrize("check, right", CASES, ids=["shift", "rates", "trust"])
def test_a_right_answer_passes(check, right, capsys):
    assert check(right) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check", [c for c, _ in CASES], ids=["shift", "rates", "trust"])
def test_the_untouched_stub_is_not_done_yet(check, capsys):
    assert check(stub) is None
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("mistake, hint", [({"wrap": True}, "comes back"), ({"swap": True}, "swapped"),
                                           ({"sign": -1}, "went backwards")], ids=["roll", "swapped", "backwards"])
def test_shift_catches_wrapping_swapped_axes_and_the_wrong_direction(mistake, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_shift(lambda images, dy, dx: shift(images, dy, dx, **mistake))


def test_shift_catches_a_move_in_place():
    def in_place(images, dy, dx):
        images.copy_(shift(images, dy, dx))
        return images

    with pytest.raises(ExerciseError, match="changed the images"):
        check_shift(in_place)


@pytest.mark.parametrize("wrong, hint", [
    (lambda lr, n: [lr * (1 - i / (n - 1)) for i in range(n)], "0 comes after the end"),
    (lambda lr, n: [lr] * n, "do not fall"), (lambda lr, n: [lr * i / n for i in range(n)], "first rate"),
    (lambda lr, n: [lr * (1 - i / n) for i in range(n - 1)], "rates"),
    (lambda lr, n: [lr * (1 - i / n) ** 2 for i in range(n)], "straight line"),
], ids=["zero at the last step", "constant", "rising", "one short", "curved"])
def test_falling_rates_catch_a_zero_last_step_a_constant_or_rising_rate_a_short_list_and_a_curve(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        check_falling_rates(wrong)


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b: min(a) > max(b), "both ways round"),
    (lambda a, b: min(a) >= max(b) or min(b) >= max(a), "compare strictly"),
    (lambda a, b: abs(sum(a) / len(a) - sum(b) / len(b)) > 0.001, "not the means"),
    (lambda a, b: max(a) > max(b) or max(b) > max(a), "not the means or single runs"),
    (lambda a, b: True, "ranges overlap"), (lambda a, b: False, "yet you said False"),
    (lambda a, b: "yes", "not True or False"),
], ids=["one way only", "ties count", "means", "best runs", "always True", "always False", "a string"])
def test_trust_catches_one_direction_ties_means_best_runs_and_guesses(wrong, hint):
    for seed in range(5):  # on several draws of new runs
        torch.manual_seed(seed)
        with pytest.raises(ExerciseError, match=hint):
            check_trust(wrong)


def test_trust_passes_on_many_draws(capsys):
    for seed in range(20):
        torch.manual_seed(seed)
        check_trust(trust)
        assert capsys.readouterr().out.startswith("Correct!")


def test_falling_rates_compare_with_the_rates_a_learner_recorded(capsys):
    right = CASES[1][1]
    recorded = right(4.0, 26)  # what fastai's SchedLin gives: 2 epochs of 13 batches
    check_falling_rates(right, recorded=recorded)
    assert "match the 26 rates" in capsys.readouterr().out
    check_falling_rates(stub, recorded=recorded)
    assert capsys.readouterr().out.startswith("Not done yet")
    with pytest.raises(ExerciseError, match="differ from the ones the Learner used"):
        check_falling_rates(right, recorded=right(4.0, 27)[:26])


def test_falling_rates_hint_never_gives_the_formula():
    with pytest.raises(ExerciseError) as caught:
        check_falling_rates(lambda lr, n: [lr * (1 - i / n) ** 2 for i in range(n)])
    assert "1 - i" not in str(caught.value)


def trusted(changes, recipe):
    return [name for name, runs in changes.items() if trust(runs, recipe)]


def test_trust_on_tables_passes_and_reads_the_second_table(capsys):
    for seed in range(10):
        torch.manual_seed(seed)
        check_trust(trust, trusted)
        out = capsys.readouterr().out
        assert out.startswith("Correct!")
        assert "you trust 3 of the 7 changes: no shifts, learning rate falling from 1, 30 hidden units." in out
    check_trust(trust, stub)
    assert capsys.readouterr().out.startswith("Not done yet")


@pytest.mark.parametrize("wrong, hint", [
    (lambda c, r: list(c), "meets the recipe"),
    (lambda c, r: [n for n, v in c.items() if max(v) < min(r)], "left out"),
    (lambda c, r: [n for n, v in c.items() if sum(v) / 2 != sum(r) / 2], "meets the recipe"),
    (lambda c, r: [n for n, v in c.items() if not trust(v, r)], "meets the recipe"),
    (lambda c, r: [], "left out"), (lambda c, r: len(c), "not a list"),
], ids=["all", "only worse ones", "different middles", "inverted", "none", "a number"])
def test_trust_on_tables_catches_all_one_direction_means_inverted_and_guesses(wrong, hint):
    for seed in range(5):
        torch.manual_seed(seed)
        with pytest.raises(ExerciseError, match=hint):
            check_trust(trust, wrong)


def test_the_checkers_second_table_is_the_measured_one():
    import json
    from pathlib import Path

    from helpers.exercises.inside_the_network import RECIPE_RANGE, SECOND_TABLE

    rows = json.loads((Path(__file__).resolve().parents[1] / "benchmarks" / "measured" / "experiments.json")
                      .read_text())["two_layer"]
    names = {"no shifts": "no shifts", "learning rate falling from 1": "lr 1 (falling)",
             "learning rate falling from 8": "lr 8 (falling)", "constant learning rate 4": "lr 4 constant",
             "lesson 7's starting weights": "hand-made initialisation", "30 hidden units": "30 hidden units",
             "40 epochs": "40 epochs"}
    ends = lambda row: [round(100 * row["official_test"]["min"], 2), round(100 * row["official_test"]["max"], 2)]  # noqa: E731
    assert RECIPE_RANGE == ends(rows["the recipe"])
    assert {name: ends(rows[key]) for name, key in names.items()} == SECOND_TABLE
