"""Lesson 6's proof, outside the notebook: fastai's Learner ends with exactly the weights of the hand-written loop.

From the same starting weights, on the same mini-batches in the same order and with the same learning rate, the
hand-written loop of lesson 4, the loop with the hand-written optimiser (helpers.optim.BasicOptim), the same loop
with fastai's SGD, and `Learner(...).fit(...)` must end with identical weights, bit for bit. If an upgrade of fastai
(or PyTorch) ever changes that, these tests say so.
"""

import fastai
import pytest
import torch
from fastai.callback.core import Callback
from fastai.callback.progress import ProgressCallback  # importing it gives every Learner its progress bar
from fastai.data.core import DataLoaders
from fastai.data.load import DataLoader
from fastai.learner import Learner
from fastai.optimizer import SGD

from helpers.data import load_digits
from helpers.model import INIT_STD, batch_accuracy, init_params, linear1, mnist_loss, train_epoch, validate_epoch
from helpers.optim import BasicOptim, linear_from, train_epoch_opt
from helpers.repro import seed_everything

CPU = torch.device("cpu")  # explicit: with device=None fastai's DataLoaders would pick a GPU where there is one
UPGRADE_HINT = (
    f"(fastai {fastai.__version__}, torch {torch.__version__}): check what changed in Learner.fit, SGD's step or "
    "the DataLoader's shuffling, then update lesson 6 (notebooks/06_learner_equivalence.ipynb)"
)


# -- the data and the versions ---------------------------------------------------------------------------------


def random_data(n, seed):
    "n random 'images' of 784 pixels in 0..1, labelled 1.0 when the top half holds more ink than the bottom half."
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 784, generator=gen)
    y = (x[:, :392].sum(dim=1) > x[:, 392:].sum(dim=1)).float().unsqueeze(1)
    return list(zip(x, y))


@pytest.fixture(scope="module")
def random_sets():
    return random_data(300, seed=1), random_data(100, seed=2)  # 300 = 4 batches of 64 and a short one of 44


@pytest.fixture(scope="module")
def digit_sets(embedded):
    x, y = load_digits(embedded, split="training")
    x_valid, y_valid = load_digits(embedded, split="testing")
    return list(zip(x, y)), list(zip(x_valid, y_valid))


def start(seed=0, std=INIT_STD):
    "The common starting weights (784, 1) and bias (1,), small as in the lessons."
    seed_everything(seed)
    return init_params((784, 1), std=std).detach(), init_params(1, std=std).detach()


def make_loaders(sets, bs, seed=42):
    "Re-seed, then make the DataLoaders: fastai's DataLoader fixes its shuffling when it is created."
    seed_everything(seed)
    return DataLoader(sets[0], batch_size=bs, shuffle=True, device=CPU), DataLoader(sets[1], batch_size=256, device=CPU)


def flat(weights, bias):
    "Weights and bias as one row of numbers (an nn.Linear's weight (1, 784) and a column (784, 1) alike)."
    return torch.cat([weights.detach().flatten(), bias.detach().flatten()])


def by_hand(sets, lr, epochs, bs, loader_seed=42):
    "Version 1: lesson 4's loop with hand-made weights."
    train_dl, _ = make_loaders(sets, bs, loader_seed)
    w0, b0 = start()
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    for _ in range(epochs):
        train_epoch(lambda xb: linear1(xb, w, b), train_dl, lr, (w, b))
    return flat(w, b)


def with_optimiser(sets, lr, epochs, bs, opt_func):
    "Versions 3 and 4: nn.Linear, trained by train_epoch_opt with BasicOptim or fastai's SGD."
    train_dl, _ = make_loaders(sets, bs)
    model = linear_from(*start())
    opt = opt_func(list(model.parameters()), lr)
    for _ in range(epochs):
        train_epoch_opt(model, train_dl, opt)
    return flat(model.weight, model.bias)


class BatchLog(Callback):
    "Record every training batch the Learner sees."

    def before_fit(self):
        self.seen = []

    def after_batch(self):
        if self.training:
            self.seen.append((self.xb[0].clone(), self.yb[0].clone()))


