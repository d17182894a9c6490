"""Image folders (one sub-folder per class, like cats-vs-dogs) as a shared numpy datamodule.

The course's preprocessing, done once in numpy for both frameworks: every image is read with
PIL, converted to RGB, resized to ``image_size``×``image_size`` exactly like
``keras.utils.image_dataset_from_directory`` (``tf.image.resize``, bilinear, half-pixel centres,
no antialiasing, float32, not rounded: ``bilinear_resize``) and scaled to [−1, 1] like
MobileNetV2's ``preprocess_input`` (x / 127.5 − 1).

Measured against ``image_dataset_from_directory`` on photo-like PNGs and JPEGs written by PIL
(``parity_tests/test_downloads.py``, values on the [−1, 1] scale): PNGs are identical end to end
(max |Δ| = 0; PIL's own bilinear resize, which antialiases, was 0.16 off at 160×160 and 0.52 at
32×32), and on TensorFlow's decoded JPEG pixels the resize is bit-identical too. What remains for
JPEGs is the decoder: PIL decodes with libjpeg's accurate integer DCT, TensorFlow's
``decode_image`` with the fast one (PIL equals ``decode_jpeg(dct_method="INTEGER_ACCURATE")``
exactly): max |Δ| 0.060 (7.6 levels of 255), mean 0.0078 (1 level) at 160×160. Training batches are augmented
by ``datamodules.augment.FlipRotate`` (RandomFlip("horizontal") + RandomRotation(0.2)), drawn
per (seed, epoch, sample), so Keras and Lightning see the same augmented pixels.
Samples: x float32 (image_size, image_size, 3) NHWC, y float32 (1,) label 0/1 (binary, for
``binary_crossentropy_from_logits``; classes in alphabetical folder order: cats=0, dogs=1).

Layouts of ``path``:
- ``train/`` and ``validation/`` with class folders (``cats_and_dogs_filtered``): train is
  ``train/``; of ``validation/`` (in a seeded order) the first ``test_fraction`` is the test set
  and the rest validation — as the course takes a fifth of the validation batches as test set;
- class folders directly: a seeded order, the first ``test_fraction`` test, the next
  ``validation_split`` validation, the rest training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt, PositiveInt
from PIL import Image

from .augment import FlipRotate
from .base import ArrayDataModule
from .core import ArraySplits, ClosedOpenUnitInterval, as_float32
from .errors import DataError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}


def _bilinear_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TensorFlow's half-pixel bilinear taps, in float32 as its kernel computes them:
    source = (i + 0.5)·(in/out) − 0.5; lower = max(floor, 0), upper = min(ceil, in − 1),
    weight of upper = source − floor. Shapes (out_size,) each."""
    scale = np.float32(in_size) / np.float32(out_size)
    source = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    floor = np.floor(source)
    lower = np.maximum(floor, 0).astype(np.intp)
    upper = np.minimum(np.ceil(source), in_size - 1).astype(np.intp)
    return lower, upper, (source - floor).astype(np.float32)


def bilinear_resize(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """``tf.image.resize(pixels, (height, width), "bilinear")`` (antialias off) in numpy:
    (H, W, C) of any dtype → float32 (height, width, C), bit-identical to TensorFlow's kernel
    (same taps, same float32 operations in the same order)."""
    x = np.asarray(pixels).astype(np.float32)
    rows_low, rows_high, row_weight = _bilinear_taps(x.shape[0], height)
    cols_low, cols_high, col_weight = _bilinear_taps(x.shape[1], width)
    col_weight, row_weight = col_weight[None, :, None], row_weight[:, None, None]
    top, bottom = x[rows_low], x[rows_high]
    top = top[:, cols_low] + (top[:, cols_high] - top[:, cols_low]) * col_weight
    bottom = bottom[:, cols_low] + (bottom[:, cols_high] - bottom[:, cols_low]) * col_weight
    return top + (bottom - top) * row_weight


def preprocess(image: Image.Image, image_size: int) -> np.ndarray:
    """PIL image → float32 (image_size, image_size, 3) in [−1, 1]: RGB, Keras' bilinear resize,
    then MobileNetV2's ``preprocess_input`` (x / 127.5 − 1)."""
    pixels = np.asarray(image.convert("RGB"))
    return bilinear_resize(pixels, image_size, image_size) / np.float32(127.5) - np.float32(1.0)


def class_folders(root: Path) -> list[Path]:
    """The class sub-folders of ``root``, sorted by name (label = position), or a ``DataError``."""
    if not root.is_dir():
        raise DataError(f"image folder not found: {root}")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) != 2:
        raise DataError(f"{root} must hold exactly 2 class folders (binary classifier), found {len(folders)}")
    return folders


