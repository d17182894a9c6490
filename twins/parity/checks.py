"""The parity checks, as a library: the test suite, ``compare`` and graders call these.

Each check measures, raises ``ParityError`` with a message that names what differs, and
returns its measurement so tests and notes can report it. Tolerances are measured on this
project's models in float32 (see docs/PARITY.md) — never guessed, never fuzzy where exactness
is possible (parameter counts are exact).
"""

from __future__ import annotations

import math
import statistics

import torch
from torch import nn

import numpy as np

from datamodules.torch_adapter import to_keras_layout, to_torch_layout
from twins.parity.counts import extra_torch_parameters, keras_counts, torch_counts
from twins.parity.measure import FORWARD_ATOL, TRAJECTORY_RTOL, ParityError, relative_difference
from twins.transfer import keras_to_torch, paired_layers, torch_tensors

# --- b. output shapes -----------------------------------------------------------------------------


def _keras_output(module, x: torch.Tensor) -> torch.Tensor:
    """What the Keras twin returns: ``keras_output`` of a Lightning twin, a plain component's output."""
    return module.keras_output(x) if hasattr(module, "keras_output") else module(x)


def output_shapes(lightning_model, keras_model, x: np.ndarray) -> tuple[tuple, tuple]:
    """``(keras shape, lightning shape)`` of the eval-mode outputs on ``x``, in Keras' layout."""
    with torch.no_grad():
        torch_shape = to_keras_layout(_keras_output(lightning_model.eval(), to_torch_layout(x))).shape
    return tuple(keras_model(x, training=False).shape), tuple(torch_shape)


def check_output_shapes(
    lightning_model, keras_model, x: np.ndarray, components: tuple[str, ...] = ()
) -> tuple:
    """Both twins map a real batch ``x`` to outputs of one shape; a model of several networks
    (``components``) network by network. Returns the (first) network's output shape."""
    shapes = []
    for name, torch_net, keras_net in networks(lightning_model, keras_model, components):
        net_x = component_input(keras_net, x) if name else x
        keras_shape, torch_shape = output_shapes(torch_net, keras_net, net_x)
        if torch_shape != keras_shape:
            raise ParityError(
                f"{name + ': ' if name else ''}output shapes differ: "
                f"keras {keras_shape}, lightning {torch_shape}"
            )
        shapes.append(keras_shape)
    return shapes[0]


# --- networks of several components (a GAN's generator and discriminator) ------------------------


def component_pairs(
    lightning_model, keras_model, names: tuple[str, ...]
) -> list[tuple[str, nn.Module, object]]:
    """``[(name, torch network, Keras network)]`` of the components a model's registration names
    (``twins.components`` in its config, e.g. a GAN's generator and discriminator; both twins have
    an attribute of each name). Check c counts the whole pair, then each component."""
    for name in names:
        for twin, framework in ((lightning_model, "lightning"), (keras_model, "keras")):
            if not hasattr(twin, name):
                raise ParityError(f"the {framework} twin has no component {name!r} (attribute) to check")
    return [(name, getattr(lightning_model, name), getattr(keras_model, name)) for name in names]


def networks(
    lightning_model, keras_model, components: tuple[str, ...]
) -> list[tuple[str | None, nn.Module, object]]:
    """What checks b and d compare: the twins themselves (name ``None``) or, for a model of several
    networks, each component in turn — the model's own forward is one of them (a GAN's generator)."""
    return (
        component_pairs(lightning_model, keras_model, components)
        if components
        else [(None, lightning_model, keras_model)]
    )


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


def check_parameter_counts(lightning_model, keras_model, components: tuple[str, ...] = ()) -> dict:
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
        raise ParityError(
            f"trainable parameters: keras {k['trainable']}, "
            f"lightning {t['trainable']} − explained {explained}"
        )
    if t["buffers"] != k["non_trainable"]:
        raise ParityError(
            f"non-trainable: keras {k['non_trainable']}, lightning buffers + frozen {t['buffers']}"
        )
    record = {"keras": k, "lightning": t, "explained": explained}
    parts = {
        name: in_component(name, check_parameter_counts, torch_net, keras_net)
        for name, torch_net, keras_net in component_pairs(lightning_model, keras_model, components)
    }
    return record | ({"components": parts} if parts else {})


# --- d. forward parity ----------------------------------------------------------------------------


def forward_max_abs_diff(lightning_model, keras_model, x: np.ndarray) -> float:
    """max |Δ| of the eval-mode outputs on ``x`` (weights as they are)."""
    with torch.no_grad():
        torch_out = to_keras_layout(_keras_output(lightning_model.eval(), to_torch_layout(x)))
    return float(np.max(np.abs(torch_out - np.asarray(keras_model(x, training=False)))))


def check_forward(
    lightning_model, keras_model, x: np.ndarray, atol: float = FORWARD_ATOL, components: tuple[str, ...] = ()
) -> float:
    """Copy the Keras weights into the Lightning twin, then compare outputs: max |Δ| ≤ ``atol``
    (a model of several networks: each component on its own input)."""
    keras_to_torch(keras_model, lightning_model)
    worst = 0.0
    for name, torch_net, keras_net in networks(lightning_model, keras_model, components):
        diff = forward_max_abs_diff(torch_net, keras_net, component_input(keras_net, x) if name else x)
        if not diff <= atol:
            prefix = f"{name}: " if name else ""
            raise ParityError(
                f"{prefix}forward outputs differ after weight transfer: max |Δ| = {diff:.3g} > {atol:g}"
            )
        worst = max(worst, diff)
    return worst


# --- e. trajectory parity -------------------------------------------------------------------------


def check_trajectory(keras_history: dict, lightning_history: dict, rtol: float = TRAJECTORY_RTOL) -> float:
    """Per-epoch histories of two fits from identical weights and batches agree within ``rtol``."""
    worst = 0.0
    for key, keras_values in keras_history.items():
        if key not in lightning_history:
            raise ParityError(f"trajectory: lightning history lacks {key!r}")
        difference = relative_difference(lightning_history[key], keras_values)
        if not difference <= rtol:
            raise ParityError(
                f"trajectory: {key} differs by {difference:.3g} (relative) > {rtol:g}: "
                f"keras {np.round(keras_values, 6).tolist()} vs "
                f"lightning {np.round(lightning_history[key], 6).tolist()}"
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
        "keras_mean": keras_mean,
        "keras_spread": max(keras_losses) - min(keras_losses),
        "lightning_mean": lightning_mean,
        "lightning_spread": max(lightning_losses) - min(lightning_losses),
        "relative_gap": gap,
    }
    if not all(map(math.isfinite, [*keras_losses, *lightning_losses])) or not gap <= band:
        raise ParityError(
            "converged validation loss: "
            f"keras {keras_mean:.4g} (seeds {np.round(keras_losses, 4).tolist()}), "
            f"lightning {lightning_mean:.4g} (seeds {np.round(lightning_losses, 4).tolist()}): "
            f"gap {gap:.1%} > band {band:.0%}"
        )
    return record
