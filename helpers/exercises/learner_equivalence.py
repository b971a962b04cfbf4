"""Checkers for the exercises of lesson 6 (06_learner_equivalence.ipynb): an optimiser's step with weight decay, a
model written as an nn.Module, and a fastai callback that reads the gradients. Each follows the contract in
helpers/exercises/__init__.py.

fastai is imported inside the checkers, not here: the lesson imports this module before setup_course(), and fastai
only after it (CONTRIBUTING.md).
"""

import torch
from torch import nn

from helpers.exercises import Stub, attempt, call, checker, require, wrong

NO_GRAD_HINT = ("change a parameter in place inside `with torch.no_grad():`; PyTorch refuses an in-place change of a "
                "tensor that records gradients anywhere else.")


def _hint(err):
    "A hint for an error the learner's code raised."
    if "in-place" in str(err) or "leaf" in str(err):
        return NO_GRAD_HINT
    if "__init__" in str(err):
        return "call super().__init__() first in __init__, before giving the module any parameter."
    return "read the error; print the tensors and their shapes inside your code to see where it goes wrong."


# -- exercise 1: a step with weight decay -------------------------------------------------------------------------


def _decayed(start, grads, lr, wd, sign=-1.0, decay_sign=1.0, scale_decay=True):
    "The parameters after one step per list of gradients; the keywords plant the usual mistakes."
    params = [p.clone() for p in start]
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p += sign * (lr * g + (lr if scale_decay else 1.0) * decay_sign * wd * p)
    return params


@checker("write the step of MyWeightDecayOptim in torch's one-step form, p -= lr * (p.grad + term), with the term "
         "you worked out on paper so that it equals fastai's two steps; change p under torch.no_grad().")
def check_weight_decay(optim_class):
    "Step the learner's optimiser on new parameters with new gradients; compare with the rule and torch.optim.SGD."
    for _ in range(3):
        shapes = [(int(torch.randint(2, 6, (1,))), int(torch.randint(1, 4, (1,)))), (int(torch.randint(1, 4, (1,))),)]
        start = [torch.randn(shape) for shape in shapes]
        lr, wd = 0.05 + 0.5 * torch.rand(1).item(), 0.05 + 0.3 * torch.rand(1).item()
        grads = [[torch.randn(shape) for shape in shapes] for _ in range(int(torch.randint(2, 5, (1,))))]
        params = [p.clone().requires_grad_() for p in start]
        opt = call(optim_class, params, lr, wd, hint=_hint, what="MyWeightDecayOptim(params, lr, wd)")
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = g.clone()
            call(opt.step, hint=_hint, what="step()", returns=False)
        got = [p.detach() for p in params]

        def close(a, b):
            return all(torch.allclose(x, y, rtol=1e-5, atol=1e-6) for x, y in zip(a, b))

        if close(got, _decayed(start, grads, lr, wd)):
            continue
        for planted, what, hint in [
            ({"sign": 1.0}, "Your step goes uphill: the parameters moved along their gradients.",
             "a step goes against the gradient: p minus lr times (...)."),
            ({"decay_sign": -1.0}, "Your weight decay pushes the parameters away from 0.",
             "expand fastai's two steps, p * (1 - lr*wd) - lr * g, and compare the sign of its wd part with yours."),
            ({"wd": 0.0}, "Your parameters moved as without weight decay.",
             "your term must use self.wd: expand p * (1 - lr*wd) - lr * g and match it with p - lr * (g + term)."),
            ({"scale_decay": False}, "Your weight decay is not scaled by the learning rate.",
             "in p * (1 - lr*wd) the decay is multiplied by lr too: is your term inside lr * (...)?"),
        ]:
            keywords = {"lr": lr, "wd": wd, **planted}
            require(not close(got, _decayed(start, grads, **keywords)), what, hint)
        raise wrong(f"After {len(grads)} steps at lr {lr:.3f} with wd {wd:.3f} your parameters are not where the "
                    "rule puts them.", "expand fastai's two steps, p * (1 - lr*wd) - lr * g, and match it term by term "
                    "with p - lr * (g + term), for each p in self.params, inside torch.no_grad().")
    reference = torch.optim.SGD([p.clone().requires_grad_() for p in start], lr=lr, weight_decay=wd)
    for step_grads in grads:
        for p, g in zip(reference.param_groups[0]["params"], step_grads):
            p.grad = g.clone()
        reference.step()
    require(close(got, [p.detach() for p in reference.param_groups[0]["params"]]),
            "Your steps differ from torch.optim.SGD(weight_decay=wd).",
            "add wd times p to the gradient, then step by lr times that sum.")
    return "Your steps pull every parameter towards 0, as torch.optim.SGD(..., weight_decay=wd) does."


