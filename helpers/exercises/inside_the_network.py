"""Checkers for the exercises of lesson 8 (08_inside_the_network.ipynb): an image moved by whole pixels, the falling
learning rate, and each hidden unit's vote. Each follows the contract in helpers/exercises/__init__.py."""

from unittest.mock import patch

import torch

from helpers.exercises import call, checker, require, require_tensor, wrong

HINT = "read the error; print the shapes of the tensors in your function to see where it goes wrong."
RATES_HINT = "compute each step's rate yourself, from lr, the step's number and n_steps, with plain arithmetic."


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


def _schedules_switched_off(*args, **kwargs):
    "Stands in for fastai's schedules while the learner's function runs: the exercise is to write the rates without it."
    raise RuntimeError("fastai's schedules (SchedLin, sched_lin) are switched off while the checker runs your function")


def _rates(func, lr, n):
    "The learner's rates for `lr` and `n` steps, with fastai's schedules switched off; a crash becomes a wrong answer."
    from fastai.callback import schedule

    with (patch.object(schedule._Annealer, "__call__", _schedules_switched_off),
          patch.object(schedule, "sched_lin", _schedules_switched_off)):
        got = call(func, lr, n, hint=lambda error: RATES_HINT if "switched off" in str(error) else HINT)
    return [float(v) for v in got]


@checker("write my_falling_rates(lr, n_steps): the rate of each of the n_steps mini-batches, from lr in a straight "
         "line towards 0.")
def check_falling_rates(func, recorded=None):
    """Ask the learner's function for new rates and numbers of steps, with fastai's schedules switched off; compare
    with fastai's SchedLin(lr, 0.0); then, if given `recorded` (a Learner's recorder.lrs, one rate per step), with the
    rates that training used."""
    from fastai.callback.schedule import SchedLin

    for _ in range(3):
        lr, n = round(0.5 + 4 * torch.rand(1).item(), 3), int(torch.randint(5, 40, (1,)))
        got = _rates(func, lr, n)
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
    got = _rates(func, recorded[0], len(recorded))
    require(len(got) == len(recorded) and all(abs(a - b) <= 1e-6 * recorded[0] for a, b in zip(got, recorded)),
            "Your rates differ from the ones the Learner used in the training above.",
            "call your function with the Learner's first rate and its number of steps, and compare the lists.")
    return (f"Your rates are SchedLin's for new rates and numbers of steps, and they match the {len(recorded):,} "
            "rates the Learner used in the training above, one per mini-batch step.")


# -- exercise 3: each hidden unit's vote --------------------------------------------------------------------------


def _new_net():
    "A new two-layer net from lesson 8's two_layer_net, in training mode (as fresh layers are), with shifts of 2."
    from helpers.nets import two_layer_net

    net = two_layer_net(hidden=int(torch.randint(5, 20, (1,))), shift=2)
    with torch.no_grad():
        net[1].bias.uniform_(-0.5, 0.5)  # some units on, others off, for every image
        net[3].bias.uniform_(-1.0, 1.0)
    return net


def _votes(net, images, relu=True, vote=True, bias=True):
    """Each hidden unit's activation times its vote, one row per image (relu=False: no ReLU; vote=False: no vote;
    bias=False: without the first layer's bias)."""
    with torch.no_grad():
        hidden = images @ net[1].weight.T + (net[1].bias if bias else 0)
        hidden = hidden.clamp(min=0) if relu else hidden
        return hidden * net[3].weight[0] if vote else hidden


def _calls(net, func, *args):
    "func(*args) through call(), and whether it called the network or its layers (net[0], net[1] or net[3])."
    called = []
    hooks = [layer.register_forward_pre_hook(lambda *_: called.append(True)) for layer in (net, net[0], net[1], net[3])]
    try:
        return call(func, *args, hint=HINT), bool(called)
    finally:
        for hook in hooks:
            hook.remove()


@checker("write my_votes(net, images) from net[1].weight, net[1].bias and net[3].weight, without calling the layers: "
         "one row per image, one column per hidden unit, each entry the unit's activation times its vote.")
def check_votes(func):
    """Ask the learner's function about new networks (fresh from two_layer_net, so in training mode, with shifts) and
    new images; refuse calls to the layers; compare with each unit's activation times its vote, and the rows' sums
    with the network's output."""
    for _ in range(3):
        net, n = _new_net(), int(torch.randint(3, 9, (1,)))
        images = torch.rand(n, 784) * (torch.rand(n, 784) > 0.6)
        hidden = net[3].in_features
        with torch.no_grad():
            output = net.eval()(images)
        net.train()
        got, called = _calls(net, func, net, images)
        require(not called, "Your function called the network or its layers.",
                "work from the tensors alone; compare the shape of net[1].weight with the images' to see how to "
                "multiply them.")
        require_tensor(got, (n, hidden), "Your votes")
        got = got.detach().float()
        if torch.allclose(got, _votes(net, images), atol=1e-5):
            continue
        require(not torch.allclose(got, _votes(net, images, vote=False), atol=1e-5),
                "Your entries are the hidden units' activations, not yet their votes.",
                "the second layer's weight (net[3].weight, one per unit) is each unit's vote: multiply by it.")
        require(not torch.allclose(got, _votes(net, images, relu=False), atol=1e-5),
                "Some of your entries come from units that are off: they are not 0 where a unit is off.",
                "a unit passes nothing on when its first-layer result is negative: apply the ReLU first.")
        require(not torch.allclose(got, _votes(net, images, bias=False), atol=1e-5),
                "Your units leave out something the first layer adds to each of them.",
                "nn.Linear computes more than a product of the images and its weight: look at all its tensors.")
        require(torch.allclose(got.sum(1, keepdim=True) + net[3].bias, output, atol=1e-4),
                "Your rows, plus the second layer's bias, do not add up to the network's output.",
                "each entry is one unit's activation (first layer, then ReLU) times that unit's vote.")
        raise wrong("Your rows add up to the network's output, but not unit by unit.",
                    "each column is one unit: its activation for the image times that unit's vote, nothing else.")
    return ("Your votes are right for new networks and images: units that are off give 0, and each row plus the "
            "second layer's bias is the network's output before the sigmoid.")
