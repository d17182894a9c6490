"""Exercise cnn (Day 1): write the Lightning twin of the course's convolutional classifier.

The Keras twin you must match (``keras_models/image_classifiers.py``)::

    model = keras.Sequential([keras.Input(shape=input_shape)])          # (H, W, C): channels last
    for block in conv_blocks:
        for filters, kernel in block:
            model.add(keras.layers.Conv2D(filters, kernel, activation="relu", padding="same"))
        model.add(keras.layers.MaxPooling2D(2))
    model.add(keras.layers.Flatten())
    for units in dense_units:
        model.add(keras.layers.Dense(units, activation="relu"))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(output_units, activation="softmax"))

``mnist_cnn`` (graded here on 16×16 digits) builds it with conv_blocks ``[[[32, 3]], [[64, 3]]]``,
dense_units ``[64]``, no dropout, 10 classes, SGD(0.01), sparse categorical cross-entropy.

Your twin receives images **channels first**, (batch, C, H, W), as torch convolutions want them.
Replace each ``raise NotImplementedError("TODO ...")`` by your code, then run ``exercise check cnn``.

``CourseModule`` (``lit_models/base.py``) already maps the loss, the metrics, the optimizer
(Keras' ``"sgd"``) and the logging; you write the layers, their initialisation and ``forward``.
"""

from __future__ import annotations

from torch import nn  # noqa: F401  - you will need it

from lit_models.base import CourseModule
from lit_models.keras_compat.init import Init, apply_init_  # noqa: F401  - apply_init_: yours to call


class ConvClassifier(CourseModule):
    """Conv blocks → Flatten → dense head, the course's CNNs.

    Shapes: x (batch, C, H, W) float32 → **logits** (batch, output_units): ``forward`` ends with
    the last Linear; ``keras_output`` (from CourseModule) applies the softmax the Keras twin ends
    with, and the loss (``F.cross_entropy``) expects logits.

    Args:
        input_shape: one image in Keras' layout ``[H, W, C]`` (from the datamodule).
        conv_blocks: e.g. ``[[[32, 3]], [[64, 3]]]``: per block, ``[filters, kernel]`` per conv
            layer (each a Keras ``Conv2D(filters, kernel, activation="relu", padding="same")``),
            then ``MaxPooling2D(2)``.
        dense_units: hidden widths of the head, e.g. ``[64]``; dropout: rate of the Dropout after
            each hidden dense layer (0: no Dropout layers).
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int] = (28, 28, 1),
        conv_blocks: list[list[list[int]]] = (((32, 3),), ((64, 3),)),
        dense_units: list[int] = (64,),
        dropout: float = 0.0,
        output_units: int = 10,
        output_activation: str = "softmax",
        loss: str = "sparse_categorical_crossentropy",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "sgd",
        learning_rate: float = 0.01,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        self.save_hyperparameters()
        height, width, channels = input_shape  # noqa: RUF059 - your layers below need these sizes
        # Keras padding="same" keeps H and W at stride 1; torch's nn.Conv2d pads nothing unless told.
        # MaxPooling2D(2) halves H and W, rounding down (so does nn.MaxPool2d(2)).
        raise NotImplementedError(
            "TODO 1 (ConvClassifier.__init__): build self.features = nn.Sequential(...): "
            "per block, per [filters, kernel] an nn.Conv2d(channels, filters, kernel, padding=...) "
            "that keeps the size + nn.ReLU, then nn.MaxPool2d(2)"
        )
        # The head reads the flattened feature maps: how many features reach the first Linear?
        raise NotImplementedError(
            "TODO 2 (ConvClassifier.__init__): build self.classifier = "
            "nn.Sequential(nn.Flatten(), ...): per dense width nn.Linear + nn.ReLU "
            "(+ nn.Dropout(dropout) when dropout > 0), then nn.Linear(width, output_units)"
        )
        raise NotImplementedError(
            "TODO 3 (ConvClassifier.__init__): Keras' initialisation when init == 'keras'"
        )

    def forward(self, x):
        """(batch, C, H, W) → logits (batch, output_units). Keras' Flatten sees (H, W, C); yours sees
        (C, H, W). Which order must reach your first Linear so that it computes what Keras' first
        Dense computes once the weights are copied? (``twins/transfer/dense.py`` copies them: read
        its docstring.)"""
        raise NotImplementedError("TODO 4 (ConvClassifier.forward): features, then classifier")
