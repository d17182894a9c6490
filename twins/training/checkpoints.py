"""Checkpoints of the Lightning twins: written atomically, the previous one kept, resumable bit for
bit, loaded without running code from the file.

- ``AtomicCheckpointIO``: every checkpoint goes to a temporary name of this process and is renamed;
  the one it replaces is kept as ``last.ckpt.bkp`` (as Keras' ``BackupAndRestore`` keeps
  ``latest.weights.h5.bkp``), so a run killed while saving, or a damaged file, still resumes.
- ``CheckpointExtras``: stores the model id, the RNG states (torch, numpy, random) as plain tensors,
  ints, floats and strings, and the history of the finished epochs; restores them on resume, so a
  resumed run draws the same dropout masks as an uninterrupted one and reports every epoch.
- ``read_checkpoint``: ``torch.load(weights_only=True)`` (tensors, numbers, strings, lists and dicts
  only: no object of the file is built, no code of it runs); ``resumable_checkpoint`` picks the file
  to resume from and checks what it holds before Lightning restores it.
- ``out_folder_lock``: one run at a time per ``--out`` folder.
The Keras twins resume with ``twins.training.fit_keras.ResumableBackup`` (Keras' ``BackupAndRestore``).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import re
import sys
from pathlib import Path

import torch

import lightning as L
import numpy as np
from lightning.pytorch.callbacks import Checkpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from twins.errors import CheckpointError, ForeignCheckpoint, OutInUse

#: The previous checkpoint, kept next to ``last.ckpt`` (Keras' ``BackupAndRestore`` suffix).
PREVIOUS_SUFFIX = ".bkp"


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` that writes ``path`` via a temporary file of this process and
    ``os.replace``, keeping the file it replaces as ``path.bkp``; loads with ``weights_only=True``."""

    def save_checkpoint(self, checkpoint, path, storage_options=None):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two processes never share it
        super().save_checkpoint(checkpoint, temporary, storage_options)
        if path.exists():
            os.replace(path, previous_of(path))  # a kill between the two renames leaves the .bkp
        os.replace(temporary, path)

    def load_checkpoint(self, path, map_location=None, weights_only=None):
        return read_checkpoint(path)


def previous_of(path) -> Path:
    """``last.ckpt`` -> ``last.ckpt.bkp``."""
    return Path(f"{path}{PREVIOUS_SUFFIX}")


# --- random states as plain values (no pickle) ----------------------------------------------------


def numpy_state() -> dict:
    """``np.random.get_state()`` (``("MT19937", uint32[624], pos, has_gauss, cached_gaussian)``) as
    values ``torch.load(weights_only=True)`` reads: a string, an int64 tensor, two ints and a float."""
    algorithm, key, position, has_gauss, cached = np.random.get_state()
    return {
        "algorithm": str(algorithm),
        "key": torch.from_numpy(np.asarray(key, dtype=np.int64)),
        "pos": int(position),
        "has_gauss": int(has_gauss),
        "cached_gaussian": float(cached),
    }


def python_state() -> dict:
    """``random.getstate()`` (``(3, 625 ints, gauss_next)``) as an int64 tensor and plain numbers."""
    version, internal, gauss_next = random.getstate()
    return {
        "version": int(version),
        "internal": torch.tensor(internal, dtype=torch.int64),
        "gauss_next": gauss_next,
    }


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def uint32_values(value, length: int, name: str) -> list[int]:
    """The ``length`` uint32 words of an int64 tensor, else a ``ValueError`` naming ``name``."""
    if not (isinstance(value, torch.Tensor) and value.dtype == torch.int64 and value.shape == (length,)):
        raise ValueError(f"{name} is not an int64 tensor of {length} values")
    if bool((value < 0).any()) or bool((value >= 2**32).any()):
        raise ValueError(f"{name} holds values outside 0..2**32-1")
    return value.tolist()


def restore_numpy_state(state) -> None:
    if not (isinstance(state, dict) and state.get("algorithm") == "MT19937"):
        raise ValueError("rng_states.numpy is not numpy's MT19937 state")
    key = np.asarray(uint32_values(state.get("key"), 624, "rng_states.numpy.key"), dtype=np.uint32)
    position, has_gauss, cached = state.get("pos"), state.get("has_gauss"), state.get("cached_gaussian")
    if not (is_int(position) and 0 <= position <= 624 and has_gauss in (0, 1) and isinstance(cached, float)):
        raise ValueError("rng_states.numpy has a bad position, has_gauss or cached_gaussian")
    np.random.set_state(("MT19937", key, position, has_gauss, cached))


