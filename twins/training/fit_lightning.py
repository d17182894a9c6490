"""Train a Lightning twin with ``Trainer.fit`` (no TensorFlow imported on this path, unless a
TensorBoard logger is used: its event writer loads TensorFlow where it is installed).

The user's loggers and callbacks (``--trainer.logger``, ``--trainer.callbacks``, built as
LightningCLI builds them) train beside the project's own: ``KerasStyleHistory``, ``EpochTimer``,
``StopOnDivergence``, ``EpochProgressBar`` and the speed settings ``ChannelsLast`` and
``DeterministicWithoutFill`` (the same mathematics, less time a step).
"""

from __future__ import annotations

import csv
import importlib.util
import logging
import os
import time
import warnings
from pathlib import Path

import torch

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint, ProgressBar, RichProgressBar, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import convert_inf
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only

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


def requested_loggers(requested, save_dir=None) -> list[Logger]:
    """The loggers ``--trainer.logger`` asked for, read as ``Trainer(logger=...)`` reads it: none
    for ``None``/``False``; for ``True`` Lightning's default logger (a ``TensorBoardLogger`` where
    tensorboard is installed, else a ``CSVLogger``) under ``save_dir`` (``--out``), else the
    current folder; a logger or a list of them as they are."""
    if requested in (None, False):
        return []
    if requested is True:
        root = str(save_dir or os.getcwd())
        if importlib.util.find_spec("tensorboard") or importlib.util.find_spec("tensorboardX"):
            return [TensorBoardLogger(save_dir=root)]
        return [CSVLogger(save_dir=root)]
    return list(requested) if isinstance(requested, (list, tuple)) else [requested]


def log_place(logger: Logger) -> str:
    """Where ``logger`` wrote (its version folder for TensorBoard/CSV loggers)."""
    return str(getattr(logger, "log_dir", None) or logger.save_dir or "")


def epoch_metrics(metrics: dict) -> tuple[int | None, dict]:
    """``(epoch, {"train/loss": ..., "val/accuracy": ...})`` of one ``log_metrics`` call: the epoch
    curves only (the twins log once per epoch; Lightning adds the ``epoch`` it happened in)."""
    epoch = metrics.get("epoch")
    curves = {k: float(v) for k, v in metrics.items() if k.partition("/")[0] in ("train", "val")}
    return (None if epoch is None else int(epoch)), curves


class EpochTensorBoardLogger(TensorBoardLogger):
    """``--logger tensorboard``: Lightning's TensorBoard logger with the epoch as the step (the
    x axis Keras' TensorBoard callback uses), the epoch curves only, in ``save_dir/lightning``,
    so the Keras twin's run (``save_dir/keras``) overlays it tag for tag."""

    def __init__(self, save_dir):
        super().__init__(save_dir=str(save_dir), name="lightning", version="", default_hp_metric=False)

    @rank_zero_only
    def log_metrics(self, metrics, step=None):
        epoch, curves = epoch_metrics(metrics)
        if curves and epoch is not None:
            super().log_metrics(curves, step=epoch)


class EpochCSVLogger(Logger):
    """``--logger csv``: one row per epoch in ``save_dir/lightning/metrics.csv``, columns ``epoch``
    and the sorted tags (``train/loss``, ..., ``val/loss``) — the file Keras' ``CSVLogger`` writes
    for the Keras twin, whose columns are renamed to these tags (Lightning's own ``CSVLogger``
    writes a row per logging call, training and validation apart)."""

    def __init__(self, save_dir, append=False):
        super().__init__()
        self.path = Path(save_dir) / "lightning" / "metrics.csv"
        self.append = append and self.path.is_file()
        self._row: dict | None = None

    @property
    def name(self):
        return "lightning"

    @property
    def version(self):
        return ""

    @property
    def save_dir(self):
        return str(self.path.parent)

    def log_hyperparams(self, params, *args, **kwargs):
        pass

    @rank_zero_only
    def log_metrics(self, metrics, step=None):
        epoch, curves = epoch_metrics(metrics)
        if not curves or epoch is None:
            return
        if self._row is not None and self._row["epoch"] != epoch:
            self._write_row()
        self._row = {**(self._row or {"epoch": epoch}), **curves}

    @rank_zero_only
    def finalize(self, status):
        self._write_row()

    def _write_row(self) -> None:
        if self._row is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.append
        with self.path.open("w" if new else "a", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=["epoch", *sorted(set(self._row) - {"epoch"})])
            if new:
                writer.writeheader()
            writer.writerow(self._row)
        self.append, self._row = True, None