def read_class_folders(root: Path, image_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(x, y, class names)`` of every image under ``root/<class>/``; y float32 (n, 1)."""
    images, labels = [], []
    folders = class_folders(root)
    for label, folder in enumerate(folders):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DataError(f"class folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        for file in files:
            try:
                with Image.open(file) as image:
                    images.append(preprocess(image, image_size))
            except OSError:
                raise DataError(f"cannot read image {file}") from None
            labels.append(label)
    return np.stack(images), as_float32(np.asarray(labels).reshape(-1, 1)), [f.name for f in folders]


def seeded_cut(x: np.ndarray, y: np.ndarray, fractions, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle ``(x, y)`` with ``seed`` and cut off the leading ``fractions``; the rest comes last."""
    order = np.random.default_rng(seed).permutation(len(x))
    parts, start = [], 0
    for fraction in fractions:
        stop = start + round(len(x) * fraction)
        parts.append((x[order[start:stop]], y[order[start:stop]]))
        start = stop
    return [*parts, (x[order[start:]], y[order[start:]])]


class ImageFolderDataModule(ArrayDataModule):
    """Binary image classification from a folder of class folders (see the module docstring).

    Args:
        path: the image folder.
        image_size: side of the square images both twins see (course: 160).
        augment: apply RandomFlip("horizontal") + RandomRotation(``rotation``) to training batches.
        rotation: RandomRotation's factor (fraction of a full turn; course: 0.2).
        test_fraction / validation_split: cuts of the seeded order (see the module docstring).
        split_seed: seed of that order; ``seed``: batch order and augmentation.
    """

    def __init__(
        self,
        path: str | None = None,
        image_size: PositiveInt = 160,
        augment: bool = True,
        rotation: NonNegativeFloat = 0.2,
        batch_size: PositiveInt = 32,
        validation_split: ClosedOpenUnitInterval = 0.2,
        test_fraction: ClosedOpenUnitInterval = 0.2,
        split_seed: NonNegativeInt = 0,
        seed: NonNegativeInt = 0,
    ):
        super().__init__(batch_size, validation_split, seed)
        self.path, self.image_size, self.augment, self.rotation = path, image_size, augment, rotation
        self.test_fraction, self.split_seed = test_fraction, split_seed
        self.class_names: list[str] = []
        self.train_transform = FlipRotate(rotation, flip=True, seed=seed) if augment else None
        self.source = f"image folder {path}"

    def model_inputs(self) -> dict:
        return {"input_shape": list(self.input_shape)}

    def read_folders(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
        """``((x, y) of train/, (x, y) of validation/)``, or ``((x, y) of all, None)`` for a flat layout."""
        root = Path(self.path).expanduser()
        if (root / "train").is_dir() and (root / "validation").is_dir():
            x, y, self.class_names = read_class_folders(root / "train", self.image_size)
            x_val, y_val, _ = read_class_folders(root / "validation", self.image_size)
            return (x, y), (x_val, y_val)
        x, y, self.class_names = read_class_folders(root, self.image_size)
        return (x, y), None

    def load_splits(self) -> ArraySplits:
        train, validation = self.read_folders()
        if validation is not None:
            (x_test, y_test), (x_val, y_val) = seeded_cut(*validation, [self.test_fraction], self.split_seed)
            x_train, y_train = train
        else:
            fractions = [self.test_fraction, self.validation_split]
            (x_test, y_test), (x_val, y_val), (x_train, y_train) = seeded_cut(
                *train, fractions, self.split_seed
            )
        if min(len(x_train), len(x_val), len(x_test)) == 0:
            raise DataError(f"too few images in {self.path} for train, validation and test sets")
        return ArraySplits(x_train, y_train, x_val, y_val, x_test, y_test)
