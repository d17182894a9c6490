"""``MobileNetV2Transfer``: the course's cats-vs-dogs transfer learning as a LightningModule.

Twin: ``keras_models/mobilenet_transfer.py`` (same name, same arguments). The base is
``lit_models.keras_compat.mobilenet_v2.MobileNetV2`` (Keras layout), frozen; the head is
GlobalAveragePooling2D → Dropout(0.2) → Linear(1280, 1) returning a **logit**. Then
``start_fine_tuning()`` unfreezes the base from Keras layer ``fine_tune_at`` on and switches to
the fine-tuning optimizer (course: RMSprop(1e-5)).

BatchNorm like Keras 3: a frozen BatchNormalization runs in inference mode even in ``fit``;
a trainable one (after fine-tuning unfreezes it) uses batch statistics and updates its moving
averages. Keras 3 does this even though the course calls ``base(x, training=False)``: the
``training`` flag of ``fit`` overrides the one recorded in the functional graph
(``keras/src/models/functional.py: operation_fn``). ``train()`` re-applies this rule every time
Lightning switches the module to training mode (at each epoch start, after validation).
"""

from __future__ import annotations

import torch
from torch import nn

from jsonargparse.typing import ClosedUnitInterval, NonNegativeInt, PositiveFloat

from datamodules.calibration import calibration_images

from .base import CourseModule
from .keras_compat.init import Init, apply_init_
from .keras_compat.mobilenet_v2 import LAST_FILTERS, MobileNetV2


class MobileNetV2Transfer(CourseModule):
    """Frozen MobileNetV2 base → global average pool → Dropout(dropout) → Linear(1280, 1).

    Shapes: x (batch, 3, H, W) float32 in [−1, 1] → (batch, 1) logits (``keras_output`` = logits
    too: the Keras twin's Dense(1) has no activation, the loss works ``from_logits``).

    Args:
        input_shape: (H, W, C) of one image, Keras order (from the datamodule).
        weights: ``None`` (random base), ``"imagenet"`` or the path of an ``.h5``: Keras loads the
            file into its MobileNetV2 base and ``mobilenet_base`` copies that base into this one,
            so both twins start from the same pretrained weights (TensorFlow is imported then).
        dropout: rate of the head's dropout (course: 0.2).
        fine_tune_at: first Keras layer index of the base that ``start_fine_tuning`` unfreezes.
        fine_tune_optimizer / fine_tune_learning_rate: the recipe of the fine-tuning phase.
        fine_tune_epochs: epochs of the fine-tuning phase (0: none) — read by the runners.
        calibrate_base: set every BatchNorm's moving statistics to those of a fixed noise batch
            (``calibration_images``) before freezing. A random base (``weights=None``) normalises
            with mean 0 / variance 1 in inference mode and its activations vanish (outputs ~1e−12);
            calibrated, it is a usable offline stand-in for pretrained statistics.
        init: ``"keras"`` (glorot-uniform kernels, zero biases; default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (160, 160, 3),
        weights: str | None = None,
        dropout: ClosedUnitInterval = 0.2,
        loss: str = "binary_crossentropy_from_logits",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 1e-4,
        fine_tune_at: NonNegativeInt = 100,
        fine_tune_optimizer: str = "rmsprop",
        fine_tune_learning_rate: PositiveFloat = 1e-5,
        fine_tune_epochs: NonNegativeInt = 0,
        calibrate_base: bool = False,
        init: Init = "keras",
    ):
        super().__init__(1, "linear", loss, list(metrics), optimizer, learning_rate)
        self.base = MobileNetV2(tuple(input_shape[:2]))
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(LAST_FILTERS, 1)
        apply_init_(self, init)
        if weights is not None:
            mobilenet_base(input_shape, weights, self.base)
        if calibrate_base:
            self.calibrate(input_shape)
        self.base.requires_grad_(False)
        self.frozen_batch_norm_to_eval()

    @torch.no_grad()
    def calibrate(self, input_shape) -> None:
        """One training-mode pass over the noise batch with momentum 1: moving stats = its batch stats."""
        norms = [m for m in self.base.modules() if isinstance(m, nn.BatchNorm2d)]
        for norm in norms:
            norm.momentum = 1.0
        self.base.train()(torch.from_numpy(calibration_images(tuple(input_shape))).permute(0, 3, 1, 2))
        for norm in norms:
            norm.momentum = 1 - 0.999

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.base(x).mean(dim=(2, 3))  # GlobalAveragePooling2D
        return self.classifier(self.dropout(features))

    def frozen_batch_norm_to_eval(self) -> None:
        """Frozen BatchNorm layers compute in inference mode, like Keras' ``trainable=False`` ones."""
        for module in self.base.modules():
            if isinstance(module, nn.BatchNorm2d) and not module.weight.requires_grad:
                module.eval()

    def train(self, mode: bool = True):
        """Training mode everywhere except frozen BatchNorm layers (see ``frozen_batch_norm_to_eval``)."""
        super().train(mode)
        self.frozen_batch_norm_to_eval()
        return self

    def on_train_epoch_start(self) -> None:
        # Lightning sets ``module.training`` of every submodule itself (it captures and restores
        # module modes around validation and fit) without calling ``train()``: re-apply each epoch.
        self.frozen_batch_norm_to_eval()

    def start_fine_tuning(self) -> None:
        """Unfreeze the base's layers from Keras index ``fine_tune_at`` on; the next
        ``configure_optimizers`` (the next ``Trainer.fit``) builds the fine-tuning optimizer."""
        for index, (_, module) in enumerate(self.base.keras_layers()):
            if module is not None:
                module.requires_grad_(index >= self.hparams.fine_tune_at)
        self.hparams.optimizer = self.hparams.fine_tune_optimizer
        self.hparams.learning_rate = self.hparams.fine_tune_learning_rate
        self.train(self.training)


def mobilenet_base(input_shape, weights: str, base: MobileNetV2) -> MobileNetV2:
    """``base`` with the Keras twin's base built from ``weights`` (Keras' ImageNet file or an
    ``.h5``: ``keras_models.mobilenet_transfer.mobilenet_base``) copied in layer for layer; returns it.

    Shapes: (batch, 3, H, W) → (batch, 1280, ceil(H/32), ceil(W/32)), like the Keras base's NHWC."""
    # lazy: a random-base Lightning run never loads TensorFlow (torch is imported first, above)
    from keras_models.mobilenet_transfer import mobilenet_base as keras_mobilenet_base
    from twins.transfer import keras_to_torch

    return keras_to_torch(keras_mobilenet_base(input_shape, weights), base)
