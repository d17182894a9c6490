"""transfer as a PyTorch user writes it: the given Keras-like MobileNetV2 base, frozen with
requires_grad_(False), a Dropout + Linear head, BCE on logits, Keras' Adam."""

import torch
from torch import nn
from torch.nn import functional as F

import lightning as L

from datamodules.calibration import calibration_images
from lit_models.keras_compat.mobilenet_v2 import MobileNetV2
from lit_models.keras_compat.optim import KerasAdam


class MobileNetV2Transfer(L.LightningModule):
    def __init__(
        self,
        input_shape=(160, 160, 3),
        weights=None,
        dropout=0.2,
        loss="binary_crossentropy_from_logits",
        metrics=("accuracy",),
        optimizer="adam",
        learning_rate=1e-4,
        fine_tune_at=100,
        fine_tune_optimizer="rmsprop",
        fine_tune_learning_rate=1e-5,
        fine_tune_epochs=0,
        calibrate_base=False,
        init="keras",
    ):
        super().__init__()
        self.save_hyperparameters()
        self.base = MobileNetV2(tuple(input_shape[:2]))  # given: Keras' MobileNetV2, layer for layer
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1280, 1)
        nn.init.xavier_uniform_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)
        if calibrate_base:
            self.calibrate(input_shape)
        self.base.requires_grad_(False)
        self.base.eval()

    @torch.no_grad()
    def calibrate(self, input_shape):
        """Given by the skeleton: BatchNorm statistics of a random base from a fixed noise batch."""
        norms = [m for m in self.base.modules() if isinstance(m, nn.BatchNorm2d)]
        for norm in norms:
            norm.momentum = 1.0
        self.base.train()(torch.from_numpy(calibration_images(tuple(input_shape))).permute(0, 3, 1, 2))
        for norm in norms:
            norm.momentum = 1 - 0.999

    def train(self, mode=True):
        super().train(mode)
        self.base.eval()  # a frozen base computes in inference mode, like Keras' base(x, training=False)
        return self

    def on_train_epoch_start(self):
        self.base.eval()

    def forward(self, x):
        features = self.base(x).mean(dim=(2, 3))
        return self.classifier(self.dropout(features))

    def _step(self, batch, stage):
        x, y = batch
        logits = self(x)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        self.log(f"{stage}_loss", loss, on_epoch=True)
        self.log(f"{stage}_acc", ((logits > 0).float() == y).float().mean(), on_epoch=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        return KerasAdam(filter(lambda p: p.requires_grad, self.parameters()), lr=self.hparams.learning_rate)