def learner(sets, lr, epochs, bs):
    "Version 6: fastai's Learner, with a callback that records the training batches. Returns (learn, log)."
    train_dl, valid_dl = make_loaders(sets, bs)
    model = linear_from(*start())
    learn = Learner(DataLoaders(train_dl, valid_dl, device=CPU), model, opt_func=SGD, loss_func=mnist_loss,
                    metrics=batch_accuracy)
    log = BatchLog()
    with learn.no_bar(), learn.no_logging():
        learn.fit(epochs, lr=lr, cbs=log)
    return learn, log


def assert_same(a, b, what):
    diff = (a - b).abs().max().item()
    assert torch.equal(a, b), f"{what}: the weights differ (max difference {diff:.3g}) {UPGRADE_HINT}"


# -- the proof -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [0.5, 2.0])  # powers of two: lesson 4's step agrees with add_ on any processor
@pytest.mark.parametrize("sets", ["random_sets", "digit_sets"])
def test_hand_written_loop_optimiser_and_learner_end_with_identical_weights(sets, lr, request):
    sets = request.getfixturevalue(sets)
    epochs, bs = 3, 64
    hand = by_hand(sets, lr, epochs, bs)
    ours = with_optimiser(sets, lr, epochs, bs, BasicOptim)
    fastai_sgd = with_optimiser(sets, lr, epochs, bs, SGD)
    learn, _ = learner(sets, lr, epochs, bs)
    assert not torch.equal(hand, flat(*start()).view(-1)), "training did not move the weights"
    assert_same(hand, ours, "lesson 4's loop against BasicOptim")
    assert_same(ours, fastai_sgd, "BasicOptim against fastai's SGD")
    assert_same(fastai_sgd, flat(learn.model.weight, learn.model.bias), "the SGD loop against fastai's Learner")


@pytest.mark.parametrize("lr", [0.3, 3.0])
@pytest.mark.parametrize("sets", ["random_sets", "digit_sets"])
def test_learner_steps_exactly_like_fastai_sgd_at_any_learning_rate(sets, lr, request):
    """Not powers of two: lesson 4's `p -= lr * g` (BasicOptim's step) may round differently from fastai's `add_`
    (by processor); the SGD loop and the Learner, which make the same call, agree exactly."""
    sets = request.getfixturevalue(sets)
    epochs, bs = 2, 64
    fastai_sgd = with_optimiser(sets, lr, epochs, bs, SGD)
    learn, _ = learner(sets, lr, epochs, bs)
    assert_same(fastai_sgd, flat(learn.model.weight, learn.model.bias), f"fastai's SGD against the Learner at lr={lr}")
    ours = with_optimiser(sets, lr, 1, bs, BasicOptim)  # one epoch: a handful of steps, each off at most a last bit
    assert torch.equal(ours, by_hand(sets, lr, 1, bs)), "BasicOptim's step is lesson 4's step"
    assert (ours - with_optimiser(sets, lr, 1, bs, SGD)).abs().max().item() <= 1e-6


@pytest.mark.parametrize("sets", ["random_sets", "digit_sets"])
def test_learner_trains_on_the_same_batches_in_the_same_order(sets, request):
    sets = request.getfixturevalue(sets)
    epochs, bs = 2, 64
    _, log = learner(sets, 2.0, epochs, bs)
    train_dl, _ = make_loaders(sets, bs)
    expected = [(xb, yb) for _ in range(epochs) for xb, yb in train_dl]
    assert len(log.seen) == len(expected) == epochs * len(train_dl), f"the Learner ran other batches {UPGRADE_HINT}"
    for i, ((xb, yb), (e_xb, e_yb)) in enumerate(zip(log.seen, expected)):
        assert torch.equal(xb, e_xb) and torch.equal(yb, e_yb), f"batch {i} differs {UPGRADE_HINT}"


