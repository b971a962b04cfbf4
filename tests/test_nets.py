"""helpers.nets and helpers.interpret: the two-layer network, random shifts, the CNN, and looking inside them."""

import matplotlib
import pytest
import torch
from torch import nn

from helpers.data import load_digits
from helpers.model import VALID_FLOORS, batch_accuracy, linear1
from helpers.nets import (
    CNN_RECIPE,
    TWO_LAYER_RECIPE,
    RandomShift,
    init_two_layer,
    make_dls,
    relu,
    simple_cnn,
    simple_net,
    train_cnn,
    train_two_layer,
    two_layer_net,
)
from helpers.repro import seed_everything, setup_course

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.interpret import (  # noqa: E402
    confusion_matrix,
    find_mistakes,
    hidden_activations,
    predict,
    show_activations,
    show_weights,
)


@pytest.fixture(scope="module")
def digits(embedded):
    "The embedded training and validation images of 2s and 9s: x, y, x_valid, y_valid."
    setup_course()
    return (*load_digits(embedded), *load_digits(embedded, split="testing"))


@pytest.fixture(scope="module")
def two_layer(digits):
    "The two-layer network trained with lesson 8's recipe, as its Learner."
    seed_everything()
    return train_two_layer(*digits, **TWO_LAYER_RECIPE)


@pytest.fixture(scope="module")
def cnn(digits):
    "The small CNN trained with lesson 10's recipe, as its Learner."
    seed_everything()
    return train_cnn(*digits, **CNN_RECIPE)


# -- lesson 7: two layers by hand ---------------------------------------------------------------------------


def test_relu_zeroes_negatives_and_keeps_the_rest():
    z = torch.linspace(-3, 3, 61)
    assert torch.equal(relu(z), torch.relu(z))
    assert relu(torch.tensor([-1.0, 0.0, 2.5])).tolist() == [0.0, 0.0, 2.5]


def test_init_two_layer_gives_shapes_gradients_and_different_units():
    torch.manual_seed(0)
    w1, b1, w2, b2 = init_two_layer(30)
    assert (w1.shape, b1.shape, w2.shape, b2.shape) == ((784, 30), (30,), (30, 1), (1,))
    assert all(p.requires_grad for p in (w1, b1, w2, b2))
    assert len({tuple(col.tolist()) for col in w1.T}) == 30  # no two hidden units start alike
    assert 0.08 < w1.std().item() < 0.12 and w2.abs().max().item() < 0.1


def test_simple_net_is_linear_relu_linear_and_matches_nn_sequential():
    torch.manual_seed(0)
    params = init_two_layer(7, std2=0.5)
    xb = torch.rand(5, 784)
    expected = torch.relu(xb @ params[0] + params[1]) @ params[2] + params[3]
    assert simple_net(xb, params).shape == (5, 1)
    assert torch.allclose(simple_net(xb, params), expected)
    net = nn.Sequential(nn.Linear(784, 7), nn.ReLU(), nn.Linear(7, 1))
    with torch.no_grad():
        net[0].weight.copy_(params[0].T), net[0].bias.copy_(params[1])
        net[2].weight.copy_(params[2].T), net[2].bias.copy_(params[3])
        assert torch.allclose(net(xb), simple_net(xb, params), atol=1e-6)


def test_without_relu_two_layers_collapse_into_one():
    torch.manual_seed(0)
    w1, b1, w2, b2 = torch.randn(784, 30), torch.randn(30), torch.randn(30, 1), torch.randn(1)
    xb = torch.rand(20, 784)
    two = linear1(linear1(xb, w1, b1), w2, b2)
    assert torch.allclose(two, linear1(xb, w1 @ w2, b1 @ w2 + b2), rtol=1e-4, atol=1e-3)
    with_relu = linear1(relu(linear1(xb, w1, b1)), w2, b2)
    assert not torch.allclose(with_relu, linear1(xb, w1 @ w2, b1 @ w2 + b2), rtol=1e-2, atol=1.0)


