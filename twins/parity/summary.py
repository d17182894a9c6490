"""``summarize``: the ``twins summary`` record of a twin pair — parameter counts of both
frameworks, output shapes, and torch's structural extras explained (computed, never typed in)."""

from __future__ import annotations

from torch import nn

from twins.parity.checks import component_input, component_pairs, output_shapes
from twins.parity.counts import extra_torch_parameters, keras_counts, torch_counts


def explained_difference(module: nn.Module) -> dict | None:
    """``{"count", "reason"}`` of torch's extra trainable parameters, or ``None`` when there are none."""
    extras = extra_torch_parameters(module)
    if not extras:
        return None
    reason = "; ".join(f"{name}: {count} ({why})" for name, count, why in extras)
    return {"count": sum(count for _, count, _ in extras), "reason": reason}


def output_shape(shape) -> list:
    """A batch output shape with the batch dimension written as ``None`` (Keras style)."""
    return [None, *list(shape)[1:]]


def summarize(
    lightning_model: nn.Module, keras_model, sample_batch, components: tuple[str, ...] = ()
) -> dict:
    """The ``summary --json`` record of one network pair, computed on a real batch. A model of
    several networks (a GAN) also reports each one, in the same shape; its own output shape is
    that of its first network (the model's forward: the generator)."""
    parts = {
        name: summarize(torch_net, keras_net, component_input(keras_net, sample_batch))
        for name, torch_net, keras_net in component_pairs(lightning_model, keras_model, components)
    }
    if parts:
        first = next(iter(parts.values()))
        keras_shape, torch_shape = first["keras"]["output_shape"], first["lightning"]["output_shape"]
    else:
        keras_shape, torch_shape = output_shapes(lightning_model, keras_model, sample_batch)
    record = {
        "keras": {**keras_counts(keras_model), "output_shape": output_shape(keras_shape)},
        "lightning": {**torch_counts(lightning_model), "output_shape": output_shape(torch_shape)},
        "explained_difference": explained_difference(lightning_model),
    }
    return record | ({"components": parts} if parts else {})
