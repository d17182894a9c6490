"""The cnn exercise written the way a PyTorch user writes it: a plain LightningModule."""

import torch
from torch import nn
from torch.nn import functional as F

import lightning as L


class ConvClassifier(L.LightningModule):
    def __init__(
        self,
        input_shape=(28, 28, 1),
        conv_blocks=(((32, 3),), ((64, 3),)),
        dense_units=(64,),
        dropout=0.0,
        output_units=10,
        output_activation="softmax",
        loss="sparse_categorical_crossentropy",
        metrics=("accuracy",),
        optimizer="sgd",
        learning_rate=0.01,
        init="keras",
    ):
        super().__init__()
        self.save_hyperparameters()
        height, width, channels = input_shape
        layers = []
        for block in conv_blocks:
            for filters, kernel in block:
                layers += [nn.Conv2d(channels, filters, kernel, padding=kernel // 2), nn.ReLU()]
                channels = filters
            layers.append(nn.MaxPool2d(2))
            height, width = height // 2, width // 2
        self.features = nn.Sequential(*layers)
        head, features = [nn.Flatten()], channels * height * width
        for units in dense_units:
            head += [nn.Linear(features, units), nn.ReLU()]
            features = units
        head.append(nn.Linear(features, output_units))
        self.classifier = nn.Sequential(*head)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.classifier(self.features(x))

    def training_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(dim=1) == y).float().mean()
        self.log("train_loss", loss)
        self.log("train_acc", acc)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(dim=1) == y).float().mean())

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)

    def test_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("test_loss", F.cross_entropy(logits, y))
        self.log("test_acc", (logits.argmax(dim=1) == y).float().mean())
