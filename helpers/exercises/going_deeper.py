"""Checkers for the exercises of lesson 10 (10_going_deeper.ipynb): a convolution by hand, a filter that finds left
edges, batch normalisation by hand in both modes, and Adam's steps as PyTorch writes them. Each follows the contract
in helpers/exercises/__init__.py: fresh random inputs every time, compared with PyTorch's own layers."""

from unittest.mock import patch

import torch
import torch.nn.functional as F
from torch import nn

from helpers.exercises import call, checker, require, require_tensor, wrong


def _hint(err):
    "A hint for an error the learner's code raised."
    if "switched off" in str(err):
        return "compute each weighted sum yourself, (window * weights).sum(), in a loop over the positions."
    if "size" in str(err) or "shape" in str(err):
        return "print the shapes of your tensors; a window of the image must have the filter's shape."
    return "read the error; try your function on a small tensor you can check by eye."


def _close(a, b, tol=1e-4):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=tol, atol=tol)


# -- exercise 1: a convolution by hand --------------------------------------------------------------------------


def _conv(image, weights, stride, padding, flip=False):
    "What F.conv2d gives for one grey image and one filter; flip=True turns the filter first (a true convolution)."
    w = weights.flip(0, 1) if flip else weights
    return F.conv2d(image[None, None], w[None, None], stride=stride, padding=padding)[0, 0]


def _switched_off(*args, **kwargs):
    "Stands in for F.conv2d while the learner's convolution runs: the exercise is to write it without the library."
    raise RuntimeError("F.conv2d is switched off while the checker runs your function")


@checker("write my_conv2d(image, weights, stride, padding): slide the filter over the (padded) image, a step of "
         "`stride` pixels at a time, and return the grid of weighted sums.")
def check_conv2d(func):
    "Call the learner's convolution on new images, filters, strides and paddings; compare with F.conv2d."
    for k, stride, padding in [(3, 1, 1), (3, 2, 1), (2, 1, 0), (3, 2, 0), (3, 1, 0)]:
        h, w = (int(n) for n in torch.randint(5, 10, (2,)))
        image, weights = torch.rand(h, w), torch.randn(k, k)
        expected = _conv(image, weights, stride, padding)
        with patch.object(F, "conv2d", _switched_off), patch.object(torch, "conv2d", _switched_off):
            got = call(func, image.clone(), weights.clone(), stride, padding, hint=_hint)
        require(isinstance(got, torch.Tensor), f"Your function returned {type(got).__name__}, not a tensor.",
                "collect the weighted sums in a tensor of shape (rows, columns), e.g. torch.zeros then fill it in.")
        got = got.detach().float()
        if tuple(got.shape) != tuple(expected.shape):
            raise wrong(f"For a {h} x {w} image, a {k} x {k} filter, stride {stride} and padding {padding} your "
                        f"result has shape {tuple(got.shape)}; expected {tuple(expected.shape)}.",
                        "pad first (F.pad or torch.zeros of the bigger size), then the window's top-left corner "
                        "goes from 0 in steps of `stride` as long as the whole window fits.")
        if _close(got, expected):
            continue
        require(not _close(got, _conv(image, weights, stride, padding, flip=True)),
                "You turned the filter round: that is the mathematicians' convolution, not what F.conv2d computes.",
                "multiply each window by the filter as it is, weight (i, j) with the pixel at (i, j) of the window.")
        raise wrong(f"With a {k} x {k} filter, stride {stride} and padding {padding} your numbers differ from "
                    "F.conv2d's.", "each output is (window * weights).sum(), where the window of output (i, j) "
                    "starts at row i * stride and column j * stride of the padded image.")
    return "Your convolution agrees with F.conv2d for five new images, filters, strides and paddings."


# -- exercise 2: a filter that finds left edges -----------------------------------------------------------------


@checker("write left_edge_filter(): return a 3x3 tensor that responds to ink to the right of an empty column, "
         "ignores horizontal edges and never responds positively to right edges.")