# -- random shifts -------------------------------------------------------------------------------------------


def shifted(image, dy, dx):
    "The 28x28 image moved dy rows down and dx columns right, with blank pixels coming in."
    out = torch.zeros_like(image)
    rows, cols = slice(max(dy, 0), 28 + min(dy, 0)), slice(max(dx, 0), 28 + min(dx, 0))
    out[rows, cols] = image[max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    return out


def test_random_shift_moves_each_image_by_at_most_its_pixels():
    torch.manual_seed(0)
    xb = torch.rand(40, 784)  # ink up to the border, so any move is visible
    moved = RandomShift(2)(xb)
    assert moved.shape == xb.shape
    found = set()
    for image, out in zip(xb.view(-1, 28, 28), moved.view(-1, 28, 28)):
        moves = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if torch.equal(out, shifted(image, dy, dx))]
        assert len(moves) == 1, "each image must be its input moved by one (dy, dx) within 2 pixels"
        found.add(moves[0])
    assert len(found) > 5, "the moves must differ from image to image"


def test_random_shift_draws_every_move_in_its_range():
    torch.manual_seed(0)
    xb = torch.rand(400, 784)
    moved = RandomShift(1)(xb)
    found = set()
    for image, out in zip(xb.view(-1, 28, 28), moved.view(-1, 28, 28)):
        found |= {(dy, dx) for dy in range(-1, 2) for dx in range(-1, 2) if torch.equal(out, shifted(image, dy, dx))}
    assert found == {(dy, dx) for dy in range(-1, 2) for dx in range(-1, 2)}, "every move from -1 to 1 must occur"


def test_random_shift_does_nothing_in_eval_mode_or_with_zero_pixels():
    xb = torch.rand(8, 784)
    shift = RandomShift(2).eval()
    assert torch.equal(shift(xb), xb)
    assert torch.equal(RandomShift(0)(xb), xb)


def test_random_shift_keeps_the_ink_of_centred_digits(digits):
    x = digits[0][:100]
    torch.manual_seed(0)
    moved = RandomShift(2)(x)
    assert not torch.equal(moved, x)
    kept = ((moved.sum(1) - x.sum(1)).abs() < 1e-3).float().mean().item()
    assert kept > 0.9  # MNIST digits sit in the middle with a blank margin


# -- the networks and their recipes --------------------------------------------------------------------------


def test_two_layer_net_has_its_layers_at_fixed_places():
    net = two_layer_net(hidden=12, shift=2)
    assert isinstance(net[0], RandomShift) and net[0].pixels == 2
    assert (net[1].in_features, net[1].out_features, net[3].in_features, net[3].out_features) == (784, 12, 12, 1)
    assert isinstance(net[2], nn.ReLU)
    assert net.eval()(torch.rand(3, 784)).shape == (3, 1)


def test_simple_cnn_takes_rows_of_pixels_to_one_prediction():
    cnn = simple_cnn(channels=(4, 8, 8, 16), shift=0).eval()
    assert cnn(torch.rand(5, 784)).shape == (5, 1)
    assert sum(isinstance(layer, nn.Conv2d) for layer in cnn) == 5
    assert [layer.out_channels for layer in cnn if isinstance(layer, nn.Conv2d)] == [4, 8, 8, 16, 1]
    assert [layer.num_features for layer in cnn if isinstance(layer, nn.BatchNorm2d)] == [4, 8, 8, 16]
    assert all(layer.stride == (2, 2) and layer.kernel_size == (3, 3) for layer in cnn if isinstance(layer, nn.Conv2d))
    assert isinstance(simple_cnn(shift=2)[0], RandomShift) and simple_cnn(shift=2)[0].pixels == 2


