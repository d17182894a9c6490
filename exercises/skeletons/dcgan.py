"""Exercise dcgan (Day 3): write the Lightning twin of the course's DCGAN, with manual optimization.

The Keras twin you must match (``keras_models/dcgan.py``, the TensorFlow DCGAN tutorial)::

    generator = keras.Sequential([
        keras.Input(shape=(noise_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    discriminator = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(dropout),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(dropout),
        layers.Flatten(),
        layers.Dense(1),                                    # a logit
    ])
    # model(noise) is the generator, as the Lightning twin's forward(noise).
    # train_step, per batch of (real images, noise): one forward of both networks under two
    # GradientTapes; d_loss = BCE(real → 1) + BCE(fake → 0), g_loss = BCE(fake → 1), from logits;
    # the generator's Adam(learning_rate) steps with ∂g_loss, the discriminator's with ∂d_loss.

Every Keras default above has a torch counterpart with *another* default: BatchNormalization
(momentum, epsilon, how the moving variance is updated), LeakyReLU (its slope), Reshape (which
axis is the channel), strided ``same`` (transposed) convolutions, Adam. The grader checks the
generator and the discriminator one by one, then one full GAN step (losses, gradients, updates
of both networks including the BatchNorm running statistics), then two epochs of training.
``lit_models/keras_compat/layers.py`` and ``lit_models/keras_compat/optim.py`` hold torch layers and
optimizers with Keras' behaviour — use them once you know which default each one fixes.

Replace each ``raise NotImplementedError("TODO ...")`` by your code, then run ``exercise check dcgan``.
"""

from __future__ import annotations

import math  # noqa: F401  - you may need it

import torch  # noqa: F401  - you will need it
from torch import nn
from torch.nn import functional as F

import lightning as L

from lit_models.keras_compat.init import Init, apply_init_


class Generator(nn.Module):
    """noise (batch, noise_dim) → image (batch, C, 28, 28) in [−1, 1] (tanh), the Keras generator above."""

    def __init__(self, noise_dim: int, channels: int = 1):
        super().__init__()
        raise NotImplementedError(
            "TODO 1 (Generator.__init__): self.net = nn.Sequential(...) like "
            "the Keras generator: Linear without bias, BatchNorm, LeakyReLU, "
            "the Reshape to 7×7×256 (as an nn.Module), then the three transposed convolutions"
        )

    def forward(self, noise):
        return self.net(noise)


class Discriminator(nn.Module):
    """image (batch, C, 28, 28) → logit (batch, 1), the Keras discriminator above."""

    def __init__(self, input_shape: list[int], dropout: float = 0.3):
        super().__init__()
        raise NotImplementedError(
            "TODO 2 (Discriminator.__init__): self.net = nn.Sequential(...) "
            "like the Keras discriminator: two stride-2 'same' convolutions with "
            "LeakyReLU and nn.Dropout(dropout), then nn.Flatten and nn.Linear(..., 1)"
        )

    def forward(self, images):
        return self.net(images)


class DCGAN(L.LightningModule):
    """The GAN, like Lightning's own GAN example: ``forward(noise)`` = the generator's images;
    the discriminator (``self.discriminator``) returns logits.

    Args:
        input_shape: one image NHWC, ``[28, 28, 1]`` (from the datamodule).
        noise_dim: length of a latent vector (the course's 100).
        learning_rate: of both Adam optimizers (the course's 1e-4).
        dropout: the discriminator's dropout (0.3).
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int],
        noise_dim: int = 100,
        learning_rate: float = 1e-4,
        dropout: float = 0.3,
        init: Init = "keras",
    ):
        super().__init__()
        self.save_hyperparameters()
        self.generator = Generator(noise_dim, input_shape[-1])
        self.discriminator = Discriminator(input_shape, dropout)
        self.loss_fn = F.binary_cross_entropy_with_logits
        apply_init_(self, init)
        raise NotImplementedError(
            "TODO 3 (DCGAN.__init__): two networks, two optimizers, "
            "stepped by you in training_step — tell Lightning"
        )

    def forward(self, noise):
        return self.generator(noise)

    def adversarial_losses(self, real, noise) -> dict:
        """``{"d_loss", "g_loss", "loss"}`` of one forward of both networks (``loss`` = their sum):
        d_loss = BCE(real → 1) + BCE(fake → 0), g_loss = BCE(fake → 1), on logits (``self.loss_fn``)."""
        raise NotImplementedError(
            "TODO 4 (DCGAN.adversarial_losses): fake = self(noise); "
            "the discriminator's logits of real and fake; the three losses"
        )

    def training_step(self, batch, batch_idx):
        """Both gradients from ONE forward (the TF tutorial's two tapes), then both steps. Hint:
        ``self.manual_backward(loss, inputs=[...], retain_graph=...)`` limits a backward pass to
        some parameters."""
        real, noise = batch  # noqa: RUF059 - the step you write below reads both
        raise NotImplementedError(
            "TODO 5 (DCGAN.training_step): g_opt, d_opt = self.optimizers(); "
            "losses = self.adversarial_losses(...); zero both; "
            "manual_backward g_loss (generator's parameters) and d_loss (discriminator's); step both; "
            "then self.log_losses(losses, 'train', len(real))"
        )

    def validation_step(self, batch, batch_idx):
        real, noise = batch
        self.log_losses(self.adversarial_losses(real, noise), "val", len(real))

    def test_step(self, batch, batch_idx):
        real, noise = batch
        self.log_losses(self.adversarial_losses(real, noise), "test", len(real))

    def log_losses(self, losses: dict, stage: str, batch_size: int) -> None:
        """``{stage}/d_loss``, ``g_loss``, ``loss`` as epoch means (what the grader compares with Keras')."""
        for name, value in losses.items():
            self.log(f"{stage}/{name}", value.detach(), on_step=False, on_epoch=True, batch_size=batch_size)

    def configure_optimizers(self):
        """The generator's optimizer first, then the discriminator's: Keras' Adam(learning_rate) each."""
        raise NotImplementedError(
            "TODO 6 (DCGAN.configure_optimizers): "
            "(generator's Adam, discriminator's Adam) with Keras' update rule"
        )
