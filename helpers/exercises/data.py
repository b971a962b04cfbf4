"""Checkers for the exercises of lesson 1 (01_data.ipynb), following the contract in `helpers.exercises`.

Each checker calls the learner's function on inputs it makes itself (folders of random images written as PNG files,
random tensors, other counts and batch sizes) and compares the result with what the lesson's recipe gives on them.
"""

import math
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from helpers.exercises import attempt, checker, require


def fresh_generator(salt):
    "A generator of its own, so that a checker never moves the lesson's random numbers."
    return torch.Generator().manual_seed(1000 + salt)


def shape_of(value):
    return tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__


@checker("write my_read_folder(folder), then run the cell again.")
def check_read_folder(func):
    "my_read_folder(folder): every image under folder/<digit>/ as (N, 28, 28) floats in 0..1, and its digit, (N,)."
    gen = fresh_generator(1)
    for counts in ({1: 3, 4: 2, 7: 4}, {5: 2}):
        n = sum(counts.values())
        pixels = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=gen)
        pixels[:, 0, 0], pixels[:, 0, 1] = 0, 255  # every image holds the darkest and the brightest value
        digit_of = [d for d, k in counts.items() for _ in range(k)]
        with tempfile.TemporaryDirectory() as root:
            names = np.random.default_rng(n).permutation(n)  # file names in another order than the images
            for i, (image, digit) in enumerate(zip(pixels, digit_of, strict=True)):
                (Path(root) / str(digit)).mkdir(exist_ok=True)
                Image.fromarray(image.numpy()).save(Path(root) / str(digit) / f"{names[i]:05d}.png")
            result = attempt(func, Path(root))
        where = f"For a folder with subfolders {sorted(counts)} holding {n} images,"
        require(isinstance(result, tuple | list) and len(result) == 2, f"{where} you did not return two things.",
                "return the images and the labels: return images, labels.")
        images, labels = result
        if not isinstance(labels, torch.Tensor):
            labels = torch.tensor(labels) if isinstance(labels, list | tuple) else labels
        require(isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor),
                f"{where} you did not return two tensors.", "torch.stack the images; torch.tensor the list of labels.")
        require(tuple(images.shape) == (n, 28, 28), f"{where} your images have shape {shape_of(images)}.",
                "one 28 x 28 image per file, piled along a new first axis with torch.stack.")
        require(images.is_floating_point() and images.min() >= 0 and images.max() <= 1,
                f"{where} your pixels are not floats in 0..1 (they run from {images.min().item():g} to "
                f"{images.max().item():g}).", "turn the bytes into floats, then divide by 255.")
        require(tuple(labels.shape) == (n,), f"{where} your labels have shape {shape_of(labels)}, not ({n},).",
                "one whole number per image, in a flat tensor.")
        found = (images.cpu() * 255).round().to(torch.uint8)
        match = [next((j for j in range(n) if torch.equal(found[i], pixels[j])), None) for i in range(n)]
        require(sorted(m for m in match if m is not None) == list(range(n)),
                f"{where} your images are not the files' pixels divided by 255, each file once.",
                "open every PNG file of every subfolder, and scale each by the largest value a byte can hold.")
        require([int(labels[i]) for i in range(n)] == [digit_of[j] for j in match],
                f"{where} some images carry another digit than the name of their subfolder.",
                "the label is the subfolder's name turned into a number, int(sub.name), not its position in the list.")
    return "Every image of every subfolder, scaled to 0..1, each with the digit its folder is named after."


