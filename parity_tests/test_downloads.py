"""The course's real data path, end to end, against a real HTTP server on 127.0.0.1.

Each of the five downloaded datasets is served in its exact real format (``dataset_fixtures``),
the downloads are pointed at the server by the one documented setting ``$TWINS_DATA_MIRROR``,
and the data goes download → checksum → cache → parse → one training epoch of both twins
(``twins.fit.train_twin``); a second run must use the cache without a request. Also: an
interrupted download leaves nothing that is trusted later, the offline message names every
folder and file in one line, and the image pixels equal Keras' ``image_dataset_from_directory``.
"""

import math
from pathlib import Path

import torch  # noqa: F401  - before TensorFlow, always

import numpy as np
import pytest

from datamodules import cats_dogs, imdb, jena, mnist
from datamodules.download import MIRROR_ENV, DataWarning, data_dir, fetch, places
from datamodules.errors import DataError
from datamodules.image_folder import bilinear_resize, read_class_folders
from parity_tests import dataset_fixtures as fixtures
from twins.models import make_datamodule, model_arguments
from twins.training.run import train_twin

#: dataset → (model id, fixture builder, data overrides, model overrides): tiny sizes, real formats.
CASES = {
    "fashion_mnist": ("fashion_mlp", fixtures.fashion_fixture, {"limit_train": 64, "limit_eval": 32}, {}),
    "mnist": (
        "mnist_cnn",
        fixtures.mnist_npz_fixture,
        {"limit_train": 64, "limit_eval": 32, "image_size": 28},
        {},
    ),
    "imdb": ("imdb_bilstm", fixtures.imdb_fixture, {"batch_size": 16}, {}),
    "jena": ("jena_lstm", fixtures.jena_fixture, {"past": 24, "step": 6, "future": 6, "batch_size": 32}, {}),
    "cats_dogs": (
        "cats_dogs_transfer",
        fixtures.cats_fixture,
        {"image_size": 32, "batch_size": 8},
        {"fine_tune_epochs": 0},
    ),
}


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No Keras or torchvision copy (empty ``$KERAS_HOME``, cwd without ``data/``), no proxy."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.delenv(MIRROR_ENV, raising=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "cache"


def check_parsed(name: str, datamodule, fixture) -> None:
    """What each parser must have found in the fixture (labels, counts, values)."""
    splits = datamodule.splits
    if name in ("fashion_mnist", "mnist"):
        arrays = list(fixture.facts["arrays"].values())
        assert splits.x_train.shape == (64, 28, 28, 1) and len(splits.x_val) == 32
        np.testing.assert_array_equal(
            splits.y_train[:, 0] if splits.y_train.ndim > 1 else splits.y_train, arrays[1][5000:5064]
        )  # validation = the first 5,000
        np.testing.assert_allclose(splits.x_test[..., 0], arrays[2][:32] / np.float32(255))
    elif name == "imdb":
        per_folder = fixture.facts["per_folder"]
        assert (
            len(splits.x_test) == 2 * per_folder and len(splits.x_train) + len(splits.x_val) == 2 * per_folder
        )
        assert {"wonderful", "awful", "br"} & set(datamodule.vocabulary) == {
            "wonderful",
            "awful",
        }  # <br /> removed
        assert "café" in datamodule.vocabulary  # read as UTF-8
    elif name == "jena":
        table = jena.read_jena(data_dir(datamodule.data_dir) / "jena" / jena.JENA_ZIP)
        assert len(table) == fixture.facts["rows"] and list(table.columns) == jena.HEADER
        assert splits.x_train.shape[1:] == (4, 7)
    else:
        counts = fixture.facts["counts"]
        assert (
            len(splits.x_train) == 2 * counts["train"]
            and len(splits.x_val) + len(splits.x_test) == 2 * counts["validation"]
        )
        assert datamodule.class_names == ["cats", "dogs"] and splits.x_train.shape[1:] == (32, 32, 3)


