"""The course's Day-1 image classifiers as LightningModules: ``ImageMLP`` and ``ConvClassifier``.

Twin: ``keras_models/image_classifiers.py`` (same names, same arguments). Used by
``fashion_mlp`` (ImageMLP), ``fashion_cnn`` and ``mnist_cnn`` (ConvClassifier); the sizes come
from ``configs/<id>.yaml``. Inputs arrive channels-first (N, C, H, W) from the torch adapter.
"""

from __future__ import annotations

from torch import nn

from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt

from .base import CourseModule
from .keras_compat.init import Init, apply_init_


def dense_head(width: int, dense_units: list[int], dropout: float, output_units: int) -> list[nn.Module]:
    """[Linear(u) → ReLU → Dropout(dropout)?] per hidden width, then Linear(output_units) (logits)."""
    layers = []
    for units in dense_units:
        layers.append(nn.Linear(width, units))
        layers.append(nn.ReLU())
        layers += [nn.Dropout(dropout)] if dropout else []
        width = units
    return [*layers, nn.Linear(width, output_units)]


def check_odd_kernels(conv_blocks) -> None:
    """Keras ``padding="same"`` (stride 1) equals torch ``padding=k // 2`` only for odd ``k``."""
    for block in conv_blocks:
        for _filters, kernel in block:
            if kernel % 2 == 0:
                raise ValueError(
                    f"kernel size {kernel} is even: 'same' padding of the twins needs odd kernels"
                )


class ImageMLP(CourseModule):
    """Flatten(input_shape) → [Linear(h) → ReLU] per hidden layer → Linear(output_units).

    Shapes: x (batch, C, H, W) float32 → logits (batch, output_units); ``keras_output`` applies
    the softmax the Keras twin ends with. (C = 1 for the course's images, so torch's C,H,W
    flatten order equals Keras' H,W,C order; ``twins.transfer_conv`` handles C > 1.)

    Args:
        input_shape: one image, Keras layout ``[H, W, C]`` (from the datamodule).
        hidden_units: width of each hidden ReLU layer, e.g. ``[300, 100]``.
        init: ``"keras"`` (glorot-uniform weights, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int] = (28, 28, 1),
        hidden_units: list[PositiveInt] = (300, 100),
        output_units: PositiveInt = 10,
        output_activation: str = "softmax",
        loss: str = "sparse_categorical_crossentropy",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "sgd",
        learning_rate: PositiveFloat = 0.01,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        height, width, channels = input_shape
        self.net = nn.Sequential(
            nn.Flatten(),
            *dense_head(height * width * channels, list(hidden_units), 0.0, output_units),
        )
        apply_init_(self.net, init)

    def forward(self, x):
        return self.net(x)


class ConvClassifier(CourseModule):
    """Conv blocks → Flatten → dense head, the course's CNNs.

    Each block is ``[[filters, kernel], ...]``: Conv2d(filters, kernel, padding=kernel // 2) → ReLU
    per entry (Keras ``Conv2D(..., "relu", padding="same")``), then MaxPool2d(2). The head is
    [Linear(u) → ReLU → Dropout(dropout)] per ``dense_units`` entry, then Linear(output_units).

    Shapes: x (batch, C, H, W) float32 → logits (batch, output_units). The Flatten sees
    (C, H', W') here and (H', W', C) in Keras: ``twins.transfer_conv`` reorders the first Dense
    kernel's rows when weights are copied, so this twin keeps a plain ``nn.Flatten``.

    Args:
        input_shape: one image, Keras layout ``[H, W, C]`` (from the datamodule).
        conv_blocks: e.g. ``[[[32, 3]], [[64, 3]]]`` for Conv(32,3)-Pool-Conv(64,3)-Pool.
        dense_units: hidden widths of the head, e.g. ``[64, 64]``.
        dropout: rate of the Dropout after each hidden dense layer (0: no Dropout layers).
        init: ``"keras"`` (glorot-uniform weights, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int] = (28, 28, 1),
        conv_blocks: list[list[list[PositiveInt]]] = (((32, 3),), ((64, 3),)),
        dense_units: list[PositiveInt] = (64,),
        dropout: ClosedUnitInterval = 0.0,
        output_units: PositiveInt = 10,
        output_activation: str = "softmax",
        loss: str = "sparse_categorical_crossentropy",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "sgd",
        learning_rate: PositiveFloat = 0.01,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        check_odd_kernels(conv_blocks)
        height, width, channels = input_shape
        layers = []
        for block in conv_blocks:
            for filters, kernel in block:
                layers.append(nn.Conv2d(channels, filters, kernel, padding=kernel // 2))
                layers.append(nn.ReLU())
                channels = filters
            layers.append(nn.MaxPool2d(2))  # floor division, like Keras' MaxPooling2D(2) "valid"
            height, width = height // 2, width // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            *dense_head(channels * height * width, list(dense_units), dropout, output_units),
        )
        apply_init_(self, init)

    def forward(self, x):
        return self.classifier(self.features(x))
