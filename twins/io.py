"""Outputs are written to a temporary name next to the target and renamed: a run that fails
half-way never leaves a half-written JSON or PNG behind. Output paths are checked before a run
(``ensure_writable``, ``ensure_folder``) without creating anything: a run refused or failed
before its first output leaves no empty folder."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from twins.errors import BadInput


class OutputError(BadInput, OSError):
    """An output path that cannot be written (one line naming it)."""


def umask_mode() -> int:
    """The mode ``open()`` gives a new file under the process' umask (0o644 under the usual 022):
    ``mkstemp`` makes its files 0o600, which others on a shared course machine cannot read."""
    umask = os.umask(0)  # the only portable way to read it: set, then restore at once
    os.umask(umask)
    return 0o666 & ~umask


def nearest_existing(path: Path) -> Path:
    """``path`` itself or its closest ancestor that exists (``/`` or ``.`` at the latest)."""
    return next((folder for folder in (path, *path.parents) if folder.exists()), Path(path.anchor or "."))


def cannot_write(path: Path, error: OSError) -> OutputError:
    """One line for an ``OSError`` met writing ``path``: a file where a folder is needed is named,
    never the temporary or probe name the error was raised for."""
    nearest = nearest_existing(path.parent)
    if nearest.exists() and not nearest.is_dir():
        return OutputError(f"cannot write {path}: {nearest} is a file, not a folder")
    return OutputError(f"cannot write {path}: {error.strerror or error}")


def make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(path, error) from None


def atomic_write_bytes(path, data: bytes) -> Path:
    path = Path(path)
    make_parent(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), umask_mode())
            stream.write(data)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise cannot_write(path, error) from None
    return path


@contextlib.contextmanager
def atomic_target(path):
    """Yields a temporary path next to ``path`` for a library to write to; renamed on success."""
    path = Path(path)
    make_parent(path)
    temporary = path.with_name(f".tmp.{os.getpid()}.{path.name}")  # keeps the suffix libraries check
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise cannot_write(path, error) from None
    finally:
        temporary.unlink(missing_ok=True)


def check_folder(folder: Path, name: str) -> None:
    """``folder`` exists or can be made: its nearest existing ancestor is a folder this process
    may write into. ``name`` is how messages call the output (``run/result.json (--json)``)."""
    nearest = nearest_existing(folder)
    if not nearest.is_dir():
        raise OutputError(f"cannot write {name}: {nearest} is a file, not a folder")
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {name}: no permission to write into {nearest}")


def ensure_writable(path, option: str = "") -> None:
    """Fail before a long run, not after it, and create nothing: ``path`` (an output file) is not a
    folder and its folder exists or can be made. ``option`` names it in messages (``--json``)."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise OutputError(
            f"{option} {path} is a folder, not a file; give the path of a file to write".strip()
        )
    check_folder(path.parent, f"{path} ({option})" if option else str(path))


def ensure_folder(path, option: str = "--out") -> None:
    """Like ``ensure_writable`` for an output folder: not a file, and it exists or can be made."""
    if path is None:
        return
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {path} is a file, not a folder; give a folder (it is made if missing)")
    check_folder(path, f"{path} ({option})")


def write_json(path, record: dict) -> Path:
    return atomic_write_bytes(path, (json.dumps(record, indent=2) + "\n").encode())


def save_figure(figure, path) -> Path:
    """``figure`` as a PNG at ``path`` (atomically), then closed."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    plt.close(figure)
    return atomic_write_bytes(path, buffer.getvalue())