def test_make_dls_serves_shuffled_training_batches_on_the_device(digits):
    x, y, x_valid, y_valid = digits
    seed_everything()
    dls = make_dls(x, y, x_valid, y_valid, batch_size=100)
    xb, yb = dls.train.one_batch()
    assert xb.shape == (100, 784) and yb.shape == (100, 1) and xb.device.type == "cpu" and str(dls.device) == "cpu"
    assert 0 < yb.sum().item() < 100  # shuffled: 2s and 9s mixed
    assert dls.train.bs == 100 and dls.valid.bs == 256 and not dls.valid.shuffle
    assert len(dls.valid.dataset) == len(x_valid) and len(dls.train) == len(x) // 100


def test_make_dls_delivers_to_the_device_it_is_given(digits):
    dls = make_dls(*digits, device=torch.device("meta"))  # a device with no data: only where it points is checked
    assert dls.device == torch.device("meta") and dls.train.device == dls.valid.device == torch.device("meta")


@pytest.mark.slow
def test_two_layer_recipe_passes_its_floor(two_layer, digits):
    x_valid, y_valid = digits[2:]
    model = two_layer.model.eval()
    with torch.no_grad():
        accuracy = batch_accuracy(model(x_valid), y_valid).item()
    assert accuracy >= VALID_FLOORS["two_layer"]
    assert len(two_layer.recorder.values) == TWO_LAYER_RECIPE["epochs"]
    assert model[1].out_features == TWO_LAYER_RECIPE["hidden"]