@pytest.mark.parametrize("name", list(CASES))
def test_download_checksum_cache_parse_and_train_both_twins(name, isolated, monkeypatch):
    model_id, build, data, model = CASES[name]
    fixture = build()
    fixture.apply(monkeypatch)
    with fixtures.LoopbackServer(fixture.files) as server:
        monkeypatch.setenv(MIRROR_ENV, server.url + "/")
        datamodule = make_datamodule(model_id, source="download", data_dir=str(isolated), **data)
        assert dict(server.requests) == dict.fromkeys(
            fixture.files, 1
        )  # each file fetched once, from the mirror
        for path, payload in fixture.files.items():
            assert (isolated / path).read_bytes() == payload  # cached under the mirror's own layout
        assert not [p for p in isolated.rglob(".*") if p.name.endswith(".part")]
        check_parsed(name, datamodule, fixture)
        assert "substitute" not in datamodule.source and "synthetic" not in datamodule.source
        arguments = model_arguments(model_id, datamodule, **model)
        for framework in ("lightning", "keras"):
            result = train_twin(framework, model_id, datamodule, arguments, seed=0, epochs=1, quiet=True)
            assert len(result.history["loss"]) == 1 and math.isfinite(result.history["loss"][0]), framework
        again = make_datamodule(model_id, source="download", data_dir=str(isolated), **data)
        assert dict(server.requests) == dict.fromkeys(
            fixture.files, 1
        )  # the second run: the cache, no request
        np.testing.assert_array_equal(again.splits.x_train, datamodule.splits.x_train)


def test_an_interrupted_download_leaves_nothing_that_is_trusted_later(isolated, monkeypatch):
    fixture = fixtures.jena_fixture()
    fixture.apply(monkeypatch)
    (path,) = fixture.files
    with fixtures.LoopbackServer(fixture.files) as server:
        monkeypatch.setenv(MIRROR_ENV, server.url)
        server.interrupt.add(path)  # the server closes the connection half-way through the file
        with pytest.raises(DataError, match=r"interrupted after [\d,]+ of [\d,]+ bytes") as error:
            jena.fetch_jena(isolated)
        assert "\n" not in str(error.value)
        assert list((isolated / "jena").iterdir()) == []  # neither the final name nor a .part file
        assert jena.fetch_jena(isolated).read_bytes() == fixture.files[path]  # the next run downloads it anew
        assert server.requests[path] == 2


def every_place(fileset, cache) -> list[str]:
    return [str(place.folder) for place in places(fileset, cache)]


OFFLINE = {  # dataset → (datamodule, the file sets whose folders and files the message must name)
    "fashion_mnist": (lambda c: mnist.FashionMNISTDataModule(data_dir=c), lambda c: [mnist.fashion_files(c)]),
    "mnist": (
        lambda c: mnist.MNISTDataModule(data_dir=c),
        lambda c: [mnist.mnist_npz_files(c), mnist.mnist_idx_files(c)],
    ),
    "imdb": (lambda c: imdb.IMDBDataModule(data_dir=c), lambda c: [imdb.IMDB_FILES]),
    "jena": (lambda c: jena.JenaDataModule(data_dir=c), lambda c: [jena.jena_files()]),
    "cats_dogs": (
        lambda c: cats_dogs.CatsDogsDataModule(data_dir=c),
        lambda c: [cats_dogs.cats_dogs_files()],
    ),
}


@pytest.mark.parametrize("name", list(OFFLINE))
def test_offline_the_message_names_every_folder_and_every_file_in_one_line(name, isolated, monkeypatch):
    monkeypatch.setenv(MIRROR_ENV, fixtures.dead_mirror())
    make, filesets = OFFLINE[name]
    with pytest.raises(DataError) as error:
        make(str(isolated)).setup()
    message = str(error.value)
    assert "\n" not in message and "not available offline" in message and f"${MIRROR_ENV}" in message
    for fileset in filesets(str(isolated)):
        for folder in every_place(fileset, str(isolated)):
            assert folder in message, folder
        for file in fileset.files:
            assert all(form.name in message for form in file.forms()), file.name
    assert any(owner in message for owner in ("(Keras)", "(torchvision)"))
    assert "this project's cache" in message and "--data.source" in message


