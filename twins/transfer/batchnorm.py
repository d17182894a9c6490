"""Weight layout of BatchNormalization ↔ torch BatchNorm of any rank (after a Dense or a conv).

Keras [gamma, beta, moving_mean, moving_variance] ↔ torch [weight, bias, running_mean,
running_var]: the same arrays. Epsilon and momentum are constructor settings, mapped in
``lit_models.keras_compat.layers`` (``KerasBatchNorm1d``/``2d``).
"""

from __future__ import annotations

from torch import nn

import keras

from twins.transfer.converter import Converter, same_arrays

CONVERTERS = [
    Converter(keras.layers.BatchNormalization, nn.modules.batchnorm._BatchNorm, same_arrays, same_arrays),
]