@pytest.mark.slow
def test_two_layer_learning_rate_falls_in_a_straight_line_to_zero(two_layer):
    lrs = two_layer.recorder.hps["lr"]
    steps = len(two_layer.dls.train) * TWO_LAYER_RECIPE["epochs"]
    assert len(lrs) == steps and lrs[0] == pytest.approx(TWO_LAYER_RECIPE["lr"])
    assert lrs[-1] < TWO_LAYER_RECIPE["lr"] / steps * 2  # the last batch's step is almost 0
    middle = lrs[steps // 2]
    assert middle == pytest.approx(TWO_LAYER_RECIPE["lr"] / 2, rel=0.02)  # a straight line, not a curve
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


@pytest.mark.slow
def test_cnn_recipe_passes_its_floor(cnn, digits):
    x_valid, y_valid = digits[2:]
    with torch.no_grad():
        accuracy = batch_accuracy(cnn.model.eval()(x_valid), y_valid).item()
    assert accuracy >= VALID_FLOORS["cnn"]
    assert len(cnn.recorder.values) == CNN_RECIPE["epochs"]


def test_the_cnn_one_cycle_schedule_climbs_to_the_lr_it_is_given(digits):
    "fit_one_cycle starts at lr / 25 and peaks at lr itself: a tiny CNN trained for 8 batches, at two rates."
    x, y, x_valid, y_valid = digits
    few = torch.cat([torch.arange(64), torch.arange(len(x) - 64, len(x))])  # 64 of each digit: 8 batches of 16
    for lr in (3e-3, 3e-2):
        seed_everything()
        learn = train_cnn(x[few], y[few], x_valid[:32], y_valid[:32], channels=(4, 4, 4, 4), lr=lr, batch_size=16,
                          epochs=1)
        rates = [float(rate) for rate in learn.recorder.hps["lr"]]  # the rate of each training batch
        assert len(rates) == 8
        assert max(rates) == pytest.approx(lr) and rates[0] == pytest.approx(lr / 25)


def test_training_twice_gives_the_same_weights(digits):
    runs = []
    for _ in range(2):
        seed_everything()
        runs.append(train_two_layer(*digits, hidden=10, epochs=2).model[1].weight.detach().clone())
    assert torch.equal(*runs)


# -- helpers.interpret ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("units, ncols, grid", [(100, 10, (10, 10)), (7, 3, (3, 3)), (1, 1, (1, 1))])
def test_show_weights_draws_one_picture_per_unit(units, ncols, grid):
    axes = show_weights(torch.randn(units, 784), ncols=ncols)
    assert axes.shape == grid
    assert sum(len(ax.images) for ax in axes.flat) == units
    assert all(ax.images[0].get_array().shape == (28, 28) for ax in axes.flat if ax.images)
    plt.close("all")


def test_show_weights_centres_each_colour_scale_on_zero():
    axes = show_weights(torch.cat([torch.full((1, 784), 0.5), torch.zeros(1, 784)]), ncols=2)
    assert axes[0, 0].images[0].get_clim() == (-0.5, 0.5)
    assert axes[0, 1].images[0].get_clim() == (-1.0, 1.0)  # all zeros: a scale that still works
    plt.close("all")


def test_hidden_activations_are_the_relu_of_the_first_layer():
    net = two_layer_net(hidden=6, shift=2)
    xb = torch.rand(4, 784)
    acts = hidden_activations(net, xb)
    assert acts.shape == (4, 6) and (acts >= 0).all()
    assert torch.allclose(acts, torch.relu(net[1](xb)))
    ax = show_activations(acts, [f"image {i}" for i in range(4)])
    assert ax.images[0].get_array().shape == (4, 6)
    plt.close("all")


def test_predict_computes_in_evaluation_mode_and_leaves_the_model_in_the_mode_it_found():
    torch.manual_seed(0)
    net = two_layer_net(hidden=6, shift=2).train()
    xb = torch.rand(10, 784)
    first, second = predict(net, xb), predict(net, xb)
    assert torch.equal(first, second)  # no random shifts
    assert net.training, "a model being trained must still be in training mode after predict"
    assert ((first > 0) & (first < 1)).all()
    with torch.no_grad():
        assert torch.equal(first, net.eval()(xb).sigmoid())
    predict(net, xb)
    assert not net.training  # and one in evaluation mode stays in it


@pytest.mark.slow
def test_find_mistakes_finds_every_mistake_surest_first(two_layer, digits):
    x_valid, y_valid = digits[2:]
    model = two_layer.model
    wrong, confidence = find_mistakes(model, x_valid, y_valid)
    probs = predict(model, x_valid)
    is_wrong = ((probs > 0.5) != (y_valid == 1)).flatten()
    assert sorted(wrong.tolist()) == is_wrong.nonzero().flatten().tolist()
    assert (confidence > 0.5).all() and torch.equal(confidence, confidence.sort(descending=True).values)


def test_find_mistakes_on_a_made_up_model():
    x = torch.zeros(4, 784)
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0]])
    scores = torch.tensor([[3.0], [-1.0], [2.0], [-4.0]])  # image 1 and image 2 are wrong, image 2 more surely
    wrong, confidence = find_mistakes(lambda xb: scores, x, y)
    assert wrong.tolist() == [2, 1]
    assert torch.allclose(confidence, torch.tensor([2.0, 1.0]).sigmoid())
    with pytest.raises(ValueError, match="shape"):
        find_mistakes(lambda xb: scores, x, y.flatten())


@pytest.mark.slow
def test_confusion_matrix_counts_every_image(two_layer, digits):
    x_valid, y_valid = digits[2:]
    probs = predict(two_layer.model, x_valid)
    table = confusion_matrix(probs, y_valid)
    assert list(table.index) == [2, 9] and list(table.columns) == [2, 9]
    assert table.values.sum() == len(x_valid)
    assert table.values.trace() == len(x_valid) - len(find_mistakes(two_layer.model, x_valid, y_valid)[0])
    assert table.loc[2].sum() == (y_valid == 1).sum().item()


def test_confusion_matrix_keeps_empty_cells_and_any_digits():
    probs = torch.tensor([[0.9], [0.8], [0.7]])  # everything called the first digit
    y = torch.tensor([[1.0], [0.0], [0.0]])
    table = confusion_matrix(probs, y, digits=(3, 7))
    assert table.loc[3, 3] == 1 and table.loc[7, 3] == 2 and table.loc[3, 7] == 0 and table.loc[7, 7] == 0
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(probs.flatten(), y)
