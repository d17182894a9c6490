"""tabular_mlp as a PyTorch user writes it: a plain LightningModule with torch.optim."""

import torch
from torch import nn
from torch.nn import functional as F

import lightning as L

from lit_models.keras_compat.optim import KerasAdam


class TabularMLP(L.LightningModule):
    def __init__(
        self,
        input_dim,
        hidden_units,
        output_units=1,
        output_activation="linear",
        loss="mse",
        metrics=(),
        optimizer="sgd",
        learning_rate=0.01,
        init="keras",
    ):
        super().__init__()
        self.save_hyperparameters()
        layers, width = [], input_dim
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            width = units
        layers.append(nn.Linear(width, output_units))
        self.net = nn.Sequential(*layers)
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, x):
        return self.net(x)

    def _step(self, batch, stage):
        x, y = batch
        prediction = self(x)
        loss = F.mse_loss(prediction, y)
        self.log(f"{stage}_loss", loss, on_epoch=True)
        self.log(f"{stage}_mae", F.l1_loss(prediction, y), on_epoch=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        if self.hparams.optimizer == "adam":
            return KerasAdam(self.parameters(), lr=self.hparams.learning_rate)
        return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)
