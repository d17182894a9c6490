"""Train a Lightning twin with ``Trainer.fit`` (no TensorFlow imported on this path)."""

from __future__ import annotations

import logging
import time
import warnings

import torch

import lightning as L
from lightning.pytorch.loggers import CSVLogger, Logger

from twins.errors import DivergenceError
from twins.training.run_result import RunResult


class KerasStyleHistory(Logger):
    """A Lightning logger that keeps the epoch metrics in memory, under Keras' history keys:
    ``train/loss`` -> ``loss``, ``val/mae`` -> ``val_mae`` (one value per epoch)."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}

    @property
    def name(self):
        return "history"

    @property
    def version(self):
        return 0

    def log_hyperparams(self, params, *args, **kwargs):
        pass

    def log_metrics(self, metrics, step=None):
        for name, value in metrics.items():
            stage, _, metric = name.partition("/")
            if stage in ("train", "val") and metric:
                key = metric if stage == "train" else f"val_{metric}"
                self.history.setdefault(key, []).append(float(value))


class EpochTimer(L.Callback):
    """Seconds of each training epoch, validation included (as Keras' epoch time is)."""

    def __init__(self):
        self.epoch_seconds: list[float] = []

    def on_train_epoch_start(self, trainer, pl_module):
        self._started = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module):
        self.epoch_seconds.append(time.perf_counter() - self._started)


def loggers_with(history: KerasStyleHistory, requested, save_dir) -> list[Logger]:
    """``history`` plus what ``--trainer.logger`` asked for (``True``: a CSVLogger)."""
    if requested in (None, False):
        return [history]
    if requested is True:
        return [history, CSVLogger(save_dir or ".")]
    return [history, *(requested if isinstance(requested, (list, tuple)) else [requested])]


class StopOnDivergence(L.Callback):
    """Stops the run with a ``DivergenceError`` the moment a training loss is NaN or infinite.

    On the CPU the check is free; on a GPU it costs one tiny host sync per step.
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss.detach()).all()):
            raise DivergenceError("lightning", trainer.current_epoch + 1, batch_idx + 1, float(loss.detach()))


def seed_lightning(seed: int) -> None:
    L.seed_everything(seed, workers=True, verbose=False)


def quiet_lightning() -> None:
    """Silence Lightning's banner lines and the data-loader hints that do not apply here."""
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*number of training batches.*")
    warnings.filterwarnings("ignore", ".*LeafSpec.*")
    warnings.filterwarnings("ignore", ".*exists and is not empty.*")  # resuming into --out
    # K-Means: Lloyd steps, no optimizer
    warnings.filterwarnings("ignore", ".*`configure_optimizers` returned `None`.*")
    # a frozen base's BatchNorm, in inference mode like Keras'
    warnings.filterwarnings("ignore", ".*module\\(s\\) in eval mode.*")


#: Trainer defaults of the twins: reproducible, and nothing written unless asked for.
#: ``use_distributed_sampler=False``: the datamodules shard each global batch across processes
#: themselves (see ``datamodules.torch_adapter``), so DDP trains on the same global batches.
TRAINER_DEFAULTS = {
    "deterministic": True,
    "logger": False,
    "enable_checkpointing": False,
    "num_sanity_val_steps": 0,
    "use_distributed_sampler": False,
}


def fit_lightning(
    model, datamodule, trainer_args=None, quiet=False, callbacks=(), ckpt_path=None
) -> RunResult:
    """``Trainer.fit`` then ``Trainer.test`` of a Lightning twin.

    ``trainer_args`` are ``lightning.Trainer`` arguments (``max_epochs``, ``accelerator``, ...),
    over ``TRAINER_DEFAULTS``; ``ckpt_path`` resumes (``"last"`` with a ModelCheckpoint).
    """
    quiet_lightning()
    history, clock = KerasStyleHistory(), EpochTimer()
    options = {**TRAINER_DEFAULTS, "enable_progress_bar": not quiet, "enable_model_summary": not quiet}
    options.update(trainer_args or {})
    options["logger"] = loggers_with(history, options.get("logger"), options.get("default_root_dir"))
    options["callbacks"] = [clock, StopOnDivergence(), *callbacks, *(options.get("callbacks") or [])]
    trainer = L.Trainer(**options)
    trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    tested = trainer.test(model, datamodule=datamodule, verbose=False)[0]
    test = {name.partition("/")[2]: float(value) for name, value in tested.items()}
    result = RunResult("lightning", history.history, test, clock.epoch_seconds, model)
    result.is_global_zero = trainer.is_global_zero
    return result
