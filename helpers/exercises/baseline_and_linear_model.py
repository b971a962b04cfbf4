"""Checkers for the exercises of lesson 2 (02_baseline_and_linear_model.ipynb); the contract is in __init__.py.

Each checker calls the learner's function on fresh random inputs (other sizes than the lesson's 784 pixels too), built
from a generator of its own so that the lesson's random numbers are left untouched.
"""

import torch

from helpers.exercises import call, checker, require, require_tensor, wrong


def _generator(seed):
    return torch.Generator().manual_seed(seed)


SHAPE_HINT = "print the shape of every tensor in it, and line the shapes up from the right as broadcasting does."


def _l2_table(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).mean(-1).sqrt()


@checker("write my_all_distances(a, b), the table of L2 distances between every row of a and every row of b.")
def check_all_distances(func):
    "Exercise 1: the L2 distance of every image of a to every image of b, as a table (len(a), len(b))."
    gen = _generator(1)
    for n, m, pixels in [(5, 3, 7), (4, 6, 784), (2, 1, 3)]:
        a, b = torch.rand(n, pixels, generator=gen), torch.rand(m, pixels, generator=gen)
        table = call(func, a, b, hint=SHAPE_HINT)
        expected = _l2_table(a, b)
        require(not (isinstance(table, torch.Tensor) and tuple(table.shape) == (m, n) and n != m),
                f"The table has shape {(m, n)}: one row per image of b.",
                "put a's images along the rows and b's along the columns: swap where the new dimensions go.")
        require_tensor(table, (n, m), "the table of distances")
        require(not torch.allclose(table, expected**2, atol=1e-5),
                "The distances are the squares of what they should be.", "an L2 distance ends with a square root.")
        require(not torch.allclose(table, expected * pixels**0.5, atol=1e-5),
                "The distances are too large: they grow with the number of pixels.",
                "take the mean of the squared differences over the pixels, not their sum.")
        require(torch.allclose(table, expected, atol=1e-5),
                f"For a of shape {tuple(a.shape)} and b of shape {tuple(b.shape)}, some distances are wrong.",
                "row i, column j must equal l2_distance(a[i], b[j]); check which dimension the mean runs over.")
    return "row i, column j is the L2 distance from a[i] to b[j], for any number of images and pixels."


def _mistake_masks(scores, y, called_first=None):
    "Masks (N,) of first-digit images called the second and of second-digit images called the first."
    called_first = scores[:, 0] > 0 if called_first is None else called_first
    is_first = y[:, 0] == 1
    return is_first & ~called_first, ~is_first & called_first


def _indexes(value, name):
    "The learner's tensor of indexes as a sorted list, after checking that it is a flat tensor of whole numbers."
    require(isinstance(value, torch.Tensor), f"The {name} should be a tensor of indexes, not {type(value).__name__}.",
            "mask.nonzero()[:, 0] gives the indexes where a mask is True, as a tensor.")
    require(value.dtype != torch.bool, f"The {name} is a mask of True and False, not a list of indexes.",
            "mask.nonzero()[:, 0] turns a mask into the indexes where it is True.")
    require(not value.is_floating_point(), f"The {name} holds decimals: indexes are whole numbers.",
            "index with the result of .nonzero() or .argsort(), not with the scores themselves.")
    require(value.dim() == 1, f"The {name} has shape {tuple(value.shape)}: it should be a flat list of indexes.",
            ".nonzero() returns one row per True entry: take [:, 0].")
    return sorted(value.tolist())


