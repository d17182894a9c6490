"""Train a Keras twin with ``model.fit`` on the datamodule's batches."""
from __future__ import annotations

import sys
import time

import keras
import tensorflow as tf

from datamodules.keras_adapter import keras_eval_data, keras_train_data

from .run_result import RunResult


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each Keras epoch (training + validation)."""

    def __init__(self):
        super().__init__()
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._started)


def seed_keras(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def fit_keras(model, datamodule, epochs=1, quiet=False, callbacks=(), initial_epoch=0) -> RunResult:
    """``model.fit`` then ``model.evaluate`` of a compiled Keras twin on the datamodule's batches.

    ``initial_epoch`` resumes: the training stream starts at that epoch's batches.
    """
    timer = EpochTimer()
    verbose = 0 if quiet else (1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    train_data, steps_per_epoch = keras_train_data(datamodule, first_epoch=initial_epoch)
    fitted = model.fit(
        train_data, steps_per_epoch=steps_per_epoch, validation_data=keras_eval_data(datamodule, "val"),
        epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=verbose, callbacks=[timer, *callbacks],
    )
    test = model.evaluate(keras_eval_data(datamodule, "test"), verbose=0, return_dict=True)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    return RunResult("keras", history, {k: float(v) for k, v in test.items()}, timer.epoch_seconds, model)
