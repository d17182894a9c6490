"""Weight layout of DepthwiseConv2D ↔ a grouped ``nn.Conv2d`` (MobileNetV2; Conv2D: ``conv.py``).

- DepthwiseConv2D: Keras kernel (kh, kw, in, depth_multiplier) ↔ torch grouped ``Conv2d``
  weight (in · depth_multiplier, 1, kh, kw) with ``groups=in``.
- BatchNormalization: ``batchnorm.py`` (same layout both sides); eps and momentum are
  constructor settings, mapped in ``lit_models/keras_compat/mobilenet_v2.py``.
- ZeroPadding2D has no weights, so there is nothing to convert: its geometry (bottom/right
  only for even sizes) is built into the torch twin and checked by value in
  ``parity_tests/test_mobilenet_transfer.py``.
"""

from __future__ import annotations

from torch import nn

import keras

from twins.transfer.converter import Converter


def _depthwise_to_torch(weights):
    kernel, *bias = weights
    height, width, channels, multiplier = kernel.shape
    # (kh, kw, in, m) -> (in, m, kh, kw) -> (in·m, 1, kh, kw): output channel c·m + j uses input c
    return [kernel.transpose(2, 3, 0, 1).reshape(channels * multiplier, 1, height, width), *bias]


def _depthwise_to_keras(tensors, multiplier: int = 1):
    weight, *bias = tensors
    outputs, _, height, width = weight.shape
    return [weight.reshape(outputs // multiplier, multiplier, height, width).transpose(2, 3, 0, 1), *bias]


CONVERTERS = [Converter(keras.layers.DepthwiseConv2D, nn.Conv2d, _depthwise_to_torch, _depthwise_to_keras)]
