"""Checkers for the exercises of lesson 4 (04_sgd_by_hand.ipynb): gradient descent on several numbers and its
learning-rate limits, an epoch that adds up the gradients of k mini-batches before each step, and training that
stops early. Each follows the contract in helpers/exercises/__init__.py."""

import torch

from helpers.exercises import call, checker, require, wrong
from helpers.model import mnist_loss, train_epoch, validate_epoch

IN_PLACE_HINT = ("change a parameter in place inside `with torch.no_grad():`, then zero its gradient; PyTorch "
                 "refuses an in-place change of a tensor that requires grad anywhere else.")


def _hint(err):
    "A hint for an error the learner's training code raised."
    if "in-place" in str(err) or "leaf" in str(err):
        return IN_PLACE_HINT
    if "scalar" in str(err):
        return ".backward() needs a single number: add the squares up with .sum() first."
    return "read the error; print the tensors and their .grad inside your function to see where it goes wrong."


def _close(a, b):
    "Two lists of numbers agree to float32 rounding."
    a, b = torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)


# -- exercise 1: gradient descent on several numbers at once ------------------------------------------------


def _reference_descent(c, w, start, lr, steps, sign=-1.0, zero=True, mean=False, weighted=True):
    """Descent on the sum of w_i (x_i - c_i)^2; sign=+1 steps uphill, zero=False never resets, mean=True averages,
    weighted=False forgets the weights."""
    xt = start.clone().requires_grad_()
    for _ in range(steps):
        terms = (w if weighted else 1.0) * (xt - c) ** 2
        (terms.mean() if mean else terms.sum()).backward()
        with torch.no_grad():
            xt += sign * lr * xt.grad
        if zero:
            xt.grad.zero_()
    return xt.detach()


@checker("write my_descend_to(c, w, start, lr, steps): gradient descent on the sum of w_i (x_i - c_i)^2 from "
         "`start`; return the final x.")
def check_descend_to(func):
    "Run the learner's descent on three new c, w and starts, of new lengths; compare with descent."
    for _ in range(3):
        n = int(torch.randint(2, 7, (1,)))
        c, start, w = torch.randn(n) * 2, torch.randn(n) * 2, 0.5 + 2 * torch.rand(n)
        lr, steps = 0.4 * torch.rand(1).item() / w.max().item(), int(torch.randint(3, 9, (1,)))  # below 1 / max w
        got = call(func, c.clone(), w.clone(), start.clone(), lr, steps, hint=_hint)
        require(isinstance(got, torch.Tensor) and got.shape == (n,),
                f"For {n} numbers your function returned {type(got).__name__} "
                f"{tuple(got.shape) if isinstance(got, torch.Tensor) else ''}, not a tensor of shape ({n},).",
                "return the final x itself, a tensor as long as start (x.detach()).")
        got = got.detach().float()
        if torch.allclose(got, _reference_descent(c, w, start, lr, steps), rtol=1e-4, atol=1e-5):
            continue
        for planted, what, hint in [
            ({"sign": 1.0}, "Your steps go uphill: x moves away from c.",
             "the gradient points uphill, so subtract lr times the gradient."),
            ({"zero": False}, "Your steps grow too long: each one uses the sum of all the gradients so far.",
             ".backward() adds to .grad; set it back to zero after every step."),
            ({"weighted": False}, "Every x_i moves as if its weight w_i were 1.",
             "each square (x_i - c_i)^2 is multiplied by its own w_i before the sum."),
            ({"mean": True}, "Your steps are too short: they follow the mean of the terms, not their sum.",
             "the function to descend is the sum of w_i (x_i - c_i)^2; its slope along x_i is 2 w_i (x_i - c_i)."),
        ]:
            require(not torch.allclose(got, _reference_descent(c, w, start, lr, steps, **planted), rtol=1e-4,
                                       atol=1e-5), what, hint)
        raise wrong(f"After {steps} steps at lr {lr:.3f} your x is not where gradient descent arrives.",
                     "each step: (w * (x - c) ** 2).sum().backward(), x -= lr * x.grad under torch.no_grad(), "
                     "then zero x.grad.")
    w = 0.5 + 2 * torch.rand(1).item()  # one weight for all: lr 1 / (2 w) multiplies each x_i - c_i by 0
    c, start = torch.randn(5) * 2, torch.randn(5) * 2
    got = call(func, c.clone(), torch.full((5,), w), start.clone(), 1 / (2 * w), 1, hint=_hint)
    require(torch.allclose(got.detach().float(), c, atol=1e-5), f"With every w_i = {w:.2f}, one step at lr "
            f"1 / (2 w) = {1 / (2 * w):.3f} did not land on c.",
            "a step subtracts lr times the slope 2 w_i (x_i - c_i) from each x_i.")
    return ("Every number moved towards its c, as gradient descent moves it, for three new c's and w's; "
            "at lr 1 / (2 w), in one step.")


