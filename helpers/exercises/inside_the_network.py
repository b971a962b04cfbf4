"""Checkers for the exercises of lesson 8 (08_inside_the_network.ipynb): an image moved by whole pixels, the falling
learning rate, and a confusion matrix counted by hand. Each follows the contract in helpers/exercises/__init__.py."""

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
    return "Your images move down, up, left and right by whole pixels, blank where nothing comes in."


# -- exercise 2: the falling learning rate -------------------------------------------------------------------------


@checker("write my_falling_rates(lr, n_steps): the rate of each of the n_steps mini-batches, from lr in a straight "
         "line towards 0.")
def check_falling_rates(func):
    "Ask the learner's function for new rates and numbers of steps; compare with fastai's SchedLin(lr, 0.0)."
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
                    "step i (from 0) has the rate lr * (1 - i / n_steps).")
    return "Your rates are the ones fastai's SchedLin(lr, 0.0) gives, for new rates and numbers of steps."


# -- exercise 3: a confusion matrix by hand ------------------------------------------------------------------------


def _confusion(probs, y):
    "[[2s called 2, 2s called 9], [9s called 2, 9s called 9]] (a 2 is y == 1; 'called 2' is probs > 0.5)."
    two, says_two = (y == 1).flatten(), (probs > 0.5).flatten()
    return torch.tensor([[(two & says_two).sum(), (two & ~says_two).sum()],
                         [(~two & says_two).sum(), (~two & ~says_two).sum()]])


@checker("write my_confusion(probs, y): a 2x2 tensor of counts, rows the true digit (2, then 9), columns the "
         "answer (2, then 9).")
def check_confusion(func):
    "Count new random answers with the learner's function; compare with the counts."
    for _ in range(3):
        n = int(torch.randint(20, 60, (1,)))
        y = (torch.rand(n, 1) < 0.4).float()  # fewer 2s than 9s, so that rows and columns cannot be swapped unseen
        probs = torch.where(torch.rand(n, 1) < 0.8, 0.2 + 0.6 * y, 0.8 - 0.6 * y)  # mostly right, some wrong
        probs = (probs + 0.15 * torch.randn(n, 1)).clamp(0.01, 0.99)
        got = call(func, probs, y, hint=HINT)
        require_tensor(got, (2, 2), "Your confusion matrix")
        want = _confusion(probs, y)
        got = got.round().long()
        if torch.equal(got, want):
            continue
        require(got.sum() == n, f"Your counts add up to {int(got.sum())}, not to the {n} images.",
                "every image falls in exactly one of the four cells.")
        require(not torch.equal(got, want.T), "Your rows are the answers and your columns the true digits.",
                "rows: the true digit (y == 1 is a 2); columns: the answer (probs > 0.5 says 2).")
        require(not torch.equal(got, want.flip(0, 1)), "Your 2s and 9s are the wrong way round.",
                "the first row and column are the 2s: y == 1 and probs > 0.5.")
        raise wrong(f"For {n} new images your counts are not the confusion matrix.",
                    "count with boolean tensors: ((y == 1) & (probs > 0.5)).sum() is the 2s called 2.")
    return "Your counts are the confusion matrix of new answers, rows the true digit and columns the answer."
