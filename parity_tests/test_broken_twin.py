"""Check g: every parity check fails on a deliberately broken twin.

Each breakage is a mistake a participant could make when writing a twin, applied generically
to every registered model, and the test asserts that the matching check catches it.
"""

import dataclasses

import torch
from torch import nn

import numpy as np
import pytest

from twins import parity
from twins.models import make_datamodule, make_twins
from twins.registry import RegistrationError, check_registration, spec
from twins.training.fit_keras import fit_keras, seed_keras
from twins.training.fit_lightning import fit_lightning, seed_lightning
from twins.transfer import keras_to_torch, torch_weighted_modules

from .conftest import converged_settings, tolerance
from .parity_suite import QUIET, converged_val_losses


def components(model_id):
    """The networks the model's registration checks one by one (a GAN's generator and discriminator)."""
    return spec(model_id).components


def test_a_a_model_without_its_keras_twin_is_caught(model_id):
    missing = dataclasses.replace(spec(model_id), keras=spec(model_id).keras + "Missing")
    with pytest.raises(RegistrationError, match="cannot import"):
        check_registration(missing)


def test_a_a_keras_twin_that_is_not_the_mirror_is_caught():
    elsewhere = dataclasses.replace(spec("mpg_regression"), keras="keras_models.kmeans.KMeans")
    with pytest.raises(RegistrationError, match=r"must be keras_models.tabular_mlp.TabularMLP"):
        check_registration(elsewhere)


def test_a_a_datamodule_that_is_no_datamodule_is_caught():
    wrong = dataclasses.replace(spec("mpg_regression"), datamodule="datamodules.core.BatchOrder")
    with pytest.raises(RegistrationError, match="not an ArrayDataModule"):
        check_registration(wrong)


def first_network(model_id, lightning_model):
    """The module whose ``forward`` a breakage replaces: the twin, or its first component (the
    GAN's generator)."""
    names = components(model_id)
    return getattr(lightning_model, names[0]) if names else lightning_model


def test_b_an_extra_output_column_is_caught(twins, model_id):
    datamodule, lightning_model, keras_model = twins
    network = first_network(model_id, lightning_model)
    original = network.forward
    network.forward = lambda x: torch.cat([original(x), original(x)[..., :1]], dim=-1)
    with pytest.raises(parity.ParityError, match="output shapes differ"):
        parity.check_output_shapes(
            lightning_model, keras_model, datamodule.splits.x_val[:8], components=components(model_id)
        )


def test_c_an_extra_parameter_is_caught(twins, model_id):
    _, lightning_model, keras_model = twins
    last = torch_weighted_modules(lightning_model)[-1]
    last.register_parameter("extra", nn.Parameter(torch.zeros(3)))
    with pytest.raises(parity.ParityError, match="weights"):
        parity.check_parameter_counts(lightning_model, keras_model, components=components(model_id))


def test_c_an_unexplained_buffer_is_caught(twins, model_id):
    _, lightning_model, keras_model = twins
    torch_weighted_modules(lightning_model)[0].register_buffer("stray", torch.zeros(2))
    with pytest.raises(parity.ParityError):
        parity.check_parameter_counts(lightning_model, keras_model, components=components(model_id))


def test_d_a_different_function_is_caught(twins, model_id):
    """The broken twin preprocesses its input differently (x * 1.5; token ids off by one),
    structure unchanged."""
    datamodule, lightning_model, keras_model = twins
    network = first_network(model_id, lightning_model)
    original = network.forward
    network.forward = lambda x: original(x * 1.5 if x.is_floating_point() else torch.where(x > 1, x - 1, x))
    with pytest.raises(parity.ParityError, match="forward outputs differ"):
        parity.check_forward(
            lightning_model,
            keras_model,
            datamodule.splits.x_test,
            atol=tolerance(model_id, "forward"),
            components=components(model_id),
        )


def test_e_a_learning_rate_one_percent_off_is_caught_in_one_step(twins, model_id):
    datamodule, lightning_model, keras_model = twins
    lightning_model.hparams.learning_rate *= 1.01
    with pytest.raises(parity.ParityError, match="updates differ"):
        parity.check_one_step(
            lightning_model,
            keras_model,
            datamodule.splits.x_train[:32],
            datamodule.splits.y_train[:32],
            rtol=tolerance(model_id, "step"),
            training=spec(model_id).training,
        )


def test_e_a_learning_rate_one_percent_off_is_caught_in_the_trajectory(model_id):
    """Trained under check f's recipe (``parity.converged.model``): a twin that stays on its
    initial plateau (fashion_cnn under SGD on the test data: loss 2.3030 → 2.3005 in three epochs)
    shows a 1 % learning-rate change only at the tolerance's edge (1.0e-5 vs 1e-5); once it learns,
    the same change is 500× the tolerance, so the check's power is shown, not its rounding."""
    seed_lightning(0)
    seed_keras(0)
    recipe = spec(model_id).converged.get("model", {})
    datamodule, lightning_model, keras_model = make_twins(model_id, seed=0, model=recipe)
    parity.without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    lightning_model.hparams.learning_rate *= 1.01
    lightning = fit_lightning(lightning_model, datamodule, {"max_epochs": 3, **QUIET}, quiet=True)
    keras = fit_keras(keras_model, datamodule, epochs=3, quiet=True)
    with pytest.raises(parity.ParityError, match="trajectory"):
        parity.check_trajectory(keras.history, lightning.history, tolerance(model_id, "trajectory"))


def test_e_a_different_batch_order_is_caught_in_the_trajectory(twins, model_id):
    """Same weights, same recipe, but the Lightning twin's datamodule shuffles with another seed."""
    datamodule, lightning_model, keras_model = twins
    keras_to_torch(keras_model, lightning_model)
    other_order = make_datamodule(model_id, seed=datamodule.seed + 1)
    lightning = fit_lightning(lightning_model, other_order, {"max_epochs": 2, **QUIET}, quiet=True)
    keras = fit_keras(keras_model, datamodule, epochs=2, quiet=True)
    with pytest.raises(parity.ParityError, match="trajectory"):
        parity.check_trajectory(keras.history, lightning.history, tolerance(model_id, "trajectory"))


@pytest.mark.slow
def test_f_a_sign_flipped_loss_is_caught_by_the_converged_band(model_id):
    """The broken twin minimises −loss (a sign bug): it trains away from the solution."""

    def flip_loss(model):
        loss_fn = model.loss_fn
        model.loss_fn = lambda outputs, target: -loss_fn(outputs, target)

    settings = converged_settings(model_id)
    keras_losses = converged_val_losses("keras", model_id, 2)
    broken_losses = converged_val_losses("lightning", model_id, 2, break_twin=flip_loss)
    with pytest.raises(parity.ParityError, match="converged"):
        parity.check_converged(keras_losses, np.abs(broken_losses).tolist(), settings["band"])
