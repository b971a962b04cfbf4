"""The checkers of lesson 1's exercises: a right answer passes, the untouched stub says what is left to do, and a
typical wrong answer is refused with a hint."""

import numpy as np
import pytest
import torch
from PIL import Image

from helpers.data import image_files
from helpers.exercises import ExerciseError
from helpers.exercises.data import check_batches, check_read_folder, check_targets, check_top_ink


def stub(*args):
    raise NotImplementedError()


def read_folder(folder, label_of=lambda position, sub: int(sub.name), scale=255):
    "The lesson's answer; label_of and scale let the tests make the typical mistakes."
    files, labels = [], []
    for position, sub in enumerate(sorted(folder.iterdir())):
        found = image_files(sub)
        files += found
        labels += [label_of(position, sub)] * len(found)
    return torch.stack([torch.tensor(np.array(Image.open(f))) for f in files]).float() / scale, torch.tensor(labels)


def top_ink(images, rows=slice(0, 14), cols=slice(None), first=slice(None), per_pixel=False):
    "The lesson's answer; rows, cols, first and per_pixel let the tests make the typical mistakes."
    ink = (images > 0.5).float()
    top = ink[first][:, rows, cols].flatten(1)
    return top.mean(1) if per_pixel else top.sum(1) / ink[first].flatten(1).sum(1)


def targets(labels, digit):
    return (labels == digit).float().unsqueeze(1)


def batches(x, y, batch_size):
    return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]


RIGHT = [(check_read_folder, read_folder), (check_top_ink, top_ink), (check_targets, targets),
         (check_batches, batches)]

WRONG = {
    "folder: not scaled": (check_read_folder, lambda folder: read_folder(folder, scale=1), "0..1"),
    "folder: labels are the subfolders' positions": (check_read_folder, lambda folder: read_folder(
        folder, label_of=lambda position, sub: position), "another digit"),
    "folder: images only": (check_read_folder, lambda folder: read_folder(folder)[0], "two things"),
    "folder: cat, not stack": (check_read_folder, lambda folder: (
        read_folder(folder)[0].view(-1, 28), read_folder(folder)[1]), "shape"),
    "ink: the first 14 images": (check_top_ink, lambda im: top_ink(im, rows=slice(None), first=slice(0, 14)),
                                 "shape"),
    "ink: a count, not a share": (check_top_ink, lambda im: (im[:, :14] > 0.5).float().flatten(1).sum(1), "counts"),
    "ink: the bottom rows": (check_top_ink, lambda im: top_ink(im, rows=slice(14, 28)), "bottom"),
    "ink: the left columns": (check_top_ink, lambda im: top_ink(im, rows=slice(None), cols=slice(0, 14)), "columns"),
    "ink: rows 0 to 14": (check_top_ink, lambda im: top_ink(im, rows=slice(0, 15)), "rows 0 to 14"),
    "ink: share of the top pixels": (check_top_ink, lambda im: top_ink(im, per_pixel=True), "pixels"),
    "ink: another threshold": (check_top_ink, lambda im: top_ink(im * 2), "not the share"),
    "ink: threshold on the byte scale": (check_top_ink, lambda im: top_ink(im / 256), "0 / 0"),
    "targets: a row, not a column": (check_targets, lambda labels, d: (labels == d).float(), "row"),
    "targets: swapped": (check_targets, lambda labels, d: (labels != d).float().unsqueeze(1), "swapped"),
    "targets: booleans": (check_targets, lambda labels, d: (labels == d).unsqueeze(1), "floats"),
    "targets: unsqueezed at 0": (check_targets, lambda labels, d: (labels == d).float().unsqueeze(0), "not"),
    "batches: last batch dropped": (check_batches, lambda x, y, bs: [
        (x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]) for i in range(len(x) // bs)], "missing"),
    "batches: one batch too many": (check_batches, lambda x, y, bs: [
        (x[i * bs:(i + 1) * bs], y[i * bs:(i + 1) * bs]) for i in range(len(x) // bs + 1)], "more than"),
    "batches: slices that end at batch_size": (check_batches, lambda x, y, bs: [
        (x[i:bs], y[i:bs]) for i in range(0, len(x), bs)], "holds 0 inputs"),
}


@pytest.mark.parametrize("check, answer", RIGHT, ids=lambda v: getattr(v, "__name__", ""))
def test_a_right_answer_passes(check, answer, capsys):
    assert check(answer) is None
    assert capsys.readouterr().out.startswith("Correct!")


@pytest.mark.parametrize("check", [c for c, _ in RIGHT], ids=lambda c: c.__name__)
def test_the_untouched_stub_says_what_is_left_and_returns_false(check, capsys):
    assert check(stub) is None
    assert capsys.readouterr().out.startswith("Not done yet:")


@pytest.mark.parametrize("name", WRONG)
def test_a_typical_wrong_answer_is_refused_with_a_hint(name, capsys):
    check, answer, said = WRONG[name]
    with pytest.raises(ExerciseError, match=said) as err:
        check(answer)
    assert "Hint:" in str(err.value)
    assert "Correct" not in capsys.readouterr().out


def test_top_ink_scores_the_learners_share_as_lesson_1_scores_ink(capsys):
    top_heavy, bottom_heavy = torch.zeros(3, 28, 28), torch.zeros(3, 28, 28)
    top_heavy[:, 2:5, 10:14], top_heavy[:, 20, 10] = 1.0, 1.0  # 12 of 13 ink pixels in the top half
    bottom_heavy[:, 2, 10], bottom_heavy[:, 20:23, 10:13] = 1.0, 1.0  # 1 of 10
    images = torch.cat([top_heavy, bottom_heavy])
    is_first = torch.tensor([False] * 3 + [True] * 3)  # the first digit is the bottom-heavy one
    check_top_ink(top_ink, (images, is_first), (images, ~is_first))  # validation labels swapped: every call wrong
    assert capsys.readouterr().out.splitlines()[-1] == ("As a feature: 'at most 0.100 of the ink in the top half means"
                                                        " the first digit' is right for 100.0% of the training images,"
                                                        " 0.0% of the validation images.")


def test_the_checkers_leave_the_lessons_random_numbers_alone():
    torch.manual_seed(0)
    before = torch.rand(3)
    torch.manual_seed(0)
    for check, answer in RIGHT:
        check(answer)
    assert torch.equal(torch.rand(3), before)