def test_learner_reports_the_accuracy_of_validate_epoch(digit_sets):
    learn, _ = learner(digit_sets, 2.0, 3, 64)
    _, valid_dl = make_loaders(digit_sets, 64)
    reported = learn.recorder.values[-1][-1]
    assert abs(reported - validate_epoch(learn.model, valid_dl)) < 1e-4
    twos = sum(yb.sum().item() for _, yb in valid_dl) / len(digit_sets[1])
    assert reported > max(twos, 1 - twos) + 0.1  # clearly better than always guessing the more common digit
    assert any(isinstance(cb, ProgressCallback) for cb in learn.cbs)


def test_the_comparison_notices_a_different_batch_order(random_sets):
    same = by_hand(random_sets, 2.0, 1, 64)
    other = by_hand(random_sets, 2.0, 1, 64, loader_seed=43)
    assert torch.equal(same, by_hand(random_sets, 2.0, 1, 64))
    assert not torch.equal(same, other)


# -- the pieces ------------------------------------------------------------------------------------------------


def test_linear_from_copies_the_weights_into_an_nn_linear():
    weights, bias = start()
    model = linear_from(weights, bias)
    assert model.weight.shape == (1, 784) and model.bias.shape == (1,)
    assert torch.equal(model.weight.T, weights) and torch.equal(model.bias, bias)
    xb = torch.rand(5, 784)
    assert torch.equal(model(xb), linear1(xb, weights, bias))
    with torch.no_grad():
        model.weight.add_(1.0)
    assert not torch.equal(model.weight.T, weights), "linear_from must copy, not share, the weights"


def test_basic_optim_steps_against_the_gradient_and_clears_it():
    p = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    (p * torch.tensor([1.0, 2.0, -4.0])).sum().backward()  # gradient (1, 2, -4)
    opt = BasicOptim(iter([p]), lr=0.5)  # any iterable of parameters, used for many steps
    opt.step()
    assert torch.equal(p.detach(), torch.tensor([0.5, -3.0, 2.5]))
    opt.zero_grad()
    assert torch.equal(p.grad, torch.zeros(3))
    p.grad += 1.0
    opt.step()
    assert torch.equal(p.detach(), torch.tensor([0.0, -3.5, 2.0]))


def test_nn_linear_computes_like_linear1_to_the_last_bit_on_the_cpu():
    "Lesson 6 asserts this exactly on the CPU for batches of 2 images or more (a single image takes another route)."
    weights, bias = start()
    model = linear_from(weights, bias)
    w, b = weights.clone().requires_grad_(), bias.clone().requires_grad_()
    gen = torch.Generator().manual_seed(3)
    for n in [2, 3, 31, 32, 44, 64, 200, 256]:
        xb, yb = torch.rand(n, 784, generator=gen), (torch.rand(n, 1, generator=gen) > 0.5).float()
        mnist_loss(linear1(xb, w, b), yb).backward()
        mnist_loss(model(xb), yb).backward()
        assert torch.equal(model(xb), linear1(xb, w, b)), f"predictions differ for a batch of {n} {UPGRADE_HINT}"
        assert torch.equal(model.weight.grad, w.grad.T) and torch.equal(model.bias.grad, b.grad), f"gradients, {n}"


def torch_sgd(sets, lr, epochs, bs, momentum=0.0):
    "Lesson 6's plain-PyTorch rung: torch.optim.SGD on nn.Linear, fed the same batches as the fastai loaders."
    train_dl, _ = make_loaders(sets, bs)
    model = linear_from(*start())
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    for _ in range(epochs):
        for xb, yb in train_dl:
            mnist_loss(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
    return flat(model.weight, model.bias)


@pytest.mark.parametrize("lr", [0.5, 4.0])  # powers of two: every product g * lr is exact, on any processor
def test_plain_pytorch_sgd_ends_with_the_hand_written_weights(random_sets, lr):
    assert torch.equal(torch_sgd(random_sets, lr, 2, 64), by_hand(random_sets, lr, 2, 64))
    assert not torch.equal(torch_sgd(random_sets, lr, 2, 64, momentum=0.9), by_hand(random_sets, lr, 2, 64))
