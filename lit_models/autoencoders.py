"""The course's Day-3 autoencoders as LightningModules: ``DenseAutoencoder`` (``fashion_autoencoder``)
and ``DenoisingAutoencoder`` (``fashion_denoising_ae``).

Twin: ``keras_models/autoencoders.py`` (same names, same arguments). Both reconstruct their
target image: ``forward`` returns the reconstruction (the sigmoid is part of the network: the
MSE is taken on it, as in Keras), and ``encode`` returns the code.
"""

from __future__ import annotations

import math

from torch import nn

from jsonargparse.typing import PositiveFloat, PositiveInt

from .base import CourseModule
from .keras_compat.init import Init, apply_init_
from .keras_compat.layers import SameConv2d, SameConvTranspose2d


class DenseAutoencoder(CourseModule):
    """Flatten → Linear(code_units) → ReLU | Linear(h·w) → Sigmoid → reshape to the image.

    Shapes: x (batch, 28, 28) float32 in [0, 1] → code (batch, code_units) → (batch, 28, 28).

    Args:
        input_shape: one image, e.g. ``[28, 28]`` (from the datamodule).
        code_units: width of the code (the course's 64).
        init: ``"keras"`` (glorot-uniform weights, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int],
        code_units: PositiveInt = 64,
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 0.001,
        init: Init = "keras",
    ):
        super().__init__(code_units, "linear", loss, [], optimizer, learning_rate)
        pixels = math.prod(input_shape)
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(pixels, code_units),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(code_units, pixels),
            nn.Sigmoid(),
            nn.Unflatten(1, tuple(input_shape)),
        )
        apply_init_(self, init)

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class DenoisingAutoencoder(CourseModule):
    """Conv(16, 3, s2) → ReLU → Conv(8, 3, s2) → ReLU | ConvT(8, 3, s2) → ReLU → ConvT(16, 3, s2)
    → ReLU → Conv(1, 3) → Sigmoid; every conv Keras ``same`` (``keras_compat.layers``).

    Shapes (NCHW): x (batch, 1, 28, 28) noisy → code (batch, 8, 7, 7) → (batch, 1, 28, 28) clean.

    Args:
        input_shape: one image NHWC, e.g. ``[28, 28, 1]`` (from the datamodule).
        init: ``"keras"`` (glorot-uniform kernels, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int],
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 0.001,
        init: Init = "keras",
    ):
        super().__init__(1, "linear", loss, [], optimizer, learning_rate)
        channels = input_shape[-1]
        self.encoder = nn.Sequential(
            SameConv2d(channels, 16, 3, stride=2),
            nn.ReLU(),
            SameConv2d(16, 8, 3, stride=2),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            SameConvTranspose2d(8, 8, 3, stride=2),
            nn.ReLU(),
            SameConvTranspose2d(8, 16, 3, stride=2),
            nn.ReLU(),
            SameConv2d(16, channels, 3),
            nn.Sigmoid(),
        )
        apply_init_(self, init)

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encoder(x))