def check_left_edge(func):
    "Convolve the learner's filter with new pictures of left, right and horizontal edges."
    filt = call(func, hint=_hint, what="left_edge_filter()")
    require_tensor(filt, (3, 3), "Your filter")
    filt = filt.detach().float().cpu()
    for _ in range(3):
        size, ink = int(torch.randint(9, 14, (1,))), 0.3 + 0.7 * torch.rand(1).item()
        edge = int(torch.randint(3, size - 3, (1,)))
        standing = torch.zeros(size, size)
        standing[:, edge:] = ink  # empty on the left, ink from column `edge` on: a left edge down every row
        response = _conv(standing, filt, 1, 0)  # no padding: no border, only the edge
        require(response.max() > 1e-3 * ink,
                "Your filter gives no positive response anywhere along a left edge (ink to the right of empty "
                "pixels).", "give the column the ink falls on larger weights than the empty column before it.")
        require((response.amax(dim=1) > 1e-3 * ink).all(),
                "Your filter misses a left edge on some rows of a straight vertical edge.",
                "a vertical edge looks the same on every row; give every row of the filter the same pattern.")
        lying = standing.T.contiguous()  # the same picture turned: empty on top, ink below, a horizontal edge
        require(_conv(lying, filt, 1, 0).abs().max() < 1e-4 * max(1.0, filt.abs().max().item()),
                "Your filter responds to a horizontal edge.",
                "on a horizontal edge each row of the window is uniform; make the weights of every row add up to 0.")
        right = standing.flip(1)  # ink on the left, empty from a column on: a right edge
        require(_conv(right, filt, 1, 0).max() <= 1e-4 * max(1.0, filt.abs().max().item()),
                "Your filter also lights up on a right edge (ink to the left of an empty column).",
                "a left-edge filter should tell the two sides apart: which column must weigh more, the empty one or "
                "the inked one?")
    return "It lights up along vertical left edges, wherever they are, and stays dark on horizontal and right ones."


# -- exercise 3: batch normalisation by hand ------------------------------------------------------------------


@checker("write my_batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps): normalise each "
         "channel, scale and shift it; in training mode also update the running averages in place.")
def check_batch_norm(func):
    "Compare the learner's batch norm with nn.BatchNorm2d on new batches, in training then in evaluation mode."
    for _ in range(2):
        channels = int(torch.randint(2, 6, (1,)))
        layer = nn.BatchNorm2d(channels, momentum=0.05 + 0.3 * torch.rand(1).item())
        with torch.no_grad():
            layer.weight.uniform_(0.5, 2.0)
            layer.bias.uniform_(-1.0, 1.0)
            layer.running_mean.normal_()
            layer.running_var.uniform_(0.5, 2.0)
        weight, bias = layer.weight.detach().clone(), layer.bias.detach().clone()
        running_mean, running_var = layer.running_mean.clone(), layer.running_var.clone()
        batch = torch.randn(int(torch.randint(4, 9, (1,))), channels, 5, 6) * 3 + torch.randn(1, channels, 1, 1)
        with torch.no_grad():
            expected = layer.train()(batch)
        got = call(func, batch.clone(), weight, bias, running_mean, running_var, True, layer.momentum, layer.eps,
                   hint=_hint)
        require_tensor(got, batch.shape, "In training mode, your result")
        if not _close(got.detach(), expected):
            mean_all = (batch - batch.mean()) / (batch.var(unbiased=False) + layer.eps).sqrt()
            require(not _close(got.detach(), mean_all * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)),
                    "You normalised with one mean and variance for the whole batch.",
                    "each channel has its own mean and variance, over images, rows and columns: dim=(0, 2, 3).")
            unbiased = (batch - batch.mean(dim=(0, 2, 3), keepdim=True)) / (
                batch.var(dim=(0, 2, 3), keepdim=True) + layer.eps).sqrt()
            require(not _close(got.detach(), unbiased * weight.view(1, -1, 1, 1) + bias.view(1, -1, 1, 1)),
                    "You normalised with the unbiased variance (dividing by n - 1).",
                    "the layer divides by n when it normalises a batch: var(..., unbiased=False).")
            raise wrong("In training mode your outputs differ from nn.BatchNorm2d's.",
                        "subtract each channel's batch mean, divide by sqrt(variance + eps), then multiply by weight "
                        "and add bias, each of shape (1, channels, 1, 1).")
        require(_close(running_mean, layer.running_mean) and _close(running_var, layer.running_var),
                "Your running averages are not updated as nn.BatchNorm2d updates them.",
                "new = (1 - momentum) * old + momentum * batch value, in place (running_mean.mul_(...).add_(...)); "
                "the running variance uses the unbiased variance (n - 1).")
        other = torch.randn(3, channels, 5, 6) * 2 + 1
        with torch.no_grad():
            expected = layer.eval()(other)
        got = call(func, other.clone(), weight, bias, running_mean, running_var, False, layer.momentum, layer.eps,
                   hint=_hint)
        require_tensor(got, other.shape, "In evaluation mode, your result")
        require(_close(running_mean, layer.running_mean) and _close(running_var, layer.running_var),
                "In evaluation mode your function changed the running averages.",
                "only training mode updates them; evaluation mode only reads them.")
        require(_close(got.detach(), expected), "In evaluation mode your outputs differ from nn.BatchNorm2d's.",
                "evaluation mode normalises with the running mean and variance, not with the batch's own.")
    return "Training and evaluation mode, running averages included, agree with nn.BatchNorm2d."


