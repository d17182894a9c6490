"""The download cache every dataset family uses (``datamodules.download.fetch``): verified
by checksum or content, written atomically, never trusting a damaged file (and saying which
check failed and what to do), safe with two processes; and the copies other tools keep (Keras,
torchvision) found in every layout they use, offline."""

import hashlib
import http.server
import io
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from datamodules import cats_dogs, imdb, jena
from datamodules.cats_dogs import CatsDogsDataModule
from datamodules.download import MIRROR_ENV, FileSet, RemoteFile, fetch
from datamodules.errors import DataError
from datamodules.imdb import IMDBDataModule
from datamodules.jena import JenaDataModule
from datamodules.mnist import FashionMNISTDataModule, MNISTDataModule
from parity_tests import dataset_fixtures as fixtures

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD in 64 KiB chunks with a pause; ``/broken`` stops half-way."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        stop = len(PAYLOAD) // 2 if self.path == "/broken" else len(PAYLOAD)
        for start in range(0, stop, 1 << 16):
            self.wfile.write(PAYLOAD[start : start + (1 << 16)])
            time.sleep(0.02)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fileset(url):
    checksum = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
    return FileSet("Test data", "testdata", (RemoteFile("data.bin", checksum, url),))


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != "data.bin")


def test_a_truncated_cached_file_is_never_used_and_is_fetched_again(server, tmp_path):
    cached = tmp_path / "testdata" / "data.bin"
    cached.parent.mkdir()
    cached.write_bytes(PAYLOAD[:1000])  # e.g. a copy cut short by a full disk
    (path,) = fetch(fileset(f"{server}/data.bin"), tmp_path)
    assert path == cached and path.read_bytes() == PAYLOAD
    assert leftovers(cached.parent) == []


def test_offline_a_damaged_cached_file_is_named_with_the_failed_check_and_the_fix(tmp_path):
    cache = tmp_path / "folder"  # (a name without "corrupt": the message must say it, not the path)
    cached = cache / "testdata" / "data.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"garbage")
    with pytest.raises(DataError) as error:
        fetch(fileset(None), cache)
    message = str(error.value)
    assert "\n" not in message
    expected = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
    assert (
        f"{cached} is not usable (found sha256:{hashlib.sha256(b'garbage').hexdigest()}, "
        f"expected {expected}): delete it" in message
    )


def test_an_interrupted_download_leaves_nothing_behind(server, tmp_path):
    with pytest.raises(DataError):
        fetch(fileset(f"{server}/broken"), tmp_path)
    assert list((tmp_path / "testdata").iterdir()) == []


def test_two_processes_filling_the_cache_at_once_do_not_corrupt_it(server, tmp_path):
    script = textwrap.dedent(f"""
        import hashlib
        from datamodules.download import FileSet, RemoteFile, fetch
        checksum = "sha256:{hashlib.sha256(PAYLOAD).hexdigest()}"
        remote = RemoteFile("data.bin", checksum, "{server}/data.bin")
        (path,) = fetch(FileSet("Test data", "testdata", (remote,)), r"{tmp_path}")
        print(path)
    """)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-500:]
    cached = tmp_path / "testdata" / "data.bin"
    assert cached.read_bytes() == PAYLOAD
    assert leftovers(cached.parent) == []


# --- issue 13: copies that must be found, checked and read right ------------------------------------
# Every test here runs offline: $TWINS_DATA_MIRROR points at a loopback port nothing listens on.


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty Keras home and working folder, every download failing at once; returns the cache."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv(MIRROR_ENV, fixtures.dead_mirror())
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path / "cache"


def keras_datasets(offline):
    folder = offline.parent / "keras_home" / "datasets"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_jena_zip_put_where_the_message_says_is_used(offline, monkeypatch):
    fixture = fixtures.jena_fixture()
    fixture.apply(monkeypatch)
    with pytest.raises(DataError) as error:
        JenaDataModule(source="download", data_dir=str(offline)).setup()
    assert str(offline / "jena") in str(error.value)  # the message names this folder ...
    (offline / "jena" / jena.JENA_ZIP).write_bytes(
        fixture.files[f"jena/{jena.JENA_ZIP}"]
    )  # ... the user puts it there
    datamodule = JenaDataModule(source="download", data_dir=str(offline), past=24, step=6, future=6)
    datamodule.setup()  # no recorded checksum needed: its content is checked
    assert datamodule.splits.x_train.shape[1:] == (4, 7)
    assert sorted(p.name for p in (offline / "jena").iterdir()) == [jena.JENA_ZIP]  # nothing added beside it


def test_a_jena_file_that_fails_its_content_check_offers_the_pin_that_accepts_it(offline, monkeypatch):
    fixture = fixtures.jena_fixture(rows=200)
    (offline / "jena").mkdir(parents=True)
    placed = offline / "jena" / jena.JENA_ZIP
    placed.write_bytes(fixture.files[f"jena/{jena.JENA_ZIP}"])  # 200 rows, not the real 420,551
    with pytest.raises(DataError) as error:
        jena.fetch_jena(offline)
    message = str(error.value)
    digest = hashlib.sha256(placed.read_bytes()).hexdigest()
    assert (
        f"{placed} is not usable (content check failed: "
        f"{jena.JENA_CSV} holds 200 rows, the real record 420,551)" in message
    )
    assert f"delete it, or accept this very file with --data.checksum sha256:{digest}" in message
    assert jena.fetch_jena(offline, checksum=f"sha256:{digest}") == placed