def twin_logger(kind: str, save_dir, append=False) -> Logger:
    """The Lightning twin's logger of ``--logger tensorboard|csv`` (see ``fit_keras.twin_log_callback``)."""
    return EpochTensorBoardLogger(save_dir) if kind == "tensorboard" else EpochCSVLogger(save_dir, append)


class EpochProgressBar(TQDMProgressBar):
    """Lightning's tqdm progress bar counting epochs as Keras does: "Epoch 1/25" ... "Epoch 25/25"
    (Lightning's own shows the 0-based ``current_epoch``: "Epoch 0" ... "Epoch 24")."""

    def on_train_epoch_start(self, trainer, *_):
        # Lightning's own hook with Keras' label (calling it would first print its 0-based one)
        if self._leave:
            self.train_progress_bar = self.init_train_tqdm()
        self.train_progress_bar.reset()
        self.train_progress_bar.total = convert_inf(self.total_train_batches)
        self.train_progress_bar.initial = 0
        self.train_progress_bar.set_description(epoch_label(trainer.current_epoch, trainer.max_epochs))

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)  # the loggers' versions joined; the in-memory history's means nothing
        return metrics


class EpochRichProgressBar(RichProgressBar):
    """Lightning's rich progress bar (its default where ``rich`` is installed) counting epochs as
    Keras does: "Epoch 25/25" for the last of 25 (Lightning's own: "Epoch 24/24")."""

    def _get_train_description(self, current_epoch: int) -> str:  # the parent's hook for the label
        label = epoch_label(current_epoch, self.trainer.max_epochs)
        return f"{label:{len(self.validation_description)}}"  # padded as the parent pads it

    def get_metrics(self, trainer, pl_module):
        metrics = super().get_metrics(trainer, pl_module)
        metrics.pop("v_num", None)
        return metrics


def epoch_progress_bar() -> ProgressBar:
    """The bar Lightning would choose (rich where installed, else tqdm), counting epochs from 1."""
    return EpochRichProgressBar() if importlib.util.find_spec("rich") else EpochProgressBar()


def epoch_label(epoch: int, max_epochs: int | None) -> str:
    """``"Epoch 3/25"`` for the 0-based ``epoch`` 2 (``"Epoch 3"`` when training has no end)."""
    return f"Epoch {epoch + 1}/{max_epochs}" if max_epochs and max_epochs > 0 else f"Epoch {epoch + 1}"


def place_checkpoints(callbacks, user_loggers, root) -> None:
    """A ``ModelCheckpoint`` without ``dirpath`` saves where Lightning puts it for the user's
    loggers: the first one's folder, or ``default_root_dir/checkpoints`` without any — not in a
    folder named after the in-memory ``KerasStyleHistory`` (which would come first then)."""
    if user_loggers:
        return
    for callback in callbacks:
        if isinstance(callback, ModelCheckpoint) and callback.dirpath is None:
            callback.dirpath = os.path.realpath(os.path.join(root or os.getcwd(), "checkpoints"))


class StopOnDivergence(L.Callback):
    """Stops the run with a ``DivergenceError`` the moment a training loss is NaN or infinite.

    On the CPU the check is free; on a GPU it costs one tiny host sync per step.
    """

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and not bool(torch.isfinite(loss.detach()).all()):
            raise DivergenceError("lightning", trainer.current_epoch + 1, batch_idx + 1, float(loss.detach()))


def has_conv(module: torch.nn.Module) -> bool:
    return any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in module.modules())