def test_a_mirror_miss_is_an_error_naming_the_mirror_url(isolated, monkeypatch):
    with fixtures.LoopbackServer({}) as server:
        monkeypatch.setenv(MIRROR_ENV, server.url)
        with pytest.raises(DataError, match=rf"{server.url}/mnist/mnist.npz: .*Not Found"):
            fetch(mnist.mnist_npz_files(str(isolated)), str(isolated))


def test_a_damaged_copy_that_a_download_replaces_is_named_in_a_warning(isolated, monkeypatch):
    fixture = fixtures.mnist_npz_fixture()
    fixture.apply(monkeypatch)
    keras_copy = isolated.parent / "keras_home" / "datasets" / "mnist.npz"
    keras_copy.parent.mkdir(parents=True)
    keras_copy.write_bytes(fixture.files["mnist/mnist.npz"][:-100])  # a download cut short, in Keras' folder
    with fixtures.LoopbackServer(fixture.files) as server:
        monkeypatch.setenv(MIRROR_ENV, server.url)
        with pytest.warns(DataWarning, match=f"ignored {keras_copy}: found sha256:"):
            (path,) = fetch(mnist.mnist_npz_files(str(isolated)), str(isolated))
    assert (
        path == isolated / "mnist" / "mnist.npz"
        and keras_copy.stat().st_size == len(fixture.files["mnist/mnist.npz"]) - 100
    )


# --- same pixels as the course: keras.utils.image_dataset_from_directory -----------------------------


def write_pictures(root: Path, suffix: str, count: int = 4) -> None:
    rng = np.random.default_rng(9)
    for label in ("cats", "dogs"):
        (root / label).mkdir(parents=True)
        for index in range(count):
            image = fixtures.photo(
                rng, int(rng.integers(90, 200)), int(rng.integers(80, 190)), label == "cats"
            )
            if suffix == ".jpg":
                (root / label / f"{index}.jpg").write_bytes(
                    fixtures.jpeg_bytes(image, quality=int(rng.integers(70, 96)))
                )
            else:
                image.save(root / label / f"{index}.png")


def keras_pixels(root: Path, size: int) -> np.ndarray:
    """The course's pixels: ``image_dataset_from_directory`` (bilinear, no antialias), then x/127.5 − 1."""
    import keras

    data = keras.utils.image_dataset_from_directory(
        root, image_size=(size, size), batch_size=64, shuffle=False, verbose=False
    )
    return np.concatenate([batch.numpy() for batch, _ in data]) / np.float32(127.5) - np.float32(1.0)


@pytest.mark.parametrize("size", [160, 32])
def test_png_pixels_equal_image_dataset_from_directory(tmp_path, size):
    write_pictures(tmp_path / "png", ".png")
    ours, labels, _ = read_class_folders(tmp_path / "png", size)
    # measured: 0 with the Keras-like resize; with PIL's antialiased bilinear 0.16 (160) and 0.52 (32)
    assert np.abs(ours - keras_pixels(tmp_path / "png", size)).max() == 0.0
    assert labels[:, 0].tolist() == [0.0] * 4 + [1.0] * 4


def test_jpeg_pixels_differ_from_image_dataset_from_directory_only_by_the_decoder(tmp_path):
    import tensorflow as tf

    write_pictures(tmp_path / "jpg", ".jpg")
    files = sorted((tmp_path / "jpg").glob("*/*.jpg"))
    expected = keras_pixels(tmp_path / "jpg", 160)
    # the resize is TensorFlow's: on TensorFlow's own decoded pixels, bit-identical
    decoded = [tf.io.decode_image(f.read_bytes(), channels=3, expand_animations=False).numpy() for f in files]
    resized = np.stack([bilinear_resize(pixels, 160, 160) for pixels in decoded]) / np.float32(127.5) - 1
    assert np.abs(resized - expected).max() == 0.0
    # end to end, PIL decodes with libjpeg's accurate integer DCT and TensorFlow with the fast one:
    # measured max |Δ| 7.6 levels of 255 (0.060 in [-1, 1]), mean 1.0 level (0.0078)
    ours, _, _ = read_class_folders(tmp_path / "jpg", 160)
    difference = np.abs(ours - expected)
    assert difference.max() <= 12 / 127.5 and difference.mean() <= 2 / 127.5, (
        difference.max(),
        difference.mean(),
    )
