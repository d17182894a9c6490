"""Image-folder and cats-vs-dogs datamodules: reading, preprocessing, identical augmentation in
both frameworks, and the real download path (cache, checksum, atomic extraction, Keras' copy,
offline error) on images and archives the tests create with PIL."""

import os
import zipfile

import torch  # noqa: F401  - before TensorFlow

import keras
import numpy as np
import pytest

from datamodules.augment import FlipRotate, rotate
from datamodules.cats_dogs import CatsDogsDataModule, cats_dogs_folder, shape_image
from datamodules.errors import DataError
from datamodules.image_folder import ImageFolderDataModule
from datamodules.keras_adapter import keras_train_data


def write_class_folders(root, classes=("cats", "dogs"), per_class=5, size=40, seed=0):
    """Generated PNG/JPEG pictures, ``per_class`` per class folder, of various sizes."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            suffix = ".png" if i % 2 else ".jpg"
            shape_image(label % 2, rng, size + i).save(root / name / f"{name}.{i}{suffix}")
    return root


def test_folder_images_are_resized_scaled_and_labelled_alphabetically(tmp_path):
    write_class_folders(tmp_path / "pets", per_class=10)
    datamodule = ImageFolderDataModule(str(tmp_path / "pets"), image_size=24, batch_size=4)
    datamodule.setup()
    splits = datamodule.splits
    assert datamodule.class_names == ["cats", "dogs"]
    assert (len(splits.x_test), len(splits.x_val), len(splits.x_train)) == (4, 4, 12)
    assert splits.x_train.shape[1:] == (24, 24, 3) and splits.x_train.dtype == np.float32
    assert splits.x_train.min() >= -1.0 and splits.x_train.max() <= 1.0
    assert set(np.unique(np.concatenate([splits.y_train, splits.y_val, splits.y_test]))) == {0.0, 1.0}
    assert datamodule.model_inputs() == {"input_shape": [24, 24, 3]}


def test_train_validation_layout_takes_the_test_set_from_validation(tmp_path):
    write_class_folders(tmp_path / "tree" / "train", per_class=6)
    write_class_folders(tmp_path / "tree" / "validation", per_class=5, seed=1)
    datamodule = ImageFolderDataModule(str(tmp_path / "tree"), image_size=16)
    datamodule.setup()
    assert (len(datamodule.splits.x_train), len(datamodule.splits.x_test), len(datamodule.splits.x_val)) == (
        12,
        2,
        8,
    )


@pytest.mark.parametrize(
    "classes, message", [(("a", "b", "c"), "exactly 2 class folders"), (("a",), "exactly 2")]
)
def test_a_folder_that_is_not_binary_is_a_one_line_error(tmp_path, classes, message):
    write_class_folders(tmp_path / "x", classes=classes, per_class=2)
    with pytest.raises(DataError, match=message):
        ImageFolderDataModule(str(tmp_path / "x"), image_size=8).setup()


def test_unknown_source_and_missing_folder_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="unknown source 'kaggle'"):
        CatsDogsDataModule(source="kaggle")
    with pytest.raises(DataError, match="image folder not found"):
        CatsDogsDataModule(path=str(tmp_path / "nowhere"), image_size=8).setup()


def test_rotation_matches_keras_random_rotation_and_flip_is_horizontal():
    image = np.random.default_rng(0).uniform(-1, 1, (1, 21, 18, 3)).astype(np.float32)
    for fraction in (0.13, -0.2):
        layer = keras.layers.RandomRotation(
            factor=(fraction, fraction), fill_mode="reflect", interpolation="bilinear"
        )
        expected = np.asarray(layer(image, training=True))[0]
        np.testing.assert_allclose(rotate(image[0], fraction * 2 * np.pi), expected, atol=1e-5)
    augment = FlipRotate(factor=0.0, seed=3)
    flipped = [i for i in range(20) if augment.parameters(0, i)[0]]
    out = augment(np.repeat(image, 20, axis=0), np.arange(20), epoch=0)
    np.testing.assert_array_equal(out[flipped[0]], image[0, :, ::-1])
    assert 0 < len(flipped) < 20


def shapes_datamodule(**overrides):
    arguments = {"source": "shapes", "num_images": 24, "image_size": 16, "batch_size": 8, "seed": 5}
    datamodule = CatsDogsDataModule(**(arguments | overrides))
    datamodule.setup()
    return datamodule


def test_substitute_is_labelled_and_both_frameworks_see_the_same_augmented_pixels():
    datamodule = shapes_datamodule()
    assert "synthetic substitute" in datamodule.source
    loader = datamodule.train_dataloader()
    torch_batches = []
    for epoch in range(2):
        loader.sampler.set_epoch(epoch)  # what Lightning does at each epoch start
        torch_batches += [x.permute(0, 2, 3, 1).numpy() for x, _ in loader]
    stream, steps = keras_train_data(datamodule)
    keras_batches = [x.numpy() for x, _ in stream.take(2 * steps)]
    assert len(torch_batches) == len(keras_batches) == 2 * steps
    for seen_by_torch, seen_by_keras in zip(torch_batches, keras_batches):
        np.testing.assert_array_equal(seen_by_torch, seen_by_keras)
    raw = datamodule.splits.x_train[datamodule.batch_order("train").batches(0)[0]]
    assert not np.allclose(torch_batches[0], raw)  # augmented
    assert not np.allclose(torch_batches[0], torch_batches[steps])  # redrawn each epoch


def test_augmentation_is_a_pure_function_of_seed_epoch_and_sample():
    first, again, other = shapes_datamodule(), shapes_datamodule(), shapes_datamodule(seed=6)
    indices = np.arange(4)
    x = first.splits.x_train[indices]
    np.testing.assert_array_equal(first.train_transform(x, indices, 1), again.train_transform(x, indices, 1))
    assert not np.allclose(first.train_transform(x, indices, 1), other.train_transform(x, indices, 1))
    assert shapes_datamodule(augment=False).train_transform is None


# --- the real cats-vs-dogs download path ---------------------------------------------------------


def make_archive(tmp_path) -> tuple[str, str]:
    """A small ``cats_and_dogs_filtered.zip`` with the real layout; returns (file URL, size check)."""
    tree = tmp_path / "src" / "cats_and_dogs_filtered"
    write_class_folders(tree / "train", per_class=4)
    write_class_folders(tree / "validation", per_class=3, seed=1)
    archive = tmp_path / "cats_and_dogs_filtered.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(tree.rglob("*")):
            zipped.write(path, path.relative_to(tmp_path / "src"))
    return archive.as_uri(), f"size:{archive.stat().st_size}"


@pytest.fixture
def no_keras_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))




def test_a_checksum_mismatch_leaves_nothing_behind(tmp_path, no_keras_copy):
    url, _ = make_archive(tmp_path)
    with pytest.raises(DataError, match="checksum mismatch"):
        cats_dogs_folder(tmp_path / "cache", url, "sha256:" + "0" * 64)
    assert not list((tmp_path / "cache" / "cats_and_dogs").iterdir())




def test_offline_without_a_copy_is_one_line_naming_the_folder_and_the_substitute(tmp_path, no_keras_copy):
    with pytest.raises(DataError) as error:
        cats_dogs_folder(tmp_path / "cache", (tmp_path / "missing.zip").as_uri())
    message = str(error.value)
    assert "\n" not in message and "cats_and_dogs_filtered.zip" in message
    assert str(tmp_path / "cache" / "cats_and_dogs") in message and "--data.source shapes" in message
    assert os.listdir(tmp_path / "cache" / "cats_and_dogs") == []
