"""Keras' default initialisers for torch modules, so both twins start from the same distributions.

Keras: ``glorot_uniform`` kernels and zero biases for Dense/Conv. torch: ``kaiming_uniform_(a=sqrt(5))``
and U(±1/sqrt(fan_in)) biases. ``init="keras"`` (the twins' default) applies the Keras scheme;
``init="torch"`` keeps torch's own. Equal distributions, not equal numbers: parity tests copy weights.
"""
from __future__ import annotations

from typing import Literal

from torch import nn

Init = Literal["keras", "torch"]


def keras_init_(module: nn.Module) -> None:
    """Re-initialise every Linear/Conv layer of ``module`` in place like Keras does."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def apply_init_(module: nn.Module, init: Init) -> None:
    if init == "keras":
        keras_init_(module)
    elif init != "torch":
        raise ValueError(f"init must be 'keras' or 'torch', got {init!r}")
