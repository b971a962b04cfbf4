"""Checkers for the exercises of lesson 7 (07_relu_network.ipynb): a ReLU layer, the two-layer forward pass, and the
single linear layer that two linear layers collapse into. Each follows the contract in helpers/exercises/__init__.py."""

import torch
from torch import nn

from helpers.exercises import call, checker, require, require_tensor, wrong

HINT = "read the error; print the shape of each tensor in your function to see where it goes wrong."


def _close(a, b):
    "Two tensors agree up to float32 rounding."
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-4, atol=1e-4)


# -- exercise 1: a ReLU layer --------------------------------------------------------------------------------------


@checker("write the class MyReLU(nn.Module), whose forward(x) turns every negative number of x into 0.")
def check_relu_layer(cls):
    "Build the learner's layer, run it on new tensors of several shapes inside nn.Sequential, and its gradient."
    layer = call(cls, hint="MyReLU() takes no arguments: define __init__(self) (calling super().__init__()) or none.",
                 what="MyReLU()")
    require(isinstance(layer, nn.Module), f"MyReLU() is a {type(layer).__name__}, not an nn.Module.",
            "write `class MyReLU(nn.Module):` so that it can sit in nn.Sequential like nn.ReLU().")
    require(len(list(layer.parameters())) == 0, "Your layer has parameters: the ReLU learns nothing.",
            "keep no weights in the layer; forward only changes the numbers it is given.")
    for shape in [(int(torch.randint(3, 9, (1,))),), (int(torch.randint(2, 6, (1,))), 7), (2, 3, 5)]:
        x = torch.randn(shape) * 3
        x[..., 0] = 0.0  # a 0 stays 0
        given = x.clone()
        got = call(layer, x, hint=HINT, what="Your layer")
        require_tensor(got, shape, "Your layer's output")
        require(torch.equal(x, given), "Your layer changed the tensor it was given.",
                "return a new tensor (x.clamp(min=0.0), for example) instead of changing x in place.")
        if torch.equal(got, torch.relu(x)):
            continue
        require(not torch.equal(got, x.abs()), "Negative numbers came out positive: your layer takes absolute values.",
                "negative numbers become 0, not their opposite.")
        require(not torch.equal(got, -torch.relu(-x)), "Your layer keeps negative numbers and zeros positive ones.",
                "it is the positive numbers that pass unchanged.")
        raise wrong(f"For an input of shape {shape}, your layer's output is not the ReLU of it.",
                    "every negative number becomes 0, every other number stays as it is.")
    x = torch.randn(6, 4, requires_grad=True)
    out = call(nn.Sequential(nn.Linear(4, 4), layer, nn.Linear(4, 1)), x, hint=HINT, what="Your layer in nn.Sequential")
    out.sum().backward()
    require(x.grad is not None and x.grad.abs().sum() > 0, "No gradient flows back through your layer.",
            "compute the output with PyTorch operations on x (no .item(), no .detach(), no torch.tensor(...) copy).")
    return "Your layer is the ReLU, on new tensors of three shapes, and passes gradients back inside nn.Sequential."


# -- exercise 2: the two-layer forward pass -----------------------------------------------------------------------


def _two_layer(xb, w1, b1, w2, b2, relu_hidden=True, relu_out=False, relu_in=False):
    "The forward pass; the keywords plant the usual mistakes."
    h = (xb.clamp(min=0.0) if relu_in else xb) @ w1 + b1
    out = (h.clamp(min=0.0) if relu_hidden else h) @ w2 + b2
    return out.clamp(min=0.0) if relu_out else out


