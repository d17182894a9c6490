"""Cats vs dogs (COURSE.md, Day 3 transfer learning) for ``cats_dogs_transfer``.

``source`` chooses the data, explicitly:

- ``"download"``: Google's ``cats_and_dogs_filtered.zip`` (2,000 training + 1,000 validation
  JPEGs, the TensorFlow tutorial the course follows). Found extracted in the cache
  (``data_dir`` / ``$TWINS_DATA_DIR`` / ``~/.cache/twins``, sub-folder ``cats_and_dogs``) or where
  Keras' ``get_file(..., extract=True)`` put it (``~/.keras/datasets/cats_and_dogs_filtered``,
  Keras 3: ``~/.keras/datasets/cats_and_dogs_extracted/cats_and_dogs_filtered``); else the zip is
  downloaded through ``datamodules.download`` (temporary file, verified, renamed) and extracted
  into a temporary folder that is renamed when complete. Google publishes no checksum for the
  archive: the default check is its size (68,606,236 bytes); ``checksum="sha256:..."`` pins one.
  Offline without a copy: a one-line ``DataError`` saying where to put the zip.
- ``"shapes"``: an offline **substitute** labelled as such in every output: generated
  images of two classes, circles (0) and squares (1), in random colours, sizes and places.
- ``path`` (any ``source``): your own folder of class folders (``ImageFolderDataModule``).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw

from .core import as_float32
from .download import FileSet, RemoteFile, data_dir, fetch, keras_datasets_dir
from .errors import DataError
from .image_folder import ImageFolderDataModule, preprocess, read_class_folders

Source = Literal["download", "shapes"]

URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
ARCHIVE = "cats_and_dogs_filtered.zip"
FOLDER = "cats_and_dogs_filtered"
SIZE_CHECK = "size:68606236"
SUBDIR = "cats_and_dogs"
SHAPE_CLASSES = ("circles", "squares")


# --- the real images -----------------------------------------------------------------------------

def keras_folders() -> tuple[Path, ...]:
    """Where Keras' ``get_file("cats_and_dogs.zip", extract=True)`` leaves the images."""
    datasets = keras_datasets_dir()
    return (datasets / FOLDER, datasets / "cats_and_dogs_extracted" / FOLDER)


def is_image_tree(folder: Path) -> bool:
    return (folder / "train").is_dir() and (folder / "validation").is_dir()


def extract(archive: Path, cache: Path) -> Path:
    """Unzip ``archive`` into ``cache/cats_and_dogs_filtered`` via a temporary folder, renamed when complete."""
    target = cache / FOLDER
    temporary = Path(tempfile.mkdtemp(dir=cache, prefix=".extract."))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(temporary)
        if not is_image_tree(temporary / FOLDER):
            raise DataError(f"{archive} does not hold {FOLDER}/train and {FOLDER}/validation")
        os.replace(temporary / FOLDER, target)
    except zipfile.BadZipFile:
        raise DataError(f"{archive} is not a zip archive") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def cats_dogs_folder(cache_dir=None, url: str = URL, checksum: str = SIZE_CHECK) -> Path:
    """The extracted ``cats_and_dogs_filtered`` folder: cached, Keras', or downloaded now."""
    cache = data_dir(cache_dir) / SUBDIR
    for folder in (cache / FOLDER, *keras_folders()):
        if is_image_tree(folder):
            return folder
    hint = "; or choose the offline substitute explicitly: --data.source shapes"
    files = FileSet("cats vs dogs", SUBDIR, (RemoteFile(ARCHIVE, checksum, url),), hint=hint)
    (archive,) = fetch(files, cache_dir)
    return extract(archive, cache)


# --- the offline substitute ----------------------------------------------------------------------

def shape_image(label: int, rng: np.random.Generator, size: int = 96) -> Image.Image:
    """A ``size``×``size`` RGB picture of a circle (label 0) or a square (label 1) on a noisy background."""
    background = rng.integers(0, 256, 3)
    pixels = np.clip(background + rng.normal(0, 20, (size, size, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    radius = rng.uniform(0.15, 0.3) * size
    cx, cy = rng.uniform(radius, size - radius, 2)
    box = [cx - radius, cy - radius, cx + radius, cy + radius]
    colour = tuple(int(c) for c in (background + 128 + rng.integers(-40, 40, 3)) % 256)
    (ImageDraw.Draw(image).ellipse if label == 0 else ImageDraw.Draw(image).rectangle)(box, fill=colour)
    return image


def shapes(count: int, image_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` substitute images (alternating classes), drawn at 1.5× size and resized like photos."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    x = np.stack([preprocess(shape_image(int(label), rng, int(image_size * 1.5)), image_size) for label in labels])
    return x, as_float32(labels.reshape(-1, 1))


class CatsDogsDataModule(ImageFolderDataModule):
    """Cats vs dogs or its labelled substitute (see the module docstring), 0/1 labels, [−1, 1] pixels.

    Args:
        source: ``"download"`` (the real images) or ``"shapes"`` (the offline substitute).
        path: a folder of your own (overrides ``source``).
        data_dir: cache folder (default ``$TWINS_DATA_DIR`` or ``~/.cache/twins``).
        checksum: ``"sha256:<hex>"``, ``"md5:<hex>"`` or ``"size:<bytes>"`` of the downloaded zip.
        num_images: substitute training images (validation + test: half as many).
        Others: ``ImageFolderDataModule``.
    """

    #: The labelled offline substitute, chosen by name (``--data.source shapes``).
    OFFLINE_SUBSTITUTE = "shapes"

    def __init__(self, source: Source = "download", path: str | None = None, data_dir: str | None = None,
                 url: str = URL, checksum: str = SIZE_CHECK, num_images: int = 200, image_size: int = 160,
                 augment: bool = True, rotation: float = 0.2, batch_size: int = 32, test_fraction: float = 0.2,
                 split_seed: int = 0, seed: int = 0):
        super().__init__(path, image_size, augment, rotation, batch_size, 0.2, test_fraction, split_seed, seed)
        if source not in ("download", "shapes"):
            raise DataError(f"unknown source {source!r}: use 'download' (cats vs dogs) or 'shapes' (offline substitute)")
        self.source_name, self.data_dir, self.url, self.checksum, self.num_images = source, data_dir, url, checksum, num_images
        if path:
            self.source = f"image folder {path}"
        elif source == "shapes":
            self.source = f"synthetic substitute for cats vs dogs: {num_images} generated circles vs squares"
        else:
            self.source = "cats vs dogs (cats_and_dogs_filtered, 2,000 train + 1,000 validation images)"

    def read_folders(self):
        if self.path:
            return super().read_folders()
        if self.source_name == "shapes":
            self.class_names = list(SHAPE_CLASSES)
            return shapes(self.num_images, self.image_size, self.split_seed), \
                shapes(max(self.num_images // 2, 2), self.image_size, self.split_seed + 1)
        root = cats_dogs_folder(self.data_dir, self.url, self.checksum)
        x, y, self.class_names = read_class_folders(root / "train", self.image_size)
        x_val, y_val, _ = read_class_folders(root / "validation", self.image_size)
        return (x, y), (x_val, y_val)
