"""Train one twin with its framework's own loop: ``Trainer.fit`` (``fit_lightning.py``) or
``model.fit`` (``fit_keras.py``).

Both runners return a ``RunResult`` with a Keras-style history (``loss``, ``mae``,
``val_loss``, ``val_mae``, ... per epoch), the test metrics and the seconds of each epoch, so
the two frameworks can be printed, plotted and compared key by key. The Keras names are
imported lazily, so a Lightning-only run never loads TensorFlow.
"""
from __future__ import annotations

import importlib

from .fit_lightning import TRAINER_DEFAULTS, KerasStyleHistory, fit_lightning, quiet_lightning, seed_lightning
from .models import make_keras, make_lightning
from .run_result import RunResult

_KERAS_NAMES = {"fit_keras", "seed_keras", "EpochTimer"}

__all__ = [
    "RunResult", "TRAINER_DEFAULTS", "KerasStyleHistory", "fit_lightning", "quiet_lightning", "seed_lightning",
    "train_twin", *_KERAS_NAMES,
]


def __getattr__(name):
    if name in _KERAS_NAMES:
        return getattr(importlib.import_module(".fit_keras", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def train_twin(framework, model_id, datamodule, arguments, seed=0, epochs=1, trainer_args=None, quiet=False) -> RunResult:
    """Seed, build and train one twin from its config arguments (what ``twins train`` runs)."""
    if framework == "lightning":
        seed_lightning(seed)
        model = make_lightning(model_id, arguments)
        return fit_lightning(model, datamodule, {"max_epochs": epochs, **(trainer_args or {})}, quiet)
    from .fit_keras import fit_keras, seed_keras

    seed_keras(seed)
    return fit_keras(make_keras(model_id, arguments), datamodule, epochs, quiet)
