"""Tiny copies of the five downloaded datasets in their EXACT real file formats, and a loopback
HTTP server that serves them (``parity_tests/test_downloads.py``, ``test_data_cache.py``).

Formats, as published:
- Fashion-MNIST / MNIST: gzip'd IDX files (magic ``00 00 08 03`` images (n, 28, 28), ``00 00 08 01``
  labels (n,), big-endian dimensions), the names torchvision and Keras use; MNIST also as Keras'
  ``mnist.npz`` (``x_train``, ``y_train``, ``x_test``, ``y_test``, uint8).
- ``aclImdb_v1.tar.gz``: ``aclImdb/{train,test}/{pos,neg}/<id>_<stars>.txt`` with ``<br />`` line
  breaks, plus ``train/unsup/``, ``urls_*.txt``, ``*.feat``, ``imdb.vocab``, ``imdbEr.txt`` and
  ``README`` — members NOT in name order (directories first, files in a shuffled order, as ``tar``
  stores a directory walk).
- ``jena_climate_2009_2016.csv.zip``: the CSV with its quoted 15-column header and
  ``dd.mm.yyyy hh:mm:ss`` timestamps every 10 minutes, plus macOS' ``__MACOSX/._…`` entry.
- ``cats_and_dogs_filtered.zip``: ``cats_and_dogs_filtered/{train,validation}/{cats,dogs}/*.jpg``
  (``cat.0.jpg``…, validation from ``cat.2000.jpg``), directory entries and ``vectorize.py``.

The fixtures cannot match the real files' hashes or counts, so each ``Fixture`` lists the module
constants to set (``pins``) so that the project's real checks — the same code paths — accept it.
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from PIL import Image

from datamodules import cats_dogs, imdb, jena, mnist

# The real names, spelled out here (not imported) so that the fixtures stay the real formats
# whatever the loaders call them.
JENA_CSV = "jena_climate_2009_2016.csv"
JENA_HEADER = [
    "Date Time",
    "p (mbar)",
    "T (degC)",
    "Tpot (K)",
    "Tdew (degC)",
    "rh (%)",
    "VPmax (mbar)",
    "VPact (mbar)",
    "VPdef (mbar)",
    "sh (g/kg)",
    "H2OC (mmol/mol)",
    "rho (g/m**3)",
    "wv (m/s)",
    "max. wv (m/s)",
    "wd (deg)",
]
CATS_FOLDER, CATS_ZIP, CATS_CLASSES = "cats_and_dogs_filtered", "cats_and_dogs_filtered.zip", ("cats", "dogs")


@dataclass
class Fixture:
    """``files``: mirror path (``<subdir>/<name>``) → bytes; ``pins``: ``(module, attribute, value)``
    to set so the real checks accept these files; ``facts``: what a parser must find."""

    files: dict[str, bytes]
    pins: list[tuple[object, str, object]] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def apply(self, monkeypatch) -> None:
        for module, attribute, value in self.pins:
            monkeypatch.setattr(module, attribute, value, raising=False)


# --- MNIST family ----------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: ``00 00 08 <rank>``, big-endian uint32 dimensions, the data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def digit_like(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` (28, 28) uint8 images whose bright bar depends on the label (label = index % 10):
    learnable, and compressible enough for ~5,000 of them to stay small."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(count) % 10).astype(np.uint8)
    images = np.zeros((count, 28, 28), np.uint8)
    for index, label in enumerate(labels):
        row = 3 + 2 * int(label) + int(rng.integers(0, 2))
        images[index, row : row + 3, 4:24] = 200 + int(rng.integers(0, 55))
    return images, labels


#: 5,000 validation images come first in the course's split, so the fixtures hold a few more.
N_TRAIN, N_TEST = 5_064, 64


def idx_arrays(seed: int) -> dict[str, np.ndarray]:
    """The four arrays under their IDX names (``mnist.IDX_NAMES`` order: train images, labels, test…)."""
    x_train, y_train = digit_like(N_TRAIN, seed)
    x_test, y_test = digit_like(N_TEST, seed + 1)
    return dict(zip(mnist.IDX_NAMES, (x_train, y_train, x_test, y_test)))


def fashion_fixture() -> Fixture:
    arrays = idx_arrays(0)
    files = {f"fashion-mnist/{name}": gzip.compress(idx_bytes(a), mtime=0) for name, a in arrays.items()}
    md5s = tuple(hashlib.md5(files[f"fashion-mnist/{name}"]).hexdigest() for name in mnist.IDX_NAMES)
    return Fixture(files, [(mnist, "FASHION_MD5", md5s)], {"arrays": arrays})


def mnist_npz_fixture() -> Fixture:
    x_train, y_train, x_test, y_test = idx_arrays(1).values()
    stream = io.BytesIO()
    np.savez_compressed(stream, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    data = stream.getvalue()
    return Fixture(
        {"mnist/mnist.npz": data},
        [(mnist, "MNIST_NPZ_SHA256", hashlib.sha256(data).hexdigest())],
        {"arrays": dict(zip(mnist.IDX_NAMES, (x_train, y_train, x_test, y_test)))},
    )


def raw_idx_folder(folder, seed: int = 2) -> dict[str, np.ndarray]:
    """torchvision's ``raw/`` holding only the extracted IDX files (no ``.gz``); returns the arrays."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = idx_arrays(seed)
    for name, array in arrays.items():
        (folder / name.removesuffix(".gz")).write_bytes(idx_bytes(array))
    return arrays


