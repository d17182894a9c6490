"""Train one twin with its framework's own loop: ``Trainer.fit`` (``fit_lightning.py``) or
``model.fit`` (``fit_keras.py``).

Both runners return a ``RunResult`` with a Keras-style history (``loss``, ``mae``,
``val_loss``, ``val_mae``, ... per epoch), the test metrics and the seconds of each epoch, so
the two frameworks can be printed, plotted and compared key by key. The Keras names are
imported lazily, so a Lightning-only run never loads TensorFlow.
"""
from __future__ import annotations

import contextlib
import importlib
import shutil
from pathlib import Path

from .fit_lightning import TRAINER_DEFAULTS, KerasStyleHistory, fit_lightning, quiet_lightning, seed_lightning
from .fine_tune import with_fine_tuning
from .models import make_keras, make_lightning
from .run_result import RunResult

_KERAS_NAMES = {"fit_keras", "seed_keras", "EpochTimer"}

__all__ = [
    "RunResult", "TRAINER_DEFAULTS", "KerasStyleHistory", "fit_lightning", "quiet_lightning", "seed_lightning",
    "train_twin", *_KERAS_NAMES,
]


def __getattr__(name):
    if name in _KERAS_NAMES:
        return getattr(importlib.import_module(".fit_keras", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def keras_distribution(name: str | None):
    """The scope to build a Keras twin in: ``tf.distribute.MirroredStrategy`` for ``"mirrored"``."""
    if name in (None, "none"):
        return contextlib.nullcontext()
    if name != "mirrored":
        raise ValueError(f"unknown Keras strategy {name!r}: use none or mirrored")
    import tensorflow as tf

    return tf.distribute.MirroredStrategy().scope()


def train_twin(framework, model_id, datamodule, arguments, seed=0, epochs=1, trainer_args=None, quiet=False,
               checkpoint_dir=None, resume=False, callbacks=(), keras_strategy=None) -> RunResult:
    """Seed, build and train one twin from its config arguments (what ``twins train`` runs).

    ``checkpoint_dir``: save after every epoch (Lightning: ``lightning/last.ckpt``; Keras:
    ``BackupAndRestore`` in ``keras/``, final weights in ``keras_final.weights.h5``);
    ``resume=True`` continues from there, else starts afresh. ``callbacks``: of the twin's framework.
    ``keras_strategy="mirrored"`` builds and trains the Keras twin under
    ``tf.distribute.MirroredStrategy`` (every local GPU, or the CPU).
    """
    if framework == "lightning":
        seed_lightning(seed)
        model = make_lightning(model_id, arguments)
        options, ckpt_path = {"max_epochs": epochs, **(trainer_args or {})}, None
        if checkpoint_dir:
            from .checkpoints import lightning_checkpointing

            directory = Path(checkpoint_dir) / "lightning"
            saving = lightning_checkpointing(model_id, directory)
            options["callbacks"] = [*(options.get("callbacks") or []), *saving.pop("callbacks")]
            options.update(saving)
            ckpt_path = str(directory / "last.ckpt") if resume and (directory / "last.ckpt").exists() else None
        result = fit_lightning(model, datamodule, options, quiet, callbacks=callbacks, ckpt_path=ckpt_path)
        return with_fine_tuning(framework, result, datamodule, arguments, quiet, trainer_args)  # cats_dogs_transfer's phase 2
    from .fit_keras import fit_keras, seed_keras

    seed_keras(seed)
    backup_dir = Path(checkpoint_dir) / "keras" if checkpoint_dir else None
    if backup_dir and not resume:
        shutil.rmtree(backup_dir, ignore_errors=True)
    with keras_distribution(keras_strategy):
        model = make_keras(model_id, arguments)
    result = fit_keras(model, datamodule, epochs, quiet, callbacks, backup_dir=backup_dir)
    if checkpoint_dir:
        from .io import atomic_target

        with atomic_target(Path(checkpoint_dir) / "keras_final.weights.h5") as path:
            result.model.save_weights(path)
    return with_fine_tuning(framework, result, datamodule, arguments, quiet, trainer_args)
