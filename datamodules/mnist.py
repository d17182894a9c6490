"""Fashion-MNIST and MNIST (COURSE.md, Day 1): ``fashion_mlp``, ``fashion_cnn``, ``mnist_cnn``.

The course's splits: images scaled by 1/255, validation = the **first** 5,000 training
images, train = the remaining 55,000, test = the 10,000 test images. Samples: x float32
(28, 28, 1) NHWC (the torch adapter makes them NCHW), y int64 class id.

``source`` chooses the data, explicitly:

- ``"download"``: the real files, found in the cache (``data_dir`` / ``$TWINS_DATA_DIR`` /
  ``~/.cache/twins``), in Keras' cache (``~/.keras/datasets/fashion-mnist/*.gz``,
  ``~/.keras/datasets/mnist.npz``) or a torchvision root (``<data_dir>/FashionMNIST/raw``,
  ``./data/MNIST/raw``: the ``.gz`` files or only the extracted ones), else downloaded
  (``datamodules.download``; ``$TWINS_DATA_MIRROR`` names a mirror). The ``.gz`` files and
  ``mnist.npz`` are verified by the hashes torchvision and Keras publish, the extracted idx files
  by content (magic number, shape, size). Offline without a copy: a one-line ``DataError``
  naming every folder looked in and every file.
- ``"digits"``: an offline **substitute**, scikit-learn's 1,797 8×8 digits upscaled to 28×28
  (each pixel → 3×3, centred with a 2-pixel border like MNIST's 20×20 box). Its ``source``
  label says "substitute" in every output. Splits: test = the last 297 images, validation =
  the first 250 of the other 1,500, train = the remaining 1,250. ``image_size`` (substitute
  only) renders them smaller — 8 is the digits' own size — for fast tests of the same networks.

``limit_train`` / ``limit_eval`` keep only the first n training / validation and test images
(small runs and tests).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from jsonargparse.typing import NonNegativeInt, PositiveInt

from .base import ArrayDataModule
from .core import ArraySplits, class_target
from .download import ContentError, FileSet, Place, RemoteFile, data_dir, fetch, fetch_any, keras_datasets_dir
from .errors import DataError

Source = Literal["download", "digits"]

KERAS_MIRROR = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
SUBSTITUTE_HINT = "; or choose the offline substitute explicitly: --data.source digits"

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DIGIT_CLASSES = tuple(str(d) for d in range(10))

#: md5 of the four IDX files (the same files on Keras' and torchvision's mirrors).
FASHION_MD5 = (
    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "25c81989df183df01b3e8a0aad5dffbe",
    "bef4ecab320f06d8554ea6380940ec79",
    "bb300cfdad3c16e7a12a480ee83cd310",
)
MNIST_MD5 = (
    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "d53e105ee54ea40749a09fcbcd1e9432",
    "9fb629c4189551a2d022fa330f9573f3",
    "ec29112dd5afa0611ce80d1b7f02629c",
)
MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_IDX_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"

IDX_DTYPE = {0x08: np.uint8}
#: Samples per split of both datasets (content check of the extracted idx files).
IDX_COUNTS = {"train": 60_000, "t10k": 10_000}


# --- the real files ------------------------------------------------------------------------------


def torchvision_folders(cache_dir, name: str) -> tuple[Place, ...]:
    """Where a torchvision ``datasets.<name>(root, download=True)`` keeps its files: ``root/<name>/raw``
    for the roots ``data_dir`` and ``./data`` (torchvision's examples)."""
    return tuple(
        Place(root / name / "raw", "torchvision") for root in (data_dir(cache_dir), Path.cwd() / "data")
    )


def idx_split(name: str) -> str:
    """``"train"`` or ``"t10k"``: the split an IDX file name belongs to."""
    return name.split("-", 1)[0]


def idx_file(name: str, md5: str, url: str | None) -> RemoteFile:
    """An IDX ``.gz`` pinned by its published md5, or its extracted form (torchvision's ``raw/``
    keeps both; a copied folder may hold only the extracted files), checked by content."""
    extracted = RemoteFile(name.removesuffix(".gz"), content=idx_content)
    return RemoteFile(name, f"md5:{md5}", url, alternatives=(extracted,))


def fashion_files(cache_dir=None) -> FileSet:
    files = tuple(idx_file(n, m, KERAS_MIRROR + n) for n, m in zip(IDX_NAMES, FASHION_MD5))
    folders = (
        Place(keras_datasets_dir() / "fashion-mnist", "Keras"),
        *torchvision_folders(cache_dir, "FashionMNIST"),
    )
    return FileSet("Fashion-MNIST", "fashion-mnist", files, folders, SUBSTITUTE_HINT)


def mnist_npz_files(cache_dir=None) -> FileSet:
    npz = RemoteFile("mnist.npz", f"sha256:{MNIST_NPZ_SHA256}", KERAS_MIRROR + "mnist.npz")
    return FileSet("MNIST", "mnist", (npz,), (Place(keras_datasets_dir(), "Keras"),), SUBSTITUTE_HINT)


def mnist_idx_files(cache_dir=None) -> FileSet:
    """torchvision's four MNIST files: used where found, never downloaded (``mnist.npz`` is)."""
    files = tuple(idx_file(n, m, None) for n, m in zip(IDX_NAMES, MNIST_MD5))
    return FileSet("MNIST", "mnist", files, torchvision_folders(cache_dir, "MNIST"), SUBSTITUTE_HINT)


def idx_header(data: bytes, path: Path) -> tuple[int, ...]:
    """The shape an IDX header declares: magic 0x0000 TT DD (type 0x08 = unsigned byte, rank DD),
    then DD big-endian uint32 dimensions."""
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in IDX_DTYPE:
        raise DataError(f"{path} is not an unsigned-byte IDX file")
    rank = data[3]
    if len(data) < 4 + 4 * rank:
        raise DataError(f"{path} is truncated inside its IDX header")
    return tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))


