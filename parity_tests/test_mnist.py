"""Fashion-MNIST / MNIST datamodules and the download cache, on small IDX files the tests write.

No test touches the network: downloads come from ``file://`` URLs and a local ``http.server``.
"""

import functools
import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from datamodules import mnist
from datamodules.download import FileSet, RemoteFile, fetch
from datamodules.errors import DataError
from datamodules.mnist import FashionMNISTDataModule, MNISTDataModule, read_idx

N_TRAIN, N_TEST = 5010, 20  # 5,000 validation images (the course's split) + 10 training images


def idx_bytes(array: np.ndarray) -> bytes:
    """``array`` (uint8) as a gzipped IDX file: magic 0x00000803 (images) / 0x00000801 (labels)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), compresslevel=1)


@pytest.fixture(scope="module")
def idx_arrays():
    rng = np.random.default_rng(0)
    return (
        rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
        rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, N_TEST, dtype=np.uint8),
    )


@pytest.fixture
def mirror(tmp_path, idx_arrays):
    """A folder with the four IDX files; returns ``(folder, {name: md5})``."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    sums = {}
    for name, array in zip(mnist.IDX_NAMES, idx_arrays):
        data = idx_bytes(array)
        (folder / name).write_bytes(data)
        sums[name] = hashlib.md5(data).hexdigest()
    return folder, sums


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No Keras cache, no torchvision root, every download URL pointing at a missing folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(mnist, "KERAS_MIRROR", (tmp_path / "no_network").as_uri() + "/")
    monkeypatch.setattr(mnist, "MNIST_IDX_MIRROR", (tmp_path / "no_network").as_uri() + "/")


def fileset_of(folder, sums, base_url) -> FileSet:
    files = tuple(RemoteFile(name, f"md5:{md5}", base_url + name) for name, md5 in sums.items())
    return FileSet("Test-MNIST", "test-mnist", files)


def test_download_from_a_file_url_fills_the_cache(tmp_path, mirror):
    folder, sums = mirror
    paths = fetch(fileset_of(folder, sums, folder.as_uri() + "/"), tmp_path / "cache")
    cache = tmp_path / "cache" / "test-mnist"
    assert paths == [cache / name for name in sums]
    assert sorted(p.name for p in cache.iterdir()) == sorted(sums)  # no temporary files left
    assert all(hashlib.md5(p.read_bytes()).hexdigest() == sums[p.name] for p in paths)


def test_download_from_a_local_http_server(tmp_path, mirror):
    folder, sums = mirror
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        paths = fetch(fileset_of(folder, sums, url), tmp_path / "cache")
    finally:
        server.shutdown()
        server.server_close()
    assert [p.read_bytes() for p in paths] == [(folder / name).read_bytes() for name in sums]


def test_a_corrupted_download_is_rejected_and_nothing_is_written(tmp_path, mirror):
    folder, sums = mirror
    with open(folder / "t10k-labels-idx1-ubyte.gz", "r+b") as stream:  # flip one byte on the "server"
        stream.seek(20)
        byte = stream.read(1)
        stream.seek(20)
        stream.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(DataError, match=r"checksum mismatch for t10k-labels-idx1-ubyte.gz .*expected md5:"):
        fetch(fileset_of(folder, sums, folder.as_uri() + "/"), tmp_path / "cache")
    names = [p.name for p in (tmp_path / "cache" / "test-mnist").iterdir()]
    assert "t10k-labels-idx1-ubyte.gz" not in names and not any(n.endswith(".part") for n in names)


def test_a_corrupted_cached_file_is_downloaded_again(tmp_path, mirror):
    folder, sums = mirror
    files = fileset_of(folder, sums, folder.as_uri() + "/")
    cached = fetch(files, tmp_path / "cache")[0]
    cached.write_bytes(b"half a file")
    assert hashlib.md5(fetch(files, tmp_path / "cache")[0].read_bytes()).hexdigest() == sums[cached.name]


