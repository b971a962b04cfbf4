"""Pictures for the lessons: digits, functions, training curves, and the seven steps of learning.

The small functions are written out in the notebook that first uses them (see TAUGHT_IN); `show_digits` and
`draw_seven_steps` are plain drawing utilities, explained where they are first used.
"""

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import MaxNLocator

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {
    "show_digit": "02_baseline_and_linear_model.ipynb",
    "plot_function": "03_loss_and_sigmoid.ipynb",
}


def show_digit(image, title=None, ax=None):
    "Draw one image, given as 784 pixels or as 28x28, dark ink on white paper."
    if ax is None:
        ax = plt.subplots(figsize=(1.8, 1.8))[1]
    ax.imshow(image.detach().cpu().view(28, 28).numpy(), cmap="Greys")
    ax.set_title(title)
    ax.axis("off")
    return ax


def show_digits(images, titles=None, ncols=8):
    "Draw several images in rows of `ncols` with show_digit, each under its title if titles are given."
    n = len(images)
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_digit(images[i], None if titles is None else titles[i], ax=ax)
            ax.title.set_fontsize(9)  # room for a title of two short lines under each image
        else:
            ax.axis("off")
    return axes


def plot_function(f, lo=-6.0, hi=6.0, title=None, xlabel="x", ylabel=None):
    "Draw y = f(x) for x from lo to hi, where f takes and returns a tensor."
    zs = torch.linspace(lo, hi, 200)
    fig, ax = plt.subplots()
    ax.plot(zs.tolist(), f(zs).tolist())
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return ax


def plot_curves(curves, xlabel="epoch", ylabel="loss", title=None):
    "Draw several curves on one plot: `curves` maps a name to a list of values, one value per epoch (from 1)."
    fig, ax = plt.subplots()
    for name, values in curves.items():
        ax.plot(range(1, len(values) + 1), values, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=True))  # whole epochs only
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # outside the axes, where it covers no curve
    return ax


SEVEN_STEPS = ["1 initialise", "2 predict", "3 loss", "4 gradient", "5 step", "7 stop"]


def draw_seven_steps():
    """The seven steps of learning as boxes and arrows, drawn with matplotlib only (no system package needed).

    Boxes 1-5 and 7 run left to right; step 6, "repeat", is the arrow that loops from the step back to predict.
    """
    fig, ax = plt.subplots(figsize=(9, 2.4))
    ax.set(xlim=(0, 9), ylim=(0, 2.4))
    ax.axis("off")
    centres = [(0.75 + 1.5 * i, 1.7) for i in range(len(SEVEN_STEPS))]
    for (x, y), name in zip(centres, SEVEN_STEPS):
        box = FancyBboxPatch((x - 0.6, y - 0.3), 1.2, 0.6, boxstyle="round,pad=0.05", fc="#e8f0fa", ec="#2b5d9b")
        ax.add_patch(box)
        ax.text(x, y, name, ha="center", va="center", fontsize=10)
    for (x0, y0), (x1, _) in zip(centres, centres[1:]):
        ax.add_patch(FancyArrowPatch((x0 + 0.65, y0), (x1 - 0.65, y0), arrowstyle="-|>", mutation_scale=14))
    step, predict = centres[4][0], centres[1][0]
    ax.add_patch(FancyArrowPatch((step, 1.3), (predict, 1.3), connectionstyle="arc3,rad=-0.35",
                                 arrowstyle="-|>", mutation_scale=14, color="#b5472b"))
    ax.text((step + predict) / 2, 0.2, "6 repeat, until the model is good enough or time is up",
            ha="center", color="#b5472b", fontsize=10)
    return ax


def plot_descent_steps(f, paths):
    """Gradient descent on y = f(x) drawn step by step: one panel per learning rate, each with the curve, a dot at
    every x visited and an arrow for every step.

    `paths` maps a learning rate to the list of x values visited, the start first (as lesson 4's `descend` returns).
    """
    fig, axes = plt.subplots(1, len(paths), figsize=(3.3 * len(paths), 3), squeeze=False)
    for ax, (lr, xs) in zip(axes[0], paths.items()):
        reach = 1.15 * max(abs(v) for v in xs)
        grid = torch.linspace(-reach, reach, 200)
        ax.plot(grid.tolist(), f(grid).tolist(), color="grey", lw=1)
        ys = [f(torch.tensor(float(v))).item() for v in xs]
        for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:]):
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->", "color": "C1", "lw": 1.2})
        ax.scatter(xs, ys, color="C1", s=14, zorder=3)
        # below and to the right of the first dot, where neither the curve nor the first arrow passes
        ax.annotate("start", (xs[0], ys[0]), textcoords="offset points", xytext=(6, -4), ha="left", va="top")
        ax.set(title=f"lr {lr}: {len(xs) - 1} steps", xlabel="x")
    axes[0][0].set_ylabel("f(x)")
    return axes


