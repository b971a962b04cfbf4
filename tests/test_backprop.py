"""helpers.backprop: the two-layer network's hand-written forward and backward pass, and the scalar engine."""

import math

import matplotlib
import pytest
import torch

from helpers.backprop import Scalar, backward_two_layer, draw_graph, forward_two_layer, topological_order
from helpers.model import mnist_loss
from helpers.nets import simple_net

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def random_net(n, hidden, seed):
    "A random mini-batch (n images, both digits) and a random two-layer net, in float64, each parameter on its own."
    g = torch.Generator().manual_seed(seed)
    xb = torch.rand(n, 784, generator=g, dtype=torch.float64)
    yb = (torch.arange(n) % 2 == 0).double().view(-1, 1)
    params = [torch.randn(784, hidden, generator=g, dtype=torch.float64) * 0.1,
              torch.randn(hidden, generator=g, dtype=torch.float64) * 0.5,
              torch.randn(hidden, 1, generator=g, dtype=torch.float64),
              torch.randn(1, generator=g, dtype=torch.float64)]
    return xb, yb, params


def autograd_grads(xb, yb, params):
    "PyTorch's gradients of mnist_loss(simple_net(...)) with respect to each parameter."
    leaves = [p.clone().requires_grad_() for p in params]
    loss = mnist_loss(simple_net(xb, leaves), yb)
    loss.backward()
    return loss.detach(), [p.grad for p in leaves]


# -- the two-layer network, by hand -------------------------------------------------------------------------


@pytest.mark.parametrize("n, hidden, seed", [(1, 1, 0), (7, 5, 1), (64, 30, 2), (33, 12, 3)])
def test_hand_backward_equals_autograd(n, hidden, seed):
    xb, yb, params = random_net(n, hidden, seed)
    loss, cache = forward_two_layer(xb, yb, params)
    grads = backward_two_layer(xb, yb, params, cache)
    auto_loss, auto_grads = autograd_grads(xb, yb, params)
    assert torch.allclose(loss, auto_loss, rtol=1e-12, atol=0)
    assert len(grads) == 4
    for g, a, p in zip(grads, auto_grads, params):
        assert g.shape == p.shape and g.dtype == p.dtype
        assert torch.allclose(g, a, rtol=1e-10, atol=1e-14)
    assert all(g.abs().max() > 0 for g in grads)


def test_forward_keeps_what_the_backward_pass_needs_and_records_nothing():
    xb, yb, params = random_net(10, 4, 4)
    params = [p.requires_grad_() for p in params]
    loss, cache = forward_two_layer(xb, yb, params)
    assert not loss.requires_grad and all(not t.requires_grad for t in cache.values())
    assert torch.equal(cache["h"], cache["z1"].clamp(min=0))
    assert torch.allclose(cache["z1"], xb @ params[0] + params[1])
    assert torch.allclose(cache["s"], simple_net(xb, params).sigmoid())
    assert torch.allclose(loss, mnist_loss(simple_net(xb, params), yb))
    assert all(not g.requires_grad for g in backward_two_layer(xb, yb, params, cache))


def test_forward_refuses_targets_of_another_shape():
    xb, yb, params = random_net(5, 3, 5)
    with pytest.raises(ValueError, match="shape"):
        forward_two_layer(xb, yb.view(-1), params)


def test_hand_backward_equals_finite_differences():
    xb, yb, params = random_net(6, 3, 6)
    loss, cache = forward_two_layer(xb, yb, params)
    grads = backward_two_layer(xb, yb, params, cache)
    h = 1e-6
    for which, (p, g) in enumerate(zip(params, grads)):
        for j in range(0, p.numel(), 37 if which == 0 else 1):  # every 37th weight of w1, every other parameter
            up = [q.clone() for q in params]
            down = [q.clone() for q in params]
            up[which].view(-1)[j] += h
            down[which].view(-1)[j] -= h
            slope = (forward_two_layer(xb, yb, up)[0] - forward_two_layer(xb, yb, down)[0]) / (2 * h)
            assert abs(slope.item() - g.view(-1)[j].item()) < 1e-8 + 1e-5 * abs(slope.item()), (which, j)


def test_the_relu_blocks_the_gradient_where_z1_is_not_positive():
    xb, yb, params = random_net(12, 8, 7)
    z1 = forward_two_layer(xb, yb, params)[1]["z1"]
    assert (z1 <= 0).any() and (z1 > 0).any()
    for i in range(len(xb)):  # for one image alone, gb1 is the gradient that reaches its z1
        one_x, one_y = xb[i : i + 1], yb[i : i + 1]
        cache = forward_two_layer(one_x, one_y, params)[1]
        gw1, gb1, _, _ = backward_two_layer(one_x, one_y, params, cache)
        assert (gb1[z1[i] <= 0] == 0).all() and (gb1[z1[i] > 0] != 0).all()
        assert (gw1[:, z1[i] <= 0] == 0).all()


def test_a_dead_unit_gets_no_gradient_at_all():
    xb, yb, params = random_net(16, 6, 8)
    params[1][[1, 4]] = -1e3  # units 1 and 4 are off for every image
    loss, cache = forward_two_layer(xb, yb, params)
    gw1, gb1, gw2, gb2 = backward_two_layer(xb, yb, params, cache)
    dead = (cache["h"] == 0).all(0)
    assert dead.tolist() == [False, True, False, False, True, False]
    assert (gw1[:, dead] == 0).all() and (gb1[dead] == 0).all() and (gw2[dead] == 0).all()
    assert (gw1[:, ~dead] != 0).any(0).all() and (gb1[~dead] != 0).all()