# -- exercise 4: Adam as PyTorch writes it --------------------------------------------------------------------------


def _adam(p, grads, lr, betas, eps, wd, correct=True, decoupled=False, eps_inside=False):
    "The parameter after Adam's steps; the keywords plant the usual mistakes."
    p, avg, sqr = p.clone().double(), torch.zeros_like(p).double(), torch.zeros_like(p).double()
    for step, grad in enumerate(grads, start=1):
        grad = grad.double()
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            grad = grad + wd * p
        avg = betas[0] * avg + (1 - betas[0]) * grad
        sqr = betas[1] * sqr + (1 - betas[1]) * grad**2
        a, s = (avg / (1 - betas[0] ** step), sqr / (1 - betas[1] ** step)) if correct else (avg, sqr)
        p = p - lr * a / ((s + eps).sqrt() if eps_inside else s.sqrt() + eps)
    return p


@checker("write my_adam(p, grads, lr, betas, eps, weight_decay): start from p, take one step of torch.optim.Adam for "
         "each gradient in grads (weight decay added to the gradient), and return the final p.")
def check_adam(func):
    "Run the learner's Adam and torch.optim.Adam from new parameters with new gradients and settings; compare."
    for _ in range(3):
        n, steps = int(torch.randint(3, 8, (1,))), int(torch.randint(3, 7, (1,)))
        p, grads = torch.randn(n), [torch.randn(n) * 10 ** torch.empty(1).uniform_(-2, 1).item() for _ in range(steps)]
        lr, wd = 10 ** torch.empty(1).uniform_(-3, -1).item(), 0.5 * torch.rand(1).item()
        betas, eps = (0.8 + 0.15 * torch.rand(1).item(), 0.99 + 0.009 * torch.rand(1).item()), 1e-3
        library = p.clone().requires_grad_()
        opt = torch.optim.Adam([library], lr=lr, betas=betas, eps=eps, weight_decay=wd)
        for grad in grads:
            library.grad = grad.clone()
            opt.step()
        got = call(func, p.clone(), [g.clone() for g in grads], lr, betas, eps, wd, hint=_hint)
        require_tensor(got, p.shape, "Your final p")
        got = got.detach()
        if _close(got, library.detach(), 1e-5):
            continue
        for planted, what, hint in [
            ({"correct": False}, "Your steps lack the bias correction: the early steps are too short.",
             "the averages start at 0; divide them by 1 - beta ** step (step counted from 1) before the step."),
            ({"decoupled": True}, "You shrank the weights apart from the gradient (decoupled, as AdamW and fastai do).",
             "torch.optim.Adam adds weight_decay * p to the gradient before it updates the averages."),
            ({"eps_inside": True}, "You added eps inside the square root.",
             "divide by sqrt(corrected average of squares) + eps: eps comes after the square root."),
        ]:
            require(not _close(got, _adam(p, grads, lr, betas, eps, wd, **planted), 1e-5), what, hint)
        raise wrong(f"After {steps} steps your p is not where torch.optim.Adam takes it.",
                    "per step: grad + weight_decay * p; update both running averages; correct them for their start "
                    "at 0; p -= lr * avg_hat / (sqrt(sqr_hat) + eps).")
    return "Your Adam takes the same steps as torch.optim.Adam, weight decay included, on three new problems."
