"""``DCGAN``: the course's Day-3 deep convolutional GAN as a Keras 3 model with its own
``train_step`` and loss trackers, written like keras-io's "DCGAN overriding train_step".

Twin: ``lit_models/dcgan.py`` (same names, same arguments). Per batch of (real images, noise):
one forward of both networks under two gradient tapes (the TensorFlow DCGAN tutorial), then one
generator step and one discriminator step, each with its own Adam.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt
from keras import layers, ops


def Generator(noise_dim: PositiveInt, channels: PositiveInt = 1) -> keras.Sequential:
    """noise (batch, noise_dim) → image (batch, 28, 28, channels) in [−1, 1]."""
    return keras.Sequential(
        [
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
        ],
        name="generator",
    )


def Discriminator(input_shape: list[int], dropout: ClosedUnitInterval = 0.3) -> keras.Sequential:
    """image (batch, 28, 28, channels) → logit (batch, 1)."""
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            layers.Conv2D(64, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(dropout),
            layers.Conv2D(128, 5, strides=2, padding="same"),
            layers.LeakyReLU(),
            layers.Dropout(dropout),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name="discriminator",
    )


class DCGANModel(keras.Model):
    """``model(noise)`` = the generator's images; ``model.discriminator(images)`` = logits."""

    def __init__(self, input_shape, noise_dim: PositiveInt, dropout: ClosedUnitInterval, **kwargs):
        super().__init__(**kwargs)
        self.generator = Generator(noise_dim, input_shape[-1])
        self.discriminator = Discriminator(input_shape, dropout)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def compile(self, g_optimizer, d_optimizer, loss_fn, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer, self.d_optimizer, self.loss_fn = g_optimizer, d_optimizer, loss_fn
        # built now, so BackupAndRestore (and load_weights) can restore their moments on resume
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.loss_tracker]

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def adversarial_losses(self, real, noise, training=True) -> dict:
        """``{"d_loss", "g_loss", "loss"}`` of one forward of both networks (``loss`` = their sum)."""
        fake = self(noise, training=training)
        real_logits = self.discriminator(real, training=training)
        fake_logits = self.discriminator(fake, training=training)
        real_loss = self.loss_fn(ops.ones_like(real_logits), real_logits)
        fake_loss = self.loss_fn(ops.zeros_like(fake_logits), fake_logits)
        d_loss = real_loss + fake_loss
        g_loss = self.loss_fn(ops.ones_like(fake_logits), fake_logits)
        return {"d_loss": d_loss, "g_loss": g_loss, "loss": d_loss + g_loss}

    def train_step(self, data):
        real, noise = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            losses = self.adversarial_losses(real, noise, training=True)
        g_grads = g_tape.gradient(losses["g_loss"], self.generator.trainable_weights)
        d_grads = d_tape.gradient(losses["d_loss"], self.discriminator.trainable_weights)
        self.g_optimizer.apply(g_grads, self.generator.trainable_weights)
        self.d_optimizer.apply(d_grads, self.discriminator.trainable_weights)
        return self.track(losses, ops.shape(real)[0])

    def test_step(self, data):
        real, noise = data
        return self.track(self.adversarial_losses(real, noise, training=False), ops.shape(real)[0])

    def track(self, losses: dict, batch_size) -> dict:
        """Update the epoch means (weighted by batch size) and return them, as ``fit`` logs them."""
        weight = ops.cast(batch_size, "float32")
        self.d_loss_tracker.update_state(losses["d_loss"], sample_weight=weight)
        self.g_loss_tracker.update_state(losses["g_loss"], sample_weight=weight)
        self.loss_tracker.update_state(losses["loss"], sample_weight=weight)
        return {tracker.name: tracker.result() for tracker in self.metrics}


def DCGAN(
    input_shape: list[int],
    noise_dim: PositiveInt = 100,
    learning_rate: PositiveFloat = 1e-4,
    dropout: ClosedUnitInterval = 0.3,
) -> DCGANModel:
    """The compiled Keras twin of ``lit_models.dcgan.DCGAN``: two Adam(learning_rate), BCE from logits."""
    model = DCGANModel(input_shape, noise_dim, dropout, name="dcgan")
    model.compile(
        g_optimizer=keras.optimizers.Adam(learning_rate),
        d_optimizer=keras.optimizers.Adam(learning_rate),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    model.build((None, noise_dim))  # built now, so load_weights works before any fit
    return model
