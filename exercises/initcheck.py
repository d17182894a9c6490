"""Do the participant's fresh weights come from the same distributions as the reference twin's?

Parity checks copy weights, so they never see the initialisation; this check does. Both models
are built under several seeds and compared tensor by tensor (paired in the weight transfer's
order): a tensor the reference initialises deterministically (zero biases, BatchNorm's ones,
an LSTM's forget-gate bias of 1, K-Means' zeros) must start exactly there; a random one must
have the same spread (std) and centre, and be orthogonal where the reference's is (recurrent
kernels). Draws are pooled until the smallest random tensor has ~500 values, so the spread of a
correct twin is within a few percent and torch's default init (kaiming-uniform, about half
Keras' glorot spread for these layers) is far outside.
"""

from __future__ import annotations

import math

import numpy as np

from twins.transfer import keras_weighted_layers, torch_tensors, torch_weighted_modules

POOLED_VALUES = 500


def torch_weights(model) -> list[tuple[str, np.ndarray]]:
    """``[(label, array)]`` of every parameter and buffer, in the weight transfer's order."""
    names = {module: name for name, module in model.named_modules()}
    out = []
    for module in torch_weighted_modules(model):
        tensor_names = [n for n, _ in module.named_parameters(recurse=False)]
        tensor_names += [n for n, _ in module.named_buffers(recurse=False) if n != "num_batches_tracked"]
        for name, tensor in zip(tensor_names, torch_tensors(module)):
            out.append(
                (f"{type(module).__name__} '{names[module]}' {name}", tensor.detach().cpu().numpy().copy())
            )
    return out


def keras_weights(model) -> list[tuple[str, np.ndarray]]:
    """``[(label, array)]`` of every Keras weight, in the weight transfer's order (layers by
    position: Keras numbers its automatic layer names on, model after model)."""
    return [
        (f"{type(layer).__name__} layer {index} {w.name}", np.asarray(w).copy())
        for index, layer in enumerate(keras_weighted_layers(model), start=1)
        for w in layer.weights
    ]


def _orthogonal(array: np.ndarray) -> bool:
    if array.ndim != 2:
        return False
    small = array if array.shape[0] <= array.shape[1] else array.T
    return bool(np.allclose(small @ small.T, np.eye(len(small)), atol=1e-4))


def describe_constant(array: np.ndarray) -> str:
    """A deterministic tensor in words: "all zeros", "all 1", "0 except 1 at [20:40]"."""
    flat = array.ravel()
    if flat.size and np.all(flat == flat[0]):
        return "all zeros" if flat[0] == 0 else f"all {flat[0]:g}"
    values = np.unique(flat)
    if len(values) == 2 and 0 in values:
        where = np.flatnonzero(flat)
        if where[-1] - where[0] + 1 == len(where):
            return f"0 except {values[values != 0][0]:g} at [{where[0]}:{where[-1] + 1}]"
    return f"values {flat.min():.3g} … {flat.max():.3g}"


def describe_random(arrays: list[np.ndarray]) -> str:
    pooled = np.concatenate([a.ravel() for a in arrays])
    orthogonal = " (orthogonal)" if all(map(_orthogonal, arrays)) else ""
    return f"std {pooled.std():.3g}, max |w| {np.abs(pooled).max():.3g}{orthogonal}"


def random_tensor_sizes(first, second) -> list[int]:
    """Sizes of the tensors that differ between two draws (the randomly initialised ones)."""
    return [
        a.size for (_, a), (_, b) in zip(first, second) if a.shape == b.shape and not np.array_equal(a, b)
    ]


def draws_needed(first, second, most: int) -> int:
    sizes = random_tensor_sizes(first, second)
    return 2 if not sizes else max(2, min(most, math.ceil(POOLED_VALUES / min(sizes))))


def compare_tensor(yours: list[np.ndarray], reference: list[np.ndarray]) -> str | None:
    """Why one tensor's draws do not follow the reference's distribution, or None."""
    if yours[0].shape != reference[0].shape:
        return f"shape {yours[0].shape}, reference {reference[0].shape}"
    if all(np.array_equal(reference[0], r) for r in reference[1:]):  # deterministic in the reference
        if np.allclose(yours[0], reference[0], atol=1e-6):
            return None
        mine = (
            describe_constant(yours[0])
            if all(np.array_equal(yours[0], y) for y in yours[1:])
            else describe_random(yours)
        )
        return f"starts as {mine}, the reference as {describe_constant(reference[0])}"
    if all(np.array_equal(yours[0], y) for y in yours[1:]):
        return (
            f"is the same at every seed ({describe_constant(yours[0])}), "
            f"the reference draws it at random ({describe_random(reference)})"
        )
    mine, theirs = np.concatenate([y.ravel() for y in yours]), np.concatenate([r.ravel() for r in reference])
    allowed = max(0.15, 6.0 / math.sqrt(min(mine.size, theirs.size)))  # ≥ 6 standard errors of the estimates
    spread_off = abs(math.log(max(mine.std(), 1e-12) / theirs.std())) > allowed
    centre_off = abs(mine.mean() - theirs.mean()) > allowed * theirs.std()
    orthogonal_off = all(map(_orthogonal, reference)) and not all(map(_orthogonal, yours))
    if spread_off or centre_off or orthogonal_off:
        return (
            f"{describe_random(yours)}, mean {mine.mean():.3g}; "
            f"reference {describe_random(reference)}, mean {theirs.mean():.3g}"
        )
    return None


def compare(yours: list[list], reference: list[list]) -> list[str]:
    """Mismatches (one line each) between the participant's draws and the reference's; each
    draw is a ``[(label, array)]`` list from ``torch_weights``/``keras_weights``."""
    if len(yours[0]) != len(reference[0]):
        return [f"your model has {len(yours[0])} weight tensors, the reference {len(reference[0])}"]
    problems = []
    for index, ((label, _), (ref_label, _)) in enumerate(zip(yours[0], reference[0])):
        why = compare_tensor([draw[index][1] for draw in yours], [draw[index][1] for draw in reference])
        if why:
            problems.append(f"{label}: {why}" + (f" (reference: {ref_label})" if ref_label != label else ""))
    return problems
