"""Exercise dcgan (Day 3): write the Lightning twin of the course's DCGAN, with manual optimization.

The Keras twin you must match (``keras_models/dcgan.py``, the TensorFlow DCGAN tutorial)::

    generator = keras.Sequential([
        keras.Input(shape=(noise_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False), layers.BatchNormalization(), layers.LeakyReLU(),
        layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])
    discriminator = keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(dropout),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), layers.Dropout(dropout),
        layers.Flatten(), layers.Dense(1),                                    # a logit
    ])
    # train_step, per batch of (real images, noise): one forward of both networks under two
    # GradientTapes; d_loss = BCE(real → 1) + BCE(fake → 0), g_loss = BCE(fake → 1), from logits;
    # the generator's Adam(learning_rate) steps with ∂g_loss, the discriminator's with ∂d_loss.

Every Keras default above has a torch counterpart with *another* default: BatchNormalization
(momentum, epsilon, how the moving variance is updated), LeakyReLU (its slope), Reshape (which
axis is the channel), strided ``same`` (transposed) convolutions, Adam. The grader checks the
generator and the discriminator one by one, then one full GAN step (losses, gradients, updates
of both networks including the BatchNorm running statistics), then two epochs of training.
``lit_models/keras_like.py`` and ``lit_models/optim.py`` hold torch layers and optimizers with
Keras' behaviour — use them once you know which default each one fixes.

Replace each ``raise NotImplementedError("TODO ...")`` by your code, then run ``exercise check dcgan``.
"""
from __future__ import annotations

import math  # noqa: F401

import lightning as L
import torch  # noqa: F401
from torch import nn
from torch.nn import functional as F

from lit_models.init import Init, apply_init_


class Generator(nn.Module):
    """noise (batch, noise_dim) → image (batch, C, 28, 28) in [−1, 1] (tanh), the Keras generator above."""

    def __init__(self, noise_dim: int, channels: int = 1):
        super().__init__()
        raise NotImplementedError(
            "TODO 1 (Generator.__init__): self.net = nn.Sequential(...) like the Keras generator: Linear without bias, "
            "BatchNorm, LeakyReLU, the Reshape to 7×7×256 (as an nn.Module), then the three transposed convolutions")

    def forward(self, noise):
        return self.net(noise)


class Discriminator(nn.Module):
    """image (batch, C, 28, 28) → logit (batch, 1), the Keras discriminator above."""

    def __init__(self, input_shape: list[int], dropout: float = 0.3):
        super().__init__()
        raise NotImplementedError(
            "TODO 2 (Discriminator.__init__): self.net = nn.Sequential(...) like the Keras discriminator: two stride-2 "
            "'same' convolutions with LeakyReLU and nn.Dropout(dropout), then nn.Flatten and nn.Linear(..., 1)")

    def forward(self, images):
        return self.net(images)


class DCGAN(L.LightningModule):
    """The GAN. ``forward(images)`` = the discriminator's logits; ``generator(noise)`` draws images.

    Args:
        input_shape: one image NHWC, ``[28, 28, 1]`` (from the datamodule).
        noise_dim: length of a latent vector (the course's 100).
        learning_rate: of both Adam optimizers (the course's 1e-4).
        dropout: the discriminator's dropout (0.3).
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"``.
    """

    training_kind = "gan"                          # tells the parity harness to check a GAN step (twins/parity/)
    components = ("generator", "discriminator")    # checked one by one by the grader

    def __init__(self, input_shape: list[int], noise_dim: int = 100, learning_rate: float = 1e-4,
                 dropout: float = 0.3, init: Init = "keras"):
        super().__init__()
        self.save_hyperparameters()
        self.generator = Generator(noise_dim, input_shape[-1])
        self.discriminator = Discriminator(input_shape, dropout)
        self.loss_fn = F.binary_cross_entropy_with_logits
        apply_init_(self, init)
        raise NotImplementedError(
            "TODO 3 (DCGAN.__init__): two networks, two optimizers, stepped by you in training_step — tell Lightning")

    def forward(self, images):
        return self.discriminator(images)

    def keras_output(self, images):
        return self(images)

    def gan_losses(self, real, noise) -> dict:
        """``{"d_loss", "g_loss", "loss"}`` of one forward of both networks (``loss`` = their sum):
        d_loss = BCE(real → 1) + BCE(fake → 0), g_loss = BCE(fake → 1), on logits (``self.loss_fn``)."""
        raise NotImplementedError("TODO 4 (DCGAN.gan_losses): fake = generator(noise); the discriminator's logits of real and fake; the three losses")

    def gan_gradients(self, real, noise, backward=torch.Tensor.backward) -> dict:
        """The losses of one forward (``gan_losses``), with the generator's gradients of g_loss and
        the discriminator's gradients of d_loss in their parameters' ``.grad`` (old gradients
        cleared first). ``backward``: ``self.manual_backward`` inside ``fit``; the grader calls this
        method with the default to compare the gradients with Keras'. Hint: ``backward(loss,
        inputs=[...], retain_graph=...)`` limits a backward pass to some parameters."""
        raise NotImplementedError("TODO 5 (DCGAN.gan_gradients): clear the gradients, compute the losses, two backward passes")

    def training_step(self, batch, batch_idx):
        real, noise = batch
        raise NotImplementedError(
            "TODO 6 (DCGAN.training_step): get both optimizers (self.optimizers()), gan_gradients with "
            "backward=self.manual_backward, step both, then self._log(losses, 'train', len(real))")

    def _log(self, losses, stage, batch_size):
        for name, value in losses.items():
            self.log(f"{stage}/{name}", value.detach(), on_step=False, on_epoch=True, batch_size=batch_size)

    def validation_step(self, batch, batch_idx):
        self._log(self.gan_losses(*batch), "val", len(batch[0]))

    def test_step(self, batch, batch_idx):
        self._log(self.gan_losses(*batch), "test", len(batch[0]))

    def configure_optimizers(self):
        """The generator's optimizer first, then the discriminator's: Keras' Adam(learning_rate) each."""
        raise NotImplementedError("TODO 7 (DCGAN.configure_optimizers): (generator's Adam, discriminator's Adam) with Keras' update rule")
