"""The parity harness (checks a–f of the foundation issue) over every registered model.

Check g — every check fails on a deliberately broken twin — lives in test_broken_twin.py.
"""
import lit_models
import keras_models
import datamodules
import numpy as np
import pytest

from configs import load_config
from twins import parity
from twins.errors import DivergenceError
from twins.training.fit_keras import fit_keras, seed_keras
from twins.training.fit_lightning import fit_lightning, seed_lightning
from twins.models import make_datamodule, make_keras, make_lightning, model_arguments
from twins.transfer import keras_to_torch

from .conftest import MODEL_IDS, converged_settings, tolerance

QUIET = {"enable_progress_bar": False, "enable_model_summary": False}


def test_a_registries_hold_the_same_model_ids():
    ids = parity.check_registries(
        lightning=lit_models.REGISTRY, keras=keras_models.REGISTRY, data=datamodules.REGISTRY,
        configs={model_id: None for model_id in MODEL_IDS if load_config(model_id)},
    )
    assert ids == sorted(MODEL_IDS)


def test_b_output_shapes_on_a_real_batch(twins):
    datamodule, lightning_model, keras_model = twins
    x = datamodule.splits.x_val[: datamodule.batch_size]  # a real batch, in the core's (Keras) layout
    shape = parity.check_output_shapes(lightning_model, keras_model, x)
    assert shape[0] == len(x)


def test_c_parameter_counts_are_exact(twins):
    _, lightning_model, keras_model = twins
    counts = parity.check_parameter_counts(lightning_model, keras_model)
    assert counts["keras"]["trainable"] > 0


def test_d_forward_parity_after_weight_transfer(twins, model_id):
    datamodule, lightning_model, keras_model = twins
    diff = parity.check_forward(lightning_model, keras_model, datamodule.splits.x_test, atol=tolerance(model_id, "forward"))
    assert diff <= tolerance(model_id, "forward")


def test_e_one_optimizer_step_in_stages(twins, model_id):
    datamodule, lightning_model, keras_model = twins
    x, y = datamodule.splits.x_train[:32], datamodule.splits.y_train[:32]
    measured = parity.check_one_step(lightning_model, keras_model, x, y, rtol=tolerance(model_id, "step"))
    assert {"loss", "updates"} <= set(measured)  # + "gradients", or what drives the update of a training_kind


def test_e_trajectory_of_whole_fits_from_identical_weights(twins, model_id):
    """Three epochs of ``fit`` and ``Trainer.fit`` on the datamodule's shuffled batches."""
    datamodule, lightning_model, keras_model = twins
    parity.without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    lightning = fit_lightning(lightning_model, datamodule, {"max_epochs": 3, **QUIET}, quiet=True)
    keras = fit_keras(keras_model, datamodule, epochs=3, quiet=True)
    rtol = tolerance(model_id, "trajectory")
    parity.check_trajectory(keras.history, lightning.history, rtol)
    assert parity.check_trajectory({k: [v] for k, v in keras.test.items()}, {k: [v] for k, v in lightning.test.items()}, rtol) <= rtol


def converged_val_losses(framework, model_id, seeds, break_twin=None):
    """Final validation loss of ``seeds`` course-recipe trainings, each from its own init.
    ``break_twin`` (tests of the check itself) alters each Lightning twin before training."""
    epochs = load_config(model_id)["trainer"]["max_epochs"]
    losses = []
    for seed in range(seeds):
        datamodule = make_datamodule(model_id, seed)
        arguments = model_arguments(model_id, datamodule, **converged_settings(model_id).get("model", {}))
        try:
            if framework == "keras":
                seed_keras(seed)
                result = fit_keras(make_keras(model_id, arguments), datamodule, epochs, quiet=True)
            else:
                seed_lightning(seed)
                model = make_lightning(model_id, arguments)
                if break_twin:
                    break_twin(model)
                result = fit_lightning(model, datamodule, {"max_epochs": epochs, **QUIET}, quiet=True)
        except DivergenceError:  # the runners stop at a NaN/inf loss (a sign-flipped twin gets there): not converged
            losses.append(float("inf"))
            continue
        losses.append(result.history["val_loss"][-1])
    return losses


@pytest.mark.slow
def test_f_converged_validation_loss_within_band(model_id):
    settings = converged_settings(model_id)
    keras_losses = converged_val_losses("keras", model_id, settings["seeds"])
    lightning_losses = converged_val_losses("lightning", model_id, settings["seeds"])
    record = parity.check_converged(keras_losses, lightning_losses, settings["band"])
    assert np.isfinite(record["relative_gap"])
