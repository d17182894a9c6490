"""One-step parity checks for twins that are not trained by one loss and one optimizer.

``twins.parity.check_one_step`` dispatches here by the Lightning twin's ``training_kind``. Each
check starts both twins from identical weights (``keras_to_torch``) and compares, in stages,
the loss, what drives the update, and the updates themselves (after − before).
"""
from __future__ import annotations

import numpy as np
import torch

from .parity import ParityError, _relative, keras_weights_in_torch_layout, torch_layout_tensors
from .transfer import keras_to_torch


def _raise_over(measured: dict, rtol: float, what: str) -> dict:
    for stage, value in measured.items():
        if not value <= rtol:
            raise ParityError(f"{what}: {stage} differ by {value:.3g} (relative) > {rtol:g}")
    return measured


def check_lloyd_step(lightning_model, keras_model, x: np.ndarray, y, rtol: float) -> dict:
    """K-Means (``training_kind = "lloyd"``): one Lloyd step on the batch ``x`` from identical
    centroids: the mean squared distance (loss), the assignments (fraction of points assigned
    differently, must be 0 up to ``rtol``) and the centroid updates."""
    keras_to_torch(keras_model, lightning_model)
    before = keras_weights_in_torch_layout(keras_model, lightning_model)[0]
    torch_loss, torch_nearest = lightning_model.lloyd_batch(torch.from_numpy(x))
    lightning_model.lloyd_update()
    keras_loss, keras_nearest = keras_model.lloyd_batch(x)
    keras_model.lloyd_update()
    after = keras_weights_in_torch_layout(keras_model, lightning_model)[0]
    moved = torch_layout_tensors(lightning_model)[0].detach().numpy()
    measured = {
        "loss": _relative(float(torch_loss), float(keras_loss)),
        "assignments": float(np.mean(torch_nearest.numpy() != np.asarray(keras_nearest))),
        "updates": _relative(moved - before, after - before),
    }
    return _raise_over(measured, rtol, "one Lloyd step")