def plot_lr_sweep(rates, sweep, ylabel="training loss after 20 epochs"):
    "Lesson 5's learning-rate sweep: one line per method (`sweep` maps a name to one loss per rate), log-log axes."
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, losses in sweep.items():
        ax.plot(rates, losses, marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel=ylabel,
           title="learning-rate sweep (both axes logarithmic)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the plot, never over a curve
    fig.tight_layout()
    return ax


def plot_epochs_and_steps(per_epoch, per_step):
    "Lesson 5: training-loss curves (name -> values) counted in epochs (left) and in steps (right), log loss axis."
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5), sharey=True)
    for ax, curves, unit in [(left, per_epoch, "epoch"), (right, per_step, "step")]:
        for name, values in curves.items():
            ax.plot(range(1, len(values) + 1), values, label=name)
        ax.set(xlabel=unit, yscale="log", title=f"the same number of {unit}s")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("training loss (mnist loss, log scale)")
    right.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the plots, never over a curve
    fig.tight_layout()
    return left, right


def show_pixels(pixels):
    """Lesson 1: an image's grid of numbers as a table, cut to the rows and columns that hold ink, each number shaded
    from white (0) to black (255); the headers are the row and column numbers in the whole grid."""
    import numpy as np
    import pandas as pd
    from IPython.display import HTML

    pixels = np.asarray(pixels)
    ink_rows, ink_cols = np.nonzero(pixels)
    rows = range(int(ink_rows.min()), int(ink_rows.max()) + 1)
    cols = range(int(ink_cols.min()), int(ink_cols.max()) + 1)
    crop = pd.DataFrame(pixels[rows.start:rows.stop, cols.start:cols.stop], index=rows, columns=cols)
    # a fixed uuid gives the table the same HTML on every run
    shaded = crop.style.set_uuid("pixels").background_gradient(cmap="Greys", vmin=0, vmax=255)
    return HTML(shaded.set_properties(**{"font-size": "7pt", "padding": "1px"}).to_html())