def prefer_channels_last(module: torch.nn.Module) -> torch.nn.Module:
    """``module`` with its 4-d weights in ``torch.channels_last`` memory format if it has 2-d
    convolutions (the same tensors, strided as NHWC: the format torch's CPU convolutions run
    fastest in, and the one the datamodules' images arrive in, see ``datamodules.torch_adapter``)."""
    return module.to(memory_format=torch.channels_last) if has_conv(module) else module


class ChannelsLast(L.Callback):
    """Convolutional twins train in ``channels_last`` memory format (``prefer_channels_last``),
    switched before the optimizer is built. Values are the same; only the strides change."""

    def setup(self, trainer, pl_module, stage):
        prefer_channels_last(pl_module)


class DeterministicWithoutFill(L.Callback):
    """``deterministic=True`` also fills every new uninitialised tensor with NaN
    (``torch.utils.deterministic.fill_uninitialized_memory``), a debugging aid that costs a pass
    over each activation and gradient; no deterministic kernel reads that memory, so results are
    the same without it. Restored when training ends."""

    def setup(self, trainer, pl_module, stage):
        import torch.utils.deterministic

        self._fill = torch.utils.deterministic.fill_uninitialized_memory
        torch.utils.deterministic.fill_uninitialized_memory = False

    def teardown(self, trainer, pl_module, stage):
        import torch.utils.deterministic

        torch.utils.deterministic.fill_uninitialized_memory = self._fill


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


def twin_trainer(trainer_args=None, quiet=False, callbacks=(), loggers=()):
    """``(trainer, history, clock)``: the ``lightning.Trainer`` that trains a twin (``twins train``,
    the parity suite and ``twins bench`` alike) with the project's logger and callbacks beside the
    user's; ``history`` (``KerasStyleHistory``) and ``clock`` (``EpochTimer``) collect the run."""
    history, clock = KerasStyleHistory(), EpochTimer()
    options = {**TRAINER_DEFAULTS, "enable_progress_bar": not quiet, "enable_model_summary": not quiet}
    options.update(trainer_args or {})
    root = options.get("default_root_dir")
    user_loggers = requested_loggers(options.get("logger"), root)
    user_callbacks = list(options.get("callbacks") or [])
    # the user's loggers first: Lightning's log_dir and ModelCheckpoint's folder follow the first one
    options["logger"] = [*user_loggers, history, *loggers]
    if any(isinstance(logger, TensorBoardLogger) for logger in options["logger"]):
        from twins.frameworks import import_tensorflow_quietly

        import_tensorflow_quietly()  # the event writer imports it: quietly, and after torch
    ours = [clock, StopOnDivergence(), ChannelsLast(), DeterministicWithoutFill(), *callbacks]
    showing = options["enable_progress_bar"] is not False  # None: Lightning's default, a bar
    if showing and not any(isinstance(c, ProgressBar) for c in user_callbacks):
        ours.append(epoch_progress_bar())
    if any(isinstance(c, ModelCheckpoint) for c in user_callbacks):
        options["enable_checkpointing"] = True  # the user's ModelCheckpoint is the checkpointing asked for
        place_checkpoints(user_callbacks, user_loggers, root)
    options["callbacks"] = [*ours, *user_callbacks]
    return L.Trainer(**options), history, clock


def fit_lightning(
    model, datamodule, trainer_args=None, quiet=False, callbacks=(), ckpt_path=None, loggers=()
) -> RunResult:
    """``Trainer.fit`` then ``Trainer.test`` of a Lightning twin.

    ``trainer_args`` are ``lightning.Trainer`` arguments (``max_epochs``, ``accelerator``, the
    user's ``logger`` and ``callbacks`` ...), over ``TRAINER_DEFAULTS``; ``ckpt_path`` resumes
    (``"last"`` with a ModelCheckpoint). ``callbacks`` and ``loggers``: the project's, added beside.
    """
    quiet_lightning()
    trainer, history, clock = twin_trainer(trainer_args, quiet, callbacks, loggers)
    trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
    tested = trainer.test(model, datamodule=datamodule, verbose=False)[0]
    test = {name.partition("/")[2]: float(value) for name, value in tested.items()}
    result = RunResult("lightning", history.history, test, clock.epoch_seconds, model)
    result.is_global_zero = trainer.is_global_zero
    return result
