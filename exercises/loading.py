"""Load the twin a participant wrote (a Python file), or the project's reference solution.

The participant's file defines the reference's class (or Keras builder function) under the same
name. Errors raised from it are reported with the line of the participant's file they came from.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import traceback
from pathlib import Path

from twins.errors import BadInput

from .catalogue import Exercise

_counter = itertools.count()


def load_file(path: Path, name: str):
    """``(module, the object called name)`` from the Python file at ``path``.

    The module gets a fresh name per load (``exercise_<stem>_<n>``), so checking two versions of
    a file in one process never mixes them up."""
    module_name = f"exercise_{path.stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and typing look modules up by name
    spec.loader.exec_module(module)
    if not hasattr(module, name):
        raise AttributeError(f"{path} defines no {name!r}: keep the skeleton's name (the grader looks it up)")
    return module, getattr(module, name)


def load_reference(exercise: Exercise):
    """``(module, class or function)`` of the project's own solution."""
    module = importlib.import_module(exercise.module)
    return module, getattr(module, exercise.name)


def where_in(error: BaseException, path: Path | None) -> str:
    """`` (at FILE:LINE in FUNCTION)`` for the deepest traceback frame inside ``path``, or ""."""
    if path is None:
        return ""
    target = str(Path(path).resolve())
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if str(Path(f.filename).resolve()) == target
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {path}:{frame.lineno} in {frame.name})"


def describe_error(error: BaseException, path: Path | None = None) -> str:
    """One line: the error's own message (TODO texts and ParityErrors speak for themselves),
    other exceptions prefixed by their type, and where in the participant's file they arose."""
    text = (str(error).strip().splitlines() or [""])[0]
    if isinstance(error, (NotImplementedError, AssertionError, BadInput)) and text:
        return text + where_in(error, path)
    return f"{type(error).__name__}: {text}".rstrip(": ") + where_in(error, path)