def test_a_float32_net_like_lesson_6s_matches_autograd_to_rounding():
    torch.manual_seed(0)
    xb, yb = torch.rand(64, 784), (torch.rand(64, 1) > 0.5).float()
    params = [torch.randn(784, 30) * 0.1, torch.zeros(30), torch.randn(30, 1) * 0.01, torch.zeros(1)]
    grads = backward_two_layer(xb, yb, params, forward_two_layer(xb, yb, params)[1])
    _, auto = autograd_grads(xb, yb, params)
    for g, a in zip(grads, auto):
        assert g.dtype == torch.float32 and torch.allclose(g, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


# -- the scalar engine ---------------------------------------------------------------------------------------

EXPRESSIONS = {
    "a * a (one value used twice)": lambda a, b: a * a,
    "a + a (one value used twice)": lambda a, b: a + a,
    "a * b + a": lambda a, b: a * b + a,
    "a * b * a * b": lambda a, b: a * b * a * b,
    "a result used three times": lambda a, b: (lambda c: c * c + c)(a * b),
    "(a + b) * (a - b)": lambda a, b: (a + b) * (a - b),
    "numbers on either side": lambda a, b: 2 * a + 3 - b * 4 + (1 - a) + (a + 1) * (5 - b) - b - 2,
    "-a * b": lambda a, b: -a * b,
    "sigmoid": lambda a, b: (a * b + 0.3).sigmoid(),
    "relu at a negative input": lambda a, b: (a - 5).relu() * b,
    "relu at a positive input": lambda a, b: (a * b + 1).relu() + (b - a).relu(),
    "the course's loss for a 2": lambda a, b: 1 - (a * 0.8 + b * 0.3 + 0.1).sigmoid(),
    "a long chain": lambda a, b: ((((a * b).relu() + a) * a * b).sigmoid() - a).relu() * a,
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
@pytest.mark.parametrize("a, b", [(1.5, -0.7), (0.4, 2.0)])
def test_scalar_engines_gradients_match_torch_autograd(name, a, b):
    f = EXPRESSIONS[name]
    sa, sb = Scalar(a, label="a"), Scalar(b, label="b")
    out = f(sa, sb)
    out.backward()
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    expected = f(ta, tb)  # the same expression on tensors: torch has .exp(), .sigmoid() and .relu() too
    grads = torch.autograd.grad(expected, [ta, tb], allow_unused=True)
    assert math.isclose(out.data, expected.item(), rel_tol=1e-12, abs_tol=1e-12)
    for got, want in zip([sa.grad, sb.grad], grads):
        want = 0.0 if want is None else want.item()
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (name, got, want)


def test_a_value_used_twice_gets_both_contributions():
    x = Scalar(3.0)
    (x * x).backward()
    assert x.grad == 6.0  # 3 from each side, not 3
    y = Scalar(3.0)
    (y + y).backward()
    assert y.grad == 2.0


def test_relu_passes_no_gradient_at_or_below_zero():
    for value, slope in [(-2.0, 0.0), (0.0, 0.0), (2.0, 1.0)]:
        a = Scalar(value)
        out = a.relu()
        out.backward()
        assert out.data == max(value, 0.0) and a.grad == slope


def test_topological_order_visits_each_value_once_after_its_parents():
    a, b = Scalar(2.0, label="a"), Scalar(-1.0, label="b")
    c = a * b
    d = c + c * a  # c and a are used twice
    e = d.relu() + d.sigmoid()
    order = topological_order(e)
    assert len(order) == len(set(order)) and order[-1] is e
    position = {v: i for i, v in enumerate(order)}
    for v in order:
        assert all(position[p] < position[v] for p in v.parents)
    reachable, todo = set(), [e]  # every value e was made from, found another way
    while todo:
        v = todo.pop()
        if v not in reachable:
            reachable.add(v)
            todo.extend(v.parents)
    assert set(order) == reachable


def test_backward_goes_in_reverse_order_on_a_deep_chain():
    a = Scalar(0.5)
    out = a
    for _ in range(30):
        out = out * 1.1 + 0.01
    out.backward()
    assert math.isclose(a.grad, 1.1**30, rel_tol=1e-12)


def test_a_second_backward_adds_to_the_inputs_and_recomputes_the_values_in_between():
    a, b = Scalar(3.0), Scalar(-2.0)
    c = a * b
    d = c + a
    d.backward()
    d.backward()
    assert (a.grad, b.grad, c.grad, d.grad) == (2 * (b.data + 1), 2 * a.data, 1.0, 1.0)


def test_draw_graph_draws_a_box_per_value_and_an_arrow_per_use():
    x, w = Scalar(0.8, label="x"), Scalar(0.5, label="w")
    loss = 1 - (w * x + 0.1).sigmoid()
    loss.backward()
    ax = draw_graph(loss)
    order = topological_order(loss)
    boxes = [t for t in ax.texts if "\n" in t.get_text()]
    arrows = [t for t in ax.texts if not t.get_text()]
    slopes = sorted(t.get_text() for t in ax.texts if t.get_text().startswith("×"))
    assert len(boxes) == len(order) and len(arrows) == sum(len(v.parents) for v in order)
    assert any(t.get_text().startswith("w\n0.5\ngrad") for t in boxes)
    # w * x: 0.8 and 0.5; 1 - s = (s * -1) + 1: -1 and s = 0.6225; the two +: 1 each; the sigmoid's arrow: none
    assert slopes == ["× -1", "× 0.5", "× 0.6225", "× 0.8", "× 1", "× 1", "× 1", "× 1"]
    plt.close("all")