# -- exercise 2: an nn.Module of our own --------------------------------------------------------------------------


@checker("write MyLinear(n_in): an nn.Module holding a `weight` (n_in, 1) and a `bias` (1,) that model.parameters() "
         "finds (print len(list(MyLinear(3).parameters())) to check), whose forward(xb) returns xb @ weight + bias.")
def check_my_linear(module_class):
    "Make the learner's module for new input sizes, check its parameters, predictions on new batches, and a step."
    for _ in range(3):
        n_in, n = int(torch.randint(3, 30, (1,))), int(torch.randint(2, 9, (1,)))
        model = call(module_class, n_in, hint=_hint, what=f"MyLinear({n_in})")
        require(isinstance(model, nn.Module), f"MyLinear({n_in}) is a {type(model).__name__}, not an nn.Module.",
                "derive the class from nn.Module: class MyLinear(nn.Module).")
        named = dict(model.named_parameters())
        require(set(named) == {"weight", "bias"},
                f"The module's parameters are {sorted(named) or 'none'}, not weight and bias.",
                "a plain tensor is not registered, so parameters() and any optimiser miss it: print "
                "type(nn.Linear(3, 1).weight) and store yours the same way.")
        require(tuple(named["weight"].shape) == (n_in, 1) and tuple(named["bias"].shape) == (1,),
                f"weight has shape {tuple(named['weight'].shape)} and bias {tuple(named['bias'].shape)}; "
                f"expected ({n_in}, 1) and (1,).", "one weight per input, in a column, and a single bias.")
        require(named["weight"].detach().std() > 0 and named["weight"].detach().abs().max() < 1,
                "The weights should start as small random numbers, all different.",
                "multiply torch.randn(n_in, 1) by a small number such as 0.01, as init_params did.")
        xb = torch.randn(n, n_in)
        got = call(model, xb, hint=_hint, what="model(xb)")
        require(isinstance(got, torch.Tensor) and tuple(got.shape) == (n, 1),
                f"For a batch of {n} the model returned {tuple(getattr(got, 'shape', ()))}, not ({n}, 1).",
                "return xb @ self.weight + self.bias: one column, one prediction per row.")
        with torch.no_grad():
            want = xb @ named["weight"] + named["bias"]
        require(torch.allclose(got.detach(), want, atol=1e-5),
                "Your predictions are not xb @ weight + bias.", "forward(xb) returns xb @ self.weight + self.bias.")
        before = [p.detach().clone() for p in model.parameters()]
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        (model(xb) ** 2).mean().backward()
        opt.step()
        require(all(not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters())),
                "A step of torch.optim.SGD did not move both parameters.",
                "use both self.weight and self.bias in forward, so that both get a gradient.")
    return "Your module's weight and bias are parameters, and it predicts xb @ weight + bias."


# -- exercise 3: a callback -----------------------------------------------------------------------------------------