@checker("write my_top_ink(images), then run the cell again.")
def check_top_ink(func, train=None, valid=None):
    """my_top_ink(images): for each image of an (N, 28, 28) stack in 0..1, the share of its ink that lies in rows 0-13.
    Once it passes, with train and valid given as (images, is_first) pairs, it uses the learner's share as lesson 1
    used ink: the better rule ('more than t' or 'at most t' means the first digit) and its threshold are chosen on
    train, and it reports that rule's accuracy on both."""
    gen = fresh_generator(2)
    for n in (20, 3):
        images = torch.rand(n, 28, 28, generator=gen) ** torch.linspace(0.5, 3, n).view(n, 1, 1)
        images[:, :14] *= torch.rand(n, 1, 1, generator=gen) * 0.8 + 0.4  # each image its own balance of top and bottom
        images[:, :, :14] *= torch.rand(n, 1, 1, generator=gen) * 0.8 + 0.4  # and of left and right
        images = images.clamp(0, 1)
        images[(images - 0.5).abs() < 1e-3] = 0.0  # no pixel sits on the threshold itself
        images[:, 3, 3], images[:, 20, 20] = 0.9, 0.9  # every image has ink at the top and at the bottom
        ink = (images > 0.5).float()

        def share(top, ink=ink):
            return top.flatten(1).sum(1) / ink.flatten(1).sum(1)

        expected = share(ink[:, :14])
        result = attempt(func, images.clone())
        require(isinstance(result, torch.Tensor), f"You returned a {type(result).__name__}.",
                "compare the images with 0.5 and work with tensors throughout.")
        require(tuple(result.shape) == (n,), f"For {n} images your result has shape {shape_of(result)}, not ({n},).",
                "one number per image. Which axis does [:14] slice, and which axis does [:, :14] slice?")
        result = result.float().cpu()
        require(not result.isnan().any(), "Some of your shares are 0 / 0: no pixel counted as ink.",
                "the pixels are scaled to 0..1: compare them with 0.5.")
        require(result.max() <= 1 + 1e-6, "Some of your shares are above 1: they look like counts.",
                "divide the ink in the top rows by all the image's ink.")
        require(not torch.allclose(result, 1 - expected, atol=1e-5), "Yours are the shares of the bottom rows.",
                "axis 1 counts rows from the top: rows 0 to 13 are the upper half.")
        require(not torch.allclose(result, share(ink[:, :, :14]), atol=1e-5),
                "Yours are the shares of the left columns, not of the top rows.",
                "in (N, 28, 28), axis 1 picks the row and axis 2 the column.")
        require(not torch.allclose(result, share(ink[:, :15]), atol=1e-5), "You counted rows 0 to 14.",
                "a slice stops before its end: :14 keeps 14 rows.")
        require(not torch.allclose(result, ink[:, :14].flatten(1).mean(1), atol=1e-5),
                "Yours are the shares of the top rows' pixels that are ink, not shares of the image's ink.",
                "divide by the image's ink (its pixels above 0.5), not by its number of pixels.")
        require(torch.allclose(result, expected, atol=1e-5),
                "Your numbers are not the share of each image's ink that lies in rows 0 to 13.",
                "ink is a pixel above 0.5; count it in the top rows and in the whole image, per image.")
    message = "For each image, the share of its ink in the upper half."
    if train is None:
        return message
    (train_images, train_first), (valid_images, valid_first) = train, valid
    share, share_valid = func(train_images).float().cpu(), func(valid_images).float().cpu()
    train_first, valid_first = train_first.cpu().bool(), valid_first.cpu().bool()
    thresholds = share.unique()
    more_right = torch.stack([((share > t) == train_first).float().mean() for t in thresholds])
    more = bool(more_right.max() >= (1 - more_right).max())
    right = more_right if more else 1 - more_right
    t = thresholds[right.argmax()]
    called_first = share_valid > t if more else share_valid <= t
    valid_right = (called_first == valid_first).float().mean()
    rule = f"'{'more than' if more else 'at most'} {t:.3f} of the ink in the top half means the first digit'"
    return (f"{message}\nAs a feature: {rule} is right for {right.max():.1%} of the training images,"
            f" {valid_right:.1%} of the validation images.")


