"""Sequence regressors of Day 2 as Keras 3 models: the time-series twins and Jena's LSTM.

Twin: ``lit_models/sequence_regressor.py`` (same names, same arguments). Like
``keras.applications``, each capitalised name is a function returning a compiled model.
"""

from __future__ import annotations

import keras
from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import compile_course_model

#: Config name of the recurrent cell → Keras layer (the twin maps it to nn.RNN / nn.LSTM).
CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM}


def SequenceLinear(
    input_shape: list[int],
    output_units: PositiveInt = 1,
    output_activation: str = "linear",
    loss: str = "mse",
    metrics: list[str] = (),
    optimizer: str = "adam",
    learning_rate: PositiveFloat = 0.001,
) -> keras.Sequential:
    """Input(steps, features) → Flatten → Dense(output_units).

    Shapes: (batch, steps, features) → (batch, output_units)."""
    model = keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            keras.layers.Dense(output_units, activation=output_activation),
        ],
        name="sequence_linear",
    )
    return compile_course_model(model, loss, metrics, optimizer, learning_rate)


def SequenceRNN(
    input_shape: list[int],
    cell: str = "lstm",
    units: list[PositiveInt] = (20, 20),
    output_units: PositiveInt = 1,
    output_activation: str = "linear",
    loss: str = "mse",
    metrics: list[str] = (),
    optimizer: str = "adam",
    learning_rate: PositiveFloat = 0.001,
) -> keras.Sequential:
    """Input(steps, features) → [SimpleRNN|LSTM](u, return_sequences=True) … → [SimpleRNN|LSTM](u_k)
    → Dense(output_units). Shapes: (batch, steps, features) → (batch, output_units)."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}: use one of {', '.join(CELLS)}")
    model = keras.Sequential(name=f"sequence_{cell}")
    model.add(keras.Input(shape=tuple(input_shape)))
    for index, width in enumerate(units):
        model.add(CELLS[cell](width, return_sequences=index < len(units) - 1))
    model.add(keras.layers.Dense(output_units, activation=output_activation))
    return compile_course_model(model, loss, metrics, optimizer, learning_rate)
