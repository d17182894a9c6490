"""Copy weights between a Keras twin and its Lightning twin, in both directions.

    from twins.transfer import keras_to_torch, torch_to_keras
    keras_to_torch(keras_model, lightning_model)   # now both compute the same function

Layers are paired in order: every Keras layer that owns weights with every torch module that
owns parameters or buffers. Each pair needs a converter from ``CONVERTERS`` (one per layer
kind the course uses); the layout differences are handled there:

- Dense: Keras kernel (in, out) ↔ torch ``Linear.weight`` (out, in): transpose.
- Conv2D, and Dense after a Flatten of an image (NHWC vs NCHW feature order): ``transfer_conv.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torchmetrics
from torch import nn

import keras

from .transfer_conv import conv2d_to_keras, conv2d_to_torch, dense_after_flatten

from .errors import BadInput


class TransferError(BadInput, ValueError):
    """The two models do not have the same structure (one line naming the first difference)."""


@dataclass(frozen=True)
class Converter:
    """How to move the weights of one Keras layer kind to one torch module kind and back."""

    keras_type: type
    torch_type: type
    to_torch: Callable[[list[np.ndarray]], list[np.ndarray]]  # Keras weights -> torch tensors, in order
    to_keras: Callable[[list[np.ndarray]], list[np.ndarray]]  # torch tensors -> Keras weights, in order
    #: optional ``(keras_layer, torch_module) -> (to_torch, to_keras) | None``: functions for this very
    #: layer when its layout depends on its context (a Dense after a Flatten of an image); None keeps the defaults
    for_layer: Callable | None = None

    def specialise(self, layer, module) -> "Converter":
        functions = self.for_layer(layer, module) if self.for_layer else None
        return Converter(self.keras_type, self.torch_type, *functions) if functions else self


def _dense_to_torch(weights):
    kernel, *bias = weights
    return [kernel.T, *bias]


def _linear_to_keras(tensors):
    weight, *bias = tensors
    return [weight.T, *bias]


CONVERTERS: list[Converter] = [
    Converter(keras.layers.Dense, nn.Linear, _dense_to_torch, _linear_to_keras, for_layer=dense_after_flatten),
    Converter(keras.layers.Conv2D, nn.Conv2d, conv2d_to_torch, conv2d_to_keras),
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
        m for m in module.modules()
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
            f"({', '.join(type(l).__name__ for l in keras_layers)}), torch module has {len(torch_modules)} "
            f"({', '.join(type(m).__name__ for m in torch_modules)})"
        )
    pairs = []
    for index, (layer, module) in enumerate(zip(keras_layers, torch_modules)):
        converter = next(
            (c for c in CONVERTERS if isinstance(layer, c.keras_type) and isinstance(module, c.torch_type)), None
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


# Converters of further layer kinds live in their families' modules (they import ``Converter`` from here).
from .transfer_kmeans import converters as kmeans_converters  # noqa: E402

CONVERTERS.extend(kmeans_converters())

from .transfer_deconv import converters as deconv_converters  # noqa: E402  - Conv2DTranspose, BatchNorm of any rank (autoencoders, DCGAN)

CONVERTERS.extend(deconv_converters())

from .transfer_recurrent import RECURRENT_CONVERTERS  # noqa: E402

CONVERTERS.extend(RECURRENT_CONVERTERS)

from .transfer_mobilenet import MOBILENET_CONVERTERS  # noqa: E402  - DepthwiseConv2D (cats_dogs_transfer)

CONVERTERS.extend(MOBILENET_CONVERTERS)