def idx_content(path: Path) -> None:
    """Content check of an extracted IDX file (no hash is published for those): the magic number,
    images (n, 28, 28) or labels (n,) as the name says, ``IDX_COUNTS`` samples of its split, and
    exactly as many bytes as the header declares."""
    with open(path, "rb") as stream:
        head = stream.read(16)
    try:
        shape = idx_header(head, path)
    except DataError as error:
        raise ContentError(str(error).replace(f"{path} ", "")) from None
    images = "-images-" in path.name
    expected = (IDX_COUNTS[idx_split(path.name)], *((28, 28) if images else ()))
    if shape != expected:
        raise ContentError(f"its IDX header says {shape}, expected {expected}")
    size = 4 + 4 * len(shape) + int(np.prod(shape))
    if path.stat().st_size != size:
        raise ContentError(f"it has {path.stat().st_size:,} bytes, its header declares {size:,}")


def read_idx(path: Path) -> np.ndarray:
    """An IDX array from ``*-ubyte.gz`` or the extracted ``*-ubyte``."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as stream:
        data = stream.read()
    shape = idx_header(data, path)
    array = np.frombuffer(data, IDX_DTYPE[data[2]], offset=4 + 4 * len(shape))
    if array.size != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: header says {shape}, found {array.size} values")
    return array.reshape(shape)


def read_idx_set(paths: list[Path]) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)`` uint8 from the four IDX files, in ``IDX_NAMES`` order."""
    return tuple(read_idx(path) for path in paths)


def read_npz(path: Path) -> tuple[np.ndarray, ...]:
    with np.load(path, allow_pickle=False) as arrays:
        return tuple(arrays[k] for k in ("x_train", "y_train", "x_test", "y_test"))


# --- the substitute ------------------------------------------------------------------------------