def idx_count_pins() -> list[tuple[object, str, object]]:
    return [(mnist, "IDX_COUNTS", {"train": N_TRAIN, "t10k": N_TEST})]


# --- IMDB ------------------------------------------------------------------------------------------

POSITIVE_WORDS = ["wonderful", "moving", "superb", "loved"]
NEGATIVE_WORDS = ["awful", "boring", "dull", "hated"]


def review_text(positive: bool, rng: np.random.Generator) -> str:
    words = POSITIVE_WORDS if positive else NEGATIVE_WORDS
    body = " ".join(rng.choice(["the", "film", "plot", "actors", "scene", "really", *words], size=12))
    return f"{body.capitalize()}.<br /><br />It was {rng.choice(words)}! Café {int(rng.integers(100))}"


def acl_members(per_folder: int, unsup: int, seed: int) -> dict[str, bytes]:
    """Every file of a small ``aclImdb/`` in the real layout: path → bytes."""
    rng = np.random.default_rng(seed)
    files, review_id = {}, 0
    for split in ("train", "test"):
        for label in ("pos", "neg"):
            urls = []
            for _ in range(per_folder):
                stars = int(rng.integers(7, 11) if label == "pos" else rng.integers(1, 5))
                files[f"aclImdb/{split}/{label}/{review_id}_{stars}.txt"] = review_text(
                    label == "pos", rng
                ).encode()
                urls.append(f"http://www.imdb.com/title/tt{review_id:07d}/usercomments")
                review_id += 1
            files[f"aclImdb/{split}/urls_{label}.txt"] = "\n".join(urls).encode() + b"\n"
        files[f"aclImdb/{split}/labeledBow.feat"] = b"9 0:9 1:1 2:4\n7 0:2 5:1\n"
    for index in range(unsup):
        files[f"aclImdb/train/unsup/{index}_0.txt"] = review_text(bool(index % 2), rng).encode()
    files["aclImdb/train/urls_unsup.txt"] = b"http://www.imdb.com/title/tt0000001/usercomments\n" * unsup
    files["aclImdb/train/unsupBow.feat"] = b"0 0:1 3:2\n" * unsup
    files["aclImdb/imdb.vocab"] = b"the\nand\na\nof\n"
    files["aclImdb/imdbEr.txt"] = b"0.0490972013402\n0.201363575849\n"
    files["aclImdb/README"] = b"Large Movie Review Dataset v1.0\n"
    return files


def acl_tar_gz(members: dict[str, bytes], seed: int) -> bytes:
    """A tar.gz like the real one: directories before their contents, files NOT in name order."""
    rng = np.random.default_rng(seed)
    folders = sorted(
        {"/".join(name.split("/")[:depth]) for name in members for depth in range(1, name.count("/") + 1)},
        key=lambda f: (f.count("/"), f[::-1]),
    )
    names = list(members)
    order = [names[i] for i in rng.permutation(len(names))]
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w:gz") as tar:
        for folder in folders:
            info = tarfile.TarInfo(folder + "/")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name in order:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(members[name]), 0o644
            tar.addfile(info, io.BytesIO(members[name]))
    return stream.getvalue()


def imdb_fixture(per_folder: int = 24, unsup: int = 8) -> Fixture:
    members = acl_members(per_folder, unsup, seed=3)
    data = acl_tar_gz(members, seed=4)
    pins = [
        (imdb, "IMDB_FILES", _replace_archive_md5("md5:" + hashlib.md5(data).hexdigest())),
        (imdb, "REVIEWS_PER_FOLDER", per_folder),
    ]
    return Fixture({"imdb/aclImdb_v1.tar.gz": data}, pins, {"members": members, "per_folder": per_folder})


def _replace_archive_md5(checksum: str):
    """``imdb.IMDB_FILES`` with the archive (and Keras 3's ``aclImdb_v1_archive``) pinned to ``checksum``."""
    from dataclasses import replace

    (archive,) = imdb.IMDB_FILES.files
    if not hasattr(archive, "alternatives"):  # a loader without extracted forms
        return replace(imdb.IMDB_FILES, files=(replace(archive, checksum=checksum),))
    alternatives = tuple(
        replace(alt, checksum=checksum) if alt.checksum else alt for alt in archive.alternatives
    )
    return replace(imdb.IMDB_FILES, files=(replace(archive, checksum=checksum, alternatives=alternatives),))


def write_acl_folder(root, members: dict[str, bytes]) -> None:
    """The extracted ``aclImdb/`` under ``root``."""
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


