"""``compile_course_model``: the Keras half of the recipe every twin shares.

Mirrors ``lit_models/base.py``: the same loss, metric and optimizer names from the config.
"""

from __future__ import annotations

import keras


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """``keras.optimizers.get(name)`` with the config's learning rate (Keras defaults otherwise)."""
    if name not in ("sgd", "adam", "rmsprop"):
        raise ValueError(f"unknown optimizer {name!r}: use sgd, adam or rmsprop")
    return keras.optimizers.get({"class_name": name, "config": {"learning_rate": learning_rate}})


#: Config loss names (shared with ``lit_models.base.LOSSES``) -> Keras losses.
LOSSES = {
    "mse": "mse",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "binary_crossentropy_from_logits": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
}


def make_loss(name: str):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}: use one of {', '.join(LOSSES)}")
    loss = LOSSES[name]
    return loss() if callable(loss) else loss


def make_metric(name: str, loss: str):
    """Keras metric for a config metric name; ``accuracy`` on logits thresholds at 0, not 0.5."""
    if name == "accuracy" and loss == "binary_crossentropy_from_logits":
        return keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)
    return name


def compile_course_model(
    model: keras.Model, loss: str, metrics, optimizer: str, learning_rate: float
) -> keras.Model:
    """``model.compile`` with the course recipe; returns ``model`` for chaining."""
    model.compile(
        optimizer=make_optimizer(optimizer, learning_rate),
        loss=make_loss(loss),
        metrics=[make_metric(name, loss) for name in metrics],
    )
    return model