def restore_python_state(state) -> None:
    if not (isinstance(state, dict) and is_int(state.get("version"))):
        raise ValueError("rng_states.python is not Python's random state")
    internal = uint32_values(state.get("internal"), 625, "rng_states.python.internal")
    gauss_next = state.get("gauss_next")
    if not (gauss_next is None or isinstance(gauss_next, float)):
        raise ValueError("rng_states.python.gauss_next is not a float")
    random.setstate((state["version"], tuple(internal), gauss_next))


def restore_torch_state(state) -> None:
    if not (isinstance(state, torch.Tensor) and state.dtype == torch.uint8 and state.dim() == 1):
        raise ValueError("rng_states.torch is not a uint8 tensor")
    torch.set_rng_state(state)


def restore_rng_states(states) -> None:
    """Restores the states ``CheckpointExtras`` saved; ``ValueError`` if they are not such states."""
    if not isinstance(states, dict) or set(states) != {"torch", "numpy", "python"}:
        raise ValueError("rng_states is not a dict of torch, numpy and python states")
    restore_torch_state(states["torch"])
    restore_numpy_state(states["numpy"])
    restore_python_state(states["python"])


def checked_history(history) -> dict[str, list[float]]:
    """``twins_history``: ``{"loss": [floats], ...}``, else a ``ValueError``."""
    if not isinstance(history, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, float) for x in v)
        for k, v in history.items()
    ):
        raise ValueError("twins_history is not a dict of float lists")
    return {k: list(v) for k, v in history.items()}


def checked_seconds(seconds) -> list[float]:
    if not (isinstance(seconds, list) and all(isinstance(x, float) and math.isfinite(x) for x in seconds)):
        raise ValueError("twins_epoch_seconds is not a list of floats")
    return list(seconds)


# --- the extras of every checkpoint ---------------------------------------------------------------


def project_parts(trainer):
    """``(history, timer)``: the ``KerasStyleHistory`` logger and the ``EpochTimer`` of ``fit_lightning``."""
    from twins.training.fit_lightning import EpochTimer, KerasStyleHistory

    history = next((lg for lg in trainer.loggers if isinstance(lg, KerasStyleHistory)), None)
    timer = next((cb for cb in trainer.callbacks if isinstance(cb, EpochTimer)), None)
    return history, timer


def history_so_far(trainer, history) -> dict[str, list[float]]:
    """The history with the epoch being saved: its validation values are logged already, its
    training values reach the loggers only after the epoch-end hooks (the checkpoint's moment),
    so they are taken from ``trainer.callback_metrics``, where the twin's ``log_dict`` put them."""
    saved = {k: list(v) for k, v in history.history.items()}
    epochs = max((len(v) for k, v in saved.items() if k.startswith("val_")), default=0)
    for name, value in trainer.callback_metrics.items():
        stage, _, metric = name.partition("/")
        if stage == "train" and metric and len(saved.get(metric, [])) < max(epochs, 1):
            saved.setdefault(metric, []).append(float(value))
    return saved


class CheckpointExtras(L.Callback):
    """Adds ``twins_model_id``, the RNG states and the history to every checkpoint; restores them on
    resume (the file was checked by ``resumable_checkpoint`` before Lightning restored it)."""

    def __init__(self, model_id: str):
        self.model_id = model_id

    def on_save_checkpoint(self, trainer, pl_module, checkpoint):
        checkpoint["twins_model_id"] = self.model_id
        checkpoint["rng_states"] = {
            "torch": torch.get_rng_state(),
            "numpy": numpy_state(),
            "python": python_state(),
        }
        history, timer = project_parts(trainer)
        if history is not None and timer is not None:
            checkpoint["twins_history"] = history_so_far(trainer, history)
            checkpoint["twins_epoch_seconds"] = [float(s) for s in timer.epoch_seconds]

    def on_load_checkpoint(self, trainer, pl_module, checkpoint):
        check_model_id(checkpoint, self.model_id, "the checkpoint")
        try:
            if checkpoint.get("rng_states") is not None:
                restore_rng_states(checkpoint["rng_states"])
            history, timer = project_parts(trainer)
            if history is not None and "twins_history" in checkpoint:
                history.history = checked_history(checkpoint["twins_history"])
            if timer is not None and "twins_epoch_seconds" in checkpoint:
                timer.epoch_seconds = checked_seconds(checkpoint["twins_epoch_seconds"])
        except ValueError as error:
            raise CheckpointError(
                f"the checkpoint is not one this project wrote ({error}); it was not used"
            ) from None