def plot_scores(scores, y, digits, bins=30):
    "Lesson 2: histograms of the scores (N, 1) of the first digit's images and of the second's, with the line at 0."
    scores, first = scores.detach().cpu()[:, 0], y.cpu()[:, 0] == 1
    reach = scores.abs().max().item()
    edges = torch.linspace(-reach, reach, 2 * (bins // 2) + 1).tolist()  # the same bins for both; 0 is an edge
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    ax.hist(scores[first].tolist(), bins=edges, alpha=0.6, label=f"{digits[0]}s")
    ax.hist(scores[~first].tolist(), bins=edges, histtype="step", lw=1.5, label=f"{digits[1]}s")  # outlined: both show
    ax.axvline(0, color="black", lw=1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole images only
    ax.text(0, 1.02, f"called a {digits[1]}  ", transform=ax.get_xaxis_transform(), ha="right")
    ax.text(0, 1.02, f"  called a {digits[0]}", transform=ax.get_xaxis_transform(), ha="left")
    ax.set(xlabel=f"score: distance to the average {digits[1]} minus distance to the average {digits[0]}",
           ylabel="validation images")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the plot, never over a bar
    return ax


def plot_tangent(f, x0, slope, lo=-1.0, hi=5.0):
    "Lesson 4: the curve y = f(x) and its tangent at x0 (the line through (x0, f(x0)) with this slope), run and rise."
    grid = torch.linspace(lo, hi, 200)
    y0 = f(torch.tensor(float(x0))).item()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(grid.tolist(), f(grid).tolist(), color="grey", label="f(x)")
    ax.plot(grid.tolist(), (y0 + slope * (grid - x0)).tolist(), color="C1", label=f"slope {slope:g} at x = {x0:g}")
    ax.scatter([x0], [y0], color="C1", zorder=3)
    ax.plot([x0, x0 + 1, x0 + 1], [y0, y0, y0 + slope], color="C0", ls="--", lw=1)  # a run of 1, a rise of `slope`
    ax.text(x0 + 0.5, y0, "1", ha="center", va="top", color="C0")
    ax.text(x0 + 1.1, y0 + slope / 2, f"{slope:g}", va="center", color="C0")
    top = f(grid).max().item()
    ax.set(xlabel="x", ylabel="f(x)", ylim=(-0.08 * top, 1.05 * top))
    ax.legend(loc="upper left")  # the curve is low on the left, and the tangent below the axes there
    return ax


def plot_parabola_fit(speed, distance, fitted, losses, lowest=None):
    """Lesson 4: the measurements and the learned curve (left); the loss at every step, on a log axis (right), with
    `lowest`, the lowest loss any parabola reaches, as a dashed line."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.scatter(speed.tolist(), distance.tolist(), s=12, label="measurements")
    left.plot(speed.tolist(), fitted.tolist(), color="C1", label="learned parabola")
    left.set(xlabel="speed (× 100 km/h)", ylabel="stopping distance (× 100 m)")
    left.legend(loc="upper left")  # the points rise to the right, so the upper left corner is empty
    right.plot(range(len(losses)), losses, color="C1", label="loss (mean squared error)")
    if lowest is not None:
        right.axhline(lowest, color="grey", ls="--", lw=1, label="lowest loss a parabola can reach")
    right.set(xlabel="step", yscale="log", ylabel="loss (log scale)")
    right.legend(loc="upper right")  # the loss falls from the upper left, so the upper right is empty
    fig.tight_layout()
    return left, right


def plot_ink(ink, first, threshold, more_is_first, digits, bins=30):
    """Lesson 1: histograms of the ink (the fraction of pixels above 0.5) of the first digit's images and of the
    second's, with the threshold of the rule "more ink than threshold means the first digit" (or "at most", if not
    more_is_first) as a black line."""
    ink, first = ink.cpu(), first.cpu()
    edges = torch.linspace(ink.min().item(), ink.max().item(), bins + 1).tolist()  # the same bins for both digits
    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    ax.hist(ink[first].tolist(), bins=edges, alpha=0.6, label=f"{digits[0]}s")
    ax.hist(ink[~first].tolist(), bins=edges, alpha=0.6, label=f"{digits[1]}s")
    ax.axvline(float(threshold), color="black", lw=1, label="threshold")
    below, above = (digits[1], digits[0]) if more_is_first else (digits[0], digits[1])
    ax.text(float(threshold), 1.02, f"called a {below}  ", transform=ax.get_xaxis_transform(), ha="right")
    ax.text(float(threshold), 1.02, f"  called a {above}", transform=ax.get_xaxis_transform(), ha="left")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole images only
    ax.set(xlabel="ink: fraction of the pixels above 0.5", ylabel="training images")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the plot, never over a bar
    return ax


def plot_pulls():
    """Lesson 5: how hard each loss pulls on a 2, |dl/dz|, against its raw prediction z: the mnist loss's s(1 - s)
    and log loss's 1 - s (exercise 2's result), with s = sigmoid(z)."""
    z = torch.linspace(-8, 8, 321)
    s = torch.sigmoid(z)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(z.tolist(), (s * (1 - s)).tolist(), label="mnist loss: s(1 - s)")
    ax.plot(z.tolist(), (1 - s).tolist(), label="log loss: 1 - s")
    ax.axvline(0, color="grey", ls="--", lw=1)
    ax.text(-0.3, 1.02, "called a 9: wrong", transform=ax.get_xaxis_transform(), ha="right")
    ax.text(0.3, 1.02, "called a 2: right", transform=ax.get_xaxis_transform(), ha="left")
    ax.set(xlabel="raw prediction z for a 2", ylabel=r"pull $|d\ell/dz|$ on the 2")
    ax.legend(loc="upper right")  # both curves are near 0 at the right, so the upper right is empty
    fig.tight_layout()
    return ax


def plot_unrolled(row, highlight=14):
    """Lesson 1: one row of x (784 pixels) rolled up as its 28 x 28 image, and as it is: the 28 image rows laid end to
    end, row 0 first. Image row `highlight` is framed in red in both."""
    from matplotlib.patches import Rectangle

    row = row.detach().cpu().flatten()
    fig = plt.figure(figsize=(10, 1.8))  # the strip gets 8 inches: at 100 dpi, at least one screen pixel per pixel
    image_ax = fig.add_axes([0.01, 0.05, 0.15, 0.78])
    strip_ax = fig.add_axes([0.185, 0.4, 0.8, 0.22])
    image_ax.imshow(row.view(28, 28).numpy(), cmap="Greys")
    image_ax.add_patch(Rectangle((-0.5, highlight - 0.5), 28, 1, fill=False, color="red", lw=1.2))
    image_ax.set_title("28 rows of 28 pixels", fontsize=9)
    image_ax.axis("off")
    strip_ax.imshow(row.view(1, 784).numpy(), cmap="Greys", aspect="auto")
    strip_ax.add_patch(Rectangle((28 * highlight - 0.5, -0.5), 28, 1, fill=False, color="red", lw=1.2))
    strip_ax.set_xticks(range(0, 785, 28 * 4))
    strip_ax.set_xticks(range(0, 785, 28), minor=True)  # a small tick where each image row starts
    strip_ax.tick_params(which="minor", length=5, width=1)  # long enough to see at notebook size
    strip_ax.tick_params(which="major", length=9)
    strip_ax.set_yticks([])
    strip_ax.set_title(f"the same 784 pixels, one image row after another (red: row {highlight})", fontsize=9)
    strip_ax.set_xlabel("position in the row of x (a small tick every 28 pixels)", fontsize=9)
    return image_ax, strip_ax


def plot_step_and_sigmoid():
    """Lesson 3: what one 2 with raw prediction z adds to the accuracy (a step: 1 when z > 0, else 0) and to
    1 - mnist loss (sigmoid(z)); both are then averaged over the images."""
    z = torch.linspace(-6, 6, 241)
    fig, ax = plt.subplots(figsize=(6, 2.8))
    line, = ax.plot([-6, 0], [0, 0], label="accuracy: 1 if z > 0, else 0")
    ax.plot([0, 6], [1, 1], color=line.get_color())  # the step jumps at exactly 0, with no values in between
    ax.plot(z.tolist(), torch.sigmoid(z).tolist(), label="1 - mnist loss: sigmoid(z)")
    ax.set(title="what one 2 adds to each score", xlabel="raw prediction z of a 2", ylabel="score of the 2")
    ax.legend(loc="upper left")  # both curves are near 0 on the left
    fig.tight_layout()
    return ax


def plot_valley(loss, path, centre, span=(1.5, 2.0), n=80):
    """Lesson 4: contour lines of loss(p) for p = (a, b) in a box of half-widths `span` around `centre`, and the
    points of `path` (a list of [a, b], one per step of gradient descent) joined by a line, the start
    and `centre` (the lowest point) marked."""
    (ca, cb), (wa, wb) = [float(v) for v in centre], span
    a_s, b_s = torch.linspace(ca - wa, ca + wa, n), torch.linspace(cb - wb, cb + wb, n)
    grid = [[float(loss(torch.tensor([a, b], device=centre.device))) for a in a_s] for b in b_s]
    fig, ax = plt.subplots(figsize=(7, 5))
    levels = [min(map(min, grid)) * 1.5**i for i in range(25)]  # each line 1.5 times the loss of the one inside it
    ax.contour(a_s.tolist(), b_s.tolist(), grid, levels=levels, colors="grey", linewidths=0.7)
    ax.plot([p[0] for p in path], [p[1] for p in path], ".-", color="C1", ms=3, label="steps of gradient descent")
    ax.plot(*path[0], "o", color="C3", label="start")
    ax.plot(ca, cb, "x", color="black", ms=8, label="lowest point (lstsq)")
    # equal scales on both axes, so that the valley's shape and the angle of each step against the contours are true
    ax.set(xlabel="a", ylabel="b", title="the loss over a and b, with c fixed", aspect="equal")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))  # beside the plot, never over the path
    fig.tight_layout()
    return ax


def plot_boundary(score, points, labels, title=None, lim=3.0, n=121, ax=None):
    """Lessons 7 and 9: shade the plane by a model's answer, `score(spots) > 0` for "inner" (light red) else "outer"
    (light blue), for spots (K, 2) on a grid from -lim to lim, and draw the points coloured by their labels (red: 1)."""
    grid = torch.linspace(-lim, lim, n, dtype=torch.float64)
    grid_y, grid_x = torch.meshgrid(grid, grid, indexing="ij")
    spots = torch.stack([grid_x.flatten(), grid_y.flatten()], 1)
    says_inner = (score(spots).reshape(n, n) > 0).double()
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.contourf(grid.tolist(), grid.tolist(), says_inner.tolist(), levels=[-0.5, 0.5, 1.5],
                colors=["#cfe2f3", "#f4cccc"])
    ax.scatter(points[:, 0].tolist(), points[:, 1].tolist(), c=labels.flatten().tolist(), cmap="bwr", s=8)
    ax.set(title=title, aspect="equal")
    return ax


def plot_batch_losses(raw, smoothed, epoch_len):
    """Lesson 6: each training batch's loss (faint blue) and the recorder's smoothed loss (orange), with a grey line at
    each epoch's last batch, where the table reads its train_loss."""
    fig, ax = plt.subplots()
    ax.vlines(range(epoch_len - 1, len(raw), epoch_len), 0, 1, transform=ax.get_xaxis_transform(), colors="0.8",
              lw=0.8, label="last batch of each epoch")
    ax.plot(raw, label="each batch's loss (BatchLog)", alpha=0.5)
    ax.plot(smoothed, label="smoothed (as the recorder does)")
    ax.set(xlabel="training batch", ylabel="loss")
    ax.legend()
    return ax