# --- Jena ------------------------------------------------------------------------------------------

#: macOS' AppleDouble resource fork, as zipped by the Finder (``__MACOSX/._<name>``).
APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02" + bytes(60)


def jena_csv(rows: int, seed: int = 5) -> bytes:
    """The record's CSV: quoted header, ``01.01.2009 00:10:00`` timestamps, 2-decimal readings."""
    frame = jena.synthetic_jena(rows, np.random.default_rng(seed))
    minutes = 10 * np.arange(1, rows + 1)
    stamps = (np.datetime64("2009-01-01T00:00") + minutes.astype("timedelta64[m]")).astype("datetime64[s]")
    lines = [",".join(f'"{name}"' for name in JENA_HEADER)]
    for stamp, values in zip(stamps.tolist(), frame.to_numpy()):
        lines.append(stamp.strftime("%d.%m.%Y %H:%M:%S") + "," + ",".join(f"{v:.2f}" for v in values))
    return ("\r\n".join(lines) + "\r\n").encode()


def jena_zip(csv_bytes: bytes) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JENA_CSV, csv_bytes)
        archive.writestr("__MACOSX/", b"")
        archive.writestr(f"__MACOSX/._{JENA_CSV}", APPLE_DOUBLE)
    return stream.getvalue()


def jena_fixture(rows: int = 200) -> Fixture:
    csv_bytes = jena_csv(rows)
    return Fixture(
        {f"jena/{JENA_CSV}.zip": jena_zip(csv_bytes)},
        [(jena, "JENA_ROWS", rows)],
        {"rows": rows, "csv": csv_bytes},
    )


# --- cats vs dogs ----------------------------------------------------------------------------------


def photo(rng: np.random.Generator, width: int, height: int, cat: bool) -> Image.Image:
    """A photo-like RGB picture: smooth colour fields, texture, and a class-dependent blob."""
    yy, xx = np.mgrid[0:height, 0:width]
    phase = rng.uniform(0, 6, 3)
    pixels = np.stack(
        [128 + 90 * np.sin(xx / rng.uniform(5, 15) + p) * np.cos(yy / rng.uniform(5, 15) - p) for p in phase],
        -1,
    ) + rng.normal(0, 12, (height, width, 3))
    cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
    blob = ((yy - cy) ** 2 + (xx - cx) ** 2) < (0.2 * min(width, height)) ** 2
    pixels[blob] = (230, 140, 40) if cat else (40, 90, 220)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg_bytes(image: Image.Image, quality: int = 75) -> bytes:
    stream = io.BytesIO()
    image.save(stream, "JPEG", quality=quality)  # 4:2:0 chroma, like most camera JPEGs
    return stream.getvalue()


def cats_members(per_class: dict[str, int], seed: int = 6) -> dict[str, bytes]:
    """``cats_and_dogs_filtered/...`` path → bytes (directories end in ``/``), the real names."""
    rng = np.random.default_rng(seed)
    root = CATS_FOLDER
    members = {f"{root}/": b"", f"{root}/vectorize.py": b"import os\n# the archive's own helper script\n"}
    for split, count in per_class.items():
        first = 0 if split == "train" else 2000
        members[f"{root}/{split}/"] = b""
        for label in CATS_CLASSES:
            members[f"{root}/{split}/{label}/"] = b""
            for index in range(first, first + count):
                size = (int(rng.integers(40, 72)), int(rng.integers(36, 64)))
                image = photo(rng, *size, cat=label == "cats")
                members[f"{root}/{split}/{label}/{label[:-1]}.{index}.jpg"] = jpeg_bytes(image)
    return members


def cats_zip(members: dict[str, bytes]) -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return stream.getvalue()


def cats_fixture(train: int = 8, validation: int = 6) -> Fixture:
    counts = {"train": train, "validation": validation}
    members = cats_members(counts)
    return Fixture(
        {f"cats_and_dogs/{CATS_ZIP}": cats_zip(members)},
        [(cats_dogs, "EXPECTED_IMAGES", counts)],
        {"members": members, "counts": counts},
    )


def write_tree(root, members: dict[str, bytes]) -> None:
    """The extracted archive under ``root`` (directories for names ending in ``/``)."""
    for name, data in members.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


# --- the loopback server ---------------------------------------------------------------------------


class LoopbackServer:
    """``http.server`` on 127.0.0.1 in a thread, serving ``files`` (path → bytes).

    ``requests`` counts GETs per path; a path in ``interrupt`` is served once with its full
    Content-Length but only half its bytes, then the connection is closed (a dropped download).
    Use as a context manager: started on entry, shut down on exit.
    """

    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.requests: collections.Counter[str] = collections.Counter()
        self.interrupt: set[str] = set()
        self._httpd = None

    def __enter__(self) -> Self:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.lstrip("/")
                server.requests[path] += 1
                data = server.files.get(path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if path in server.interrupt:
                    server.interrupt.discard(path)
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def dead_mirror() -> str:
    """A loopback URL nothing listens on: every download fails at once, offline-like."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
