"""``MobileNetV2Transfer``: the course's cats-vs-dogs transfer learning as a Keras 3 model.

Twin: ``lit_models/mobilenet_transfer.py`` (same name, same arguments). The course's model,
minus the preprocessing layers: resizing, scaling to [−1, 1] (``preprocess_input``) and the
augmentation (RandomFlip + RandomRotation) happen in the shared numpy datamodule
(``datamodules/image_folder.py``), so both frameworks train on the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
from jsonargparse.typing import ClosedUnitInterval, NonNegativeInt, PositiveFloat

from datamodules.calibration import calibration_images

from .base import compile_course_model

BASE_NAME = "mobilenetv2_base"


@dataclass(frozen=True)
class FineTuning:
    """The recipe of the second phase, kept on the model for ``start_fine_tuning`` and the runners."""

    fine_tune_at: int
    loss: str
    metrics: tuple[str, ...]
    optimizer: str
    learning_rate: float
    epochs: int


def MobileNetV2Transfer(
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
) -> keras.Model:
    """Input → MobileNetV2(include_top=False, weights) frozen → GlobalAveragePooling2D →
    Dropout(dropout) → Dense(1) (a logit), compiled with the course recipe.

    Shapes: x (batch, H, W, C) float32 in [−1, 1] → (batch, 1) logits.
    ``weights="imagenet"`` loads Keras' file (``~/.keras/models/mobilenet_v2_..._no_top.h5``,
    downloaded by Keras when missing); sizes other than 96/128/160/192/224 get the 224 weights.
    """
    base = keras.applications.MobileNetV2(input_shape=tuple(input_shape), include_top=False, weights=weights)
    base.name = BASE_NAME
    if calibrate_base:
        calibrate(base, input_shape)
    base.trainable = False
    inputs = keras.Input(shape=tuple(input_shape))
    # As in the course. Note: Keras 3's fit overrides this recorded training=False (see the
    # Lightning twin's docstring): only *frozen* BatchNorm layers stay in inference mode.
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(1)(x)
    model = keras.Model(inputs, outputs, name="mobilenet_transfer")
    model.fine_tuning = FineTuning(
        fine_tune_at, loss, tuple(metrics), fine_tune_optimizer, fine_tune_learning_rate, fine_tune_epochs
    )
    return compile_course_model(model, loss, list(metrics), optimizer, learning_rate)


def calibrate(base: keras.Model, input_shape) -> None:
    """Moving statistics of every BatchNormalization := those of the fixed noise batch
    (``calibration_images``): one training-mode pass with momentum 0 (see the Lightning twin)."""
    norms = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for norm in norms:
        norm.momentum = 0.0
    base(calibration_images(tuple(input_shape)), training=True)
    for norm in norms:
        norm.momentum = 0.999


def start_fine_tuning(model: keras.Model) -> keras.Model:
    """The course's second phase: unfreeze the base from layer ``fine_tune_at`` on and recompile
    with the fine-tuning optimizer (the loss and metrics stay). Returns ``model``."""
    recipe: FineTuning = model.fine_tuning
    base = model.get_layer(BASE_NAME)
    base.trainable = True
    for layer in base.layers[: recipe.fine_tune_at]:
        layer.trainable = False
    return compile_course_model(
        model, recipe.loss, list(recipe.metrics), recipe.optimizer, recipe.learning_rate
    )
