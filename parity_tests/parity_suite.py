"""Checks a–f of the parity harness for one model id, as plain functions.

``test_parity.py`` runs them on every registered model; ``test_registry.py`` runs them on a
model that a test registers from a config file alone. Check g — every check fails on a
deliberately broken twin — lives in ``test_broken_twin.py``.
"""

from twins import parity
from twins.errors import DivergenceError
from twins.models import make_datamodule, make_keras, make_lightning, model_arguments
from twins.registry import check_registration, spec
from twins.training.fit_keras import fit_keras, seed_keras
from twins.training.fit_lightning import fit_lightning, seed_lightning
from twins.transfer import keras_to_torch

QUIET = {"enable_progress_bar": False, "enable_model_summary": False}


def check_a_registration(model_id):
    """Both twins and the datamodule import, are mirrored twins, and accept the config."""
    return check_registration(spec(model_id))


def check_b_output_shapes(model_id, twins):
    datamodule, lightning_model, keras_model = twins
    x = datamodule.splits.x_val[: datamodule.batch_size]  # a real batch, in the core's (Keras) layout
    return parity.check_output_shapes(lightning_model, keras_model, x, components=spec(model_id).components)


def check_c_parameter_counts(model_id, twins):
    _, lightning_model, keras_model = twins
    return parity.check_parameter_counts(lightning_model, keras_model, components=spec(model_id).components)


def check_d_forward(model_id, twins):
    datamodule, lightning_model, keras_model = twins
    model_spec = spec(model_id)
    return parity.check_forward(
        lightning_model,
        keras_model,
        datamodule.splits.x_test,
        atol=model_spec.tolerance("forward"),
        components=model_spec.components,
    )


def check_e_one_step(model_id, twins):
    datamodule, lightning_model, keras_model = twins
    model_spec = spec(model_id)
    x, y = datamodule.splits.x_train[:32], datamodule.splits.y_train[:32]
    return parity.check_one_step(
        lightning_model, keras_model, x, y, rtol=model_spec.tolerance("step"), training=model_spec.training
    )


def fit_both(twins, epochs: int = 3):
    """``(keras RunResult, lightning RunResult)`` of whole fits from identical weights, dropout off."""
    datamodule, lightning_model, keras_model = twins
    parity.without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    lightning = fit_lightning(lightning_model, datamodule, {"max_epochs": epochs, **QUIET}, quiet=True)
    keras = fit_keras(keras_model, datamodule, epochs=epochs, quiet=True)
    return keras, lightning


def check_e_trajectory(model_id, twins) -> float:
    """Three epochs of ``fit`` and ``Trainer.fit`` on the datamodule's shuffled batches, then the
    test metrics."""
    keras, lightning = fit_both(twins)
    rtol = spec(model_id).tolerance("trajectory")
    worst = parity.check_trajectory(keras.history, lightning.history, rtol)
    tested = parity.check_trajectory(
        {k: [v] for k, v in keras.test.items()}, {k: [v] for k, v in lightning.test.items()}, rtol
    )
    return max(worst, tested)


def converged_val_losses(framework, model_id, seeds, break_twin=None):
    """Final validation loss of ``seeds`` course-recipe trainings, each from its own init.
    ``break_twin`` (tests of the check itself) alters each Lightning twin before training."""
    model_spec = spec(model_id)
    epochs = model_spec.config()["trainer"]["max_epochs"]
    losses = []
    for seed in range(seeds):
        datamodule = make_datamodule(model_id, seed)
        arguments = model_arguments(model_id, datamodule, **model_spec.converged.get("model", {}))
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
        except DivergenceError:
            # the runners stop at a NaN/inf loss (a sign-flipped twin gets there): not converged
            losses.append(float("inf"))
            continue
        losses.append(result.history["val_loss"][-1])
    return losses


def check_f_converged(model_id) -> dict:
    settings = spec(model_id).converged
    keras_losses = converged_val_losses("keras", model_id, settings["seeds"])
    lightning_losses = converged_val_losses("lightning", model_id, settings["seeds"])
    return parity.check_converged(keras_losses, lightning_losses, settings["band"])
