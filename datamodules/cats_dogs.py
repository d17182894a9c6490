"""Cats vs dogs (COURSE.md, Day 3 transfer learning) for ``cats_dogs_transfer``.

``source`` chooses the data, explicitly:

- ``"download"``: Google's ``cats_and_dogs_filtered.zip`` (2,000 training + 1,000 validation
  JPEGs, the TensorFlow tutorial the course follows). Found extracted in the cache
  (``data_dir`` / ``$TWINS_DATA_DIR`` / ``~/.cache/twins``, sub-folder ``cats_and_dogs``) or where
  Keras' ``get_file(..., extract=True)`` put it (``keras_places``: Keras 2 and Keras 3 layouts),
  used in place; else a zip found there, or downloaded through ``datamodules.download``
  (``$TWINS_DATA_MIRROR`` names a mirror; temporary file, verified, renamed), is extracted into a
  temporary folder that is renamed when complete. Google publishes no hash of the archive, so it
  is verified by content: every member's CRC and 1,000 / 500 JPEGs per class in train/ and
  validation/ (an extracted folder: the same counts); ``checksum="sha256:..."`` pins a hash instead.
  Offline without a copy: a one-line ``DataError`` naming every folder looked in.
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
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt, PositiveInt
from PIL import Image, ImageDraw

from .core import ClosedOpenUnitInterval, as_float32
from .download import (
    ContentError,
    FileSet,
    Place,
    RemoteFile,
    data_dir,
    fetch,
    keras_datasets_dir,
    zip_members,
)
from .errors import DataError
from .image_folder import ImageFolderDataModule, preprocess, read_class_folders

Source = Literal["download", "shapes"]

URL = "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"
ARCHIVE = "cats_and_dogs_filtered.zip"
FOLDER = "cats_and_dogs_filtered"
SUBDIR = "cats_and_dogs"
CLASSES = ("cats", "dogs")
#: JPEGs per class folder of the real archive (content check; Google publishes no hash of the zip).
EXPECTED_IMAGES = {"train": 1000, "validation": 500}
SHAPE_CLASSES = ("circles", "squares")


# --- the real images -----------------------------------------------------------------------------


def keras_places() -> tuple[Place, ...]:
    """Where Keras' ``get_file(..., extract=True)`` leaves the zip and the images: Keras 2 extracts
    into ``~/.keras/datasets``; Keras 3 into ``<fname up to its first dot>_extracted/``
    (``cats_and_dogs_extracted`` for the tutorial's ``"cats_and_dogs.zip"``,
    ``cats_and_dogs_filtered_extracted`` for the real name) or, without ``fname``, into a folder
    named like the zip (``cats_and_dogs_filtered.zip/``, the zip then ``…zip_archive``)."""
    datasets = keras_datasets_dir()
    folders = (
        datasets,
        datasets / "cats_and_dogs_extracted",
        datasets / f"{FOLDER}_extracted",
        datasets / ARCHIVE,
    )
    return tuple(Place(folder, "Keras") for folder in folders)


def _image_counts(names) -> dict[str, int]:
    """``{"train/cats": n, ...}``: JPEGs per class folder among paths ``cats_and_dogs_filtered/…``."""
    counts = dict.fromkeys((f"{split}/{label}" for split in EXPECTED_IMAGES for label in CLASSES), 0)
    for name in names:
        parts = Path(name).parts
        if (
            len(parts) == 4
            and parts[0] == FOLDER
            and f"{parts[1]}/{parts[2]}" in counts
            and Path(name).suffix.lower() in (".jpg", ".jpeg")
        ):
            counts[f"{parts[1]}/{parts[2]}"] += 1
    return counts


def _check_counts(counts: dict[str, int]) -> None:
    for folder, count in counts.items():
        expected = EXPECTED_IMAGES[folder.split("/")[0]]
        if count != expected:
            raise ContentError(f"{folder} holds {count:,} images, the real archive {expected:,}")


def tree_content(folder: Path) -> None:
    """Content check of an extracted ``cats_and_dogs_filtered/``: ``EXPECTED_IMAGES`` JPEGs in each
    class folder of train/ and validation/ (a partial extraction is never used)."""
    root = folder.parent
    _check_counts(_image_counts(str(p.relative_to(root)) for p in folder.glob("*/*/*")))


def tree_layout(folder: Path) -> None:
    """The check of a folder extracted from a zip the user pinned by hash (not the real counts):
    train/ and validation/, each with a non-empty cats/ and dogs/."""
    for split in EXPECTED_IMAGES:
        for label in CLASSES:
            if not any((folder / split / label).glob("*")):
                raise ContentError(f"{split}/{label} is missing or empty")


def zip_content(path: Path) -> None:
    """Content check of the zip (Google publishes no hash): every member's CRC, and the layout and
    image counts of ``tree_content``. Independent of the file's name (downloads are ``*.part``)."""
    _check_counts(_image_counts(_check_zip(path)))


