"""Checkers for the lessons' exercises: one module per lesson, named after its notebook (`sgd_by_hand` for
04_sgd_by_hand.ipynb), and this contract, which every checker follows.

An exercise asks the learner to write code, usually a function. Its worked solution sits in the lesson between
nbgrader's markers, `### BEGIN SOLUTION` and `### END SOLUTION`; the practice copy of the lesson replaces what lies
between them with nbgrader's stub, `raise NotImplementedError()`. A checker then

- calls the learner's code on fresh inputs (new random tensors, other images), never on a stored answer;
- on the untouched stub (the code raises NotImplementedError, or returns `...` or None) prints "Not done yet: ..."
  with what is still to do, and returns, so that "Run all" goes on;
- on a wrong answer raises `ExerciseError` (an AssertionError) saying what is wrong, with a hint, never the answer;
- on a right one prints "Correct! ...".
It returns None either way, so that the cell shows the message alone.
"""

import torch


class ExerciseError(AssertionError):
    "A wrong answer to an exercise: the message says what is wrong and gives a hint."


class Stub(Exception):
    "Raised inside a checker when the learner's code is still the untouched stub."


def attempt(func, *args, returns=True):
    """Call the learner's `func`; raise Stub if it is still the stub: it raises NotImplementedError, or returns `...`,
    or returns None where it should return something (`returns=False`: a function whose job is a side effect)."""
    try:
        result = func(*args)
    except NotImplementedError:
        raise Stub from None
    if result is Ellipsis or (returns and result is None):
        raise Stub
    return result


def call(func, *args, hint, what="Your function", returns=True):
    """attempt(func, *args, returns=returns), where any other error the learner's code raises becomes a wrong answer
    that names `what` was called and what it raised, with `hint` (a string, or a function of the error giving one)."""
    try:
        return attempt(func, *args, returns=returns)
    except (Stub, ExerciseError):
        raise
    except Exception as error:  # the learner's own code crashed
        raise wrong(f"{what} raised {type(error).__name__}: {error}", hint(error) if callable(hint) else hint) from None


def wrong(what, hint):
    "The ExerciseError for a wrong answer: what is wrong, then a hint."
    return ExerciseError(f"{what}\nHint: {hint}")


def require(condition, what, hint):
    "Raise ExerciseError with `what` is wrong and a hint unless `condition` holds."
    if not condition:
        raise wrong(what, hint)


def require_tensor(value, shape, name):
    "The learner's result must be a tensor of this shape (a tuple), named `name` in the message."
    require(isinstance(value, torch.Tensor), f"{name} should be a tensor, not {type(value).__name__}.",
            "build it from the tensors you were given, with PyTorch operations.")
    require(tuple(value.shape) == tuple(shape), f"{name} has shape {tuple(value.shape)}; expected {tuple(shape)}.",
            "print the shape of each intermediate result, and check which dimension a mean or sum runs over.")


def checker(todo):
    """Decorate a check function `check(func)` that raises Stub or ExerciseError, or returns a message on success.

    `todo` is what the learner still has to do, printed while the answer is the stub.
    """

    def wrap(check):
        def run(*args, **kwargs):
            try:
                message = check(*args, **kwargs)
            except Stub:
                print(f"Not done yet: {todo}")
                return
            print(f"Correct! {message}" if message else "Correct!")

        run.__name__, run.__doc__ = check.__name__, check.__doc__
        return run

    return wrap
