"""Weight layout of Dense ↔ ``nn.Linear``, including a Dense layer after a Flatten of an image.

- Dense: Keras kernel (in, out) ↔ torch ``Linear.weight`` (out, in): transpose; bias equal.
- Dense after a Flatten of an image: Keras flattens (H, W, C) — channels last — while torch's
  ``nn.Flatten`` on NCHW flattens (C, H, W). The same image therefore reaches the Dense layer
  with its features in another order, and the Dense kernel's *input rows* must be reordered when
  copied. The pre-flatten shape comes from the Keras model itself (the Flatten layer's input),
  so the torch twin keeps an idiomatic ``nn.Flatten`` and needs to expose nothing.
- MaxPooling2D, Flatten, Dropout: no weights, nothing to copy (the forward checks cover them).

Every function here maps numpy arrays, in the order ``layer.get_weights()`` / the torch module's
parameters list them.
"""

from __future__ import annotations

from torch import nn

import keras
import numpy as np

from twins.transfer.converter import Converter

#: Layers that pass a flattened vector through unchanged, between a Flatten and its Dense.
TRANSPARENT = (keras.layers.Dropout, keras.layers.Activation)


def flattened_image_shape(dense_layer) -> tuple[int, int, int] | None:
    """``(h, w, c)`` of the image a Keras Flatten turned into ``dense_layer``'s input, or ``None``
    when the Dense layer does not follow a Flatten of a 4-D tensor (Dropout in between is fine)."""
    try:
        operation = dense_layer.input._keras_history.operation
    except (AttributeError, ValueError):  # a layer not called on a symbolic input: nothing to know
        return None
    while isinstance(operation, TRANSPARENT):
        operation = operation.input._keras_history.operation
    if not isinstance(operation, keras.layers.Flatten) or len(operation.input.shape) != 4:
        return None
    return tuple(int(d) for d in operation.input.shape[1:])


def hwc_rows_to_chw(kernel: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Reorder the rows of a Keras Dense kernel (h·w·c, out) from (H, W, C) order to (C, H, W) order."""
    h, w, c = shape
    return kernel.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(h * w * c, -1)


def chw_rows_to_hwc(kernel: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Inverse of ``hwc_rows_to_chw``."""
    h, w, c = shape
    return kernel.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)


def dense_after_flatten(keras_layer, torch_module):
    """``(to_torch, to_keras)`` for a Dense layer that follows a Flatten of an (h, w, c) image —
    transpose *and* reorder the input rows — or ``None`` for any other Dense layer."""
    shape = flattened_image_shape(keras_layer)
    if shape is None:
        return None

    def to_torch(weights):
        kernel, *bias = weights
        return [hwc_rows_to_chw(kernel, shape).T, *bias]

    def to_keras(tensors):
        weight, *bias = tensors
        return [chw_rows_to_hwc(weight.T, shape), *bias]

    return to_torch, to_keras


def dense_to_torch(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras ``[kernel (in, out), bias?]`` → torch ``[weight (out, in), bias?]``."""
    kernel, *bias = weights
    return [kernel.T, *bias]


def linear_to_keras(tensors: list[np.ndarray]) -> list[np.ndarray]:
    """torch ``[weight (out, in), bias?]`` → Keras ``[kernel (in, out), bias?]``."""
    weight, *bias = tensors
    return [weight.T, *bias]


CONVERTERS = [
    Converter(keras.layers.Dense, nn.Linear, dense_to_torch, linear_to_keras, for_layer=dense_after_flatten),
]