@pytest.mark.parametrize("layout", ["archive", "keras2_extracted", "keras3_untar", "keras3_extracted"])
def test_keras_copies_of_imdb_are_used_in_place(offline, monkeypatch, layout):
    fixture = fixtures.imdb_fixture()
    fixture.apply(monkeypatch)
    datasets = keras_datasets(offline)
    if layout == "archive":  # get_file("aclImdb_v1.tar.gz", url)
        (datasets / imdb.ARCHIVE).write_bytes(fixture.files["imdb/aclImdb_v1.tar.gz"])
    else:  # Keras 2 untar=True / Keras 3 fname="aclImdb_v1" / Keras 3 fname="aclImdb_v1.tar.gz"
        folder = {
            "keras2_extracted": "",
            "keras3_untar": "aclImdb_v1",
            "keras3_extracted": "aclImdb_v1_extracted",
        }[layout]
        fixtures.write_acl_folder(datasets / folder, fixture.facts["members"])
    datamodule = IMDBDataModule(source="download", data_dir=str(offline))
    datamodule.setup()
    assert len(datamodule.splits.x_test) == 2 * fixture.facts["per_folder"]
    assert not offline.exists()  # used in place: nothing downloaded or copied


def test_the_extracted_folder_and_the_archive_read_the_same_reviews(tmp_path):
    fixture = fixtures.imdb_fixture()
    archive = tmp_path / imdb.ARCHIVE
    archive.write_bytes(fixture.files["imdb/aclImdb_v1.tar.gz"])
    fixtures.write_acl_folder(tmp_path / "x", fixture.facts["members"])
    from_archive, from_folder = imdb.read_aclimdb(archive), imdb.read_aclimdb(tmp_path / "x" / "aclImdb")
    for split in ("train", "test"):
        assert from_archive[split][0] == from_folder[split][0]
        np.testing.assert_array_equal(from_archive[split][1], from_folder[split][1])
    assert len(from_archive["train"][0]) == 2 * fixture.facts["per_folder"]  # unsup/ is not read


def test_a_partly_extracted_imdb_folder_is_never_used(offline, monkeypatch):
    fixture = fixtures.imdb_fixture()
    fixture.apply(monkeypatch)
    members = {
        name: data for index, (name, data) in enumerate(fixture.facts["members"].items()) if index != 3
    }
    fixtures.write_acl_folder(keras_datasets(offline), members)
    with pytest.raises(
        DataError, match=r"aclImdb is not usable \(content check failed: train/pos holds 23 reviews"
    ):
        IMDBDataModule(source="download", data_dir=str(offline)).setup()


def test_the_imdb_archive_is_decompressed_in_one_pass(tmp_path, monkeypatch):
    """Reading members in name order from a gzip stream restarts decompression for every member
    stored before the previous one; the archive's members are not in name order."""
    archive = tmp_path / imdb.ARCHIVE
    archive.write_bytes(fixtures.acl_tar_gz(fixtures.acl_members(per_folder=25, unsup=10, seed=0), seed=1))
    starts = []
    decompressobj = zlib.decompressobj

    def counting(*args, **kwargs):
        starts.append(args)
        return decompressobj(*args, **kwargs)

    monkeypatch.setattr(zlib, "decompressobj", counting)
    reviews = imdb.read_aclimdb(archive)
    assert len(starts) == 1  # measured before the fix: 48 restarts for these 100 reviews
    assert len(reviews["train"][0]) == 50


@pytest.mark.parametrize("layout", ["zip", "keras2_csv", "keras3_extracted", "cwd_csv"])
def test_keras_copies_of_jena_are_used_in_place(offline, monkeypatch, layout):
    fixture = fixtures.jena_fixture()
    fixture.apply(monkeypatch)
    datasets = keras_datasets(offline)
    folder = {
        "zip": datasets,
        "keras2_csv": datasets,
        "keras3_extracted": datasets / "jena_climate_2009_2016_extracted",
        "cwd_csv": Path("."),
    }[layout]
    folder.mkdir(parents=True, exist_ok=True)
    if layout == "zip":
        (folder / jena.JENA_ZIP).write_bytes(fixture.files[f"jena/{jena.JENA_ZIP}"])
    else:
        (folder / jena.JENA_CSV).write_bytes(fixture.facts["csv"])
    table = jena.read_jena(jena.fetch_jena(offline))
    assert len(table) == fixture.facts["rows"] and "Date Time" in table.columns
    assert not offline.exists()