def _random_learner(extra_cbs):
    "A Learner on new random data: a random number of images of a random size, in batches of a random size."
    from fastai.callback.progress import ProgressCallback  # noqa: F401 (gives the Learner its no_bar)
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    from helpers.model import mnist_loss

    n_in, n, bs = int(torch.randint(5, 20, (1,))), int(torch.randint(60, 160, (1,))), int(torch.randint(8, 33, (1,)))
    x = torch.randn(n, n_in)
    y = (x[:, :1] + 0.5 * torch.randn(n, 1) > 0).float()
    train, valid = list(zip(x[: n * 3 // 4], y[: n * 3 // 4])), list(zip(x[n * 3 // 4 :], y[n * 3 // 4 :]))
    cpu = torch.device("cpu")
    dls = DataLoaders(DataLoader(train, batch_size=bs, shuffle=True, device=cpu),
                      DataLoader(valid, batch_size=bs, device=cpu), device=cpu)
    return Learner(dls, nn.Linear(n_in, 1), opt_func=SGD, loss_func=mnist_loss, cbs=extra_cbs)


def _reference_log():
    "A callback object that records what the exercise asks: the weight's mean absolute gradient at every step."
    from fastai.callback.core import Callback

    class Reference(Callback):
        order = 100

        def before_fit(self):
            self.expected = []

        def before_step(self):
            self.expected.append(self.model.weight.grad.abs().mean().item())

    return Reference()


def _near(got, want):
    "Two lists of floats, equal to within float32 rounding."
    return len(got) == len(want) and all(abs(g - w) <= 1e-5 * abs(w) + 1e-7 for g, w in zip(got, want))


@checker("write my_grad_log(): return a Callback class whose objects keep in `grad_sizes` the mean absolute gradient "
         "of the model's weight at every training step of the latest fit, as Python floats.")
def check_grad_log(make_class):
    "Fit Learners on new random data twice each, with the learner's callback and a reference; compare the records."
    from fastai.callback.core import Callback

    cls = attempt(make_class)
    require(isinstance(cls, type) and issubclass(cls, Callback),
            f"my_grad_log() returned {cls!r}, not a class derived from fastai's Callback.",
            "define class GradLog(Callback): ... inside the function, and return the class itself (no brackets).")
    for _ in range(2):
        log, reference = cls(), _reference_log()
        learn = _random_learner([log, reference])
        for epochs in (int(torch.randint(1, 3, (1,))), int(torch.randint(2, 4, (1,)))):
            try:
                with learn.no_bar(), learn.no_logging():
                    learn.fit(epochs, lr=0.1)
            except NotImplementedError:
                raise Stub from None
            except Exception as error:
                raise wrong(f"Fitting with your callback raised {type(error).__name__}: {error}",
                            "at the event you chose, does self.model.weight.grad exist yet? Read the events in "
                            "learn.show_training_loop() between backward and the step.") from None
            got, want = getattr(log, "grad_sizes", None), reference.expected
            require(isinstance(got, list), f"Your callback's grad_sizes is {type(got).__name__}, not a list.",
                    "start an empty list in before_fit and append to it.")
            require(len(got) <= len(want),
                    f"Your callback kept {len(got)} numbers, but this fit made {len(want)} training steps.",
                    "start the list afresh in before_fit, so that each fit keeps its own numbers; record only at an "
                    "event that training batches reach.")
            require(len(got) == len(want), f"Your callback kept {len(got)} numbers, but this fit made {len(want)} "
                    "training steps.", "record once per training batch, at an event between backward and the "
                    "clearing of the gradients.")
            require(all(type(v) is float for v in got), "Your numbers are not Python floats.",
                    "a mean is a tensor holding one number: append its .item().")
            if _near(got, want):
                continue
            require(not all(v == 0 for v in got), "Every number you kept is 0: your callback read the gradients "
                    "after they were cleared.", "look in learn.show_training_loop() for the events between "
                    "backward and zero_grad.")
            raise wrong("Your numbers are not the mean absolute gradients of the weight at each step.",
                        "take self.model.weight.grad, its absolute values, then their mean, as a float.")
    return "Your callback kept the weight's gradient size at every training step, and only there, for each fit."
