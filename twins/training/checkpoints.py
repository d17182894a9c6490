"""Checkpoints of the Lightning twins: written atomically, resumable bit for bit, loaded safely.

- ``AtomicCheckpointIO``: every checkpoint goes to a temporary name and is renamed, so a run
  killed while saving leaves the previous ``last.ckpt`` intact.
- ``CheckpointExtras``: stores the model id and the RNG states (torch, numpy, random) in the
  checkpoint and restores them, so a resumed run draws the same dropout masks as an
  uninterrupted one (Lightning does not save RNG states by itself).
- ``load_lightning``: ``torch.load(weights_only=True)``; a file of another model or of Keras
  gives a ``CheckpointError``, not a crash.
The Keras twins resume with ``keras.callbacks.BackupAndRestore`` (``twins/training/fit_keras.py``).
"""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import torch

import lightning as L
import numpy as np
from lightning.pytorch.callbacks import Checkpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from twins.errors import CheckpointError


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` that writes ``path`` via a temporary file and ``os.replace``."""

    def save_checkpoint(self, checkpoint, path, storage_options=None):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        super().save_checkpoint(checkpoint, temporary, storage_options)
        os.replace(temporary, path)


class CheckpointExtras(L.Callback):
    """Adds ``twins_model_id`` and the RNG states to every checkpoint; restores the RNG on resume."""

    def __init__(self, model_id: str):
        self.model_id = model_id

    def on_save_checkpoint(self, trainer, pl_module, checkpoint):
        checkpoint["twins_model_id"] = self.model_id
        checkpoint["rng_states"] = {
            "torch": torch.get_rng_state(),
            "numpy": pickle.dumps(np.random.get_state()),
            "python": pickle.dumps(random.getstate()),
        }

    def on_load_checkpoint(self, trainer, pl_module, checkpoint):
        if checkpoint.get("twins_model_id") not in (None, self.model_id):
            raise CheckpointError(
                f"the checkpoint belongs to model '{checkpoint['twins_model_id']}', not '{self.model_id}'"
            )
        states = checkpoint.get("rng_states")
        if states:
            torch.set_rng_state(states["torch"])
            np.random.set_state(pickle.loads(states["numpy"]))
            random.setstate(pickle.loads(states["python"]))


class LastCheckpoint(Checkpoint):
    """Saves ``directory/last.ckpt`` at the end of every training epoch, for every model.

    A ``Checkpoint`` subclass, so Lightning runs it after the LightningModule's own
    ``on_train_epoch_end`` (where K-Means moves its centroids) — the saved state is the
    finished epoch. ``ModelCheckpoint`` would skip models whose ``global_step`` never advances
    (no optimizer step, like K-Means' Lloyd iterations).
    """

    def __init__(self, directory):
        self.path = Path(directory) / "last.ckpt"

    def on_train_epoch_end(self, trainer, pl_module):
        trainer.save_checkpoint(self.path)


def lightning_checkpointing(model_id: str, directory) -> dict:
    """Trainer arguments that save ``directory/last.ckpt`` after every epoch, atomically."""
    return {
        "enable_checkpointing": True,
        "plugins": [AtomicCheckpointIO()],
        "callbacks": [LastCheckpoint(directory), CheckpointExtras(model_id)],
    }


def read_checkpoint(path) -> dict:
    """The checkpoint dict, read with ``weights_only=True`` (no code from the file is run)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"{path} is not a usable PyTorch/Lightning checkpoint ({reason[:120]})"
        ) from None


def load_lightning(model_id: str, path):
    """The Lightning twin of ``model_id`` with the weights of the checkpoint at ``path``."""
    from twins.models import make_lightning

    checkpoint = read_checkpoint(path)
    saved_id = checkpoint.get("twins_model_id")
    if saved_id is not None and saved_id != model_id:
        raise CheckpointError(f"{path} belongs to model '{saved_id}', not '{model_id}'")
    if "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
        raise CheckpointError(f"{path} is not a Lightning checkpoint (no state_dict/hyper_parameters)")
    model = make_lightning(model_id, dict(checkpoint["hyper_parameters"]))
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
    model = make_keras(model_id, arguments)
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