def zip_integrity(path: Path) -> None:
    """The check that stays under a user's pin: a readable zip whose members pass their CRCs."""
    _check_zip(path)


def _check_zip(path: Path) -> list[str]:
    """The member names of a readable zip whose every member passes its CRC, or an ``IntegrityError``."""
    return zip_members(path)


def cats_dogs_files(url: str = URL, checksum: str | None = None) -> FileSet:
    """The zip (``checksum`` pins a hash instead of the counts, the CRCs are checked still; the tutorial's
    ``cats_and_dogs.zip`` and Keras 3's ``…zip_archive`` are the same file) or its extracted folder."""
    check = zip_integrity if checksum else zip_content
    zips = tuple(
        RemoteFile(name, checksum, content=check) for name in ("cats_and_dogs.zip", f"{ARCHIVE}_archive")
    )
    tree = RemoteFile(FOLDER, content=tree_layout if checksum else tree_content, folder=True)
    archive = RemoteFile(ARCHIVE, checksum, url, content=check, alternatives=(tree, *zips))
    hint = "; or choose the offline substitute explicitly: --data.source shapes"
    return FileSet("cats vs dogs", SUBDIR, (archive,), keras_places(), hint, pin_option="--data.checksum")


def extract(archive: Path, cache: Path) -> Path:
    """Unzip ``archive`` into ``cache/cats_and_dogs_filtered`` via a temporary folder, renamed at the end."""
    target = cache / FOLDER
    cache.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=cache, prefix=".extract."))
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(temporary)
        if not is_image_tree(temporary / FOLDER):
            raise DataError(f"{archive} does not hold {FOLDER}/train and {FOLDER}/validation: delete it")
        shutil.rmtree(target, ignore_errors=True)  # a damaged earlier tree (it failed its check)
        os.replace(temporary / FOLDER, target)
    except zipfile.BadZipFile:
        raise DataError(f"{archive} is not a zip archive: delete it") from None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target


def is_image_tree(folder: Path) -> bool:
    return (folder / "train").is_dir() and (folder / "validation").is_dir()


def cats_dogs_folder(cache_dir=None, url: str = URL, checksum: str | None = None) -> Path:
    """The verified ``cats_and_dogs_filtered`` folder: cached or Keras' (used in place), else
    extracted into the cache from a zip found in those places or downloaded now."""
    (path,) = fetch(cats_dogs_files(url, checksum), cache_dir)
    return path if path.is_dir() else extract(path, data_dir(cache_dir) / SUBDIR)


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
    x = np.stack(
        [preprocess(shape_image(int(label), rng, int(image_size * 1.5)), image_size) for label in labels]
    )
    return x, as_float32(labels.reshape(-1, 1))


class CatsDogsDataModule(ImageFolderDataModule):
    """Cats vs dogs or its labelled substitute (see the module docstring), 0/1 labels, [−1, 1] pixels.

    Args:
        source: ``"download"`` (the real images) or ``"shapes"`` (the offline substitute).
        path: a folder of your own (overrides ``source``).
        data_dir: cache folder (default ``$TWINS_DATA_DIR`` or ``~/.cache/twins``).
        checksum: ``"sha256:<hex>"`` / ``"md5:<hex>"`` pin of the zip (default: its content check).
        num_images: substitute training images (validation + test: half as many).
        Others: ``ImageFolderDataModule``.
    """

    #: The labelled offline substitute, chosen by name (``--data.source shapes``).
    OFFLINE_SUBSTITUTE = "shapes"
    COURSE_STEPS = (63, "cats vs dogs")  # 2,000 training images / batch 32

    def __init__(
        self,
        source: Source = "download",
        path: str | None = None,
        data_dir: str | None = None,
        url: str = URL,
        checksum: str | None = None,
        num_images: PositiveInt = 200,
        image_size: PositiveInt = 160,
        augment: bool = True,
        rotation: NonNegativeFloat = 0.2,
        batch_size: PositiveInt = 32,
        test_fraction: ClosedOpenUnitInterval = 0.2,
        split_seed: NonNegativeInt = 0,
        seed: NonNegativeInt = 0,
    ):
        super().__init__(
            path, image_size, augment, rotation, batch_size, 0.2, test_fraction, split_seed, seed
        )
        if source not in ("download", "shapes"):
            raise DataError(
                f"unknown source {source!r}: use 'download' (cats vs dogs) or 'shapes' (offline substitute)"
            )
        self.source_name, self.data_dir, self.url, self.checksum, self.num_images = (
            source,
            data_dir,
            url,
            checksum,
            num_images,
        )
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
            return shapes(self.num_images, self.image_size, self.split_seed), shapes(
                max(self.num_images // 2, 2), self.image_size, self.split_seed + 1
            )
        root = cats_dogs_folder(self.data_dir, self.url, self.checksum)
        x, y, self.class_names = read_class_folders(root / "train", self.image_size)
        x_val, y_val, _ = read_class_folders(root / "validation", self.image_size)
        return (x, y), (x_val, y_val)
