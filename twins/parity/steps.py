"""Check e, one training step in stages: the loss, what drives the update, the updates.

A twin trained by one loss and one optimizer gets ``check_gradient_step``; K-Means (Lloyd
iterations, no gradients) and the GAN (two networks, two optimizers) get their own step check
with the same stages. ``check_one_step`` dispatches by the model's training kind.
"""

from __future__ import annotations

import torch

import numpy as np
import tensorflow as tf

from datamodules.torch_adapter import to_torch_layout
from twins.parity.measure import (
    STEP_RTOL,
    ParityError,
    dense_gradient,
    keras_gradient,
    keras_weights_in_torch_layout,
    relative_difference,
    torch_layout_tensors,
    update_difference,
    without_dropout,
)
from twins.parity.stepping import step_keras, step_lightning
from twins.transfer import keras_to_torch, keras_weighted_layers, paired_layers


def keras_gradients_in_torch_layout(keras_model, lightning_model, x, y) -> tuple[float, list[np.ndarray]]:
    """``(loss, gradients)`` of the Keras twin on one batch, gradients in torch layout."""
    layers = keras_weighted_layers(keras_model)
    with tf.GradientTape() as tape:
        y_pred = keras_model(x, training=True)
        loss = keras_model.compute_loss(x=x, y=y, y_pred=y_pred)
    variables = [layer.weights for layer in layers]
    grads = tape.gradient(loss, [v for group in variables for v in group])
    arrays, position = [], 0
    for (_, _keras_layer, _, converter), group in zip(paired_layers(keras_model, lightning_model), variables):
        chunk = grads[position : position + len(group)]
        position += len(group)
        arrays += converter.to_torch(
            [np.zeros(v.shape, np.float32) if g is None else keras_gradient(g) for v, g in zip(group, chunk)]
        )
    return float(loss), arrays


def keras_replacements(tensors, keras_grads) -> dict:
    """``{torch tensor: Keras' gradient of its twin}`` for every trainable tensor."""
    return {t: g for t, g in zip(tensors, keras_grads) if t.requires_grad}


def check_gradient_step(
    lightning_model, keras_model, x: np.ndarray, y: np.ndarray, rtol: float = STEP_RTOL
) -> dict:
    """One optimizer step from identical weights, in stages: the loss, the gradients, then the
    weight *updates* from the same gradients (after − before; comparing the weights themselves
    would hide a wrong learning rate behind the size of the weights).

    The Lightning side runs the twin's own ``training_step`` and ``configure_optimizers``
    (``stepping.step_lightning``); the Keras side ``compute_loss`` under a tape, then ``train_on_batch``.
    The update stage isolates the optimizer: both frameworks step with Keras' gradients (just
    compared). Adam divides by √v + ε, so on entries with |g| ≈ 1e-5 a round-off difference of the
    gradients (stage 2) would be magnified ~1e4× into the update and hide the rule under test."""
    without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    before = keras_weights_in_torch_layout(keras_model, lightning_model)
    keras_loss, keras_grads = keras_gradients_in_torch_layout(keras_model, lightning_model, x, y)
    tensors = torch_layout_tensors(lightning_model)
    _, gradients, loss = step_lightning(
        lightning_model, (to_torch_layout(x), to_torch_layout(y)), keras_replacements(tensors, keras_grads)
    )
    keras_model.train_on_batch(x, y)
    after = keras_weights_in_torch_layout(keras_model, lightning_model)
    measured = {
        "loss": relative_difference(loss.item(), keras_loss),
        "gradients": max(
            relative_difference(dense_gradient(gradients[t]), dense_gradient(g))
            for t, g in zip(tensors, keras_grads)
            if t in gradients
        ),
        "updates": max(
            update_difference(t.detach().numpy(), a, b)
            for t, a, b in zip(tensors, after, before)
            if t.requires_grad
        ),
    }
    return _raise_over(measured, rtol, "one optimizer step")


def _raise_over(measured: dict, rtol: float, what: str) -> dict:
    for stage, value in measured.items():
        if not value <= rtol:
            raise ParityError(f"{what}: {stage} differ by {value:.3g} (relative) > {rtol:g}")
    return measured


