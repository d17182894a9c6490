"""Framework-neutral data core: numpy arrays, seeded splits and batch orders.

Both twins are fed from here, so the Keras ``fit`` and the Lightning ``Trainer`` see the
same samples in the same batches in the same order, epoch after epoch. The torch and Keras
adapters (``torch_adapter.py``, ``keras_adapter.py``) only wrap these arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from jsonargparse.typing import restricted_number_type

#: A fraction held out of the data (``validation_split``, ``test_fraction``): 0 <= v < 1, as Keras'
#: ``fit(validation_split=...)`` takes it; jsonargparse refuses other values when the options are
#: parsed, and ``--help`` shows the type by this name (jsonargparse.typing names
#: ``ClosedUnitInterval`` [0, 1] and ``OpenUnitInterval`` (0, 1); this is [0, 1)).
ClosedOpenUnitInterval = restricted_number_type("ClosedOpenUnitInterval", float, [(">=", 0), ("<", 1)])


@dataclass(frozen=True)
class ArraySplits:
    """Train/validation/test arrays. ``x_*``: float32 (n, ...); ``y_*``: float32 (n, 1) or int64 (n,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def stage(self, stage: str) -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of ``"train"``, ``"val"`` or ``"test"``."""
        return getattr(self, f"x_{stage}"), getattr(self, f"y_{stage}")


def keras_validation_split(x: np.ndarray, y: np.ndarray, fraction: float):
    """Keras' ``fit(validation_split=fraction)``: the **last** fraction, unshuffled, is validation.

    Same arithmetic as ``keras.src.trainers.data_adapters.array_slicing.train_validation_split``:
    ``split_at = floor(n * (1 - fraction))``. Returns ``(x_train, y_train, x_val, y_val)``.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {fraction}")
    split_at = math.floor(len(x) * (1.0 - fraction))
    return x[:split_at], y[:split_at], x[split_at:], y[split_at:]


@dataclass(frozen=True)
class BatchOrder:
    """Which sample indices form each batch of each epoch.

    Shuffled orders are drawn from ``numpy.random.default_rng([seed, epoch])``: a pure
    function of (seed, epoch), so any framework, process or resumed run gets the same batches.
    Like Keras ``fit``, the last batch of an epoch may be smaller.
    """

    num_samples: int
    batch_size: int
    shuffle: bool
    seed: int = 0

    def __post_init__(self):
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")

    @property
    def num_batches(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def batches(self, epoch: int) -> list[np.ndarray]:
        """The index arrays of ``epoch`` (0-based), in the order they are trained on."""
        if self.shuffle:
            indices = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        else:
            indices = np.arange(self.num_samples)
        return [
            indices[start : start + self.batch_size] for start in range(0, self.num_samples, self.batch_size)
        ]


def as_float32(x) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def regression_target(y) -> np.ndarray:
    """Regression targets as float32 (n, 1), matching a Dense(1) output on both sides."""
    return as_float32(np.asarray(y).reshape(-1, 1))


def class_target(y) -> np.ndarray:
    """Class labels as int64 (n,), as sparse categorical cross-entropy expects."""
    return np.ascontiguousarray(np.asarray(y).reshape(-1), dtype=np.int64)