@checker("write my_lr_limits(w): the lr that lands each x_i on c_i in one step (a tensor), and the lr above which "
         "some x_i runs away.")
def check_lr_limits(func, descend):
    """Exercise 1, second part: the two learning rates for new w's, then the learner's own `descend` (my_descend_to)
    run just below and just above the ceiling they gave, so the boundary shows."""
    for _ in range(3):
        n = int(torch.randint(2, 7, (1,)))
        w = 0.5 + 2 * torch.rand(n)
        got = call(func, w.clone(), hint=_hint)
        require(isinstance(got, tuple | list) and len(got) == 2,
                "Return two things: the one-step learning rates (a tensor) and the ceiling (one number).",
                "return land, ceiling")
        land, ceiling = torch.as_tensor(got[0], dtype=torch.float32), float(got[1])
        require(land.shape == (n,), f"For {n} weights the one-step rates have shape {tuple(land.shape)}, not ({n},).",
                "one learning rate per x_i, computed from its own w_i.")
        require(not torch.allclose(land, 1 / w, rtol=1e-4),
                "Your one-step rates are twice too large: at them a step multiplies x_i - c_i by -1.",
                "a step multiplies x_i - c_i by 1 - 2 lr w_i: for which lr is that 0?")
        require(torch.allclose(land, 1 / (2 * w), rtol=1e-4), "Some one-step rates are wrong.",
                "a step multiplies x_i - c_i by 1 - 2 lr w_i: for which lr is that 0?")
        near = lambda value, ceiling=ceiling: abs(ceiling - float(value)) <= 1e-4 * float(value)  # noqa: E731
        require(not near(1 / (2 * w.max())),
                "Your ceiling is the one-step rate of the largest w_i: just above it, x_i zigzags but still shrinks.",
                "x_i runs away once its factor 1 - 2 lr w_i falls below -1.")
        require(not near(1 / w.min()), "Your ceiling comes from the smallest w_i, but the largest runs away first.",
                "which w_i makes 1 - 2 lr w_i fall below -1 at the smallest lr?")
        require(near(1 / w.max()),
                f"For w = {[round(v, 3) for v in w.tolist()]} your ceiling {ceiling:.4f} is wrong.",
                "x_i runs away once its factor 1 - 2 lr w_i falls below -1: the first lr where one does.")
    c = torch.randn(n) * 2
    start = c + (0.5 + torch.rand(n)) * torch.where(torch.rand(n) < 0.5, -1.0, 1.0)  # every x_i starts off its c_i
    gap = lambda x: (x.detach().float() - c).abs().max().item()  # noqa: E731
    below = gap(call(descend, c.clone(), w.clone(), start.clone(), 0.95 * ceiling, 200, hint=_hint))
    above = gap(call(descend, c.clone(), w.clone(), start.clone(), 1.05 * ceiling, 200, hint=_hint))
    require(below < gap(start) < above,
            f"200 steps of your my_descend_to at 0.95 and 1.05 times the ceiling left the largest |x_i - c_i| at "
            f"{below:.3g} and {above:.3g}, from {gap(start):.3g}: it should shrink below the ceiling, grow above it.",
            "make my_descend_to pass its own check first.")
    return ("One step lands x_i on c_i at lr 1 / (2 w_i); at 0.95 times your ceiling 200 steps of your descent "
            "shrank every gap, at 1.05 times it the steepest one ran away.")


# -- exercise 2: gradients added up over k mini-batches before each step -------------------------------------------


