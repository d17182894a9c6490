"""The course's second training phase (fine-tuning), for both frameworks' runners.

A twin whose arguments hold ``fine_tune_epochs > 0`` (``cats_dogs_transfer``) is trained in two
phases by ``twins train`` / ``twins compare``: the config's epochs with the base frozen, then
``fine_tune_epochs`` more after ``start_fine_tuning`` — the Lightning twin's method, the Keras
twin's module function of the same name — unfroze the base from layer ``fine_tune_at`` on and
switched to the fine-tuning optimizer. The histories are concatenated (one curve per twin).

The second phase's batches restart at epoch 0 of the datamodule's batch order and augmentation
stream in both frameworks (a new ``Trainer`` starts counting epochs at 0; Keras is given the
same stream), so the twins keep seeing identical batches; the shuffles and augmentations of
phase 1 are thereby reused in phase 2.
"""

from __future__ import annotations

from twins.training.run_result import RunResult


def fine_tune_epochs(arguments: dict) -> int:
    """The fine-tuning epochs a twin's arguments ask for (0: single phase)."""
    return int(arguments.get("fine_tune_epochs") or 0)


def fine_tune(
    framework: str, first: RunResult, datamodule, epochs: int, quiet=False, trainer_args=None
) -> RunResult:
    """Phase 2 on ``first.model``; returns one ``RunResult`` spanning both phases."""
    model = first.model
    if framework == "lightning":
        from twins.training.fit_lightning import fit_lightning

        model.start_fine_tuning()
        second = fit_lightning(model, datamodule, {**(trainer_args or {}), "max_epochs": epochs}, quiet)
    else:
        from keras_models.mobilenet_transfer import start_fine_tuning
        from twins.training.fit_keras import fit_keras

        second = fit_keras(start_fine_tuning(model), datamodule, epochs, quiet)
    history = {key: first.history.get(key, []) + values for key, values in second.history.items()}
    return RunResult(framework, history, second.test, first.epoch_seconds + second.epoch_seconds, model)


def with_fine_tuning(
    framework: str, result: RunResult, datamodule, arguments: dict, quiet=False, trainer_args=None
) -> RunResult:
    """``result`` itself, or both phases when ``arguments`` ask for fine-tuning (what ``train_twin``
    returns)."""
    epochs = fine_tune_epochs(arguments)
    return fine_tune(framework, result, datamodule, epochs, quiet, trainer_args) if epochs else result
