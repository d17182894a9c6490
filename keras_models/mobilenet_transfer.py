"""``MobileNetV2Transfer``: the course's cats-vs-dogs transfer learning as a Keras 3 model.

Twin: ``lit_models/mobilenet_transfer.py`` (same name, same arguments). The course's model,
minus the preprocessing layers: resizing, scaling to [−1, 1] (``preprocess_input``) and the
augmentation (RandomFlip + RandomRotation) happen in the shared numpy datamodule
(``datamodules/image_folder.py``), so both frameworks train on the same pixels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import keras
from jsonargparse.typing import ClosedUnitInterval, NonNegativeInt, PositiveFloat

from datamodules.calibration import calibration_images
from datamodules.errors import DataError

from .base import compile_course_model

BASE_NAME = "mobilenetv2_base"
#: The input sizes keras.applications has ImageNet files for (any other size gets the 224 file).
IMAGENET_SIZES = (96, 128, 160, 192, 224)


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
    ``weights``: ``None`` (random), ``"imagenet"`` or the path of an ``.h5`` (``mobilenet_base``).
    """
    base = mobilenet_base(input_shape, weights)
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


def mobilenet_base(input_shape, weights: str | None) -> keras.Model:
    """``keras.applications.MobileNetV2(include_top=False)`` named ``BASE_NAME``, with ``weights``:
    ``None`` (random), ``"imagenet"`` (Keras' file, ``_imagenet_file``) or the path of an ``.h5`` in
    keras-applications' layout. The Lightning twin copies this very base into its own
    (``lit_models.mobilenet_transfer.mobilenet_base``).

    Shapes: (batch, H, W, 3) → (batch, ceil(H/32), ceil(W/32), 1280)."""
    weights_path = None if weights is None else _weights_file(weights, input_shape)
    base = keras.applications.MobileNetV2(
        input_shape=tuple(input_shape), include_top=False, weights=weights_path
    )
    base.name = BASE_NAME
    return base


def _weights_file(weights: str, input_shape) -> str:
    """The ``.h5`` that ``weights`` names: ``"imagenet"`` → ``_imagenet_file``; else a path
    that must exist."""
    if weights == "imagenet":
        return _imagenet_file(input_shape)
    path = Path(weights).expanduser()
    if not path.is_file():
        raise DataError(
            f"no weights file {path}; give --model.weights the path of an .h5 of "
            "keras.applications.MobileNetV2(include_top=False), or imagenet"
        )
    return str(path)


def _imagenet_file_name(input_shape) -> str:
    """keras.applications' name of the ImageNet file (alpha 1.0, no top) for this input size:
    sizes other than 96/128/160/192/224 (or non-square) get the 224 file, as in Keras."""
    rows, cols = input_shape[:2]
    size = rows if rows == cols and rows in IMAGENET_SIZES else 224
    return f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{size}_no_top.h5"


def _keras_home() -> Path:
    """Keras' folder, read when asked (``$KERAS_HOME``, default ``~/.keras``), as Keras reads it at import."""
    return Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()


def _weights_folders() -> list[Path]:
    """Where ``keras.utils.get_file`` keeps the file: ``<Keras' folder>/models``, or
    ``/tmp/.keras/models`` when Keras' folder is not writable (its fallback)."""
    home = _keras_home()
    fallback = [Path("/tmp/.keras/models")] if home.exists() and not os.access(home, os.W_OK) else []
    return [home / "models", *fallback]


def _imagenet_file(input_shape) -> str:
    """The path of Keras' ImageNet file for ``input_shape``: the cached copy, else downloaded by
    ``keras.utils.get_file`` from keras-applications' URL (what ``weights="imagenet"`` does).
    Offline without the file: a ``DataError`` (exit status 2), one line naming the file, the
    folders and the fix."""
    from keras.src.applications import mobilenet_v2  # the URL Keras itself downloads from

    name = _imagenet_file_name(input_shape)
    for folder in _weights_folders():
        if (folder / name).is_file():
            return str(folder / name)
    try:
        return keras.utils.get_file(
            name, mobilenet_v2.BASE_WEIGHT_PATH + name, cache_subdir="models", cache_dir=str(_keras_home())
        )
    except Exception as error:  # Keras raises a bare Exception: "URL fetch failure on <url>: ..."
        folders = " or ".join(str(folder) for folder in _weights_folders())
        raise DataError(
            f"ImageNet weights {name} not found in {folders} and not downloadable ({error}); "
            f"put {name} in {_weights_folders()[0]}, or give the file's path with --model.weights PATH"
        ) from None


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