def _reference_accumulating(batches, params, lr, k, every=None, scale=1.0, last=True, zero=True, zero_each=False):
    """The linear model after an epoch that steps after every k mini-batches and after the last, from copies of
    params; the keywords plant the usual mistakes."""
    weights, bias = [p.detach().clone().requires_grad_() for p in params]
    every = every or k
    for i, (xb, yb) in enumerate(batches, start=1):
        if zero_each:
            weights.grad, bias.grad = None, None
        mnist_loss(xb @ weights + bias, yb).backward()
        if i % every == 0 or (last and i == len(batches)):
            with torch.no_grad():
                for p in (weights, bias):
                    p -= scale * lr * p.grad
                    if zero:
                        p.grad.zero_()
    return weights.detach(), bias.detach()


ACCUMULATING_MISTAKES = [
    ({"every": 1}, "Your parameters are those of one step per mini-batch.",
     "add up the gradients of k mini-batches (do not zero them in between), and step only after every k-th."),
    ({"scale": "k"}, "Your steps are k times too long.", "step by lr times the added-up gradients, not lr * k."),
    ({"scale": "1/k"}, "Your steps are k times too short.",
     "step by lr times the added-up gradients, as they are: do not divide by k."),
    ({"last": False}, "The mini-batches after the last full group of k never moved the parameters.",
     "when the number of mini-batches is not a multiple of k, step once more after the last one."),
    ({"zero": False}, "The gradients were never set back to zero after a step: each step adds in the earlier groups.",
     "zero every parameter's gradient after each step, and only then."),
    ({"zero_each": True}, "Each step used only the gradient of the last mini-batch of its group.",
     "do not zero the gradients between the mini-batches of a group: .backward() adds them up for you."),
]


@checker("write my_train_epoch_accumulating(model, batches, lr, params, k): add up the gradients of k mini-batches, "
         "then step and zero; step after the last mini-batch too.")
def check_train_epoch_accumulating(func, x, y):
    "Train new linear models for an epoch on random mini-batches of the given images; compare with the rule."
    for k, n_batches in ((3, 7), (2, 5), (4, 4)):
        size = int(torch.randint(12, 24, (1,)))
        order = torch.randperm(len(x))[: size * n_batches]
        batches = [(x[i].cpu(), y[i].cpu()) for i in order.split(size)]
        weights = (torch.randn(x.shape[1], 1) * 0.01).requires_grad_()
        bias = (torch.randn(1) * 0.01).requires_grad_()
        start, lr = [weights.detach().clone(), bias.detach().clone()], 0.5 + torch.rand(1).item()

        def model(xb, weights=weights, bias=bias):
            return xb @ weights + bias

        call(func, model, batches, lr, [weights, bias], k, hint=_hint, returns=False)
        got = (weights.detach(), bias.detach())
        require(not torch.equal(got[0], start[0]), "The parameters did not move.",
                "step every tensor in params in place (p -= lr * p.grad) under torch.no_grad().")
        want = _reference_accumulating(batches, start, lr, k)
        if all(torch.allclose(a, b, atol=1e-6) for a, b in zip(got, want)):
            require(all(p.grad is None or not p.grad.any() for p in (weights, bias)),
                    "The gradients are not back at zero after the epoch.", "zero them after the last step too.")
            continue
        for planted, what, hint in ACCUMULATING_MISTAKES:
            scale = {"k": k, "1/k": 1 / k}.get(planted.get("scale"), 1.0)
            other = _reference_accumulating(batches, start, lr, k, **{**planted, "scale": scale})
            require(not all(torch.allclose(a, b, atol=1e-6) for a, b in zip(got, other)), what, hint)
        raise wrong(f"With k = {k} and {n_batches} mini-batches, your parameters are not those of the rule.",
                     "for each mini-batch: its loss and .backward(); after every k-th and after the last: "
                     "p -= lr * p.grad under torch.no_grad(), then zero p.grad.")
    return "One step after every k mini-batches and one after the last, each with the gradients added up."


# -- exercise 3: stopping early --------------------------------------------------------------------------------


def _stop_after(history, patience, max_epochs, ties=False, previous=False, extra=0):
    "How many epochs the stopping rule trains on this full history; the keywords plant the usual mistakes."
    best, stale = -1.0, 0
    for epoch, accuracy in enumerate(history[:max_epochs], start=1):
        better = accuracy >= best if ties else accuracy > best
        best = accuracy if previous else max(best, accuracy)
        stale = 0 if better else stale + 1
        if stale == patience + extra:
            return epoch
    return min(len(history), max_epochs)


