"""The course's Day-3 autoencoders as Keras 3 models: ``DenseAutoencoder`` (``fashion_autoencoder``)
and ``DenoisingAutoencoder`` (``fashion_denoising_ae``).

Twin: ``lit_models/autoencoders.py``. Each model is ``Sequential([encoder, decoder])``: the nested
``encoder`` (``model.get_layer("encoder")``) gives the codes for the pictures.
"""

from __future__ import annotations

import math

import keras
from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import compile_course_model


def _stack(encoder: keras.Sequential, decoder: keras.Sequential, input_shape, name: str) -> keras.Sequential:
    return keras.Sequential([keras.Input(shape=tuple(input_shape)), encoder, decoder], name=name)


def DenseAutoencoder(
    input_shape: list[int],
    code_units: PositiveInt = 64,
    loss: str = "mse",
    optimizer: str = "adam",
    learning_rate: PositiveFloat = 0.001,
) -> keras.Sequential:
    """Flatten → Dense(code_units, relu) | Dense(h·w, sigmoid) → Reshape(input_shape).

    Shapes: x (batch, 28, 28) → (batch, 28, 28); code (batch, code_units).
    """
    pixels = math.prod(input_shape)
    encoder = keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            keras.layers.Dense(code_units, activation="relu"),
        ],
        name="encoder",
    )
    decoder = keras.Sequential(
        [
            keras.Input(shape=(code_units,)),
            keras.layers.Dense(pixels, activation="sigmoid"),
            keras.layers.Reshape(tuple(input_shape)),
        ],
        name="decoder",
    )
    return compile_course_model(
        _stack(encoder, decoder, input_shape, "dense_autoencoder"), loss, [], optimizer, learning_rate
    )


def DenoisingAutoencoder(
    input_shape: list[int], loss: str = "mse", optimizer: str = "adam", learning_rate: PositiveFloat = 0.001
) -> keras.Sequential:
    """Conv2D(16, 3, s2, relu) → Conv2D(8, 3, s2, relu) | Conv2DTranspose(8, 3, s2, relu) →
    Conv2DTranspose(16, 3, s2, relu) → Conv2D(channels, 3, sigmoid); all ``padding="same"``.

    Shapes (NHWC): x (batch, 28, 28, 1) noisy → code (batch, 7, 7, 8) → (batch, 28, 28, 1).
    """
    same = {"padding": "same"}
    encoder = keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Conv2D(16, 3, strides=2, activation="relu", **same),
            keras.layers.Conv2D(8, 3, strides=2, activation="relu", **same),
        ],
        name="encoder",
    )
    code_shape = encoder.output_shape[1:]
    decoder = keras.Sequential(
        [
            keras.Input(shape=code_shape),
            keras.layers.Conv2DTranspose(8, 3, strides=2, activation="relu", **same),
            keras.layers.Conv2DTranspose(16, 3, strides=2, activation="relu", **same),
            keras.layers.Conv2D(input_shape[-1], 3, activation="sigmoid", **same),
        ],
        name="decoder",
    )
    return compile_course_model(
        _stack(encoder, decoder, input_shape, "denoising_autoencoder"), loss, [], optimizer, learning_rate
    )
