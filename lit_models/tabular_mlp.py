"""``TabularMLP``: the course's Day-1 dense networks as a LightningModule.

Twin: ``keras_models/tabular_mlp.py`` (same name, same arguments). Used by ``mpg_regression``,
``mpg_classification``, ``iris_mlp`` and ``csv_regression``; ``configs/<id>.yaml`` sets the sizes.
"""

from __future__ import annotations

from torch import nn

from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import CourseModule
from .keras_compat.init import Init, apply_init_


class TabularMLP(CourseModule):
    """Input(input_dim) → [Linear(h) → ReLU] per hidden layer → Linear(output_units).

    Shapes: x (batch, input_dim) float32 → (batch, output_units): the regression value or the
    class logits (``keras_output`` applies the softmax the Keras twin ends with).

    Args:
        input_dim: number of input features (from the datamodule).
        hidden_units: width of each hidden ReLU layer, e.g. ``[10, 10]``.
        init: ``"keras"`` (glorot-uniform weights, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_dim: int,
        hidden_units: list[PositiveInt],
        output_units: PositiveInt = 1,
        output_activation: str = "linear",
        loss: str = "mse",
        metrics: list[str] = (),
        optimizer: str = "sgd",
        learning_rate: PositiveFloat = 0.01,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        layers, width = [], input_dim
        for units in hidden_units:
            layers.append(nn.Linear(width, units))
            layers.append(nn.ReLU())
            width = units
        layers.append(nn.Linear(width, output_units))
        self.net = nn.Sequential(*layers)
        apply_init_(self.net, init)

    def forward(self, x):
        return self.net(x)
