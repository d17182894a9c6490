"""Fetch dataset files into a local cache: look for existing copies, download, verify, rename.

Reusable by every dataset family. A dataset is a ``FileSet``: file names with their checksums
and download URLs, plus folders where other tools may already keep the very same files
(Keras' ``~/.keras/datasets``, a torchvision ``root/<Name>/raw``). ``fetch`` returns one
verified local path per file:

1. the cache directory (``data_dir`` argument, else ``$TWINS_DATA_DIR``, else ``~/.cache/twins``);
2. the known folders of other tools (used in place, never copied or modified);
3. a download into the cache: written to a temporary file next to the target, checksum
   verified, then renamed — an interrupted or corrupted download never leaves a file under the
   final name.

Without network and without a copy, ``fetch`` raises a one-line ``DataError`` that names the
files and the folder to put them in.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DataError

DATA_DIR_ENV = "TWINS_DATA_DIR"
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset. ``checksum``: ``"sha256:<hex>"``, ``"md5:<hex>"`` (or ``"size:<bytes>"``);
    ``url``: where to download it (``http(s)://`` or ``file://``), ``None`` when not downloadable."""

    name: str
    checksum: str
    url: str | None = None


@dataclass(frozen=True)
class FileSet:
    """The files a loader needs, all from one place.

    Args:
        title: the dataset's name in messages, e.g. ``"Fashion-MNIST"``.
        subdir: folder inside the cache directory, e.g. ``"fashion-mnist"``.
        files: the files, each with checksum and URL.
        known_folders: folders of other tools that may already hold the same files.
        hint: appended to the offline error, e.g. how to choose a substitute explicitly.
    """

    title: str
    subdir: str
    files: tuple[RemoteFile, ...]
    known_folders: tuple[Path, ...] = field(default=())
    hint: str = ""


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The cache directory: ``explicit``, else ``$TWINS_DATA_DIR``, else ``~/.cache/twins``."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    return Path("~/.cache/twins").expanduser()


def keras_datasets_dir() -> Path:
    """Keras' download folder: ``$KERAS_HOME/datasets``, default ``~/.keras/datasets``."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "datasets"


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_of(path: Path, checksum: str) -> str:
    """The ``"algorithm:hex"`` of ``path`` in the algorithm ``checksum`` names."""
    algorithm, _, _ = checksum.partition(":")
    if algorithm == "size":  # for archives whose publisher gives no hash (cats_and_dogs_filtered.zip)
        return f"size:{path.stat().st_size}"
    if algorithm not in ("sha256", "md5"):
        raise ValueError(f"checksum must start with 'sha256:' or 'md5:', got {checksum!r}")
    return f"{algorithm}:{file_digest(path, algorithm)}"


def is_valid(path: Path, checksum: str) -> bool:
    return path.is_file() and checksum_of(path, checksum) == checksum.lower()


def download(url: str, target: Path, checksum: str) -> Path:
    """``url`` → ``target``, via a temporary file in the same folder that is verified, then renamed.

    Raises ``DataError`` (one line) when the download fails or the checksum differs; in both
    cases nothing is left under ``target`` or the temporary name.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream, urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            shutil.copyfileobj(response, stream)
        found = checksum_of(Path(temporary), checksum)
        if found != checksum.lower():
            raise DataError(f"checksum mismatch for {target.name} downloaded from {url}: expected {checksum}, got {found}; nothing was saved")
        os.replace(temporary, target)
    except (urllib.error.URLError, OSError) as error:
        raise DataError(f"cannot download {url}: {getattr(error, 'reason', None) or error}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def existing_copy(file: RemoteFile, folders) -> Path | None:
    """The first verified copy of ``file`` in ``folders``, or ``None``."""
    for folder in folders:
        if is_valid(Path(folder) / file.name, file.checksum):
            return Path(folder) / file.name
    return None


def fetch(fileset: FileSet, cache_dir: str | os.PathLike | None = None, allow_download: bool = True) -> list[Path]:
    """One verified local path per file of ``fileset`` (see the module docstring for the order)."""
    cache = data_dir(cache_dir) / fileset.subdir
    paths, failures = [], []
    for file in fileset.files:
        path = existing_copy(file, (cache, *fileset.known_folders))
        if path is None and allow_download and file.url:
            try:
                path = download(file.url, cache / file.name, file.checksum)
            except DataError as error:
                if "checksum mismatch" in str(error):
                    raise
                failures.append(str(error))
        if path is None:
            missing = ", ".join(f.name for f in fileset.files)
            reason = f" ({failures[0]})" if failures else ""
            raise DataError(
                f"{fileset.title} is not available offline{reason}: put {missing} into {cache} "
                f"(--data.data_dir or ${DATA_DIR_ENV} choose another folder){fileset.hint}"
            )
        paths.append(path)
    return paths
