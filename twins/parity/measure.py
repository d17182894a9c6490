"""Measurements shared by the parity checks: relative differences, gradients and weights in
torch layout, dropout switched off. Tolerances are measured on this project's models in
float32 (see docs/PARITY.md)."""

from __future__ import annotations

import torch
from torch import nn

import keras
import numpy as np
import tensorflow as tf

from twins.transfer import paired_layers, torch_tensors, torch_weighted_modules

FORWARD_ATOL = 1e-5  # float32 eval-mode outputs after weight transfer
STEP_RTOL = 1e-5  # loss, gradients and weight updates of one optimizer step
TRAJECTORY_RTOL = 1e-5  # per-epoch history of a whole fit from identical weights and batches


class ParityError(AssertionError):
    """The twins differ (the message says where and by how much)."""


def relative_difference(a, b) -> float:
    """max |a − b| / max |b|: the error relative to the tensor's scale (not element by element,
    which would blow up on entries that happen to be near zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.size:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-12))


def keras_gradient(gradient):
    """A Keras gradient for the torch side: a numpy array, or — for TF's ``IndexedSlices`` of an
    embedding (one row per lookup) — the torch sparse tensor with the same rows."""
    if isinstance(gradient, tf.IndexedSlices):
        indices = torch.from_numpy(np.asarray(gradient.indices, dtype=np.int64))[None]
        values = torch.from_numpy(np.asarray(gradient.values))
        return torch.sparse_coo_tensor(
            indices, values, tuple(gradient.dense_shape.numpy()), check_invariants=True
        )
    return np.asarray(gradient)


def dense_gradient(gradient) -> np.ndarray:
    """A gradient as a numpy array (a sparse one — an embedding's rows per lookup — summed per row)."""
    if isinstance(gradient, torch.Tensor):
        return (gradient.coalesce().to_dense() if gradient.is_sparse else gradient).numpy()
    return gradient


def update_difference(torch_after, keras_after, before) -> float:
    """Relative difference of two weight updates (after − before) beyond float32's resolution.

    An update is only known to one float32 spacing (ulp) of the weights it was added to: Adam's
    steps of ≈ lr = 1e-3 on weights of ≈ 0.3 resolve to 3e-5 relative, so one ulp of rounding
    in either framework would otherwise read as a 3e-5 difference. That one ulp is discounted."""
    torch_update, keras_update = np.float64(torch_after) - before, np.float64(keras_after) - before
    scale = max(float(np.max(np.abs(before), initial=0.0)), float(np.max(np.abs(keras_after), initial=0.0)))
    excess = max(
        float(np.max(np.abs(torch_update - keras_update), initial=0.0))
        - float(np.spacing(np.float32(scale))),
        0.0,
    )
    return excess / max(float(np.max(np.abs(keras_update), initial=0.0)), 1e-12)


def without_dropout(lightning_model, keras_model) -> None:
    """Dropout draws different random masks in each framework: switch it off in both."""
    for module in lightning_model.modules():
        if isinstance(module, nn.modules.dropout._DropoutNd):
            module.p = 0.0
    for layer in keras_model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0


def keras_weights_in_torch_layout(keras_model, lightning_model) -> list[np.ndarray]:
    """Every Keras weight converted to the layout of the torch tensor it corresponds to."""
    arrays = []
    for _, layer, _, converter in paired_layers(keras_model, lightning_model):
        arrays += converter.to_torch([np.asarray(w) for w in layer.get_weights()])
    return arrays


def torch_layout_tensors(lightning_model) -> list[torch.Tensor]:
    """The torch tensors in the order ``keras_weights_in_torch_layout`` lists their twins."""
    return [t for module in torch_weighted_modules(lightning_model) for t in torch_tensors(module)]
