"""``train_twin``: seed, build and train one twin with its framework's own loop, as ``twins train``
does: ``Trainer.fit`` (``fit_lightning.py``) or ``model.fit`` (``fit_keras.py``).

Both runners return a ``RunResult`` with a Keras-style history (``loss``, ``mae``,
``val_loss``, ``val_mae``, ... per epoch), the test metrics and the seconds of each epoch, so
the two frameworks can be printed, plotted and compared key by key. The Keras runner is
imported only when a Keras twin is trained, so a Lightning-only run never loads TensorFlow.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from twins.models import make_keras, make_lightning
from twins.training.fine_tune import with_fine_tuning
from twins.training.fit_lightning import fit_lightning, seed_lightning, twin_logger
from twins.training.run_result import RunResult


def keras_distribution(name: str | None):
    """The scope to build a Keras twin in: ``tf.distribute.MirroredStrategy`` for ``"mirrored"``."""
    if name in (None, "none"):
        return contextlib.nullcontext()
    if name != "mirrored":
        raise ValueError(f"unknown Keras strategy {name!r}: use none or mirrored")
    import tensorflow as tf

    return tf.distribute.MirroredStrategy().scope()


def train_twin(
    framework,
    model_id,
    datamodule,
    arguments,
    seed=0,
    epochs=1,
    trainer_args=None,
    quiet=False,
    checkpoint_dir=None,
    resume=False,
    callbacks=(),
    keras_strategy=None,
    log_format=None,
    log_dir=None,
) -> RunResult:
    """Seed, build and train one twin from its config arguments (what ``twins train`` runs).

    ``checkpoint_dir``: save after every epoch (Lightning: ``lightning/last.ckpt``; Keras:
    ``BackupAndRestore`` in ``keras/``, final weights in ``keras_final.weights.h5``);
    ``resume=True`` continues from there, else starts afresh. ``callbacks``: of the twin's framework.
    ``keras_strategy="mirrored"`` builds and trains the Keras twin under
    ``tf.distribute.MirroredStrategy`` (every local GPU, or the CPU).
    ``log_format="tensorboard"|"csv"``: the epoch curves under ``log_dir/<framework>/`` with the
    Lightning twin's tags for both twins (``--logger``); a fresh run replaces that folder, a
    resumed one appends to it.
    """
    if log_format and not resume:
        shutil.rmtree(Path(log_dir) / framework, ignore_errors=True)
    if framework == "lightning":
        seed_lightning(seed)
        model = make_lightning(model_id, arguments)
        options, ckpt_path = {"max_epochs": epochs, **(trainer_args or {})}, None
        if checkpoint_dir:
            from twins.training.checkpoints import lightning_checkpointing

            directory = Path(checkpoint_dir) / "lightning"
            saving = lightning_checkpointing(model_id, directory)
            options["callbacks"] = [*(options.get("callbacks") or []), *saving.pop("callbacks")]
            options.update(saving)
            ckpt_path = (
                str(directory / "last.ckpt") if resume and (directory / "last.ckpt").exists() else None
            )
        loggers = [twin_logger(log_format, log_dir, append=resume)] if log_format else []
        result = fit_lightning(
            model, datamodule, options, quiet, callbacks=callbacks, ckpt_path=ckpt_path, loggers=loggers
        )
        # and cats_dogs_transfer's phase 2 (fine-tuning) when arguments ask for it
        return with_fine_tuning(framework, result, datamodule, arguments, quiet, trainer_args)
    from twins.training.fit_keras import fit_keras, seed_keras, twin_log_callback

    seed_keras(seed)
    backup_dir = Path(checkpoint_dir) / "keras" if checkpoint_dir else None
    if backup_dir and not resume:
        shutil.rmtree(backup_dir, ignore_errors=True)
    with keras_distribution(keras_strategy):
        model = make_keras(model_id, arguments)
    if log_format:
        callbacks = [*callbacks, twin_log_callback(log_format, log_dir, append=resume)]
    result = fit_keras(model, datamodule, epochs, quiet, callbacks, backup_dir=backup_dir)
    if checkpoint_dir:
        from twins.io import atomic_target

        with atomic_target(Path(checkpoint_dir) / "keras_final.weights.h5") as path:
            result.model.save_weights(path)
    return with_fine_tuning(framework, result, datamodule, arguments, quiet, trainer_args)
