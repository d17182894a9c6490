"""Exercise tabular_mlp (Day 1): write the Lightning twin of the Auto MPG regression network.

The Keras twin you must match (``keras_models/tabular_mlp.py``)::

    model = keras.Sequential([keras.Input(shape=(input_dim,))])
    for units in hidden_units:
        model.add(keras.layers.Dense(units, activation="relu"))
    model.add(keras.layers.Dense(output_units, activation=output_activation))
    model.compile(optimizer=keras.optimizers.get(optimizer) with learning_rate, loss=loss, metrics=metrics)

``mpg_regression`` builds it with input_dim 19, hidden_units [10, 10], output_units 1 (linear),
SGD(learning_rate=5e-4), MSE, MAE. The grader also builds both twins with ``optimizer="adam"``.

Replace each ``raise NotImplementedError("TODO ...")`` by your code, then run
``exercise check tabular_mlp``. It grades the output shapes, the parameter counts layer by
layer, the initial weights' distributions, the outputs after copying the Keras weights into
yours, one SGD step and one Adam step (loss, gradients, updates), and two epochs of training.

``CourseModule`` (``lit_models/base.py``) already maps the loss (``self.loss_fn``), the metrics
under Keras' names and the per-epoch logging; you write the network, its initialisation,
``forward`` and ``configure_optimizers``.
"""

from __future__ import annotations

from torch import nn  # noqa: F401  - you will need it

from lit_models.base import CourseModule
from lit_models.keras_compat.init import Init


class TabularMLP(CourseModule):
    """Input(input_dim) → [Linear(h) → ReLU] per hidden layer → Linear(output_units).

    Shapes: x (batch, input_dim) float32 → (batch, output_units): the regression value (for a
    classifier: the logits — ``keras_output`` applies the softmax the Keras twin ends with).

    Args:
        input_dim: number of input features (from the datamodule).
        hidden_units: width of each hidden ReLU layer, e.g. ``[10, 10]``.
        output_units, output_activation, loss, metrics: the Keras recipe (``CourseModule``).
        optimizer: a Keras optimizer name, ``"sgd"`` or ``"adam"``; learning_rate: its rate.
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"`` (torch's own).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_units: list[int],
        output_units: int = 1,
        output_activation: str = "linear",
        loss: str = "mse",
        metrics: list[str] = (),
        optimizer: str = "sgd",
        learning_rate: float = 0.01,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        self.save_hyperparameters()
        raise NotImplementedError(
            "TODO 1 (TabularMLP.__init__): build self.net = nn.Sequential(...): "
            "per hidden width an nn.Linear and an nn.ReLU (Keras' Dense(units, activation='relu')), "
            "then nn.Linear(width, output_units) with no activation"
        )
        # Keras starts Dense kernels glorot-uniform and biases at zero; torch's nn.Linear does not.
        raise NotImplementedError(
            "TODO 2 (TabularMLP.__init__): give the layers Keras' initialisation when init == 'keras' "
            "(lit_models/keras_compat/init.py has what you need)"
        )

    def forward(self, x):
        raise NotImplementedError(
            "TODO 3 (TabularMLP.forward): return the network's output for x (batch, input_dim)"
        )

    def configure_optimizers(self):
        """The torch twin of ``keras.optimizers.get(self.hparams.optimizer)`` with
        ``self.hparams.learning_rate``: Keras' ``"sgd"`` is SGD without momentum; Keras' ``"adam"``
        has epsilon 1e-7 and its own update rule (compare ``torch.optim.Adam``'s documentation with
        ``keras.optimizers.Adam``'s — lit_models/keras_compat/optim.py spells the difference out)."""
        raise NotImplementedError(
            "TODO 4 (TabularMLP.configure_optimizers): return the optimizer named by self.hparams.optimizer "
            "('sgd' or 'adam') with Keras' defaults and self.hparams.learning_rate"
        )
