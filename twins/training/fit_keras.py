"""Train a Keras twin with ``model.fit`` on the datamodule's batches."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from datamodules.keras_adapter import keras_eval_data, keras_train_data
from twins.errors import CheckpointError, DivergenceError, ForeignCheckpoint
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


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Keras' ``BackupAndRestore`` (``double_checkpoint``: the previous epoch's files are kept as
    ``*.bkp``; kept after the run, so a finished run resumed reports its metrics) that also saves,
    at every epoch boundary, what it does not: the ``SeedGenerator`` states that drive Dropout, the
    history and the epoch seconds so far (``random_states_epochN.npz``, the last two kept, read
    with ``allow_pickle=False``). The Lightning twin keeps the same in ``last.ckpt``
    (``twins.training.checkpoints.CheckpointExtras``).

    On resume every file is checked before it is used: the latest weights + metadata + states, else
    (damaged, cut off by a kill) the previous ones with a one-line notice, else a ``CheckpointError``
    naming the file and the way out.
    """

    def __init__(self, backup_dir, timer: EpochTimer, model_id: str | None = None):
        super().__init__(str(backup_dir), double_checkpoint=True, delete_checkpoint=False)
        self.directory, self.timer, self.model_id = Path(backup_dir), timer, model_id
        self.history: dict[str, list[float]] = {}  # of the epochs before the resumed one
        self.epoch_seconds: list[float] = []
        self._run_history: dict[str, list[float]] = {}
        self._restore_states = None

    def _states_path(self, epoch: int) -> Path:
        return self.directory / f"random_states_epoch{epoch}.npz"

    def _states(self):
        weights = {id(w) for w in self.model.weights}
        return [v for v in self.model.variables if id(v) not in weights]  # the seed generators' states

    def on_train_begin(self, logs=None):
        latest = (Path(self._weights_path), Path(self._training_metadata_path))
        previous = (Path(self._prev_weights_path), Path(self._prev_training_metadata_path))
        candidates = [pair for pair in (latest, previous) if pair[0].exists() or pair[1].exists()]
        problems = []
        for weights, metadata in candidates:
            try:
                epoch = self._restore(weights, metadata)
            except ForeignCheckpoint:
                raise
            except CheckpointError as error:
                problems.append(str(error))
                continue
            if problems or weights != latest[0]:
                print(
                    f"twins: {problems[0] if problems else 'no latest backup'}; resuming from {weights}",
                    file=sys.stderr,
                )
                shutil.copyfile(weights, latest[0])  # as Keras does: the next save keeps a good .bkp
                shutil.copyfile(metadata, latest[1])
            self.model._initial_epoch = epoch  # what BackupAndRestore's own loading sets
            return
        if problems:
            also = "; so is the previous backup (*.bkp)" if len(problems) > 1 else ""
            raise CheckpointError(
                f"{problems[0]}{also}; use another --out, or delete {self.directory} to start over"
            )

    def _restore(self, weights: Path, metadata: Path) -> int:
        """Loads one backup (weights, metadata and the states of its epoch); its epoch."""
        epoch = read_metadata(metadata)
        states = self._read_states(epoch) if epoch > 0 else None
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)  # as BackupAndRestore does
        try:
            if weights.name.endswith(".weights.h5"):
                self.model.load_weights(weights)
            else:  # the .bkp: Keras loads only files named *.weights.h5
                readable = self.directory / f".previous.{os.getpid()}.weights.h5"
                shutil.copyfile(weights, readable)
                try:
                    self.model.load_weights(readable)
                finally:
                    readable.unlink(missing_ok=True)
        except Exception as error:  # h5py's OSError, Keras' ValueError: a damaged or foreign file
            raise CheckpointError(damaged(weights, error)) from None
        self._restore_states = states
        return epoch

    def _read_states(self, epoch: int) -> list[np.ndarray]:
        path = self._states_path(epoch)
        try:
            with np.load(path, allow_pickle=False) as saved:
                arrays = {name: saved[name] for name in saved.files}
        except Exception as error:  # missing, truncated, or an object array (refused unread)
            raise CheckpointError(damaged(path, error)) from None
        self._check_identity(path, arrays)
        states = [arrays.get(f"state{i}") for i in range(len(self._states()))]
        for variable, state in zip(self._states(), states, strict=True):
            if state is None or state.shape != tuple(variable.shape) or state.dtype != variable.dtype:
                raise CheckpointError(
                    f"{path} is not a checkpoint this project wrote (not this model's random states); "
                    "it was not used"
                )
        seconds = arrays.get("epoch_seconds")
        history = {k.partition(".")[2]: v for k, v in arrays.items() if k.startswith("history.")}
        if seconds is None or any(
            v.dtype != np.float64 or v.shape != (epoch,) for v in [seconds, *history.values()]
        ):
            raise CheckpointError(
                f"{path} is not a checkpoint this project wrote (not {epoch} epochs of history); "
                "it was not used"
            )
        self.history = {k: [float(x) for x in v] for k, v in history.items()}
        self.epoch_seconds = [float(x) for x in seconds]
        return states

    def _architecture(self) -> str:
        """The shapes of the model's weights in order, one string (saved, compared on resume; the
        names carry counters that differ between processes)."""
        return ";".join(str(tuple(w.shape)) for w in self.model.weights)

    def _check_identity(self, path: Path, arrays: dict) -> None:
        """Another model's or architecture's backup: the model-id check's one line, as for Lightning."""
        saved_id = str(arrays["twins_model_id"]) if "twins_model_id" in arrays else None
        if self.model_id and saved_id not in (None, self.model_id):
            raise ForeignCheckpoint(
                f"{path} belongs to model '{saved_id}', not '{self.model_id}'; "
                f"use another --out for '{self.model_id}'"
            )
        if "architecture" in arrays and str(arrays["architecture"]) != self._architecture():
            raise ForeignCheckpoint(
                f"{path} is a backup of another architecture of '{self.model_id}'; resume with the options "
                "it was trained with, or use another --out"
            )

    def on_epoch_begin(self, epoch, logs=None):
        if self._restore_states is not None:
            for variable, state in zip(self._states(), self._restore_states, strict=True):
                variable.assign(state)
        self._restore_states = None

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self._run_history.setdefault(key, []).append(float(value))
        arrays = {f"state{i}": np.asarray(v) for i, v in enumerate(self._states())}
        arrays |= {
            "twins_model_id": np.asarray(self.model_id or ""),
            "architecture": np.asarray(self._architecture()),
        }
        arrays |= {f"history.{k}": np.asarray(v, dtype=np.float64) for k, v in self.full_history().items()}
        seconds = [*self.epoch_seconds, *self.timer.epoch_seconds]  # the timer runs before this callback
        arrays["epoch_seconds"] = np.asarray(seconds, dtype=np.float64)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(self._states_path(epoch + 1), buffer.getvalue())
        super().on_epoch_end(epoch, logs)  # Keras' backup of this epoch (the previous one to .bkp)
        self._states_path(epoch - 1).unlink(missing_ok=True)  # the .bkp's are epoch's, kept

    def full_history(self) -> dict[str, list[float]]:
        """The restored epochs' history followed by this run's."""
        keys = [*self.history, *(k for k in self._run_history if k not in self.history)]
        return {k: [*self.history.get(k, []), *self._run_history.get(k, [])] for k in keys}