@checker("write my_two_layer(xb, w1, b1, w2, b2): the first layer's weighted sums, the ReLU, then the second layer.")
def check_two_layer_forward(func):
    "Run the learner's forward pass on new random inputs and weights of new sizes; compare with the network."
    for _ in range(3):
        n, n_in, hidden = (int(v) for v in torch.randint(3, 12, (3,)))
        xb, w1, b1 = torch.randn(n, n_in), torch.randn(n_in, hidden), torch.randn(hidden)
        w2, b2 = torch.randn(hidden, 1), torch.randn(1)
        got = call(func, xb, w1, b1, w2, b2, hint=lambda e: "a matrix product needs (n, k) @ (k, m): x @ w1, then the "
                   "hidden values @ w2." if "shape" in str(e) or "size" in str(e) else HINT)
        require_tensor(got, (n, 1), "Your output")
        if _close(got, _two_layer(xb, w1, b1, w2, b2)):
            continue
        for planted, what, hint in [
            ({"relu_hidden": False}, "Your network has no ReLU between its layers: it is a linear model.",
             "pass the first layer's weighted sums through the ReLU before the second layer."),
            ({"relu_out": True}, "Your output never goes below 0: you put a ReLU after the second layer too.",
             "the output is the second layer's weighted sum as it is (the loss puts it through the sigmoid)."),
            ({"relu_in": True, "relu_hidden": False}, "Your ReLU is in front of the first layer, not between the two.",
             "the ReLU bends the first layer's weighted sums, not the inputs."),
            ({"relu_in": True}, "You apply the ReLU to the inputs as well.",
             "the inputs go into the first layer as they are; only its weighted sums pass through the ReLU."),
        ]:
            require(not _close(got, _two_layer(xb, w1, b1, w2, b2, **planted)), what, hint)
        raise wrong(f"For {n} inputs of {n_in} numbers and {hidden} hidden units your outputs are not the network's.",
                    "hidden = relu(xb @ w1 + b1), then hidden @ w2 + b2; check that both biases are added.")
    return "Your forward pass is the two-layer network's, for new inputs and weights of three new sizes."


# -- exercise 3: two linear layers collapse into one ---------------------------------------------------------------


@checker("write my_collapse(w1, b1, w2, b2): the weights and bias of the one linear layer that computes "
         "(x @ w1 + b1) @ w2 + b2.")
def check_collapse(func):
    "Collapse new random layers of new sizes with the learner's function, and compare on new inputs."
    for _ in range(3):
        n_in, hidden, n_out = (int(v) for v in torch.randint(2, 10, (3,)))
        w1, b1, w2, b2 = torch.randn(n_in, hidden), torch.randn(hidden), torch.randn(hidden, n_out), torch.randn(n_out)
        got = call(func, w1, b1, w2, b2, hint=lambda e: "check the order of the matrix products: (n_in, hidden) @ "
                   "(hidden, n_out) gives (n_in, n_out)." if "shape" in str(e) or "size" in str(e) else HINT)
        require(isinstance(got, (tuple, list)) and len(got) == 2,
                f"Your function returned {type(got).__name__}, not a pair (weights, bias).", "return weights, bias")
        weights, bias = got
        require_tensor(weights, (n_in, n_out), "Your weights")
        require_tensor(bias, (n_out,), "Your bias")
        x = torch.randn(int(torch.randint(4, 9, (1,))), n_in)
        want = (x @ w1 + b1) @ w2 + b2
        if _close(x @ weights + bias, want):
            continue
        require(_close(weights, w1 @ w2), "With your weights one layer does not follow the two as the inputs change.",
                "write (x @ w1 + b1) @ w2 + b2 out and regroup: every product with x is x @ (something).")
        require(not _close(bias, b1 @ w2), "Your bias leaves out the second layer's own bias.",
                "the bias is everything that does not multiply x: b1 @ w2, plus b2.")
        require(not _close(bias, b2), "Your bias leaves out what the first layer's bias becomes in the second layer.",
                "the first layer's bias b1 also goes through w2.")
        require(not _close(bias, b1 + b2) if hidden == n_out else True,
                "Your bias adds b1 as it is: it has to go through the second layer's weights.", "use b1 @ w2.")
        raise wrong("Your one layer does not give the two layers' outputs.",
                    "the bias is everything that does not multiply x: what b1 becomes after w2, plus b2.")
    return "Your one layer gives the two layers' outputs, for new layers of three new sizes and new inputs."
