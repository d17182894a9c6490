"""``train_twin``: seed, build and train one twin with its framework's own loop, as ``twins train``
does: ``Trainer.fit`` (``fit_lightning.py``) or ``model.fit`` (``fit_keras.py``).

Both runners return a ``RunResult`` with a Keras-style history (``loss``, ``mae``,
``val_loss``, ``val_mae``, ... per epoch), the test metrics and the seconds of each epoch, so
the two frameworks can be printed, plotted and compared key by key. The Keras runner is
imported only when a Keras twin is trained, so a Lightning-only run never loads TensorFlow.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from lightning.pytorch.utilities.exceptions import SIGTERMException

from twins.errors import Stopped
from twins.models import make_keras, make_lightning
from twins.training.fine_tune import with_fine_tuning
from twins.training.fit_lightning import fit_lightning, seed_lightning, twin_logger
from twins.training.run_result import RunResult

#: Lightning's ``SIGTERMException`` (a ``SystemExit``, which would end the process with status 0)
SIGTERM_EXCEPTIONS = (SIGTERMException,)


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

    ``checkpoint_dir``: save after every epoch (Lightning: ``lightning/last.ckpt``, the previous one
    kept as ``last.ckpt.bkp``; Keras: ``BackupAndRestore`` in ``keras/``, final weights in
    ``keras_final.weights.h5``), one run at a time (``.twins.lock``); ``resume=True`` continues from
    there (a finished run reports its final metrics again), else starts afresh. ``callbacks``: of the
    twin's framework. ``keras_strategy="mirrored"`` builds and trains the Keras twin under
    ``tf.distribute.MirroredStrategy`` (every local GPU, or the CPU).
    ``log_format="tensorboard"|"csv"``: the epoch curves under ``log_dir/<framework>/`` with the
    Lightning twin's tags for both twins (``--logger``); a fresh run replaces that folder, a
    resumed one appends to it.
    SIGTERM stops the run at the next batch with a ``Stopped`` error (the last finished epoch's
    checkpoint intact), as it does when Lightning's own handler sees it.
    """
    run = {"seed": seed, "epochs": epochs, "trainer_args": trainer_args, "quiet": quiet}
    run |= {
        "callbacks": callbacks,
        "checkpoint_dir": checkpoint_dir,
        "resume": resume,
        "log_format": log_format,
        "log_dir": log_dir,
    }
    train = train_lightning if framework == "lightning" else train_keras
    with out_lock(checkpoint_dir), sigterm_flag() as sigterm:
        if log_format and not resume:
            shutil.rmtree(Path(log_dir) / framework, ignore_errors=True)
        try:
            result = train(model_id, datamodule, arguments, sigterm, keras_strategy=keras_strategy, **run)
        except SIGTERM_EXCEPTIONS:  # Lightning's own handler saw it first
            raise Stopped("SIGTERM", sigterm.epochs, 128 + signal.SIGTERM, bool(checkpoint_dir)) from None
        if sigterm.received:  # during the test or the fine-tuning: all epochs are saved
            epochs_done = len(next(iter(result.history.values()), []))
            raise Stopped("SIGTERM", epochs_done, 128 + signal.SIGTERM, bool(checkpoint_dir))
        # and cats_dogs_transfer's phase 2 (fine-tuning) when arguments ask for it
        return with_fine_tuning(framework, result, datamodule, arguments, quiet, trainer_args)


def train_lightning(model_id, datamodule, arguments, sigterm, *, keras_strategy=None, **run) -> RunResult:
    """``train_twin`` for the Lightning twin: ``Trainer.fit`` (``fit_lightning``)."""
    seed_lightning(run["seed"])
    model = make_lightning(model_id, arguments)
    options, ckpt_path = {"max_epochs": run["epochs"], **(run["trainer_args"] or {})}, None
    if run["checkpoint_dir"]:
        from twins.training.checkpoints import lightning_checkpointing, resumable_checkpoint

        directory = Path(run["checkpoint_dir"]) / "lightning"
        saving = lightning_checkpointing(model_id, directory)
        options["callbacks"] = [*(options.get("callbacks") or []), *saving.pop("callbacks")]
        options.update(saving)
        if run["resume"]:
            ckpt_path = resumable_checkpoint(directory, model_id, model)
            if ckpt_path is None:
                print(f"twins: no checkpoint in {directory} yet; starting from epoch 1", file=sys.stderr)
    log_format, log_dir = run["log_format"], run["log_dir"]
    loggers = [twin_logger(log_format, log_dir, append=run["resume"])] if log_format else []
    return fit_lightning(
        model,
        datamodule,
        options,
        run["quiet"],
        callbacks=[*run["callbacks"], sigterm.lightning_counter()],
        ckpt_path=ckpt_path and str(ckpt_path),
        loggers=loggers,
    )


