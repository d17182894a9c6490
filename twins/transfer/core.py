"""Copy weights between a Keras twin and its Lightning twin, in both directions.

    from twins.transfer import keras_to_torch, torch_to_keras
    keras_to_torch(keras_model, lightning_model)   # now both compute the same function

Layers are paired in order: every Keras layer that owns weights with every torch module that
owns parameters or buffers. Each pair needs a converter from ``CONVERTERS``, the table below of
every layer family the course uses (one module each, listed explicitly); the layout differences
are handled there.
"""

from __future__ import annotations

import torch
from torch import nn

import numpy as np
import torchmetrics

from twins.transfer import batchnorm, conv, conv_transpose, dense, depthwise, kmeans, recurrent
from twins.transfer.converter import Converter, TransferError

#: The first converter whose Keras and torch types match a layer pair is used.
CONVERTERS: list[Converter] = [
    *dense.CONVERTERS,  # Dense ↔ Linear (rows reordered after a Flatten of an image)
    *conv.CONVERTERS,  # Conv2D ↔ Conv2d
    *kmeans.CONVERTERS,  # K-Means centroids
    *conv_transpose.CONVERTERS,  # Conv2DTranspose ↔ ConvTranspose2d
    *batchnorm.CONVERTERS,  # BatchNormalization ↔ BatchNorm1d/2d
    *recurrent.CONVERTERS,  # SimpleRNN, LSTM, Bidirectional, Embedding
    *depthwise.CONVERTERS,  # DepthwiseConv2D ↔ grouped Conv2d (MobileNetV2)
]


def keras_weighted_layers(model) -> list:
    """Leaf layers of ``model`` (nested models flattened) that own weights, in model order."""
    layers = []
    for layer in model.layers:
        if hasattr(layer, "layers"):
            layers += keras_weighted_layers(layer)
        elif layer.weights:
            layers.append(layer)
    return layers


def torch_weighted_modules(module: nn.Module) -> list[nn.Module]:
    """Modules owning parameters or buffers directly, in registration order (metrics skipped)."""
    return [
        m
        for m in module.modules()
        if not isinstance(m, torchmetrics.Metric)
        and (any(True for _ in m.parameters(recurse=False)) or any(True for _ in m.buffers(recurse=False)))
    ]


def torch_tensors(module: nn.Module) -> list[torch.Tensor]:
    """The module's own parameters, then its buffers (``num_batches_tracked`` excluded)."""
    buffers = [b for name, b in module.named_buffers(recurse=False) if name != "num_batches_tracked"]
    return [*module.parameters(recurse=False), *buffers]


def paired_layers(keras_model, torch_module):
    """``[(index, keras_layer, torch_module, converter)]`` or a ``TransferError``."""
    keras_layers, torch_modules = keras_weighted_layers(keras_model), torch_weighted_modules(torch_module)
    if len(keras_layers) != len(torch_modules):
        raise TransferError(
            f"Keras model has {len(keras_layers)} layers with weights "
            f"({', '.join(type(layer).__name__ for layer in keras_layers)}), "
            f"torch module has {len(torch_modules)} ({', '.join(type(m).__name__ for m in torch_modules)})"
        )
    pairs = []
    for index, (layer, module) in enumerate(zip(keras_layers, torch_modules)):
        converter = next(
            (c for c in CONVERTERS if isinstance(layer, c.keras_type) and isinstance(module, c.torch_type)),
            None,
        )
        if converter is None:
            raise TransferError(
                f"layer {index}: no converter from Keras {type(layer).__name__} '{layer.name}' "
                f"to torch {type(module).__name__}"
            )
        pairs.append((index, layer, module, converter.specialise(layer, module)))
    return pairs


def _check_shapes(index, layer, sources, targets):
    for source, target in zip(sources, targets, strict=True):
        if tuple(source.shape) != tuple(target.shape):
            raise TransferError(
                f"layer {index} ({type(layer).__name__} '{layer.name}'): weight of shape "
                f"{tuple(source.shape)} does not fit {tuple(target.shape)}"
            )


@torch.no_grad()
def keras_to_torch(keras_model, torch_module: nn.Module) -> nn.Module:
    """Copy every weight of ``keras_model`` into ``torch_module`` (in place); returns it."""
    for index, layer, module, converter in paired_layers(keras_model, torch_module):
        sources = converter.to_torch([np.asarray(w) for w in layer.get_weights()])
        targets = torch_tensors(module)
        _check_shapes(index, layer, sources, targets)
        for target, source in zip(targets, sources):
            target.copy_(torch.from_numpy(np.ascontiguousarray(source)))
    return torch_module


def torch_to_keras(torch_module: nn.Module, keras_model):
    """Copy every weight of ``torch_module`` into ``keras_model`` (in place); returns it."""
    for index, layer, module, converter in paired_layers(keras_model, torch_module):
        sources = converter.to_keras([t.detach().cpu().numpy() for t in torch_tensors(module)])
        _check_shapes(index, layer, sources, layer.get_weights())
        layer.set_weights(sources)
    return keras_model
