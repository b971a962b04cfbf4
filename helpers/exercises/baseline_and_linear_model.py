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


class _WholeTables(torch.Tensor):
    """Exercise 1's inputs: torch.cdist raises, and so does taking the images one at a time (`for row in b`, `b[j]`,
    unbind), since the exercise asks for one broadcast subtraction of every image against every image."""

    ONE_AT_A_TIME = {torch.Tensor.__iter__, torch.Tensor.unbind, torch.unbind}

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.cdist:
            raise wrong("Your function calls torch.cdist.",
                        "build the table by broadcasting: give a and b each a new dimension of size 1 with None.")
        if func in cls.ONE_AT_A_TIME or (func is torch.Tensor.__getitem__ and isinstance(args[1], int)):
            raise wrong("Your function takes the images one at a time.",
                        "one subtraction can pair them all: a of shape (N, 1, P) minus b of shape (1, M, P).")
        return super().__torch_function__(func, types, args, kwargs or {})


@checker("write my_all_distances(a, b), the table of L2 distances between every row of a and every row of b.")
def check_all_distances(func):
    "Exercise 1: the L2 distance of every image of a to every image of b, as a table (len(a), len(b))."
    gen = _generator(1)
    for n, m, pixels in [(5, 3, 7), (4, 6, 784), (2, 1, 3)]:
        a, b = torch.rand(n, pixels, generator=gen), torch.rand(m, pixels, generator=gen)
        table = call(func, a.as_subclass(_WholeTables), b.as_subclass(_WholeTables), hint=SHAPE_HINT)
        if isinstance(table, torch.Tensor):
            table = table.as_subclass(torch.Tensor)
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


class _Guarded(torch.Tensor):
    """Exercise 3's inputs: every matrix product raises, and so does every operation that turns the weights, a column
    (P, 1) or its transpose (1, P), into a flat tensor (P,): the exercise asks for broadcasting against the column."""

    pixels = 0  # P, set by the checker before each call
    PRODUCTS = {torch.matmul, torch.mm, torch.bmm, torch.einsum, torch.tensordot, torch.inner, torch.mv,
                torch.nn.functional.linear, torch.Tensor.__matmul__, torch.Tensor.__rmatmul__, torch.Tensor.matmul,
                torch.Tensor.mm, torch.Tensor.mv, torch.Tensor.inner}

    @classmethod
    def _is_weights(cls, value):
        return isinstance(value, torch.Tensor) and value.dim() == 2 and sorted(value.shape) == [1, cls.pixels]

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in cls.PRODUCTS:
            raise wrong("Your function multiplies matrices (with @, matmul or linear1).",
                        "this exercise asks for the weighted sums written out: multiply with *, then .sum.")
        result = super().__torch_function__(func, types, args, kwargs or {})
        inputs = [*args, *(kwargs or {}).values()]
        outputs = result if isinstance(result, tuple | list) else [result]
        with torch._C.DisableTorchFunctionSubclass():  # reading shapes here must not call this function again
            flattened = any(cls._is_weights(a) for a in inputs) and any(
                isinstance(r, torch.Tensor) and tuple(r.shape) == (cls.pixels,) for r in outputs)
        if flattened:
            raise wrong("Your function flattens the weights into a list of P numbers (with [:, 0], view, squeeze...).",
                        "keep them a column: weights.T has shape (1, P), and broadcasting lines it up with xb (N, P).")
        return result


