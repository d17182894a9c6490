"""Sequence regressors of Day 2 as LightningModules: the time-series twins and Jena's LSTM.

Twin: ``keras_models/sequence_regressor.py`` (same names, same arguments).

- ``SequenceLinear`` — ``series_linear``: Flatten → Dense(1).
- ``SequenceRNN`` — ``series_simple_rnn``, ``series_lstm`` (two stacked layers of 20) and
  ``jena_lstm`` (one LSTM(32)): stacked SimpleRNN/LSTM layers, the last one's final output → Dense(1).
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import CourseModule
from .keras_compat.init import Init, apply_init_
from .keras_compat.recurrent import keras_rnn, last_output


class SequenceLinear(CourseModule):
    """Flatten(steps × features) → Linear(output_units).

    Shapes: x (batch, steps, features) float32 → (batch, output_units).

    Args:
        input_shape: ``[steps, features]`` of one sample (from the datamodule).
    """

    def __init__(
        self,
        input_shape: list[int],
        output_units: PositiveInt = 1,
        output_activation: str = "linear",
        loss: str = "mse",
        metrics: list[str] = (),
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 0.001,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        steps, features = input_shape
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(steps * features, output_units),
        )
        apply_init_(self.net, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SequenceRNN(CourseModule):
    """[SimpleRNN|LSTM](u₁, return_sequences) → … → [SimpleRNN|LSTM](u_k) → Linear(output_units).

    Shapes: x (batch, steps, features) float32 → (batch, output_units). Each recurrent layer is
    a one-layer ``nn.RNN``/``nn.LSTM`` with Keras' single bias (``lit_models/keras_compat/recurrent.py``).

    Args:
        input_shape: ``[steps, features]`` of one sample (from the datamodule).
        cell: ``"simple_rnn"`` or ``"lstm"``.
        units: width of each recurrent layer, e.g. ``[20, 20]``.
    """

    def __init__(
        self,
        input_shape: list[int],
        cell: str = "lstm",
        units: list[PositiveInt] = (20, 20),
        output_units: PositiveInt = 1,
        output_activation: str = "linear",
        loss: str = "mse",
        metrics: list[str] = (),
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 0.001,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        widths = [input_shape[-1], *units]
        self.recurrent = nn.ModuleList(keras_rnn(cell, n_in, n_out) for n_in, n_out in pairwise(widths))
        self.head = nn.Linear(widths[-1], output_units)
        apply_init_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for rnn in self.recurrent[:-1]:
            x = rnn(x)[0]  # return_sequences=True
        return self.head(last_output(self.recurrent[-1], x))