MISTAKES = {"ties": {"ties": True}, "previous": {"previous": True}, "late": {"extra": 1}, "early": {"extra": -1}}


def _early_scenario(x, y, x_valid, y_valid, max_epochs):
    "A new small problem: images, fixed mini-batches, starting weights, lr, patience, and the full validation history."
    train = torch.randperm(len(x))[: int(torch.randint(80, 140, (1,)))]
    valid = torch.randperm(len(x_valid))[: int(torch.randint(30, 50, (1,)))]
    batches = [(x[i].cpu(), y[i].cpu()) for i in train.split(int(torch.randint(20, 40, (1,))))]
    valid_batches = [(x_valid[valid].cpu(), y_valid[valid].cpu())]
    start = [torch.randn(x.shape[1], 1) * 0.01, torch.randn(1) * 0.01]
    lr, patience = 1 + 4 * torch.rand(1).item(), int(torch.randint(2, 5, (1,)))
    weights, bias = [p.clone().requires_grad_() for p in start]
    history = []
    for _ in range(max_epochs):
        train_epoch(lambda xb: xb @ weights + bias, batches, lr, [weights, bias])
        history.append(validate_epoch(lambda xb: xb @ weights + bias, valid_batches))
    return batches, valid_batches, start, lr, patience, history


@checker("write my_train_early: train epoch after epoch, and stop once `patience` epochs in a row have not beaten "
         "the best validation accuracy.")
def check_train_early(func, x, y, x_valid, y_valid, max_epochs=25, tries=12):
    "Run the learner's loop on new small problems, chosen so that the usual mistakes stop at another epoch."
    scenarios, caught = [], set()
    for _ in range(tries):  # keep the problems on which some mistake stops at another epoch than the rule
        # (a comparison with the previous epoch rather than the best changes the stop on few problems: caught if seen)
        scenario = _early_scenario(x, y, x_valid, y_valid, max_epochs)
        patience, history = scenario[4], scenario[5]
        want = _stop_after(history, patience, max_epochs)
        new = {name for name, planted in MISTAKES.items()
               if _stop_after(history, patience, max_epochs, **planted) != want} - caught
        if new or not scenarios:
            scenarios.append(scenario)
            caught |= new
        if caught == set(MISTAKES):
            break
    for batches, valid_batches, start, lr, patience, history in scenarios:
        weights, bias = [p.clone().requires_grad_() for p in start]

        def model(xb, weights=weights, bias=bias):
            return xb @ weights + bias

        got = call(func, model, batches, valid_batches, lr, max_epochs, [weights, bias], patience, hint=_hint)
        got = [float(v) for v in got]
        want = _stop_after(history, patience, max_epochs)
        require(len(got) > 0, "Your function returned an empty list.", "append validate_epoch(...) after every epoch.")
        require(len(got) <= max_epochs, f"You returned {len(got)} accuracies, more than max_epochs = {max_epochs}.",
                "loop for at most max_epochs epochs, and append one accuracy per epoch.")
        require(_close(got, history[: len(got)]),
                "Your accuracies are not those of training epoch after epoch.",
                "each epoch: train_epoch(model, train_dl, lr, params), then validate_epoch(model, valid_dl), appended "
                "to the list; do not start the parameters again.")
        if len(got) == want:
            continue
        hints = {"ties": "an epoch that only equals the best so far has not beaten it: use >, not >=.",
                 "previous": "compare with the best accuracy so far, not with the previous epoch's.",
                 "late": "stop as soon as the count of epochs without a new best reaches patience.",
                 "early": "stop when patience epochs in a row have not beaten the best, not one epoch sooner."}
        planted = [n for n, m in MISTAKES.items() if _stop_after(history, patience, max_epochs, **m) == len(got)]
        when = "too many" if len(got) > want else "too few"
        raise wrong(f"With patience {patience} your loop trained {when} epochs ({len(got)}).",
                     hints[planted[0]] if planted else
                     "keep the best accuracy so far and a count of epochs in a row without beating it; reset the "
                     "count on a new best, and stop when it reaches patience.")
    return "Your loop stopped at the right epoch on new problems, each trained from new weights."