@checker("write my_targets(labels, digit), then run the cell again.")
def check_targets(func):
    "my_targets(labels, digit): an (N, 1) float column, 1.0 where labels is digit, 0.0 elsewhere."
    gen = fresh_generator(4)
    for n, digit in ((12, 3), (7, 9), (1, 0)):
        labels = torch.randint(0, 10, (n,), generator=gen)
        labels[0] = digit  # the digit occurs at least once
        if n > 1:
            labels[-1] = (digit + 1) % 10  # and another digit too
        expected = (labels == digit).float().unsqueeze(1)
        result = attempt(func, labels.clone(), digit)
        where = f"For {n} labels and digit={digit}"
        require(isinstance(result, torch.Tensor), f"{where} you returned a {type(result).__name__}.",
                "compare the labels with the digit: that gives a tensor.")
        require(tuple(result.shape) != (n,), f"{where} your targets have shape ({n},), a row of numbers.",
                "targets are a column, one row per image: add an axis of length 1 at position 1.")
        require(tuple(result.shape) == (n, 1), f"{where} your targets have shape {shape_of(result)}, not ({n}, 1).",
                "one row per label, one column: .unsqueeze(1) turns (N,) into (N, 1).")
        require(result.is_floating_point(), f"{where} your targets hold {result.dtype}, not floats.",
                "the model's predictions are floats, and its targets must be too: .float() turns True into 1.0.")
        result = result.cpu()
        require(not torch.equal(result, 1 - expected), f"{where} your 1s and 0s are swapped.",
                "the target is 1.0 where the label IS the digit.")
        require(torch.equal(result, expected), f"{where} your targets are not 1.0 exactly where the label is {digit}.",
                "compare each label with the digit, and make True 1.0 and False 0.0.")
    return "A column of 1.0 where the label is the digit, 0.0 elsewhere."


@checker("write my_batches(x, y, batch_size), then run the cell again.")
def check_batches(func):
    "my_batches(x, y, batch_size): the (xb, yb) pairs of a DataLoader that does not shuffle, in order."
    gen = fresh_generator(3)
    for n, size in ((10, 4), (12, 4), (3, 8), (7, 1)):
        x = torch.randn(n, 6, generator=gen)
        y = torch.randint(0, 2, (n, 1), generator=gen).float()
        result = attempt(func, x, y, size)
        require(isinstance(result, list | tuple), f"You returned a {type(result).__name__}.",
                "collect the pairs (xb, yb) in a list.")
        batches = list(result)
        wanted = math.ceil(n / size)
        where = f"With {n} items and batch_size={size}"
        require(len(batches) >= wanted, f"{where} you made {len(batches)} batches; the last items are missing.",
                "a smaller last batch holds what is left over; a slice that runs past the end is fine.")
        require(len(batches) <= wanted, f"{where} you made {len(batches)} batches, more than one pass needs.",
                "start a batch only where items are left; is the last one empty?")
        for i, pair in enumerate(batches):
            require(isinstance(pair, list | tuple) and len(pair) == 2,
                    f"Batch {i} is not a pair (xb, yb).", "append (xb, yb) for each batch.")
            xb, yb = pair
            start, stop = i * size, min((i + 1) * size, n)
            require(isinstance(xb, torch.Tensor) and isinstance(yb, torch.Tensor),
                    f"Batch {i} does not hold two tensors.", "slice x and y, which are tensors.")
            require(len(xb) == stop - start and len(yb) == stop - start,
                    f"{where}, batch {i} holds {len(xb)} inputs and {len(yb)} targets, not {stop - start} of each.",
                    "every batch holds batch_size items, except perhaps the last.")
            require(torch.equal(xb, x[start:stop]) and torch.equal(yb, y[start:stop]),
                    f"{where}, batch {i} does not hold the items it should, in their order.",
                    "batch i holds items i * batch_size up to (but not including) (i + 1) * batch_size, of x and y.")
    return "Your batches are those of a DataLoader that does not shuffle."
