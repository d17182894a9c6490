"""Weight layouts of the transposed convolution and of BatchNorm, for ``twins.transfer``.

- Conv2DTranspose: Keras kernel (kh, kw, out, in) ↔ torch ``ConvTranspose2d.weight``
  (in, out, kh, kw): ``transpose(3, 2, 0, 1)``, **no** spatial flip (both frameworks compute
  the gradient of the same cross-correlation); bias equal. The ``same`` cropping lives in
  ``lit_models.keras_like.SameConvTranspose2d``.
- BatchNormalization (any rank, e.g. after a Dense layer): Keras [gamma, beta, moving_mean,
  moving_variance] ↔ torch [weight, bias, running_mean, running_var]: the same arrays.
"""
from __future__ import annotations

import numpy as np
from torch import nn

import keras

def conv2d_transpose_to_torch(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras ``[kernel (kh, kw, out, in), bias?]`` → torch ``[weight (in, out, kh, kw), bias?]``."""
    kernel, *bias = weights
    return [kernel.transpose(3, 2, 0, 1), *bias]


def conv_transpose2d_to_keras(tensors: list[np.ndarray]) -> list[np.ndarray]:
    """torch ``[weight (in, out, kh, kw), bias?]`` → Keras ``[kernel (kh, kw, out, in), bias?]``."""
    weight, *bias = tensors
    return [weight.transpose(2, 3, 1, 0), *bias]


def _same(arrays):
    return list(arrays)


def converters() -> list:
    """The ``Converter``s of this module (built on call: ``twins.transfer`` imports this module)."""
    from .transfer import Converter

    return [
        Converter(keras.layers.Conv2DTranspose, nn.ConvTranspose2d, conv2d_transpose_to_torch, conv_transpose2d_to_keras),
        Converter(keras.layers.BatchNormalization, nn.modules.batchnorm._BatchNorm, _same, _same),
    ]
