"""The parity checks, as a library: the test suite, ``compare`` and graders call these.

Each check measures, raises ``ParityError`` with a message that names what differs, and
returns its measurement so tests and notes can report it. Tolerances are measured on this
project's models in float32 (see docs/PARITY.md) — never guessed, never fuzzy where exactness
is possible (parameter counts are exact).
"""
from __future__ import annotations

import math
import statistics

import numpy as np
import tensorflow as tf
import torch
from torch import nn

import keras

from datamodules.torch_adapter import to_keras_layout, to_torch_layout

from .counts import extra_torch_parameters, keras_counts, torch_counts
from .transfer import keras_to_torch, keras_weighted_layers, paired_layers, torch_tensors, torch_weighted_modules

FORWARD_ATOL = 1e-5         # float32 eval-mode outputs after weight transfer
STEP_RTOL = 1e-5            # loss, gradients and weight updates of one optimizer step
TRAJECTORY_RTOL = 1e-5      # per-epoch history of a whole fit from identical weights and batches


class ParityError(AssertionError):
    """The twins differ (the message says where and by how much)."""


def _relative(a, b) -> float:
    """max |a − b| / max |b|: the error relative to the tensor's scale (not element by element,
    which would blow up on entries that happen to be near zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if not a.size:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-12))


def _keras_gradient(gradient):
    """A Keras gradient for the torch side: a numpy array, or — for TF's ``IndexedSlices`` of an
    embedding (one row per lookup) — the torch sparse tensor with the same rows."""
    if isinstance(gradient, tf.IndexedSlices):
        indices = torch.from_numpy(np.asarray(gradient.indices, dtype=np.int64))[None]
        values = torch.from_numpy(np.asarray(gradient.values))
        return torch.sparse_coo_tensor(indices, values, tuple(gradient.dense_shape.numpy()), check_invariants=True)
    return np.asarray(gradient)


def _dense(gradient) -> np.ndarray:
    """A gradient as a numpy array (a sparse one — an embedding's rows per lookup — summed per row)."""
    if isinstance(gradient, torch.Tensor):
        return (gradient.coalesce().to_dense() if gradient.is_sparse else gradient).numpy()
    return gradient


def _update_difference(torch_after, keras_after, before) -> float:
    """Relative difference of two weight updates (after − before) beyond float32's resolution.

    An update is only known to one float32 spacing (ulp) of the weights it was added to: Adam's
    steps of ≈ lr = 1e-3 on weights of ≈ 0.3 resolve to 3e-5 relative, so one ulp of rounding
    in either framework would otherwise read as a 3e-5 difference. That one ulp is discounted."""
    torch_update, keras_update = np.float64(torch_after) - before, np.float64(keras_after) - before
    scale = max(float(np.max(np.abs(before), initial=0.0)), float(np.max(np.abs(keras_after), initial=0.0)))
    excess = max(float(np.max(np.abs(torch_update - keras_update), initial=0.0)) - float(np.spacing(np.float32(scale))), 0.0)
    return excess / max(float(np.max(np.abs(keras_update), initial=0.0)), 1e-12)


# --- a. registries --------------------------------------------------------------------------------

def check_registries(**registries) -> list[str]:
    """Every registry (``lightning=..., keras=..., data=...``) holds the same model ids."""
    names = list(registries)
    reference = set(registries[names[0]])
    for name in names[1:]:
        missing, extra = reference - set(registries[name]), set(registries[name]) - reference
        if missing or extra:
            raise ParityError(
                f"{name} registry differs from {names[0]}: missing {sorted(missing)}, extra {sorted(extra)} "
                "(every model needs both twins and a datamodule)"
            )
    return sorted(reference)


# --- b. output shapes -----------------------------------------------------------------------------

def _keras_output(module, x: torch.Tensor) -> torch.Tensor:
    """What the Keras twin returns: ``keras_output`` of a Lightning twin, a plain component's output."""
    return module.keras_output(x) if hasattr(module, "keras_output") else module(x)


def output_shapes(lightning_model, keras_model, x: np.ndarray) -> tuple[tuple, tuple]:
    """``(keras shape, lightning shape)`` of the eval-mode outputs on ``x``, in Keras' layout."""
    with torch.no_grad():
        torch_shape = to_keras_layout(_keras_output(lightning_model.eval(), to_torch_layout(x))).shape
    return tuple(keras_model(x, training=False).shape), tuple(torch_shape)


def check_output_shapes(lightning_model, keras_model, x: np.ndarray) -> tuple:
    """Both twins map a real batch ``x`` to outputs of one shape."""
    keras_shape, torch_shape = output_shapes(lightning_model, keras_model, x)
    if torch_shape != keras_shape:
        raise ParityError(f"output shapes differ: keras {keras_shape}, lightning {torch_shape}")
    for name, torch_net, keras_net in components(lightning_model, keras_model):
        in_component(name, check_output_shapes, torch_net, keras_net, component_input(keras_net, x))
    return keras_shape


# --- networks of several components (a GAN's generator and discriminator) ------------------------

def components(lightning_model, keras_model) -> list[tuple[str, nn.Module, object]]:
    """``[(name, torch network, Keras network)]`` of the components a twin declares
    (``components = ("generator", "discriminator")`` on the Lightning class; both twins have an
    attribute of each name). Checks b, c and d check the whole pair, then each component."""
    names = getattr(lightning_model, "components", ())
    return [(name, getattr(lightning_model, name), getattr(keras_model, name)) for name in names]


def component_input(keras_net, x: np.ndarray, seed: int = 0) -> np.ndarray:
    """``x`` for a component that reads data shaped like ``x``; otherwise (a generator reading
    noise) seeded standard-normal draws of its input shape, one per sample of ``x``."""
    shape = tuple(keras_net.input_shape[1:])
    if shape == tuple(x.shape[1:]):
        return x
    return np.random.default_rng(seed).standard_normal((len(x), *shape)).astype(np.float32)


def in_component(name: str, check, *args, **kwargs):
    """Run ``check`` on one component; its ``ParityError`` names the component."""
    try:
        return check(*args, **kwargs)
    except ParityError as error:
        raise ParityError(f"{name}: {error}") from None


# --- c. parameter counts --------------------------------------------------------------------------

def check_parameter_counts(lightning_model, keras_model) -> dict:
    """Exact counts, layer by layer then in total.

    Per layer pair: Keras weights = torch parameters + buffers − the explained extras
    (e.g. a second recurrent bias). In total: Keras trainable = torch trainable − extras,
    Keras non-trainable = torch buffers (without counters) + frozen parameters.
    """
    extras = {name: count for name, count, _ in extra_torch_parameters(lightning_model)}
    names = {module: name for name, module in lightning_model.named_modules()}
    for index, layer, module, _ in paired_layers(keras_model, lightning_model):
        keras_count = sum(math.prod(w.shape) for w in layer.weights)
        torch_count = sum(t.numel() for t in torch_tensors(module)) - extras.get(names[module], 0)
        if keras_count != torch_count:
            raise ParityError(
                f"layer {index}: Keras {type(layer).__name__} '{layer.name}' has {keras_count} weights, "
                f"torch {type(module).__name__} '{names[module]}' has {torch_count} (after explained extras)"
            )
    k, t = keras_counts(keras_model), torch_counts(lightning_model)
    explained = sum(extras.values())
    if t["trainable"] - explained != k["trainable"]:
        raise ParityError(f"trainable parameters: keras {k['trainable']}, lightning {t['trainable']} − explained {explained}")
    if t["buffers"] != k["non_trainable"]:
        raise ParityError(f"non-trainable: keras {k['non_trainable']}, lightning buffers + frozen {t['buffers']}")
    record = {"keras": k, "lightning": t, "explained": explained}
    parts = {name: in_component(name, check_parameter_counts, torch_net, keras_net)
             for name, torch_net, keras_net in components(lightning_model, keras_model)}
    return record | ({"components": parts} if parts else {})


# --- d. forward parity ----------------------------------------------------------------------------

def forward_max_abs_diff(lightning_model, keras_model, x: np.ndarray) -> float:
    """max |Δ| of the eval-mode outputs on ``x`` (weights as they are)."""
    with torch.no_grad():
        torch_out = to_keras_layout(_keras_output(lightning_model.eval(), to_torch_layout(x)))
    return float(np.max(np.abs(torch_out - np.asarray(keras_model(x, training=False)))))


def check_forward(lightning_model, keras_model, x: np.ndarray, atol: float = FORWARD_ATOL) -> float:
    """Copy the Keras weights into the Lightning twin, then compare outputs: max |Δ| ≤ ``atol``."""
    keras_to_torch(keras_model, lightning_model)
    diff = forward_max_abs_diff(lightning_model, keras_model, x)
    if not diff <= atol:
        raise ParityError(f"forward outputs differ after weight transfer: max |Δ| = {diff:.3g} > {atol:g}")
    for name, torch_net, keras_net in components(lightning_model, keras_model):
        part = in_component(name, forward_max_abs_diff, torch_net, keras_net, component_input(keras_net, x))
        if not part <= atol:
            raise ParityError(f"{name}: forward outputs differ after weight transfer: max |Δ| = {part:.3g} > {atol:g}")
        diff = max(diff, part)
    return diff


# --- e. trajectory parity -------------------------------------------------------------------------

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


def keras_gradients_in_torch_layout(keras_model, lightning_model, x, y) -> tuple[float, list[np.ndarray]]:
    """``(loss, gradients)`` of the Keras twin on one batch, gradients in torch layout."""
    layers = keras_weighted_layers(keras_model)
    with tf.GradientTape() as tape:
        y_pred = keras_model(x, training=True)
        loss = keras_model.compute_loss(x=x, y=y, y_pred=y_pred)
    variables = [layer.weights for layer in layers]
    grads = tape.gradient(loss, [v for group in variables for v in group])
    arrays, position = [], 0
    for (_, layer, _, converter), group in zip(paired_layers(keras_model, lightning_model), variables):
        chunk = grads[position : position + len(group)]
        position += len(group)
        arrays += converter.to_torch([np.zeros(v.shape, np.float32) if g is None else _keras_gradient(g) for v, g in zip(group, chunk)])
    return float(loss), arrays


def torch_layout_tensors(lightning_model) -> list[torch.Tensor]:
    """The torch tensors in the order ``keras_weights_in_torch_layout`` lists their twins."""
    return [t for module in torch_weighted_modules(lightning_model) for t in torch_tensors(module)]


#: How a twin learns, declared by its Lightning class as ``training_kind`` (default "gradient":
#: ``loss_fn`` + one optimizer, the check below). Other kinds name their step check, which
#: compares the same stages (loss, what drives the update, the updates) for that algorithm.
TRAINING_KINDS = {
    "lloyd": "twins.parity_unsupervised:check_lloyd_step",   # K-Means: assignments + centroid moves
    "gan": "twins.parity_unsupervised:check_gan_step",       # two networks, two optimizers per batch
}


def training_kind(lightning_model) -> str:
    return getattr(lightning_model, "training_kind", "gradient")


def step_check(kind: str):
    """The one-step check of a non-gradient ``training_kind`` (imported on demand)."""
    import importlib

    if kind not in TRAINING_KINDS:
        raise ParityError(f"unknown training_kind {kind!r}: use gradient or one of {', '.join(TRAINING_KINDS)}")
    module, _, name = TRAINING_KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def check_one_step(lightning_model, keras_model, x: np.ndarray, y: np.ndarray, rtol: float = STEP_RTOL) -> dict:
    """One optimizer step from identical weights, in stages: the loss, the gradients, then the
    weight *updates* from the same gradients (after − before; comparing the weights themselves
    would hide a wrong learning rate behind the size of the weights).

    A twin trained otherwise declares how (``training_kind``, see ``TRAINING_KINDS``) and gets the
    step check of that kind, in the same stages."""
    kind = training_kind(lightning_model)
    if kind != "gradient":
        return step_check(kind)(lightning_model, keras_model, x, y, rtol)
    without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    before = keras_weights_in_torch_layout(keras_model, lightning_model)
    keras_loss, keras_grads = keras_gradients_in_torch_layout(keras_model, lightning_model, x, y)
    lightning_model.train()
    optimizer = lightning_model.configure_optimizers()
    optimizer.zero_grad()
    loss = lightning_model.loss_fn(lightning_model(to_torch_layout(x)), to_torch_layout(y))
    loss.backward()
    tensors = torch_layout_tensors(lightning_model)
    measured = {
        "loss": _relative(loss.item(), keras_loss),
        "gradients": max(_relative(_dense(t.grad), _dense(g)) for t, g in zip(tensors, keras_grads) if t.grad is not None),
    }
    # The update stage isolates the optimizer: both frameworks step with Keras' gradients (just
    # compared). Adam divides by √v + ε, so on entries with |g| ≈ 1e-5 a round-off difference
    # of the gradients (stage 2) would be magnified ~1e4× into the update and hide the rule under test.
    for tensor, gradient in zip(tensors, keras_grads):
        if tensor.grad is not None and tensor.grad.is_sparse:
            tensor.grad = gradient  # an embedding: Keras' rows per lookup (torch sparse, see _keras_gradient)
        elif tensor.grad is not None:
            tensor.grad.copy_(torch.from_numpy(np.ascontiguousarray(gradient)))
    optimizer.step()
    keras_model.train_on_batch(x, y)
    after = keras_weights_in_torch_layout(keras_model, lightning_model)
    measured["updates"] = max(
        _update_difference(t.detach().numpy(), a, b) for t, a, b in zip(tensors, after, before) if t.requires_grad
    )
    for stage, value in measured.items():
        if not value <= rtol:
            raise ParityError(f"one optimizer step: {stage} differ by {value:.3g} (relative) > {rtol:g}")
    return measured


def check_trajectory(keras_history: dict, lightning_history: dict, rtol: float = TRAJECTORY_RTOL) -> float:
    """Per-epoch histories of two fits from identical weights and batches agree within ``rtol``."""
    worst = 0.0
    for key, keras_values in keras_history.items():
        if key not in lightning_history:
            raise ParityError(f"trajectory: lightning history lacks {key!r}")
        difference = _relative(lightning_history[key], keras_values)
        if not difference <= rtol:
            raise ParityError(
                f"trajectory: {key} differs by {difference:.3g} (relative) > {rtol:g}: "
                f"keras {np.round(keras_values, 6).tolist()} vs lightning {np.round(lightning_history[key], 6).tolist()}"
            )
        worst = max(worst, difference)
    return worst


# --- f. converged parity --------------------------------------------------------------------------

def check_converged(keras_losses: list[float], lightning_losses: list[float], band: float) -> dict:
    """Final validation losses over several seeds, each twin from its own initialisation:
    |mean(lightning) − mean(keras)| ≤ ``band`` × mean(keras)."""
    keras_mean, lightning_mean = statistics.fmean(keras_losses), statistics.fmean(lightning_losses)
    gap = abs(lightning_mean - keras_mean) / keras_mean
    record = {
        "keras_mean": keras_mean, "keras_spread": max(keras_losses) - min(keras_losses),
        "lightning_mean": lightning_mean, "lightning_spread": max(lightning_losses) - min(lightning_losses),
        "relative_gap": gap,
    }
    if not all(map(math.isfinite, [*keras_losses, *lightning_losses])) or not gap <= band:
        raise ParityError(
            f"converged validation loss: keras {keras_mean:.4g} (seeds {np.round(keras_losses, 4).tolist()}), "
            f"lightning {lightning_mean:.4g} (seeds {np.round(lightning_losses, 4).tolist()}): "
            f"gap {gap:.1%} > band {band:.0%}"
        )
    return record
