"""Exercise autoencoder (Day 3): write the Lightning twin of the convolutional denoising autoencoder.

The Keras twin you must match (``keras_models/autoencoders.py``)::

    encoder = keras.Sequential([
        keras.Input(shape=input_shape),                                        # (28, 28, 1)
        keras.layers.Conv2D(16, 3, strides=2, activation="relu", padding="same"),
        keras.layers.Conv2D(8, 3, strides=2, activation="relu", padding="same"),
    ])                                                                         # → (7, 7, 8)
    decoder = keras.Sequential([
        keras.Input(shape=(7, 7, 8)),
        keras.layers.Conv2DTranspose(8, 3, strides=2, activation="relu", padding="same"),
        keras.layers.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same"),
        keras.layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
    ])                                                                         # → (28, 28, 1)
    model = keras.Sequential([keras.Input(shape=input_shape), encoder, decoder])  # Adam, MSE

Input: noisy images; target: the clean ones (the datamodule draws the noise). Your twin reads
and returns (batch, 1, 28, 28), channels first. Replace each ``raise NotImplementedError("TODO ...")``
by your code, then run ``exercise check autoencoder``.

The trap of this exercise is ``padding="same"`` with ``strides=2``. Read how TensorFlow pads a
strided "same" convolution (the odd pixel goes where?) and what a transposed convolution's
output size is in torch (``nn.ConvTranspose2d``: padding, output_padding) — then compare values,
not only shapes: the grader does. ``lit_models/keras_compat/layers.py`` has ready-made layers once you
have understood the difference.
"""

from __future__ import annotations

from torch import nn  # noqa: F401  - you will need it

from lit_models.base import CourseModule
from lit_models.keras_compat.init import Init, apply_init_  # noqa: F401  - apply_init_: yours to call


class DenoisingAutoencoder(CourseModule):
    """Conv(16, 3, s2) → ReLU → Conv(8, 3, s2) → ReLU | ConvT(8, 3, s2) → ReLU → ConvT(16, 3, s2)
    → ReLU → Conv(1, 3) → Sigmoid; every convolution Keras ``same``.

    Shapes (NCHW): x (batch, 1, 28, 28) noisy → code (batch, 8, 7, 7) → (batch, 1, 28, 28) clean.
    The sigmoid is part of the network (the MSE is taken on it, as in Keras).

    Args:
        input_shape: one image, Keras layout ``[28, 28, 1]`` (from the datamodule).
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int],
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        init: Init = "keras",
    ):
        super().__init__(1, "linear", loss, [], optimizer, learning_rate)
        self.save_hyperparameters()
        channels = input_shape[-1]  # noqa: F841 - the decoder you write below ends in `channels`
        raise NotImplementedError(
            "TODO 1 (DenoisingAutoencoder.__init__): self.encoder = nn.Sequential(...): "
            "two stride-2 convolutions that pad like Keras' 'same' (28 → 14 → 7), each followed by nn.ReLU"
        )
        raise NotImplementedError(
            "TODO 2 (DenoisingAutoencoder.__init__): self.decoder = nn.Sequential(...): "
            "two stride-2 transposed convolutions like Keras' Conv2DTranspose(padding='same') "
            "(7 → 14 → 28) with nn.ReLU, then a 'same' Conv2d to `channels` and nn.Sigmoid"
        )
        raise NotImplementedError(
            "TODO 3 (DenoisingAutoencoder.__init__): Keras' initialisation when init == 'keras'"
        )

    def encode(self, x):
        """The code (batch, 8, 7, 7) of ``x`` (the course shows the codes in 2-D)."""
        return self.encoder(x)

    def forward(self, x):
        raise NotImplementedError("TODO 4 (DenoisingAutoencoder.forward): decode the code of x")
