"""Exercise transfer (Day 3): write the head of the Lightning twin of the cats-vs-dogs transfer model.

The Keras twin you must match (``keras_models/mobilenet_transfer.py``)::

    base = keras.applications.MobileNetV2(input_shape=input_shape, include_top=False, weights=weights)
    base.trainable = False
    inputs = keras.Input(shape=input_shape)
    x = base(inputs, training=False)                       # (batch, h, w, 1280)
    x = keras.layers.GlobalAveragePooling2D()(x)           # (batch, 1280)
    x = keras.layers.Dropout(dropout)(x)                   # the course's 0.2
    outputs = keras.layers.Dense(1)(x)                     # a logit: the loss is BCE from logits
    model = keras.Model(inputs, outputs)                   # Adam(1e-4), accuracy

The base is given: ``lit_models.keras_compat.mobilenet_v2.MobileNetV2`` is Keras' MobileNetV2 layer for layer
(same order, padding and BatchNorm), so the grader can copy Keras' weights into it. So is the
BatchNorm bookkeeping of a frozen base (``frozen_batch_norm_to_eval``, ``train``) and the second,
fine-tuning phase (``start_fine_tuning``). You write the head, freeze the base, and ``forward``.

The grader checks the parameter counts — trainable and non-trainable, as Keras counts them: a
frozen torch parameter counts as non-trainable — the Dropout rate, the outputs after copying the
Keras weights, one Adam step and two epochs of training (graded on 32 generated 32×32 images, a
calibrated random base). Replace each ``raise NotImplementedError("TODO ...")`` by your code, then
run ``exercise check transfer``.
"""

from __future__ import annotations

import torch
from torch import nn

from datamodules.calibration import calibration_images
from lit_models.base import CourseModule
from lit_models.keras_compat.init import Init, apply_init_
from lit_models.keras_compat.mobilenet_v2 import LAST_FILTERS, MobileNetV2


class MobileNetV2Transfer(CourseModule):
    """Frozen MobileNetV2 base → global average pool → Dropout(dropout) → Linear(1280, 1).

    Shapes: x (batch, 3, H, W) float32 in [−1, 1] → (batch, 1) **logits** (the Keras twin's
    Dense(1) has no activation either: its loss works ``from_logits``).

    Args:
        input_shape: (H, W, C) of one image, Keras order (from the datamodule).
        weights: ``None`` (random base) or ``"imagenet"`` (copied in from the Keras twin).
        dropout: rate of the head's dropout (course: 0.2).
        fine_tune_*: the recipe of the second phase (``start_fine_tuning``; given).
        calibrate_base: give a random base usable BatchNorm statistics (given; see
            ``lit_models/mobilenet_transfer.py``).
        init: ``"keras"`` (Keras' initialisation, the default) or ``"torch"``.
    """

    def __init__(
        self,
        input_shape: tuple[int, int, int] = (160, 160, 3),
        weights: str | None = None,
        dropout: float = 0.2,
        loss: str = "binary_crossentropy_from_logits",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "adam",
        learning_rate: float = 1e-4,
        fine_tune_at: int = 100,
        fine_tune_optimizer: str = "rmsprop",
        fine_tune_learning_rate: float = 1e-5,
        fine_tune_epochs: int = 0,
        calibrate_base: bool = False,
        init: Init = "keras",
    ):
        super().__init__(1, "linear", loss, list(metrics), optimizer, learning_rate)
        self.save_hyperparameters()
        # given: Keras' MobileNetV2, (batch, 3, H, W) → (batch, 1280, h, w)
        self.base = MobileNetV2(tuple(input_shape[:2]))
        raise NotImplementedError(
            "TODO 1 (MobileNetV2Transfer.__init__): the head's modules: self.dropout (the Keras Dropout) "
            f"and self.classifier (the Keras Dense(1) on the {LAST_FILTERS} pooled features)"
        )
        apply_init_(self, init)
        if calibrate_base:
            self.calibrate(input_shape)
        raise NotImplementedError(
            "TODO 2 (MobileNetV2Transfer.__init__): freeze the base like Keras' base.trainable = False "
            "(its parameters must not train and must count as non-trainable)"
        )
        self.frozen_batch_norm_to_eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(
            "TODO 3 (MobileNetV2Transfer.forward): base → GlobalAveragePooling2D (the mean over H "
            "and W of the NCHW feature maps) → dropout → classifier; return the logits (batch, 1)"
        )

    # --- given: the base's BatchNorm bookkeeping and the fine-tuning phase ------------------------

    @torch.no_grad()
    def calibrate(self, input_shape) -> None:
        """One training-mode pass over a fixed noise batch with momentum 1: moving stats = its batch stats."""
        norms = [m for m in self.base.modules() if isinstance(m, nn.BatchNorm2d)]
        for norm in norms:
            norm.momentum = 1.0
        self.base.train()(torch.from_numpy(calibration_images(tuple(input_shape))).permute(0, 3, 1, 2))
        for norm in norms:
            norm.momentum = 1 - 0.999

    def frozen_batch_norm_to_eval(self) -> None:
        """Frozen BatchNorm layers compute in inference mode, like Keras' ``trainable=False`` ones."""
        for module in self.base.modules():
            if isinstance(module, nn.BatchNorm2d) and not module.weight.requires_grad:
                module.eval()

    def train(self, mode: bool = True):
        """Training mode everywhere except frozen BatchNorm layers."""
        super().train(mode)
        self.frozen_batch_norm_to_eval()
        return self

    def on_train_epoch_start(self) -> None:
        # Lightning sets ``module.training`` of every submodule itself, without calling ``train()``
        self.frozen_batch_norm_to_eval()

    def start_fine_tuning(self) -> None:
        """Unfreeze the base from Keras layer ``fine_tune_at`` on; switch to the fine-tuning recipe."""
        for index, (_, module) in enumerate(self.base.keras_layers()):
            if module is not None:
                module.requires_grad_(index >= self.hparams.fine_tune_at)
        self.hparams.optimizer = self.hparams.fine_tune_optimizer
        self.hparams.learning_rate = self.hparams.fine_tune_learning_rate
        self.train(self.training)
