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
    """Re-initialise every Linear/Conv/Embedding/RNN layer of ``module`` in place like Keras does."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.Embedding):
            nn.init.uniform_(layer.weight, -0.05, 0.05)  # Keras Embedding: uniform(-0.05, 0.05)
        elif isinstance(layer, nn.RNNBase):
            keras_recurrent_init_(layer)


def keras_recurrent_init_(rnn: nn.RNNBase) -> None:
    """Keras' SimpleRNN/LSTM init: glorot-uniform kernels, orthogonal recurrent kernels, zero
    biases, and for an LSTM the forget-gate block of the bias at 1 (``unit_forget_bias``).
    Gate order i, f, c(g), o is the same in both frameworks; torch's second bias ``bias_hh`` is 0."""
    for name, parameter in rnn.named_parameters():
        if name.startswith("weight_ih"):
            # (gates·u, in): fan_in = in, fan_out = gates·u, as Keras' (in, gates·u)
            nn.init.xavier_uniform_(parameter)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(parameter)
        else:
            nn.init.zeros_(parameter)
            if isinstance(rnn, nn.LSTM) and name.startswith("bias_ih"):
                nn.init.ones_(parameter[rnn.hidden_size : 2 * rnn.hidden_size])


def apply_init_(module: nn.Module, init: Init) -> None:
    if init == "keras":
        keras_init_(module)
    elif init != "torch":
        raise ValueError(f"init must be 'keras' or 'torch', got {init!r}")