def digits_images(size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as uint8 (1797, size, size) images in 0..255, and their labels.

    Each 8×8 pixel becomes a k×k square (k = size // 8), centred in the frame: 28 → 3×3 squares
    with a 2-pixel border, like MNIST's digits in a 20×20 box of a 28×28 image.
    """
    from sklearn.datasets import load_digits

    if size < 8:
        raise DataError(f"image_size must be at least 8 (the digits' own size), got {size}")
    digits = load_digits()
    factor = size // 8
    border = (size - 8 * factor) // 2
    images = np.kron(digits.images, np.ones((factor, factor)))
    images = np.pad(
        images, ((0, 0), (border, size - 8 * factor - border), (border, size - 8 * factor - border))
    )
    return np.round(images * (255.0 / 16.0)).astype(np.uint8), digits.target


def digits_raw(size: int = 28) -> tuple[np.ndarray, ...]:
    """The substitute as ``(x_train, y_train, x_test, y_test)`` uint8: the last 297 are the test set."""
    images, labels = digits_images(size)
    return images[:1500], labels[:1500], images[1500:], labels[1500:]


# --- the datamodules -----------------------------------------------------------------------------


def scaled(images: np.ndarray) -> np.ndarray:
    """uint8 (n, H, W) → float32 (n, H, W, 1) in [0, 1], the course's ``/ 255``."""
    return (images.astype(np.float32) / np.float32(255.0))[..., None]


class MNISTFamilyDataModule(ArrayDataModule):
    """Shared by ``FashionMNISTDataModule`` and ``MNISTDataModule`` (see the module docstring).

    Args:
        source: ``"download"`` (the real data) or ``"digits"`` (the labelled offline substitute).
        data_dir: the cache directory (default ``$TWINS_DATA_DIR`` or ``~/.cache/twins``).
        batch_size: samples per batch (Keras' 32).
        seed: seed of the training batch order.
        limit_train: keep only the first ``limit_train`` training images (``None``: all).
        limit_eval: keep only the first ``limit_eval`` validation and test images (``None``: all).
        image_size: side of the substitute's images (28; 8 = the digits' own size). The real
            data is 28×28 only.
    """

    #: The labelled offline substitute, chosen by name (``--data.source digits``), never silently.
    OFFLINE_SUBSTITUTE = "digits"

    title = ""
    dataset_classes: tuple[str, ...] = ()
    validation_size: ClassVar[dict[str, int]] = {"download": 5000, "digits": 250}
    SUBSTITUTE_EXPECTATION = (
        "at the course's SGD (learning rate 0.01) a CNN can stay at chance level (accuracy about 0.10, "
        "loss about 2.30) for the first epochs with so few steps: expected, not a bug (train more "
        "epochs, or use the real data: --data.source download)"
    )

    def __init__(
        self,
        source: Source = "download",
        data_dir: str | None = None,
        batch_size: PositiveInt = 32,
        seed: NonNegativeInt = 0,
        limit_train: PositiveInt | None = None,
        limit_eval: PositiveInt | None = None,
        image_size: PositiveInt = 28,
    ):
        super().__init__(batch_size=batch_size, validation_split=0.0, seed=seed)
        if source not in self.validation_size:
            raise DataError(
                f"unknown source {source!r}: use 'download' (the real {self.title}) "
                "or 'digits' (offline substitute)"
            )
        if source == "download" and image_size != 28:
            raise DataError(
                f"image_size {image_size} applies to the substitute only: {self.title} images are 28x28"
            )
        self.source_name = source
        self.image_size = image_size
        self.data_dir = data_dir
        self.limit_train = limit_train
        self.limit_eval = limit_eval
        self.source = self.describe()

    def describe(self) -> str:
        """The ``source`` label printed in every output; says "substitute" for the digits."""
        if self.source_name == "digits":
            size = self.image_size
            scale = f" upscaled to {size}x{size}" if size != 8 else ""
            return f"substitute: scikit-learn 8x8 digits{scale} (not {self.title})"
        return f"{self.title} (28x28, 60,000 train + 10,000 test)"

    @property
    def class_names(self) -> list[str]:
        """Names of the class ids: the dataset's, or the digits 0–9 for the substitute."""
        return list(DIGIT_CLASSES if self.source_name == "digits" else self.dataset_classes)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def model_inputs(self) -> dict:
        return {"input_shape": list(self.input_shape)}

    def read_real(self) -> tuple[np.ndarray, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    def load_splits(self) -> ArraySplits:
        x_train, y_train, x_test, y_test = (
            digits_raw(self.image_size) if self.source_name == "digits" else self.read_real()
        )
        n_val = self.validation_size[self.source_name]
        train, val = slice(n_val, None), slice(0, n_val)
        keep_train, keep_eval = slice(0, self.limit_train), slice(0, self.limit_eval)
        return ArraySplits(
            scaled(x_train[train][keep_train]),
            class_target(y_train[train][keep_train]),
            scaled(x_train[val][keep_eval]),
            class_target(y_train[val][keep_eval]),
            scaled(x_test[keep_eval]),
            class_target(y_test[keep_eval]),
        )


class FashionMNISTDataModule(MNISTFamilyDataModule):
    """Fashion-MNIST: 10 clothing classes. Twins: ``fashion_mlp``, ``fashion_cnn``."""

    title = "Fashion-MNIST"
    COURSE_STEPS = (1719, "Fashion-MNIST")  # 55,000 training images / batch 32
    dataset_classes = FASHION_CLASSES

    def read_real(self):
        return read_idx_set(fetch(fashion_files(self.data_dir), self.data_dir))


class MNISTDataModule(MNISTFamilyDataModule):
    """MNIST: handwritten digits 0–9. Twins: ``mnist_cnn``.

    Keras keeps MNIST as one ``mnist.npz``, torchvision as four IDX files: an existing copy of
    either is used; otherwise Keras' ``mnist.npz`` is downloaded.
    """

    title = "MNIST"
    dataset_classes = DIGIT_CLASSES
    COURSE_STEPS = (1719, "MNIST")  # 55,000 training images / batch 32

    def read_real(self):
        npz, idx = mnist_npz_files(self.data_dir), mnist_idx_files(self.data_dir)
        fileset, paths = fetch_any((npz, idx), self.data_dir)
        return read_npz(paths[0]) if fileset is npz else read_idx_set(paths)