def check_model_id(checkpoint: dict, model_id: str, name) -> None:
    saved = checkpoint.get("twins_model_id")
    if saved is not None and saved != model_id:
        shown = saved if isinstance(saved, str) else "?"
        raise ForeignCheckpoint(
            f"{name} belongs to model '{shown}', not '{model_id}'; use another --out for '{model_id}'"
        )


class LastCheckpoint(Checkpoint):
    """Saves ``directory/last.ckpt`` at the end of every training epoch, for every model.

    A ``Checkpoint`` subclass, so Lightning runs it after the LightningModule's own
    ``on_train_epoch_end`` (where K-Means moves its centroids) — the saved state is the
    finished epoch. ``ModelCheckpoint`` would skip models whose ``global_step`` never advances
    (no optimizer step, like K-Means' Lloyd iterations).
    """

    def __init__(self, directory):
        self.path = Path(directory) / "last.ckpt"
        self.saved_epochs = 0  # epochs finished and saved (for "stopped by SIGTERM after epoch N")

    def on_train_epoch_end(self, trainer, pl_module):
        trainer.save_checkpoint(self.path)
        self.saved_epochs = trainer.current_epoch + 1


def lightning_checkpointing(model_id: str, directory) -> dict:
    """Trainer arguments that save ``directory/last.ckpt`` after every epoch, atomically."""
    return {
        "enable_checkpointing": True,
        "plugins": [AtomicCheckpointIO()],
        "callbacks": [LastCheckpoint(directory), CheckpointExtras(model_id)],
    }


# --- reading -----------------------------------------------------------------------------------------


def read_checkpoint(path) -> dict:
    """The checkpoint dict, read with ``weights_only=True`` (no code from the file is run)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, zero bytes, a pickle of other objects: all refused alike
        raise CheckpointError(
            f"{path} is not a checkpoint this project wrote, or it is damaged ({load_failure(error)}); "
            "nothing from it was loaded"
        ) from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path} is not a checkpoint this project wrote (not a dict); it was not used")
    return checkpoint


def load_failure(error: BaseException) -> str:
    """Why ``torch.load`` refused a file, in a few words: torch's ``weights_only`` refusal is a
    paragraph whose one telling line names the object the file wanted built."""
    unsupported = re.search(r"Unsupported global: GLOBAL [\w.]+", str(error))
    if unsupported:
        return f"it asks for Python objects, not only tensors and numbers: {unsupported.group(0)}"
    if isinstance(error, (EOFError, OSError)):  # torch's "[Errno 22] Invalid argument", "EOFError"
        return "the file is cut off or empty"
    if "Weights only load failed" in str(error):
        return "not a PyTorch checkpoint file"
    return first_line(error)


def first_line(error: BaseException, limit: int = 100) -> str:
    """The first line of ``error``'s message, shortened (torch's are paragraphs)."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def checked_checkpoint(path, model_id: str, model) -> dict:
    """The checkpoint at ``path`` if it is one of this project for ``model`` (same model id, the same
    parameter names and shapes, plain RNG states and history), else a ``CheckpointError``."""
    checkpoint = read_checkpoint(path)
    check_model_id(checkpoint, model_id, path)
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            f"{path} is not a checkpoint this project wrote (no state_dict); it was not used"
        )
    check_architecture(path, model_id, state, model.state_dict())
    saved_states = np.random.get_state(), random.getstate(), torch.get_rng_state()
    try:  # restored once here to check them (and put back): Lightning restores them again
        if checkpoint.get("rng_states") is not None:
            restore_rng_states(checkpoint["rng_states"])
        checked_history(checkpoint.get("twins_history", {}))
        checked_seconds(checkpoint.get("twins_epoch_seconds", []))
    except ValueError as error:
        raise CheckpointError(
            f"{path} is not a checkpoint this project wrote ({error}); it was not used"
        ) from None
    finally:
        np.random.set_state(saved_states[0])
        random.setstate(saved_states[1])
        torch.set_rng_state(saved_states[2])
    return checkpoint


