"""Train a Keras twin with ``model.fit`` on the datamodule's batches."""

from __future__ import annotations

import io
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from datamodules.keras_adapter import keras_eval_data, keras_train_data
from twins.errors import DivergenceError
from twins.io import atomic_write_bytes
from twins.training.run_result import RunResult


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each Keras epoch (training + validation)."""

    def __init__(self):
        super().__init__()
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._started)


class StopOnDivergence(keras.callbacks.Callback):
    """Raises ``DivergenceError`` at the first batch whose loss is NaN or infinite.

    Keras' ``logs["loss"]`` is the running epoch mean, which turns non-finite at exactly the
    batch whose loss did — the same epoch and step Lightning's twin reports.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise DivergenceError("keras", self.epoch + 1, batch + 1, float(loss))


class EpochCursor(keras.callbacks.Callback):
    """Remembers the first epoch ``fit`` runs: ``initial_epoch``, or the one ``BackupAndRestore``
    resumes at. The training stream reads it when Keras starts iterating (after this callback)."""

    def __init__(self, initial_epoch: int = 0):
        super().__init__()
        self.first_epoch = None
        self.initial_epoch = initial_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if self.first_epoch is None:
            self.first_epoch = epoch

    def start(self) -> int:
        return self.initial_epoch if self.first_epoch is None else self.first_epoch


class RandomStateBackup(keras.callbacks.Callback):
    """Saves the ``SeedGenerator`` states that drive Dropout next to ``BackupAndRestore``'s files
    (which hold weights and optimizer state, not these) and restores them on resume, so a resumed
    run draws the same dropout masks as an uninterrupted one.

    One file per epoch boundary (the last two kept), chosen by the epoch ``fit`` resumes at:
    when ``BackupAndRestore`` falls back to its previous checkpoint, the states follow it.
    """

    def __init__(self, backup_dir):
        super().__init__()
        self.directory = Path(backup_dir)
        self.restored = False

    def _path(self, epoch: int) -> Path:
        return self.directory / f"random_states_epoch{epoch}.npz"

    def _states(self):
        weights = {id(w) for w in self.model.weights}
        return [v for v in self.model.variables if id(v) not in weights]  # the seed generators' states

    def on_epoch_begin(self, epoch, logs=None):
        if not self.restored and self._path(epoch).exists():
            saved = np.load(self._path(epoch))
            for index, variable in enumerate(self._states()):
                variable.assign(saved[f"state{index}"])
        self.restored = True

    def on_epoch_end(self, epoch, logs=None):
        buffer = io.BytesIO()
        np.savez(buffer, **{f"state{i}": np.asarray(v) for i, v in enumerate(self._states())})
        atomic_write_bytes(self._path(epoch + 1), buffer.getvalue())
        self._path(epoch - 1).unlink(missing_ok=True)


def lightning_tag(key: str) -> str:
    """The Lightning twin's name of a Keras history key: ``loss`` -> ``train/loss``,
    ``val_accuracy`` -> ``val/accuracy``."""
    return f"val/{key[len('val_') :]}" if key.startswith("val_") else f"train/{key}"


class LightningTagsTensorBoard(keras.callbacks.TensorBoard):
    """``--logger tensorboard``: Keras' TensorBoard callback writing the Lightning twin's tags
    (``train/loss``, ``val/accuracy``, ...) at step = epoch into ONE run folder, ``log_dir``
    (Keras' own writes ``epoch_loss`` into ``train/`` and ``validation/`` sub-runs), so that
    ``tensorboard --logdir`` overlays the twins tag for tag. Validation values are written at the
    epoch's end with the training values, as Lightning's logger receives them."""

    def __init__(self, log_dir):
        super().__init__(log_dir=str(log_dir), write_graph=False)

    def set_model(self, model):
        super().set_model(model)
        self._train_dir = self.log_dir  # the one writer of this run

    def on_test_begin(self, logs=None):
        pass  # no validation sub-run (the parent opens one and writes evaluation_*_vs_iterations)

    def on_test_end(self, logs=None):
        pass

    def _log_epoch_metrics(self, epoch, logs):  # the parent's hook for the epoch's values
        with self._train_writer.as_default():
            for key, value in (logs or {}).items():
                self.summary.scalar(lightning_tag(key), value, step=epoch)


class LightningTagsCSVLogger(keras.callbacks.CSVLogger):
    """``--logger csv``: Keras' ``CSVLogger`` with the Lightning twin's column names, one row per
    epoch: ``epoch,train/accuracy,train/loss,val/accuracy,val/loss`` (what the Lightning twin's
    ``EpochCSVLogger`` writes)."""

    def on_epoch_end(self, epoch, logs=None):
        renamed = {lightning_tag(k): v for k, v in (logs or {}).items()}
        if self.keys is None:  # the parent would add a val_<key> column for each key without val_
            self.keys = sorted(renamed)
        super().on_epoch_end(epoch, renamed)


def twin_log_callback(kind: str, save_dir, append=False) -> keras.callbacks.Callback:
    """The Keras twin's logger of ``--logger tensorboard|csv``, writing into ``save_dir/keras``."""
    folder = Path(save_dir) / "keras"
    if kind == "tensorboard":
        return LightningTagsTensorBoard(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return LightningTagsCSVLogger(str(folder / "metrics.csv"), append=append)


def seed_keras(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit_keras(
    model, datamodule, epochs=1, quiet=False, callbacks=(), initial_epoch=0, backup_dir=None
) -> RunResult:
    """``model.fit`` then ``model.evaluate`` of a compiled Keras twin on the datamodule's batches.

    ``backup_dir``: ``BackupAndRestore`` saves weights + optimizer state there after every epoch
    and a rerun resumes from it; the training stream then starts at the resumed epoch's batches.
    """
    timer, cursor = EpochTimer(), EpochCursor(initial_epoch)
    # double_checkpoint: a run killed while saving falls back to the previous epoch's backup
    resuming = (
        [
            keras.callbacks.BackupAndRestore(str(backup_dir), double_checkpoint=True),
            RandomStateBackup(backup_dir),
        ]
        if backup_dir
        else []
    )
    if resuming and not model.built:
        model.build((None, *datamodule.input_shape))
    verbose = 0 if quiet else (1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    train_data, steps_per_epoch = keras_train_data(datamodule, first_epoch=cursor.start)
    fitted = model.fit(
        train_data,
        steps_per_epoch=steps_per_epoch,
        validation_data=keras_eval_data(datamodule, "val"),
        epochs=epochs,
        initial_epoch=initial_epoch,
        shuffle=False,
        verbose=verbose,
        callbacks=[*resuming, cursor, timer, StopOnDivergence(), *callbacks],
    )
    test = model.evaluate(keras_eval_data(datamodule, "test"), verbose=0, return_dict=True)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    return RunResult("keras", history, {k: float(v) for k, v in test.items()}, timer.epoch_seconds, model)
