"""``DCGAN``: the course's Day-3 deep convolutional GAN (the TensorFlow DCGAN tutorial) as a
LightningModule with manual optimization, written like Lightning's own GAN example: ``forward``
is the generator, ``training_step`` spells out both optimizer steps. Model id ``mnist_dcgan``.

Twin: ``keras_models/dcgan.py`` (same names, same arguments). Per batch of (real images, noise):
one forward of both networks, then one generator step and one discriminator step, each with its
own Adam (Keras' update rule, ``KerasAdam``); losses are binary cross-entropy from logits:
discriminator = BCE(real → 1) + BCE(fake → 0), generator = BCE(fake → 1). Both gradients come
from the same forward (the tutorial's two tapes), so neither network sees the other's update
within a batch.
Keras defaults mapped: LeakyReLU slope 0.3, BatchNorm epsilon 1e-3 / momentum 0.99 with the
biased moving variance (``keras_compat.layers``), ``same`` (transposed) convolutions.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

import lightning as L
from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt

from .keras_compat.init import Init, apply_init_
from .keras_compat.layers import KerasBatchNorm1d, KerasBatchNorm2d, SameConv2d, SameConvTranspose2d
from .keras_compat.optim import make_optimizer

LEAKY_SLOPE = 0.3  # keras.layers.LeakyReLU() default


class ChannelsLastReshape(nn.Module):
    """Keras ``Reshape((h, w, c))`` of a feature vector, returned NCHW: the vector is read in
    Keras' (h, w, c) order, so the Dense and BatchNorm weights before it copy unchanged."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.view(len(x), *self.shape).permute(0, 3, 1, 2)


class Generator(nn.Module):
    """noise (batch, noise_dim) → image (batch, C, 28, 28) in [−1, 1] (tanh).

    Linear(7·7·256, no bias) → BN → LeakyReLU → reshape (7, 7, 256) → ConvT(128, 5, s1) → BN →
    LeakyReLU → ConvT(64, 5, s2) → BN → LeakyReLU → ConvT(C, 5, s2) → tanh; no conv biases.
    """

    def __init__(self, noise_dim: PositiveInt, channels: PositiveInt = 1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(noise_dim, 7 * 7 * 256, bias=False),
            KerasBatchNorm1d(7 * 7 * 256),
            nn.LeakyReLU(LEAKY_SLOPE),
            ChannelsLastReshape((7, 7, 256)),
            SameConvTranspose2d(256, 128, 5, stride=1, bias=False),
            KerasBatchNorm2d(128),
            nn.LeakyReLU(LEAKY_SLOPE),
            SameConvTranspose2d(128, 64, 5, stride=2, bias=False),
            KerasBatchNorm2d(64),
            nn.LeakyReLU(LEAKY_SLOPE),
            SameConvTranspose2d(64, channels, 5, stride=2, bias=False),
            nn.Tanh(),
        )

    def forward(self, noise):
        return self.net(noise)


class Discriminator(nn.Module):
    """image (batch, C, 28, 28) → logit (batch, 1).

    Conv(64, 5, s2) → LeakyReLU → Dropout(0.3) → Conv(128, 5, s2) → LeakyReLU → Dropout(0.3) →
    Flatten → Linear(1).
    """

    def __init__(self, input_shape: list[int], dropout: ClosedUnitInterval = 0.3):
        super().__init__()
        height, width, channels = input_shape
        features = 128 * math.ceil(height / 4) * math.ceil(width / 4)
        self.net = nn.Sequential(
            SameConv2d(channels, 64, 5, stride=2),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Dropout(dropout),
            SameConv2d(64, 128, 5, stride=2),
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Dropout(dropout),
            nn.Flatten(),
            nn.Linear(features, 1),
        )

    def forward(self, images):
        return self.net(images)


class DCGAN(L.LightningModule):
    """The GAN. ``forward(noise)`` = the generator's images (batch, C, 28, 28); the discriminator
    (``self.discriminator``) reads images and returns logits (batch, 1).

    Args:
        input_shape: one image NHWC, ``[28, 28, 1]`` (from the datamodule).
        noise_dim: length of a latent vector (the course's 100).
        learning_rate: of both Adam optimizers (the course's 1e-4).
        dropout: discriminator dropout (0.3).
        init: ``"keras"`` (glorot-uniform, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: list[int],
        noise_dim: PositiveInt = 100,
        learning_rate: PositiveFloat = 1e-4,
        dropout: ClosedUnitInterval = 0.3,
        init: Init = "keras",
    ):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = Generator(noise_dim, input_shape[-1])
        self.discriminator = Discriminator(input_shape, dropout)
        self.loss_fn = F.binary_cross_entropy_with_logits
        apply_init_(self, init)

    def forward(self, noise):
        return self.generator(noise)

    def adversarial_losses(self, real, noise) -> dict:
        """``{"d_loss", "g_loss", "loss"}`` of one forward of both networks (``loss`` = their sum)."""
        fake = self(noise)
        real_logits, fake_logits = self.discriminator(real), self.discriminator(fake)
        real_loss = self.loss_fn(real_logits, torch.ones_like(real_logits))
        fake_loss = self.loss_fn(fake_logits, torch.zeros_like(fake_logits))
        d_loss = real_loss + fake_loss
        g_loss = self.loss_fn(fake_logits, torch.ones_like(fake_logits))
        return {"d_loss": d_loss, "g_loss": g_loss, "loss": d_loss + g_loss}

    def training_step(self, batch, batch_idx):
        real, noise = batch
        g_optimizer, d_optimizer = self.optimizers()
        losses = self.adversarial_losses(real, noise)
        g_optimizer.zero_grad()
        d_optimizer.zero_grad()
        # the generator's gradients of g_loss and the discriminator's of d_loss, from one forward
        self.manual_backward(losses["g_loss"], retain_graph=True, inputs=list(self.generator.parameters()))
        self.manual_backward(losses["d_loss"], inputs=list(self.discriminator.parameters()))
        g_optimizer.step()
        d_optimizer.step()
        self.log_losses(losses, "train", len(real))

    def validation_step(self, batch, batch_idx):
        real, noise = batch
        self.log_losses(self.adversarial_losses(real, noise), "val", len(real))

    def test_step(self, batch, batch_idx):
        real, noise = batch
        self.log_losses(self.adversarial_losses(real, noise), "test", len(real))

    def log_losses(self, losses: dict, stage: str, batch_size: int) -> None:
        """``{stage}/d_loss``, ``g_loss``, ``loss`` as epoch means weighted by batch size
        (Keras' trackers)."""
        for name, value in losses.items():
            self.log(
                f"{stage}/{name}",
                value.detach(),
                on_step=False,
                on_epoch=True,
                batch_size=batch_size,
                prog_bar=stage == "train" and name != "loss",
            )

    def configure_optimizers(self):
        """Generator's Adam, then the discriminator's (Keras' update rule, ``lr = learning_rate``)."""
        return (
            make_optimizer("adam", self.generator.parameters(), self.hparams.learning_rate),
            make_optimizer("adam", self.discriminator.parameters(), self.hparams.learning_rate),
        )