@checker("write my_weighted_sums(xb, weights, bias) with * and .sum, without @ and without flattening the weights.")
def check_weighted_sums(func):
    "Exercise 3: the linear model's predictions for a batch, by broadcasting the weights' column, without @."
    gen = _generator(3)
    for n, pixels in [(6, 10), (3, 784)]:
        xb, weights = torch.rand(n, pixels, generator=gen), torch.randn(pixels, 1, generator=gen)
        bias = torch.randn(1, generator=gen)
        _Guarded.pixels = pixels
        predictions = call(func, xb.as_subclass(_Guarded), weights.as_subclass(_Guarded), bias, hint=SHAPE_HINT)
        if isinstance(predictions, torch.Tensor):
            predictions = predictions.as_subclass(torch.Tensor)
        require(not (isinstance(predictions, torch.Tensor) and tuple(predictions.shape) == (n,)),
                f"The predictions have shape {(n,)}: a flat list.",
                "they must be a column (N, 1), like the targets: .sum(1, keepdim=True) keeps the summed dimension.")
        require_tensor(predictions, (n, 1), "the predictions")
        expected = xb @ weights + bias
        require(not torch.allclose(predictions, xb @ weights, atol=1e-4), "The bias is missing.",
                "add the bias to every weighted sum.")
        require(torch.allclose(predictions, expected, atol=1e-4),
                f"For {n} images of {pixels} pixels some predictions are wrong.",
                "multiply each image's pixels by the weights lined up as a row, then add up each row.")
    return "each prediction is the image's pixels times the weights, added up, plus the bias: xb @ weights + bias."


def _per_digit_scores(xb, first, second):
    "Each image's score for each average m, 2 x.m - m.m (minus the part of |x - m|^2 that changes with m): (N, 2)."
    averages = torch.stack([first, second], 1)
    return 2 * xb @ averages - (averages**2).sum(0)


@checker("write my_scores_per_digit(first, second), returning weights (P, 2) and a bias (2,): one score per digit.")
def check_scores_per_digit(func):
    "Exercise 4: a linear model with two outputs, column k scoring average k: 2 x.m_k - m_k.m_k, the larger the nearer."
    gen = _generator(4)
    for n, pixels in [(8, 12), (5, 784)]:
        first, second = torch.rand(pixels, generator=gen), torch.rand(pixels, generator=gen)
        xb = torch.rand(n, pixels, generator=gen)
        result = call(func, first, second, hint=SHAPE_HINT)
        require(isinstance(result, tuple | list) and len(result) == 2, "Return two things: the weights and the bias.",
                "end with `return weights, bias`.")
        weights, bias = result
        require(not (isinstance(weights, torch.Tensor) and tuple(weights.shape) == (2, pixels)),
                f"The weights have shape {(2, pixels)}: one row per digit.",
                "each digit's weights must be a column: torch.stack([a, b], 1) puts a and b side by side.")
        require_tensor(weights, (pixels, 2), "weights")
        require(isinstance(bias, torch.Tensor) and bias.numel() == 2, "The bias should be a tensor of two numbers.",
                "one bias per digit, shape (2,): torch.stack([a, b]) makes one from two single numbers.")
        got, right = xb @ weights + bias.reshape(2), _per_digit_scores(xb, first, second)

        def like(other, got=got):
            return torch.allclose(got, other, rtol=1e-4, atol=1e-3)

        right_bias = (torch.stack([first, second], 1) ** 2).sum(0)
        require(not like(-right), "Your scores grow as an image moves AWAY from the average.",
                "that is the part of the squared distance that changes with m; the score is minus it.")
        require(not like(right[:, [1, 0]]), "The two columns are swapped.", "column 0 scores the first digit.")
        require(not like(right / pixels), f"Your scores are {pixels} times too small.",
                "the lesson's baseline_weights come from sums over the pixels, not means: do not divide.")
        require(not like(right + right_bias), "The bias is missing.",
                "expanding |x - m|^2 leaves the average's own sum of squares, which changes with m.")
        require(not like(right + 2 * right_bias), "The bias has the wrong sign.",
                "the score is MINUS the part that changes with m: minus 2 x.m, plus m.m, all negated.")
        require(not like(right / 2 - right_bias / 2), "The weights are half what they should be.",
                "expand one pixel: (x_i - m_i)^2 = x_i^2 - 2 x_i m_i + m_i^2.")
        require(like(right), f"For averages of {pixels} pixels some scores are wrong.",
                "expand |x - m|^2 = |x|^2 - 2 x.m + |m|^2: drop what does not depend on m, negate the rest.")
    return "one weighted sum per average, the larger the nearer; their difference is the baseline's linear model."
