"""Weight layout of Conv2D ↔ ``nn.Conv2d``.

- Conv2D: Keras kernel (kh, kw, in, out) ↔ torch ``Conv2d.weight`` (out, in, kh, kw); bias equal.
  Keras' ``same`` padding of strided convolutions (bottom/right only when the total is odd) has
  no weights: it is built into ``lit_models.keras_compat.layers.SameConv2d``.
"""

from __future__ import annotations

from torch import nn

import keras
import numpy as np

from twins.transfer.converter import Converter


def conv2d_to_torch(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras Conv2D ``[kernel (kh, kw, in, out), bias?]`` → torch ``[weight (out, in, kh, kw), bias?]``."""
    kernel, *bias = weights
    return [kernel.transpose(3, 2, 0, 1), *bias]


def conv2d_to_keras(tensors: list[np.ndarray]) -> list[np.ndarray]:
    """torch Conv2d ``[weight (out, in, kh, kw), bias?]`` → Keras ``[kernel (kh, kw, in, out), bias?]``."""
    weight, *bias = tensors
    return [weight.transpose(2, 3, 1, 0), *bias]


CONVERTERS = [Converter(keras.layers.Conv2D, nn.Conv2d, conv2d_to_torch, conv2d_to_keras)]