def train_keras(model_id, datamodule, arguments, sigterm, *, keras_strategy=None, **run) -> RunResult:
    """``train_twin`` for the Keras twin: ``model.fit`` (``fit_keras``), ``BackupAndRestore`` in
    ``checkpoint_dir/keras``."""
    from twins.training.fit_keras import fit_keras, seed_keras, twin_log_callback

    seed_keras(run["seed"])
    checkpoint_dir = run["checkpoint_dir"]
    backup_dir = Path(checkpoint_dir) / "keras" if checkpoint_dir else None
    if backup_dir and not run["resume"]:
        shutil.rmtree(backup_dir, ignore_errors=True)
    elif backup_dir and not (backup_dir / "training_metadata.json").exists():
        print(f"twins: no checkpoint in {backup_dir} yet; starting from epoch 1", file=sys.stderr)
    with keras_distribution(keras_strategy):
        model = make_keras(model_id, arguments)
    callbacks = [*run["callbacks"], sigterm.keras_callback()]
    if run["log_format"]:
        callbacks.append(twin_log_callback(run["log_format"], run["log_dir"], append=run["resume"]))
    result = fit_keras(
        model, datamodule, run["epochs"], run["quiet"], callbacks, backup_dir=backup_dir, model_id=model_id
    )
    if checkpoint_dir:
        from twins.io import atomic_target

        with atomic_target(Path(checkpoint_dir) / "keras_final.weights.h5") as path:
            result.model.save_weights(path)
    return result


# --- one run per --out, and SIGTERM -----------------------------------------------------------------


def out_lock(checkpoint_dir):
    """``checkpoint_dir``'s lock (``checkpoints.out_folder_lock``), taken by the launching process only:
    the other processes of a multi-process run (``LOCAL_RANK``/``RANK`` > 0) write into it with it."""
    child = any(int(os.environ.get(name, "0") or 0) > 0 for name in ("LOCAL_RANK", "RANK"))
    if not checkpoint_dir or child:
        return contextlib.nullcontext()
    from twins.training.checkpoints import out_folder_lock

    return out_folder_lock(checkpoint_dir)


class SigtermFlag:
    """Set by the SIGTERM handler of ``sigterm_flag``; ``epochs``: the epochs finished so far."""

    def __init__(self):
        self.received = False
        self.epochs = 0

    def handle(self, signum, frame):
        self.received = True

    def lightning_counter(self):
        """A Lightning callback counting the finished (and saved) epochs into ``epochs``."""
        import lightning as L

        flag = self

        class CountEpochs(L.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                flag.epochs = trainer.current_epoch  # the epochs before this one are finished

            def on_train_epoch_end(self, trainer, pl_module):
                # Lightning raises next after the epoch's checkpoint is saved
                flag.epochs = trainer.current_epoch + 1

        return CountEpochs()

    def keras_callback(self):
        """A Keras callback that stops ``fit`` at the next batch once SIGTERM came (raising
        ``Stopped``: Keras' ``stop_training`` would end the epoch and save it as finished)."""
        import keras

        flag = self

        class StopOnSigterm(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                flag.epochs = epoch  # the epochs before this one are finished and backed up
                self.on_train_batch_begin(0)

            def on_train_batch_begin(self, batch, logs=None):
                if flag.received:
                    raise Stopped("SIGTERM", flag.epochs, 128 + signal.SIGTERM)

            on_train_batch_end = on_train_batch_begin

        return StopOnSigterm()


@contextlib.contextmanager
def sigterm_flag():
    """A ``SigtermFlag`` that SIGTERM sets while the block runs (the previous handler put back after).
    Lightning's own handler, installed during ``fit``, calls this one too."""
    flag = SigtermFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.signal(signal.SIGTERM, flag.handle)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGTERM, previous)
