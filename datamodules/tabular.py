"""Shared machinery of the tabular datamodules: the course's split and scaling, leak made explicit.

The course preprocesses the whole table (missing-value fill, ``StandardScaler``) **before**
``train_test_split``, so statistics of the test rows leak into the training features.
``preprocess_fit="all"`` reproduces that faithfully (the default, to match the course's
numbers); ``preprocess_fit="train"`` fits the same steps on the training rows only.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveInt
from sklearn.model_selection import train_test_split

from .base import ArrayDataModule
from .core import ArraySplits, ClosedOpenUnitInterval, keras_validation_split

PreprocessFit = Literal["all", "train"]


def standard_scale(frame: pd.DataFrame, columns: list[str], fit_rows: np.ndarray) -> pd.DataFrame:
    """``StandardScaler`` on ``columns`` (population std, like scikit-learn), fitted on ``fit_rows``."""
    frame = frame.copy()
    fitted = frame.iloc[fit_rows][columns].astype(np.float64)
    std = fitted.std(ddof=0).replace(0.0, 1.0)  # constant column: scikit-learn leaves it unscaled
    frame[columns] = (frame[columns].astype(np.float64) - fitted.mean()) / std
    return frame


class TabularDataModule(ArrayDataModule):
    """A table split 80/20 at random (``train_test_split``), then Keras' ``validation_split``.

    Args:
        test_size: fraction of rows for the test set.
        split_seed: ``random_state`` of ``train_test_split`` (fixed per dataset, like the course).
        preprocess_fit: ``"all"`` fits fills/scalers on every row like the course (leaks test
            statistics); ``"train"`` fits them on the training rows only.
    """

    def __init__(
        self,
        batch_size: PositiveInt = 32,
        validation_split: ClosedOpenUnitInterval = 0.2,
        seed: NonNegativeInt = 0,
        test_size: OpenUnitInterval = 0.2,
        split_seed: NonNegativeInt = 42,
        preprocess_fit: PreprocessFit = "all",
    ):
        super().__init__(batch_size=batch_size, validation_split=validation_split, seed=seed)
        self.test_size = test_size
        self.split_seed = split_seed
        self.preprocess_fit = preprocess_fit

    def num_rows(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def features_and_target(self, fit_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """``(x float32 (n, f), y)`` for all rows, preprocessing fitted on ``fit_rows``."""
        raise NotImplementedError

    def load_splits(self) -> ArraySplits:
        rows = np.arange(self.num_rows())
        train_rows, test_rows = train_test_split(rows, test_size=self.test_size, random_state=self.split_seed)
        fit_rows = rows if self.preprocess_fit == "all" else np.sort(train_rows)
        x, y = self.features_and_target(fit_rows)
        x_train, y_train, x_val, y_val = keras_validation_split(
            x[train_rows], y[train_rows], self.validation_split
        )
        return ArraySplits(x_train, y_train, x_val, y_val, x[test_rows], y[test_rows])
