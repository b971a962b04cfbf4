"""setup_course: the same numbers on every run, a fixed thread count, and a clear word about the device."""

import random

import matplotlib as mpl
import numpy as np
import pytest
import torch

from helpers.repro import DEFAULT_SEED, course_seed, pick_device, seed_everything, setup_course


def draws():
    return random.random(), np.random.rand(), torch.rand(3)


def test_setup_course_makes_random_numbers_repeatable():
    setup_course()
    first = draws()
    setup_course()
    second = draws()
    assert first[:2] == second[:2] and torch.equal(first[2], second[2])
    seed_everything(7)
    assert draws()[0] != first[0]


def test_setup_course_fixes_threads_determinism_and_plot_defaults():
    device = setup_course(threads=1)
    try:
        assert device == torch.device("cpu")
        assert torch.get_num_threads() == 1
        assert torch.are_deterministic_algorithms_enabled()
        assert mpl.rcParams["image.cmap"] == "Greys"
        assert mpl.rcParams["figure.dpi"] >= 100  # sharp enough for a modern screen
    finally:
        setup_course()


def test_device_follows_the_environment_variable_and_an_argument_beats_it(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "meta")  # a device every PyTorch has, and not the default
    assert pick_device() == torch.device("meta")
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.delenv("COURSE_DEVICE")
    assert pick_device() == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU, so asking for one is not an error")
def test_asking_for_a_gpu_without_one_says_what_to_do(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="Change runtime type"):
        pick_device()
    with pytest.raises(RuntimeError, match="no GPU"):
        setup_course(device="cuda")


def test_course_seed_follows_the_environment_variable(monkeypatch):
    assert course_seed() == DEFAULT_SEED
    monkeypatch.setenv("COURSE_SEED", " 3 ")
    assert course_seed() == 3
    setup_course()
    from_env = draws()
    seed_everything(3)
    assert draws()[0] == from_env[0]
    seed_everything(42)  # an explicit seed beats the environment variable
    monkeypatch.delenv("COURSE_SEED")
    explicit = draws()
    seed_everything()
    assert draws()[0] == explicit[0] != from_env[0]


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", str(2**32), "4e3"])
def test_a_bad_course_seed_names_the_setting_and_the_fix(monkeypatch, value):
    monkeypatch.setenv("COURSE_SEED", value)
    with pytest.raises(ValueError, match="COURSE_SEED=.*whole number from 0 to 4294967295"):
        seed_everything()


@pytest.mark.parametrize("value, message", [("gpu", "calls an NVIDIA GPU 'cuda'"), ("tpu", "is not a device"),
                                            ("cuda:x", "is not a device"), ("cpu cpu", "is not a device")])
def test_a_bad_device_names_the_setting_and_the_choices(monkeypatch, value, message):
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(ValueError, match=f"COURSE_DEVICE=.*{message}"):
        pick_device()
    with pytest.raises(ValueError, match="device="):
        pick_device(value)


@pytest.mark.parametrize("value", [" cpu", "CPU", "cpu\n", " Cpu "])
def test_spaces_and_capitals_in_the_device_are_forgiven(monkeypatch, value):
    monkeypatch.setenv("COURSE_DEVICE", value)
    assert pick_device() == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU, so asking for one is not an error")
def test_capital_cuda_is_still_cuda(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "CUDA")
    with pytest.raises(RuntimeError, match="no GPU"):
        pick_device()


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has an Apple-silicon GPU")
def test_asking_for_mps_without_one_fails_at_once(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "mps")
    with pytest.raises(RuntimeError, match="Apple-silicon GPU"):
        pick_device()

