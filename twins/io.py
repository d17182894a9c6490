"""Outputs are written to a temporary name next to the target and renamed: a run that fails
half-way never leaves a half-written JSON or PNG behind."""

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


def atomic_write_bytes(path, data: bytes) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), umask_mode())
            stream.write(data)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    return path


@contextlib.contextmanager
def atomic_target(path):
    """Yields a temporary path next to ``path`` for a library to write to; renamed on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    temporary = path.with_name(f".tmp.{os.getpid()}.{path.name}")  # keeps the suffix libraries check
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)


def ensure_writable(path) -> None:
    """Fail before a long run, not after it: create ``path``'s folder and a probe file in it."""
    if path is None:
        return
    atomic_write_bytes(Path(path).parent / f".probe.{os.getpid()}", b"")
    (Path(path).parent / f".probe.{os.getpid()}").unlink()


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
