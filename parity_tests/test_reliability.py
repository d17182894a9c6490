"""Reliability, for every registered model and both frameworks: the same seed gives the same
weights; a run that crashed resumes from its last checkpoint and ends exactly where an
uninterrupted run ends; a diverging loss stops training with one line naming epoch and step."""

import keras
import lightning as L
import numpy as np
import pytest

from twins.errors import DivergenceError
from twins.models import make_datamodule, make_twins, model_arguments
from twins.training.fit_keras import fit_keras, seed_keras
from twins.training.fit_lightning import fit_lightning, seed_lightning
from twins.training.run import train_twin
from twins.transfer import keras_to_torch

EPOCHS = 2
QUIET = {"enable_progress_bar": False, "enable_model_summary": False}


class Crash(Exception):
    """Stands in for a crash right after an epoch's checkpoint was written."""


class CrashLightning(L.Callback):
    def on_train_epoch_start(self, trainer, pl_module):
        if trainer.current_epoch == 1:  # epoch 0 finished and checkpointed
            raise Crash


class CrashKeras(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise Crash


class CountLightningEpochs(L.Callback):
    """The epochs a run trains itself (a resumed run's history also holds the restored ones)."""

    def __init__(self):
        self.trained = 0

    def on_train_epoch_start(self, trainer, pl_module):
        self.trained += 1


class CountKerasEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.trained = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.trained += 1


def weights(result):
    if result.framework == "lightning":
        return [t.detach().numpy().copy() for t in result.model.state_dict().values()]
    return [np.asarray(w).copy() for w in result.model.get_weights()]


def train(model_id, framework, out, resume=False, callbacks=()):
    datamodule = make_datamodule(model_id, seed=5)
    arguments = model_arguments(model_id, datamodule)
    return train_twin(
        framework,
        model_id,
        datamodule,
        arguments,
        seed=5,
        epochs=EPOCHS,
        trainer_args=QUIET,
        quiet=True,
        checkpoint_dir=out,
        resume=resume,
        callbacks=callbacks,
    )


def assert_same_run(a, b):
    assert (
        a.final()["train"] == b.final()["train"] and a.final()["val"] == b.final()["val"] and a.test == b.test
    )
    for x, y in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_same_seed_same_run_and_a_resumed_run_ends_like_an_uninterrupted_one(model_id, framework, tmp_path):
    first = train(model_id, framework, tmp_path / "first")
    again = train(model_id, framework, tmp_path / "again")
    assert_same_run(first, again)  # determinism: metrics and weights bit for bit

    crash = CrashLightning() if framework == "lightning" else CrashKeras()
    with pytest.raises(Crash):
        train(model_id, framework, tmp_path / "crashed", callbacks=[crash])
    counter = CountLightningEpochs() if framework == "lightning" else CountKerasEpochs()
    resumed = train(model_id, framework, tmp_path / "crashed", resume=True, callbacks=[counter])
    assert counter.trained == EPOCHS - 1, "the rerun started from scratch instead of resuming"
    assert resumed.history == first.history  # every epoch, the restored ones too, as uninterrupted
    assert_same_run(first, resumed)


def test_divergence_stops_both_twins_at_the_same_epoch_and_step():
    """From identical weights and batches, a learning rate of 1e4 blows up in the same step."""
    seed_keras(0)
    seed_lightning(0)
    datamodule, lightning_model, keras_model = make_twins("mpg_regression", model={"learning_rate": 1e4})
    keras_to_torch(keras_model, lightning_model)
    with pytest.raises(DivergenceError) as lightning_error:
        fit_lightning(lightning_model, datamodule, {"max_epochs": 5, **QUIET}, quiet=True)
    with pytest.raises(DivergenceError) as keras_error:
        fit_keras(keras_model, datamodule, epochs=5, quiet=True)
    assert (lightning_error.value.epoch, lightning_error.value.step) == (
        keras_error.value.epoch,
        keras_error.value.step,
    )
    assert str(keras_error.value).startswith("keras training diverged: the loss became")
    assert "\n" not in str(lightning_error.value)
