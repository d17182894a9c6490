"""Weight layout of Conv2DTranspose ↔ ``nn.ConvTranspose2d`` (autoencoders, DCGAN).

Keras kernel (kh, kw, out, in) ↔ torch ``ConvTranspose2d.weight`` (in, out, kh, kw):
``transpose(3, 2, 0, 1)``, **no** spatial flip (both frameworks compute the gradient of the same
cross-correlation); bias equal. The ``same`` cropping lives in
``lit_models.keras_compat.layers.SameConvTranspose2d``.
"""

from __future__ import annotations

from torch import nn

import keras
import numpy as np

from twins.transfer.converter import Converter


def conv2d_transpose_to_torch(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras ``[kernel (kh, kw, out, in), bias?]`` → torch ``[weight (in, out, kh, kw), bias?]``."""
    kernel, *bias = weights
    return [kernel.transpose(3, 2, 0, 1), *bias]


def conv_transpose2d_to_keras(tensors: list[np.ndarray]) -> list[np.ndarray]:
    """torch ``[weight (in, out, kh, kw), bias?]`` → Keras ``[kernel (kh, kw, out, in), bias?]``."""
    weight, *bias = tensors
    return [weight.transpose(2, 3, 1, 0), *bias]


CONVERTERS = [
    Converter(
        keras.layers.Conv2DTranspose, nn.ConvTranspose2d, conv2d_transpose_to_torch, conv_transpose2d_to_keras
    ),
]
