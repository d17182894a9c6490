"""Train one twin with its framework's own loop: ``Trainer.fit`` or ``model.fit``.

Both runners return a ``RunResult`` with a Keras-style history (``loss``, ``mae``,
``val_loss``, ``val_mae``, ... per epoch), the test metrics and the seconds of each epoch, so
the two frameworks can be printed, plotted and compared key by key.
"""
from __future__ import annotations

import logging
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field

import lightning as L
import keras
import tensorflow as tf

from datamodules.keras_adapter import keras_eval_data, keras_train_data

from .models import make_keras, make_lightning


@dataclass
class RunResult:
    """What one training run produced. ``history`` uses Keras' keys; ``test`` metric -> value."""

    framework: str
    history: dict[str, list[float]]
    test: dict[str, float]
    epoch_seconds: list[float]
    model: object = field(repr=False)

    def final(self) -> dict:
        """``{"train", "val", "test", "seconds_per_epoch"}`` as in the CLI's JSON."""
        train = {k: v[-1] for k, v in self.history.items() if not k.startswith("val_")}
        val = {k[len("val_"):]: v[-1] for k, v in self.history.items() if k.startswith("val_")}
        return {"train": train, "val": val, "test": dict(self.test), "seconds_per_epoch": self.seconds_per_epoch}

    @property
    def seconds_per_epoch(self) -> float:
        """Median epoch time (training + validation); the first epoch is dropped when there are more."""
        times = self.epoch_seconds[1:] or self.epoch_seconds
        return statistics.median(times)


class KerasStyleHistory(L.Callback):
    """Collects the epoch metrics Lightning logged as ``{stage}/{name}`` into Keras' history keys,
    and times each training epoch (validation included, as Keras' epoch time is)."""

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch_seconds: list[float] = []
        self._started = 0.0

    def on_train_epoch_start(self, trainer, pl_module):
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        self.epoch_seconds.append(time.perf_counter() - self._started)
        for name, value in trainer.callback_metrics.items():
            stage, _, metric = name.partition("/")
            if stage in ("train", "val"):
                key = metric if stage == "train" else f"val_{metric}"
                self.history.setdefault(key, []).append(float(value))


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each Keras epoch (training + validation)."""

    def __init__(self):
        super().__init__()
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._started)


def seed_lightning(seed: int) -> None:
    L.seed_everything(seed, workers=True, verbose=False)


def seed_keras(seed: int) -> None:
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def quiet_lightning() -> None:
    """Silence Lightning's banner lines and the data-loader hints that do not apply here."""
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*number of training batches.*")


def fit_lightning(model, datamodule, trainer_args=None, quiet=False, callbacks=()) -> RunResult:
    """``Trainer.fit`` then ``Trainer.test`` of a Lightning twin, deterministic.

    ``trainer_args`` are ``lightning.Trainer`` arguments (``max_epochs``, ``accelerator``, ...).
    """
    quiet_lightning()
    history = KerasStyleHistory()
    options = dict(
        deterministic=True, logger=False, enable_checkpointing=False, num_sanity_val_steps=0,
        enable_progress_bar=not quiet, enable_model_summary=not quiet,
    )
    options.update(trainer_args or {})
    options["callbacks"] = [history, *callbacks, *(options.get("callbacks") or [])]
    trainer = L.Trainer(**options)
    trainer.fit(model, datamodule=datamodule)
    tested = trainer.test(model, datamodule=datamodule, verbose=False)[0]
    test = {name.partition("/")[2]: float(value) for name, value in tested.items()}
    return RunResult("lightning", history.history, test, history.epoch_seconds, model)


def fit_keras(model, datamodule, epochs=1, quiet=False, callbacks=()) -> RunResult:
    """``model.fit`` then ``model.evaluate`` of a compiled Keras twin on the datamodule's batches."""
    timer = EpochTimer()
    verbose = 0 if quiet else (1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    train_data, steps_per_epoch = keras_train_data(datamodule)
    fitted = model.fit(
        train_data, steps_per_epoch=steps_per_epoch, validation_data=keras_eval_data(datamodule, "val"),
        epochs=epochs, shuffle=False, verbose=verbose, callbacks=[timer, *callbacks],
    )
    test = model.evaluate(keras_eval_data(datamodule, "test"), verbose=0, return_dict=True)
    history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
    return RunResult("keras", history, {k: float(v) for k, v in test.items()}, timer.epoch_seconds, model)


def train_twin(framework, model_id, datamodule, arguments, seed=0, epochs=1, trainer_args=None, quiet=False):
    """Seed, build and train one twin from its config arguments (what ``twins train`` runs)."""
    if framework == "lightning":
        seed_lightning(seed)
        model = make_lightning(model_id, arguments)
        return fit_lightning(model, datamodule, {"max_epochs": epochs, **(trainer_args or {})}, quiet)
    seed_keras(seed)
    return fit_keras(make_keras(model_id, arguments), datamodule, epochs, quiet)
