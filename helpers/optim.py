"""From the hand-written loop to fastai's Learner (lesson 6): nn.Linear, an optimiser of our own, its loop.

Every function and class here is written out in lesson 6 first (see TAUGHT_IN); the lesson proves that, from
the same starting weights and the same mini-batches, they end with exactly the weights of fastai's Learner.
"""

import torch
from torch import nn

from helpers.model import calc_grad

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "linear_from": "06_learner_equivalence.ipynb",
    "BasicOptim": "06_learner_equivalence.ipynb",
    "train_epoch_opt": "06_learner_equivalence.ipynb",
}


def linear_from(weights, bias):
    "An nn.Linear holding copies of the hand-made weights (n_in, 1) and bias (1,), on their device."
    model = nn.Linear(weights.shape[0], 1).to(weights.device)
    with torch.no_grad():
        model.weight.copy_(weights.T)
        model.bias.copy_(bias)
    return model


class BasicOptim:
    "A hand-written optimiser: `step` moves every parameter against its gradient, `zero_grad` clears the gradients."

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        "Move each parameter by -lr times its gradient, in place and unrecorded by autograd: lesson 4's step."
        with torch.no_grad():
            for p in self.params:
                p -= self.lr * p.grad

    def zero_grad(self):
        "Set every gradient back to zero, ready for the next mini-batch."
        for p in self.params:
            p.grad.zero_()


def train_epoch_opt(model, dl, opt):
    "One pass over the training data in which an optimiser does the step and clears the gradients."
    for xb, yb in dl:
        calc_grad(xb, yb, model)
        opt.step()
        opt.zero_grad()