def check_lloyd_step(lightning_model, keras_model, x: np.ndarray, y, rtol: float) -> dict:
    """K-Means (``training: lloyd``): one Lloyd step on the batch ``x`` from identical
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
        "loss": relative_difference(float(torch_loss), float(keras_loss)),
        "assignments": float(np.mean(torch_nearest.numpy() != np.asarray(keras_nearest))),
        "updates": relative_difference(moved - before, after - before),
    }
    return _raise_over(measured, rtol, "one Lloyd step")


#: One full GAN step (both optimizers) from identical weights, batch and noise, float32 CPU,
#: tolerance per stage (relative). Gradients: Keras' float32 gradients of the layers before the
#: generator's second BatchNorm are up to 1.3e-2 off a float64 reference (3 seeds), torch's
#: ≤ 2e-6 (``test_mnist_dcgan.py`` measures both); the updates (both twins stepping with Keras'
#: gradients: the Adam rule and the BatchNorm running statistics) agree to float32 once one
#: spacing of the weights is discounted. See docs/PARITY.md.
GAN_STEP_RTOL = {"loss": 1e-5, "gradients": 5e-2, "updates": 1e-5}


def _update_beyond_spacing(torch_after, keras_after, before) -> float:
    """Relative difference of two updates (after − before) beyond one float32 spacing of the
    weights: a step of 1e-4 on a BatchNorm scale of 1.0 is only known to 1.2e-7 / 1e-4 ≈ 1e-3."""
    torch_update, keras_update = np.float64(torch_after) - before, np.float64(keras_after) - before
    spacing = float(
        np.spacing(
            np.float32(max(np.max(np.abs(before), initial=0.0), np.max(np.abs(keras_after), initial=0.0)))
        )
    )
    excess = max(float(np.max(np.abs(torch_update - keras_update), initial=0.0)) - spacing, 0.0)
    return excess / max(float(np.max(np.abs(keras_update), initial=0.0)), 1e-12)


def keras_gradients_by_variable_in_torch_layout(
    keras_model, lightning_model, grads_by_variable: dict
) -> list[np.ndarray]:
    """Gradients keyed by Keras variable id, converted layer by layer to torch layout (zeros for
    non-trainable weights such as moving statistics)."""
    arrays = []
    for _, layer, _, converter in paired_layers(keras_model, lightning_model):
        arrays += converter.to_torch(
            [
                np.asarray(grads_by_variable[id(w)])
                if id(w) in grads_by_variable
                else np.zeros(w.shape, np.float32)
                for w in layer.weights
            ]
        )
    return arrays


def check_gan_step(lightning_model, keras_model, x: np.ndarray, y: np.ndarray, rtol: float) -> dict:
    """GAN (``training: gan``): one ``training_step``/``train_step`` of each twin's own code — one
    forward of both networks and one step of each optimizer — on real images ``x`` and noise
    ``y``, from identical weights, in stages: the two losses, all gradients, then all updates
    (weights and BatchNorm running statistics). As in ``check_gradient_step``, the Lightning twin
    steps with Keras' gradients (just compared), so the update stage tests the optimizers' rule
    and the running statistics, not Adam's magnification of gradient round-off. Each stage's
    tolerance is the larger of ``rtol`` and ``GAN_STEP_RTOL``."""
    without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    before = keras_weights_in_torch_layout(keras_model, lightning_model)
    keras_logs, keras_by_variable = step_keras(keras_model, x, y)
    keras_grads = keras_gradients_by_variable_in_torch_layout(keras_model, lightning_model, keras_by_variable)
    after = keras_weights_in_torch_layout(keras_model, lightning_model)
    tensors = torch_layout_tensors(lightning_model)
    logged, gradients, _ = step_lightning(
        lightning_model, (to_torch_layout(x), to_torch_layout(y)), keras_replacements(tensors, keras_grads)
    )
    losses = [name for name in keras_logs if name != "loss"]
    missing = [name for name in losses if f"train/{name}" not in logged]
    if missing:
        raise ParityError(
            "one GAN step: the Lightning twin's training_step "
            f"logs no {', '.join(f'train/{m}' for m in missing)}"
        )
    measured = {
        "loss": max(relative_difference(logged[f"train/{name}"], keras_logs[name]) for name in losses),
        "gradients": max(
            relative_difference(gradients[t].numpy(), g)
            for t, g in zip(tensors, keras_grads)
            if t in gradients
        ),
        "updates": max(
            _update_beyond_spacing(t.detach().numpy(), a, b) for t, a, b in zip(tensors, after, before)
        ),
    }
    for stage, value in measured.items():
        limit = max(rtol, GAN_STEP_RTOL[stage])
        if not value <= limit:
            raise ParityError(f"one GAN step: {stage} differ by {value:.3g} (relative) > {limit:g}")
    return measured


#: How each training kind is stepped (the ``training`` entry of a model's registration,
#: ``configs/<id>.yaml``): every check compares the same stages for its algorithm.
STEP_CHECKS = {
    "gradient": check_gradient_step,  # one loss, one optimizer
    "lloyd": check_lloyd_step,  # K-Means: assignments + centroid moves
    "gan": check_gan_step,  # two networks, two optimizers per batch
}


def step_check(kind: str):
    """The one-step check of training kind ``kind``."""
    if kind not in STEP_CHECKS:
        raise ParityError(f"unknown training kind {kind!r}: use one of {', '.join(STEP_CHECKS)}")
    return STEP_CHECKS[kind]


def check_one_step(
    lightning_model,
    keras_model,
    x: np.ndarray,
    y: np.ndarray,
    rtol: float = STEP_RTOL,
    training: str = "gradient",
) -> dict:
    """Check e, one step: the step check of the model's training kind (its registration's
    ``twins.training``; see ``STEP_CHECKS``)."""
    return step_check(training)(lightning_model, keras_model, x, y, rtol)
