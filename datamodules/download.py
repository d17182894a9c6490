"""Fetch dataset files into a local cache: look for existing copies, download, verify, rename.

Reusable by every dataset family. A dataset is a ``FileSet``: its files, each with how it is
verified and where it is downloaded from, plus the folders where other tools may already keep
the very same files (Keras' ``~/.keras/datasets``, a torchvision ``root/<Name>/raw``).
``fetch`` returns one verified local path per file:

1. the cache directory (``data_dir`` argument, else ``$TWINS_DATA_DIR``, else ``~/.cache/twins``),
   then the known folders of other tools, in that order; a copy there is used in place, never
   copied or modified. A file may also be found in another *form* (``RemoteFile.alternatives``:
   the extracted idx file of a ``.gz``, the extracted folder of an archive), preferred within a folder;
2. else a download into the cache, from the file's URL or, when ``$TWINS_DATA_MIRROR`` is set,
   from ``<mirror>/<subdir>/<name>`` (the cache's own layout, so a copy of a filled cache served
   by any web server, or a ``file://`` folder, is a mirror). Written to a temporary file next to
   the target, verified, then renamed: an interrupted or corrupted download never leaves a file
   under the final name. urllib honours ``$https_proxy`` / ``$http_proxy`` / ``$no_proxy``.

Verification: a published hash where one exists (``RemoteFile.checksum``: torchvision's md5s,
Keras' sha256 of ``mnist.npz``, torchtext's md5 of the IMDB archive); else a check of the
content (``RemoteFile.content``: archive integrity, header, expected row or file counts), so a
file the user put in place is accepted without a hash nobody publishes. A copy that fails its
check is never used: it is named, with the failed check and what to do, in a warning when a good
copy or a download replaces it, and in the error otherwise.

Without a usable copy and no download, ``fetch`` raises a one-line ``DataError`` that names every
folder looked in, every file looked for, and where to put them.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import DataError

DATA_DIR_ENV = "TWINS_DATA_DIR"
MIRROR_ENV = "TWINS_DATA_MIRROR"
DOWNLOAD_TIMEOUT_S = 60
CACHE_OWNER = "this project's cache"


class ContentError(DataError):
    """A content check failed; the message says which (``"holds 3 rows"``, a wrong header)."""


class IntegrityError(ContentError):
    """The file is broken (not a readable archive, a CRC error): no pin can make it usable."""


class DownloadFailed(DataError):
    """A download did not complete (no network, HTTP error, connection closed mid-file)."""


class DataWarning(UserWarning):
    """A copy that was found but not used (it failed its check), named with the reason."""


@dataclass(frozen=True)
class RemoteFile:
    """One file (or folder) of a dataset.

    Args:
        name: file name, e.g. ``"mnist.npz"``; for ``folder=True`` the folder's name.
        checksum: a published hash ``"sha256:<hex>"`` / ``"md5:<hex>"`` (or a user's
            ``"size:<bytes>"`` pin); ``None``: verified by ``content``.
        url: where to download it (``http(s)://`` or ``file://``); ``None``: never downloaded.
        content: ``content(path)`` raises ``ContentError`` naming the failed check; run after the
            checksum when both are given (e.g. a zip's CRCs under a user's pin).
        alternatives: the same data in another form, used where found, never downloaded (the
            extracted idx file of a ``.gz``, the extracted folder of an archive). Preferred over
            this file within a folder, so an archive once extracted is not extracted again.
        folder: the name is a folder, not a file.
    """

    name: str
    checksum: str | None = None
    url: str | None = None
    content: Callable[[Path], None] | None = None
    alternatives: tuple[RemoteFile, ...] = ()
    folder: bool = False

    def forms(self) -> tuple[RemoteFile, ...]:
        """The forms looked for within a folder, preferred first."""
        return (*self.alternatives, self)

    def check_name(self) -> str:
        """The check in messages: ``"md5"``, ``"sha256"``, ``"size"`` or ``"content check"``."""
        return self.checksum.partition(":")[0] if self.checksum else "content check"


@dataclass(frozen=True)
class Place:
    """A folder that may hold a copy, and who keeps it there (``"Keras"``, ``"torchvision"``)."""

    folder: Path
    owner: str = ""


@dataclass(frozen=True)
class FileSet:
    """The files a loader needs, all from one place.

    Args:
        title: the dataset's name in messages, e.g. ``"Fashion-MNIST"``.
        subdir: folder inside the cache directory (and the mirror), e.g. ``"fashion-mnist"``.
        files: the files, each with its check and URL.
        known_folders: ``Place``s (or plain folders) of other tools that may hold the same files, or
            a function returning them (resolved when looked in, e.g. after ``$KERAS_HOME`` changed).
        hint: appended to the offline error, e.g. how to choose a substitute explicitly.
        pin_option: the option that pins a hash for content-checked files (``"--data.checksum"``),
            offered in the message about a copy that fails its content check.
    """

    title: str
    subdir: str
    files: tuple[RemoteFile, ...]
    known_folders: tuple[Place | Path, ...] | Callable[[], Sequence[Place | Path]] = field(default=())
    hint: str = ""
    pin_option: str | None = None


@dataclass(frozen=True)
class Damage:
    """A copy found but not used: where, which form, why."""

    path: Path
    form: RemoteFile
    reason: str
    pinnable: bool = False
    pin_option: str | None = None


# --- folders and URLs ----------------------------------------------------------------------------


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


def places(fileset: FileSet, cache_dir=None) -> list[Place]:
    """Every folder looked in, in order: the project's cache first, then the known folders."""
    folders = fileset.known_folders() if callable(fileset.known_folders) else fileset.known_folders
    known = [p if isinstance(p, Place) else Place(Path(p)) for p in folders]
    return [Place(data_dir(cache_dir) / fileset.subdir, CACHE_OWNER), *known]


def download_url(file: RemoteFile, subdir: str) -> str | None:
    """``<$TWINS_DATA_MIRROR>/<subdir>/<name>`` when a mirror is set, else the file's own URL.
    Files without a URL (found in place only) are never downloaded, not even from a mirror."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if file.url is None or not mirror:
        return file.url
    return f"{mirror.rstrip('/')}/{subdir}/{file.name}"


# --- verification --------------------------------------------------------------------------------


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_of(path: Path, checksum: str) -> str:
    """The ``"algorithm:hex"`` of ``path`` in the algorithm ``checksum`` names."""
    algorithm, _, _ = checksum.partition(":")
    if algorithm == "size":  # a user's weak pin; the defaults never use it
        return f"size:{path.stat().st_size}"
    if algorithm not in ("sha256", "md5"):
        raise DataError(f"checksum must start with 'sha256:', 'md5:' or 'size:', got {checksum!r}")
    return f"{algorithm}:{file_digest(path, algorithm)}"


def problem_with(path: Path, form: RemoteFile) -> str | None:
    """Why the copy at ``path`` is not a good ``form`` (one phrase), or ``None`` when it is."""
    problem = _problem(path, form)
    return problem[0] if problem else None


def _problem(path: Path, form: RemoteFile) -> tuple[str, bool] | None:
    """``(reason, pinnable)``: pinnable when a hash pin would make the very file acceptable
    (it failed an expected count or header, not its integrity or someone's hash)."""
    if form.checksum is None and form.content is None:
        raise ValueError(f"{form.name}: a RemoteFile needs a checksum or a content check")
    if form.checksum:
        found = checksum_of(path, form.checksum)
        if found != form.checksum.lower():
            return f"found {found}, expected {form.checksum.lower()}", False
    try:
        if form.content is not None:
            form.content(path)
    except ContentError as error:
        return f"content check failed: {error}", not isinstance(error, IntegrityError) and not form.folder
    return None


def zip_members(path: Path) -> list[str]:
    """The member names of a readable zip whose every member decompresses and passes its CRC;
    else an ``IntegrityError`` naming the first broken member (a check for archives nobody hashes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                try:
                    with archive.open(info) as stream:
                        while stream.read(1 << 20):
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                    raise IntegrityError(f"the zip's member {info.filename} is damaged ({error})") from None
            return archive.namelist()
    except (zipfile.BadZipFile, OSError) as error:
        raise IntegrityError(f"not a readable zip archive ({error})") from None


def is_valid(path: Path, checksum: str) -> bool:
    return path.is_file() and checksum_of(path, checksum) == checksum.lower()


def find_copy(file: RemoteFile, folders: Sequence[Place], damaged: list[Damage]) -> Path | None:
    """The first good copy of ``file`` (any of its forms) in ``folders``; bad ones go to ``damaged``."""
    for place in folders:
        for form in file.forms():
            path = place.folder / form.name
            if not (path.is_dir() if form.folder else path.is_file()):
                continue
            problem = _problem(path, form)
            if problem is None:
                return path
            damaged.append(Damage(path, form, *problem))
    return None


def existing_copy(file: RemoteFile, folders) -> Path | None:
    """The first verified copy of ``file`` in ``folders`` (paths or ``Place``s), or ``None``."""
    return find_copy(file, [f if isinstance(f, Place) else Place(Path(f)) for f in folders], [])


# --- download ------------------------------------------------------------------------------------


def _copy_response(url: str, stream) -> tuple[int, int | None]:
    """Stream ``url`` into ``stream``: ``(bytes received, Content-Length or None)``."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        length = response.headers.get("Content-Length")
        received = 0
        for block in iter(lambda: response.read(1 << 20), b""):
            stream.write(block)
            received += len(block)
    return received, int(length) if length is not None else None


def download(url: str, target: Path, file: RemoteFile | str) -> Path:
    """``url`` → ``target``, via a temporary file in the same folder that is verified, then renamed.

    ``file``: the ``RemoteFile`` whose check applies (or just a checksum string).
    Raises ``DownloadFailed`` when the transfer fails or stops short of its Content-Length, and
    ``DataError`` when the file arrives but fails its check; nothing is left under ``target`` or
    the temporary name in either case.
    """
    form = file if isinstance(file, RemoteFile) else RemoteFile(target.name, file)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        try:
            with os.fdopen(handle, "wb") as stream:
                received, length = _copy_response(url, stream)
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            raise DownloadFailed(
                f"cannot download {url}: {getattr(error, 'reason', None) or error}"
            ) from None
        if length is not None and received != length:
            raise DownloadFailed(
                f"the download of {url} was interrupted after {received:,} of {length:,} bytes"
            )
        reason = problem_with(Path(temporary), form)
        if reason is not None:
            kind = "checksum mismatch" if reason.startswith("found ") else "content check failed"
            raise DataError(f"{kind} for {target.name} downloaded from {url}: {reason}; nothing was saved")
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


# --- fetch ---------------------------------------------------------------------------------------


def fetch(
    fileset: FileSet, cache_dir: str | os.PathLike | None = None, allow_download: bool = True
) -> list[Path]:
    """One verified local path per file of ``fileset`` (see the module docstring for the order)."""
    return fetch_any((fileset,), cache_dir, allow_download)[1]


def fetch_any(
    filesets: Sequence[FileSet], cache_dir=None, allow_download: bool = True
) -> tuple[FileSet, list[Path]]:
    """``(fileset, paths)`` of the first of ``filesets`` found complete in place; else the first
    downloadable one, its missing files downloaded. MNIST: Keras' ``mnist.npz`` or torchvision's
    four idx files are the same data."""
    damaged: list[Damage] = []
    found = []
    for fileset in filesets:
        own: list[Damage] = []
        found.append([find_copy(file, places(fileset, cache_dir), own) for file in fileset.files])
        damaged += [replace(damage, pin_option=fileset.pin_option) for damage in own]
    for fileset, paths in zip(filesets, found):
        if all(paths):
            _warn_unused(damaged)
            return fileset, paths
    failure = None
    for fileset, paths in zip(filesets, found):
        if allow_download and all(
            download_url(f, fileset.subdir) for f, p in zip(fileset.files, paths) if p is None
        ):
            try:
                filled = _download_missing(fileset, paths, cache_dir)
            except DownloadFailed as error:
                failure = str(error)
                break
            _warn_unused([d for d in damaged if d.path not in filled])
            return fileset, filled
    raise DataError(offline_message(filesets, cache_dir, damaged, failure))


def _download_missing(fileset: FileSet, paths: list[Path | None], cache_dir) -> list[Path]:
    cache = data_dir(cache_dir) / fileset.subdir
    return [
        path or download(download_url(file, fileset.subdir), cache / file.name, file)
        for file, path in zip(fileset.files, paths)
    ]


def _warn_unused(damaged: list[Damage]) -> None:
    for damage in damaged:
        warnings.warn(f"ignored {damage.path}: {damage.reason}", DataWarning, stacklevel=3)


# --- the one-line offline message ----------------------------------------------------------------


def _place_list(folders: Sequence[Place]) -> str:
    """``"A (this project's cache), B (Keras), C, D (torchvision)"``: owners after their last folder."""
    parts = []
    for index, place in enumerate(folders):
        last_of_owner = index + 1 == len(folders) or folders[index + 1].owner != place.owner
        parts.append(
            f"{place.folder} ({place.owner})" if place.owner and last_of_owner else str(place.folder)
        )
    return ", ".join(parts)


def _file_list(files: Sequence[RemoteFile]) -> str:
    """``"a.gz (or a), b.gz (or b)"``: every name looked for, alternatives in brackets."""
    names = []
    for file in files:
        others = [f"{alt.name}/" if alt.folder else alt.name for alt in file.alternatives]
        names.append(f"{file.name} (or {' or '.join(others)})" if others else file.name)
    return ", ".join(names)


def _damage_advice(damage: Damage) -> str:
    """``"X is not usable (<the failed check>): delete it"``, + the pin that accepts it where one can."""
    advice = f"{damage.path} is not usable ({damage.reason}): delete it"
    if damage.pinnable and damage.pin_option:
        advice += (
            f", or accept this very file with {damage.pin_option} sha256:{file_digest(damage.path, 'sha256')}"
        )
    return advice


def offline_message(
    filesets: Sequence[FileSet], cache_dir, damaged: Sequence[Damage], failure: str | None
) -> str:
    """One line: the failed download, every folder and file looked for, the damaged copies and
    what to do about them, and where to put good copies (or which mirror setting to use)."""
    primary = next((fs for fs in filesets if all(f.url for f in fs.files)), filesets[0])
    looked = "; or ".join(
        f"{_file_list(fs.files)} in {_place_list(places(fs, cache_dir))}" for fs in filesets
    )
    problems = "".join(f"; {_damage_advice(damage)}" for damage in damaged)
    target = data_dir(cache_dir) / primary.subdir
    reason = f" ({failure})" if failure else ""
    return (
        f"{primary.title} is not available offline{reason}: looked for {looked}{problems}; "
        f"put {', '.join(f.name for f in primary.files)} into {target} (--data.data_dir or ${DATA_DIR_ENV} "
        f"choose another folder; ${MIRROR_ENV} downloads from a mirror){primary.hint}"
    )
