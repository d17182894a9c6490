"""``TabularMLP``: the course's Day-1 dense networks as a Keras 3 Sequential model.

Twin: ``lit_models/tabular_mlp.py`` (same name, same arguments). Like ``keras.applications``,
the capitalised name is a function that returns a model — here compiled with the config's recipe.
"""

from __future__ import annotations

import keras
from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import compile_course_model


def TabularMLP(
    input_dim: int,
    hidden_units: list[PositiveInt],
    output_units: PositiveInt = 1,
    output_activation: str = "linear",
    loss: str = "mse",
    metrics: list[str] = (),
    optimizer: str = "sgd",
    learning_rate: PositiveFloat = 0.01,
) -> keras.Sequential:
    """Input(input_dim) → Dense(h, relu) per hidden layer → Dense(output_units, output_activation).

    Shapes: x (batch, input_dim) float32 → (batch, output_units).
    """
    model = keras.Sequential(name="tabular_mlp")
    model.add(keras.Input(shape=(input_dim,)))
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dense(output_units, activation=output_activation))
    return compile_course_model(model, loss, metrics, optimizer, learning_rate)
