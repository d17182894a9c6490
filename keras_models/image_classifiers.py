"""The course's Day-1 image classifiers as Keras 3 models: ``ImageMLP`` and ``ConvClassifier``.

Twin: ``lit_models/image_classifiers.py`` (same names, same arguments). Like ``keras.applications``,
the capitalised names are functions that return a model — compiled with the config's recipe.
Inputs are channels-last (N, H, W, C), as the course feeds them.
"""

from __future__ import annotations

import keras
from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt

from .base import compile_course_model


def dense_head(
    dense_units, dropout: float, output_units: int, output_activation: str
) -> list[keras.layers.Layer]:
    """[Dense(u, relu) → Dropout(dropout)?] per hidden width, then Dense(output_units, output_activation)."""
    layers = []
    for units in dense_units:
        layers.append(keras.layers.Dense(units, activation="relu"))
        layers += [keras.layers.Dropout(dropout)] if dropout else []
    return [*layers, keras.layers.Dense(output_units, activation=output_activation)]


def ImageMLP(
    input_shape: list[int] = (28, 28, 1),
    hidden_units: list[PositiveInt] = (300, 100),
    output_units: PositiveInt = 10,
    output_activation: str = "softmax",
    loss: str = "sparse_categorical_crossentropy",
    metrics: list[str] = ("accuracy",),
    optimizer: str = "sgd",
    learning_rate: PositiveFloat = 0.01,
) -> keras.Sequential:
    """Flatten(input_shape) → Dense(h, relu) per hidden layer → Dense(output_units, softmax).

    Shapes: x (batch, H, W, C) float32 → probabilities (batch, output_units).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            *dense_head(hidden_units, 0.0, output_units, output_activation),
        ],
        name="image_mlp",
    )
    return compile_course_model(model, loss, list(metrics), optimizer, learning_rate)


def ConvClassifier(
    input_shape: list[int] = (28, 28, 1),
    conv_blocks: list[list[list[PositiveInt]]] = (((32, 3),), ((64, 3),)),
    dense_units: list[PositiveInt] = (64,),
    dropout: ClosedUnitInterval = 0.0,
    output_units: PositiveInt = 10,
    output_activation: str = "softmax",
    loss: str = "sparse_categorical_crossentropy",
    metrics: list[str] = ("accuracy",),
    optimizer: str = "sgd",
    learning_rate: PositiveFloat = 0.01,
) -> keras.Sequential:
    """Per block: Conv2D(filters, kernel, relu, same) per entry, then MaxPooling2D(2); then
    Flatten → [Dense(u, relu) → Dropout(dropout)] per ``dense_units`` → Dense(output_units, softmax).

    Shapes: x (batch, H, W, C) float32 → probabilities (batch, output_units).
    """
    model = keras.Sequential(name="conv_classifier")
    model.add(keras.Input(shape=tuple(input_shape)))
    for block in conv_blocks:
        for filters, kernel in block:
            model.add(keras.layers.Conv2D(filters, kernel, activation="relu", padding="same"))
        model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    for layer in dense_head(dense_units, dropout, output_units, output_activation):
        model.add(layer)
    return compile_course_model(model, loss, list(metrics), optimizer, learning_rate)