@checker("write my_worst_mistakes(scores, y), returning the indexes of each kind of mistake, worst first.")
def check_worst_mistakes(func):
    "Exercise 2: the indexes of each kind of mistake, from the largest |score| to the smallest."
    gen = _generator(2)
    for n in [12, 50, 7]:
        y = (torch.rand(n, 1, generator=gen) < 0.5).float()
        scores = torch.randn(n, 1, generator=gen)
        scores[: n // 4] = 0.0  # some images exactly as near one average as the other
        result = call(func, scores, y, hint=SHAPE_HINT)
        require(isinstance(result, tuple | list) and len(result) == 2, "Return two tensors of indexes, not one thing.",
                "end with `return first_called_second, second_called_first`.")
        got = [_indexes(result[0], "first result"), _indexes(result[1], "second result")]
        right = [mask.nonzero()[:, 0].tolist() for mask in _mistake_masks(scores, y)]
        if got != right:
            require(all(len(g) == len(set(g)) and len(g) <= n for g in got), "Some indexes appear more than once.",
                    "a column (N, 1) against a flat list (N,) broadcasts into an N x N table: compare columns with "
                    "columns, or take [:, 0] of both.")
            require(got != right[::-1], "The two lists are swapped.",
                    "the first list is of images whose target is 1 (the first digit) that the scores call the second.")
            at_least = [m.nonzero()[:, 0].tolist() for m in _mistake_masks(scores, y, scores[:, 0] >= 0)]
            require(got != at_least, "Images with a score of exactly 0 are counted as called the first digit.",
                    "the first digit needs a positive score: nearer its average, not equally near.")
            raise wrong(f"For {n} fresh scores and targets some indexes are wrong.",
                        "build two masks, `called_first` from the scores and `is_first` from y, and combine them "
                        "with & and ~.")
        for found in result:
            sizes = scores[found, 0].abs()
            if len(sizes) > 1 and not bool((sizes[:-1] >= sizes[1:]).all()):
                require(not bool((sizes[:-1] <= sizes[1:]).all()), "The least confident mistake comes first.",
                        "argsort(descending=True) puts the largest first.")
                raise wrong("The right images, in the wrong order.",
                            "order each list by the size of its scores, .abs(), largest first.")
    return "masks, .nonzero() and .argsort() find each kind of mistake, the most confident first."


class _NoMatrixProduct(torch.Tensor):
    "A batch of images on which every matrix product raises: exercise 3 asks for the weighted sums without one."

    PRODUCTS = {torch.matmul, torch.mm, torch.bmm, torch.einsum, torch.tensordot, torch.inner, torch.mv,
                torch.nn.functional.linear, torch.Tensor.__matmul__, torch.Tensor.__rmatmul__, torch.Tensor.matmul,
                torch.Tensor.mm, torch.Tensor.mv, torch.Tensor.inner}

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in cls.PRODUCTS:
            raise wrong("Your function multiplies matrices (with @, matmul or linear1).",
                        "this exercise asks for the weighted sums written out: multiply with *, then .sum.")
        return super().__torch_function__(func, types, args, kwargs or {})


@checker("write my_weighted_sums(xb, weights, bias) with * and .sum, without @.")
def check_weighted_sums(func):
    "Exercise 3: the linear model's predictions for a batch, written as weighted sums without @."
    gen = _generator(3)
    for n, pixels in [(6, 10), (3, 784)]:
        xb, weights = torch.rand(n, pixels, generator=gen), torch.randn(pixels, 1, generator=gen)
        bias = torch.randn(1, generator=gen)
        predictions = call(func, xb.as_subclass(_NoMatrixProduct), weights, bias, hint=SHAPE_HINT)
        if isinstance(predictions, torch.Tensor):
            predictions = predictions.as_subclass(torch.Tensor)
        require(not (isinstance(predictions, torch.Tensor) and tuple(predictions.shape) == (n,)),
                f"The predictions have shape {(n,)}: a flat list.",
                "they must be a column (N, 1), like the targets; .view(-1, 1) makes one.")
        require_tensor(predictions, (n, 1), "the predictions")
        expected = xb @ weights + bias
        require(not torch.allclose(predictions, xb @ weights, atol=1e-4), "The bias is missing.",
                "add the bias to every weighted sum.")
        require(torch.allclose(predictions, expected, atol=1e-4),
                f"For {n} images of {pixels} pixels some predictions are wrong.",
                "multiply each image's pixels by the weights (weights[:, 0] is a flat tensor, one weight per pixel), "
                "then add up each row.")
    return "each prediction is the image's pixels times the weights, added up, plus the bias: xb @ weights + bias."


def _squared_distance_gap(xb, first, second):
    return ((xb - second) ** 2).mean(-1, keepdim=True) - ((xb - first) ** 2).mean(-1, keepdim=True)


@checker("write my_baseline_weights(first, second), returning the baseline's weights and bias.")
def check_baseline_weights(func):
    "Exercise 4: weights and bias with xb @ weights + bias = (squared L2 distance to second) - (to first)."
    gen = _generator(4)
    for n, pixels in [(8, 12), (5, 784)]:
        first, second = torch.rand(pixels, generator=gen), torch.rand(pixels, generator=gen)
        xb = torch.rand(n, pixels, generator=gen)
        result = call(func, first, second, hint=SHAPE_HINT)
        require(isinstance(result, tuple | list) and len(result) == 2, "Return two things: the weights and the bias.",
                "end with `return weights, bias`.")
        weights, bias = result
        require_tensor(weights, (pixels, 1), "weights")
        require(isinstance(bias, torch.Tensor) and bias.numel() == 1, "The bias should be a tensor holding one number.",
                "like the bias from init_params, shape (1,): .view(1) makes one from a single number.")
        got, gap = xb @ weights + bias.view(1), _squared_distance_gap(xb, first, second)
        require(not torch.allclose(got, -gap, atol=1e-4), "Your model says the opposite of the baseline.",
                "a positive result must mean 'nearer first'; check the signs of the weights and of the bias.")
        require(not torch.allclose(got, pixels * gap, atol=1e-3), f"Your results are {pixels} times too large.",
                "l2_distance takes a MEAN over the pixels; divide the weights and the bias by the number of pixels.")
        require(bias.abs().item() > 1e-6, "The bias is zero.",
                "expand the squares: the averages' own sums of squares are left over.")
        require(torch.allclose(got, gap, atol=1e-4),
                f"For averages of {pixels} pixels, xb @ weights + bias differs from the gap in squared distances.",
                "expand (x - m) squared pixel by pixel and collect what multiplies each pixel and what is left over.")
    return "the nearest-average baseline is a linear model: its weights and bias come from the two averages."
