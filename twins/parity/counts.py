"""Parameter counts of both twins, and the structural differences explained from the modules.

Keras counts trainable weights and non-trainable weights (e.g. BatchNorm moving statistics).
torch counts trainable parameters and buffers (``num_batches_tracked`` counters excluded;
frozen parameters count with the buffers, as Keras counts frozen weights as non-trainable).
Where torch has parameters Keras has not (a second recurrent bias), ``explained_difference``
computes them layer by layer from the torch module.
"""

from __future__ import annotations

import math

from torch import nn

from twins.transfer import torch_weighted_modules


def keras_counts(model) -> dict:
    """``{"trainable", "non_trainable"}`` of a Keras model."""
    return {
        "trainable": sum(math.prod(w.shape) for w in model.trainable_weights),
        "non_trainable": sum(math.prod(w.shape) for w in model.non_trainable_weights),
    }


def torch_counts(module: nn.Module) -> dict:
    """``{"trainable", "buffers"}``: trainable parameters; buffers + frozen parameters."""
    buffers = sum(b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked"))
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    return {
        "trainable": sum(p.numel() for p in module.parameters() if p.requires_grad),
        "buffers": buffers + frozen,
    }


def extra_torch_parameters(module: nn.Module) -> list[tuple[str, int, str]]:
    """``[(module name, count, reason)]`` for every torch parameter with no Keras counterpart."""
    extras = []
    names = {m: n for n, m in module.named_modules()}
    for layer in torch_weighted_modules(module):
        if isinstance(layer, nn.RNNBase) and layer.bias:
            count = sum(p.numel() for n, p in layer.named_parameters() if n.startswith("bias_hh"))
            extras.append(
                (
                    names[layer],
                    count,
                    "torch keeps a second recurrent bias (bias_hh) per layer and direction; Keras has one",
                )
            )
    return extras