def read_metadata(path: Path) -> int:
    """The epoch of ``BackupAndRestore``'s ``training_metadata.json``, checked (a kill mid-write
    leaves it truncated: Keras writes it in place)."""
    try:
        metadata = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CheckpointError(damaged(path, error)) from None
    epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
    if not (isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0):
        raise CheckpointError(f"{path} is not a checkpoint this project wrote (no epoch); it was not used")
    return epoch


def damaged(path, error: BaseException) -> str:
    from twins.training.checkpoints import first_line

    return (
        f"{path} is not a checkpoint this project wrote, or it is damaged ({first_line(error)}); "
        "nothing from it was loaded"
    )


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
    model, datamodule, epochs=1, quiet=False, callbacks=(), initial_epoch=0, backup_dir=None, model_id=None
) -> RunResult:
    """``model.fit`` then ``model.evaluate`` of a compiled Keras twin on the datamodule's batches.

    ``backup_dir``: ``BackupAndRestore`` saves weights + optimizer state there after every epoch
    and a rerun resumes from it; the training stream then starts at the resumed epoch's batches.
    """
    timer, cursor = EpochTimer(), EpochCursor(initial_epoch)
    backup = ResumableBackup(backup_dir, timer, model_id) if backup_dir else None
    resuming = [backup] if backup else []
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
        callbacks=[timer, *resuming, cursor, StopOnDivergence(), *callbacks],
    )
    test = model.evaluate(keras_eval_data(datamodule, "test"), verbose=0, return_dict=True)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    seconds = timer.epoch_seconds
    if backup:  # resumed: the epochs before this run too (all of them, for a finished run)
        history = {
            k: [*backup.history.get(k, []), *history.get(k, [])] for k in {**backup.history, **history}
        }
        seconds = [*backup.epoch_seconds, *seconds]
    return RunResult("keras", history, {k: float(v) for k, v in test.items()}, seconds, model)