def check_architecture(path, model_id: str, saved: dict, expected: dict) -> None:
    """The saved parameters are the model's (names and shapes), else one line naming the first difference."""
    for name, tensor in expected.items():
        if name not in saved or tuple(saved[name].shape) != tuple(tensor.shape):
            found = "missing" if name not in saved else f"{list(saved[name].shape)} in the file"
            raise ForeignCheckpoint(
                f"{path} is a checkpoint of another architecture of '{model_id}' ({name}: {found}, "
                f"{list(tensor.shape)} here); resume with the options it was trained with, "
                "or use another --out"
            )
    extra = sorted(set(saved) - set(expected))
    if extra:
        raise ForeignCheckpoint(
            f"{path} is a checkpoint of another architecture of '{model_id}' ({extra[0]} is not in this "
            "model); resume with the options it was trained with, or use another --out"
        )


def resumable_checkpoint(directory, model_id: str, model) -> Path | None:
    """The checkpoint in ``directory`` to resume from: ``last.ckpt``, else (damaged, or cut off by a
    kill between two renames) the previous one, ``last.ckpt.bkp``, with a one-line notice; ``None``
    when there is neither (a fresh start). Another model's or architecture's checkpoint, or nothing
    usable left, is a ``CheckpointError`` naming the file and the way out."""
    last = Path(directory) / "last.ckpt"
    candidates = [p for p in (last, previous_of(last)) if p.exists()]
    if not candidates:
        return None
    problems = []
    for path in candidates:
        try:
            checked_checkpoint(path, model_id, model)
        except ForeignCheckpoint:
            raise
        except CheckpointError as error:
            problems.append(str(error))
            continue
        if problems or path != last:
            print(
                f"twins: {problems[0] if problems else f'{last} is missing'}; resuming from {path}",
                file=sys.stderr,
            )
        return path
    also = f"; so is {candidates[1]}" if len(problems) > 1 else ""
    raise CheckpointError(
        f"{problems[0]}{also}; use another --out, or delete {Path(directory)} to start over"
    )


def without_pretrained_weights(arguments) -> dict:
    """``arguments`` with ``weights`` (``imagenet`` or an ``.h5`` path: the transfer twins' base)
    set to ``None``: a checkpoint holds every weight, so loading it must not need the pretrained
    file (offline it may be gone) nor spend time copying weights that the checkpoint replaces."""
    arguments = dict(arguments)
    if arguments.get("weights") is not None:
        arguments["weights"] = None
    return arguments


def load_lightning(model_id: str, path):
    """The Lightning twin of ``model_id`` with the weights of the checkpoint at ``path``."""
    from twins.models import make_lightning

    checkpoint = read_checkpoint(path)
    check_model_id(checkpoint, model_id, path)
    if "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict/hyper_parameters)")
    model = make_lightning(model_id, without_pretrained_weights(checkpoint["hyper_parameters"]))
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(
            f"{path} does not fit model '{model_id}': {str(error).splitlines()[1].strip()}"
        ) from None
    return model.eval()


def load_keras(model_id: str, path, arguments: dict):
    """The Keras twin of ``model_id`` (built from ``arguments``) with the weights saved at ``path``
    (``.weights.h5`` from ``save_weights`` or a ``.keras`` file, loaded with ``safe_mode=True``)."""
    from twins.models import make_keras

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Keras weights not found: {path}")
    model = make_keras(model_id, without_pretrained_weights(arguments))
    try:
        if path.suffix == ".keras":
            import keras

            saved = keras.saving.load_model(path, safe_mode=True, compile=False)
            model.set_weights(saved.get_weights())
        else:
            model.load_weights(path)
    except Exception as error:  # Keras raises ValueError/OSError/zipfile errors alike here
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} does not fit the Keras twin of '{model_id}' ({reason[:120]})"
        ) from None
    return model


# --- one run per --out ------------------------------------------------------------------------------


LOCK_NAME = ".twins.lock"


@contextlib.contextmanager
def out_folder_lock(folder):
    """Holds ``folder/.twins.lock`` (``fcntl.flock``, the file holding this process' id) while a run
    writes into ``folder``; a second run on it is an ``OutInUse`` error naming the holder. The
    kernel drops the lock of a process that died, so a stale file is simply taken over."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        yield
        return
    path = Path(folder) / LOCK_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(handle, 32).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise OutInUse(
                f"--out {folder} is in use by another run (pid {holder}); wait for it to end, "
                "or use another --out"
            ) from None
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(handle).st_ino == os.stat(path).st_ino:
                break  # else the holder removed the file we opened: lock the new one
        os.close(handle)
    try:
        os.ftruncate(handle, 0)
        os.write(handle, f"{os.getpid()}\n".encode())
        yield
    finally:
        path.unlink(missing_ok=True)  # removed while still locked: a waiting opener retries
        os.close(handle)