@pytest.mark.parametrize("layout", ["cats_and_dogs_filtered_extracted", "cats_and_dogs_extracted", "", "zip"])
def test_keras_copies_of_cats_and_dogs_are_used(offline, monkeypatch, layout):
    fixture = fixtures.cats_fixture()
    fixture.apply(monkeypatch)
    datasets = keras_datasets(offline)
    if layout == "zip":  # get_file("cats_and_dogs.zip", url) without extract: unzipped into the cache
        (datasets / "cats_and_dogs.zip").write_bytes(
            fixture.files["cats_and_dogs/cats_and_dogs_filtered.zip"]
        )
        expected = offline / "cats_and_dogs" / cats_dogs.FOLDER
    else:  # Keras 3 with the real name / the tutorial's name; Keras 2 (extracted into datasets/)
        fixtures.write_tree(datasets / layout, fixture.facts["members"])
        expected = datasets / layout / cats_dogs.FOLDER
    assert cats_dogs.cats_dogs_folder(offline) == expected
    datamodule = CatsDogsDataModule(source="download", data_dir=str(offline), image_size=16)
    datamodule.setup()
    assert len(datamodule.splits.x_train) == 2 * fixture.facts["counts"]["train"]


@pytest.mark.parametrize("dataset", ["FashionMNIST", "MNIST"])
def test_a_torchvision_raw_folder_with_only_the_extracted_idx_files_is_used(offline, monkeypatch, dataset):
    for module, attribute, value in fixtures.idx_count_pins():
        monkeypatch.setattr(module, attribute, value)
    root = offline if dataset == "FashionMNIST" else Path("data")  # torchvision root = the cache, or ./data
    arrays = fixtures.raw_idx_folder(root / dataset / "raw")
    module = FashionMNISTDataModule if dataset == "FashionMNIST" else MNISTDataModule
    datamodule = module(source="download", data_dir=str(offline), limit_train=16, limit_eval=8)
    datamodule.setup()
    labels = list(arrays.values())[1]
    np.testing.assert_array_equal(datamodule.splits.y_train.reshape(-1), labels[5000:5016])


def test_a_truncated_extracted_idx_file_is_named_and_never_used(offline, monkeypatch):
    for module, attribute, value in fixtures.idx_count_pins():
        monkeypatch.setattr(module, attribute, value)
    raw = offline / "FashionMNIST" / "raw"
    fixtures.raw_idx_folder(raw)
    images = raw / "t10k-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-784])
    with pytest.raises(DataError) as error:
        FashionMNISTDataModule(source="download", data_dir=str(offline)).setup()
    assert (
        f"{images} is not usable (content check failed: it has 49,408 bytes, its header declares 50,192)"
        in str(error.value)
    )


def corrupted_same_size(data: bytes) -> bytes:
    """``data`` with 16 bytes flipped inside the first JPEG's compressed data: the same size, a
    readable zip directory, a CRC error in that member (like a bad disk block)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(info for info in archive.infolist() if info.filename.endswith(".jpg"))
    name_length, extra_length = struct.unpack(
        "<HH", data[member.header_offset + 26 : member.header_offset + 30]
    )
    start = member.header_offset + 30 + name_length + extra_length + member.compress_size // 2
    return data[:start] + bytes(b ^ 0xFF for b in data[start : start + 16]) + data[start + 16 :]


def test_a_corrupted_cats_zip_of_the_right_size_is_replaced_by_a_download(offline, monkeypatch):
    fixture = fixtures.cats_fixture()
    fixture.apply(monkeypatch)
    good = fixture.files["cats_and_dogs/cats_and_dogs_filtered.zip"]
    cached = offline / "cats_and_dogs" / cats_dogs.ARCHIVE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(corrupted_same_size(good))
    with fixtures.LoopbackServer(fixture.files) as server:
        url = f"{server.url}/cats_and_dogs/{cats_dogs.ARCHIVE}"
        monkeypatch.delenv(MIRROR_ENV)
        datamodule = CatsDogsDataModule(
            source="download", data_dir=str(offline), url=url, checksum=f"size:{len(good)}", image_size=16
        )
        datamodule.setup()  # before the fix: "not a zip archive", on this and every later run
        assert server.requests[f"cats_and_dogs/{cats_dogs.ARCHIVE}"] == 1 and cached.read_bytes() == good
    assert len(datamodule.splits.x_train) == 2 * fixture.facts["counts"]["train"]


def test_offline_a_corrupted_cats_zip_is_named_with_its_crc_error(offline, monkeypatch):
    fixture = fixtures.cats_fixture()
    fixture.apply(monkeypatch)
    cached = offline / "cats_and_dogs" / cats_dogs.ARCHIVE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(corrupted_same_size(fixture.files["cats_and_dogs/cats_and_dogs_filtered.zip"]))
    with pytest.raises(DataError) as error:
        CatsDogsDataModule(source="download", data_dir=str(offline)).setup()
    message = str(error.value)
    assert "\n" not in message and "--data.checksum" not in message  # no pin makes a broken zip usable
    assert (
        f"{cached} is not usable (content check failed: "
        "the zip's member cats_and_dogs_filtered/train/cats/cat.0.jpg "
        "is damaged ("
        in message
        and "): delete it" in message
    )