def test_fashion_mnist_from_the_keras_cache_has_the_course_splits(
    tmp_path, mirror, idx_arrays, offline, monkeypatch
):
    folder, sums = mirror
    keras_copy = tmp_path / "keras_home" / "datasets" / "fashion-mnist"
    keras_copy.mkdir(parents=True)
    for name in sums:
        (keras_copy / name).write_bytes((folder / name).read_bytes())
    monkeypatch.setattr(mnist, "FASHION_MD5", tuple(sums[n] for n in mnist.IDX_NAMES))
    datamodule = FashionMNISTDataModule(source="download", data_dir=str(tmp_path / "cache"))
    datamodule.setup()
    s = datamodule.splits
    x_train, y_train, x_test, _y_test = idx_arrays
    np.testing.assert_array_equal(s.x_val, x_train[:5000, :, :, None] / np.float32(255))  # the FIRST 5,000
    np.testing.assert_array_equal(s.x_train, x_train[5000:, :, :, None] / np.float32(255))
    np.testing.assert_array_equal(s.y_train, y_train[5000:])
    np.testing.assert_array_equal(s.x_test, x_test[..., None] / np.float32(255))
    assert s.x_train.dtype == np.float32 and s.x_train.shape == (10, 28, 28, 1) and s.y_test.dtype == np.int64
    assert not (tmp_path / "cache").exists()  # used in place, nothing downloaded or copied
    assert datamodule.source.startswith("Fashion-MNIST") and "substitute" not in datamodule.source


def test_mnist_from_a_keras_npz_and_from_a_torchvision_root(tmp_path, idx_arrays, offline, monkeypatch):
    x_train, y_train, x_test, y_test = idx_arrays
    npz = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    npz.parent.mkdir(parents=True)
    np.savez(npz, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setattr(mnist, "MNIST_NPZ_SHA256", hashlib.sha256(npz.read_bytes()).hexdigest())
    from_keras = MNISTDataModule(source="download", data_dir=str(tmp_path / "cache"), limit_train=4)
    from_keras.setup()
    np.testing.assert_array_equal(from_keras.splits.y_train, y_train[5000:5004])

    raw = tmp_path / "cache" / "MNIST" / "raw"  # torchvision.datasets.MNIST(root=data_dir) layout
    raw.mkdir(parents=True)
    sums = []
    for name, array in zip(mnist.IDX_NAMES, idx_arrays):
        (raw / name).write_bytes(idx_bytes(array))
        sums.append(hashlib.md5((raw / name).read_bytes()).hexdigest())
    monkeypatch.setattr(mnist, "MNIST_MD5", tuple(sums))
    npz.unlink()
    from_torchvision = MNISTDataModule(source="download", data_dir=str(tmp_path / "cache"), limit_eval=7)
    from_torchvision.setup()
    np.testing.assert_array_equal(from_torchvision.splits.y_val, y_train[:7])
    assert len(from_torchvision.splits.x_test) == 7


@pytest.mark.parametrize(
    "datamodule_class, files",
    [(FashionMNISTDataModule, "train-images-idx3-ubyte.gz"), (MNISTDataModule, "mnist.npz")],
)
def test_offline_without_a_copy_is_one_clear_line(tmp_path, offline, datamodule_class, files):
    datamodule = datamodule_class(source="download", data_dir=str(tmp_path / "cache"))
    with pytest.raises(DataError) as error:
        datamodule.setup()
    message = str(error.value)
    assert "\n" not in message and "not available offline" in message
    assert files in message and str(tmp_path / "cache") in message and "--data.source digits" in message


def test_the_substitute_is_chosen_by_name_and_labelled():
    datamodule = FashionMNISTDataModule(source="digits", limit_train=100)
    datamodule.setup()
    s = datamodule.splits
    assert "substitute" in datamodule.source and "not Fashion-MNIST" in datamodule.source
    assert (
        s.x_train.shape == (100, 28, 28, 1)
        and s.x_val.shape == (250, 28, 28, 1)
        and s.x_test.shape == (297, 28, 28, 1)
    )
    assert s.x_train.dtype == np.float32 and s.x_train.min() == 0.0 and s.x_train.max() == 1.0
    assert set(np.unique(s.y_val)) == set(range(10)) and datamodule.model_inputs() == {
        "input_shape": [28, 28, 1]
    }


def test_an_unknown_source_and_a_truncated_file_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="unknown source 'fashion'"):
        MNISTDataModule(source="fashion")
    truncated = tmp_path / "x.gz"
    truncated.write_bytes(
        gzip.compress(
            bytes([0, 0, 8, 3]) + (5).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\x00" * 100
        )
    )
    with pytest.raises(DataError, match="truncated"):
        read_idx(truncated)
