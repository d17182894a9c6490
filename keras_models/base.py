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


def compile_course_model(model: keras.Model, loss: str, metrics, optimizer: str, learning_rate: float) -> keras.Model:
    """``model.compile`` with the course recipe; returns ``model`` for chaining."""
    model.compile(optimizer=make_optimizer(optimizer, learning_rate), loss=loss, metrics=list(metrics))
    return model
