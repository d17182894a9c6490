"""Iris with the labels removed (COURSE.md, Day 2 clustering): the points K-Means clusters.

Same rows and split as ``IrisDataModule``; the targets are empty (n, 0) arrays, so nothing of
the species reaches a model. The course clusters the **raw** measurements (cm), so that is the
default (``scale="none"``); ``scale="standard"`` standard-scales them first, like the Day-1 MLP
(fitted per ``preprocess_fit``). ``species`` and ``petal_cm`` are kept aside for the clustering
workflow's pictures and scores (``twins/cli/cluster.py``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveInt

from .core import ClosedOpenUnitInterval, as_float32
from .errors import DataError
from .iris import FEATURES, IrisDataModule, load_iris_frame
from .tabular import PreprocessFit, standard_scale

Scale = Literal["none", "standard"]
SCALES = ("none", "standard")
_DESCRIBED = {"none": "raw measurements in cm, as the course clusters them", "standard": "standard-scaled"}


def iris_points(scale: Scale = "none", fit_rows: np.ndarray | None = None) -> np.ndarray:
    """The 150 flowers' 4 measurements, raw (cm) or standard-scaled on ``fit_rows`` (default:
    all rows), float64 (150, 4) — the values the course hands to scikit-learn. Kept in float64
    on purpose: the raw measurements have one decimal, so many pairs of flowers lie exactly
    DBSCAN's eps = 0.5 apart, and float32 rounding moves some of them across it."""
    check_scale(scale)
    frame = load_iris_frame()
    if scale == "standard":
        frame = standard_scale(frame, FEATURES, np.arange(len(frame)) if fit_rows is None else fit_rows)
    return frame[FEATURES].to_numpy(np.float64)


def check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise DataError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")


class IrisClusters(IrisDataModule):
    """Iris features (raw by default), no labels. Samples: x float32 (4,), y float32 (0,).
    Twins: ``iris_kmeans``.

    Args (beyond ``TabularDataModule``'s):
        scale: ``"none"`` (the course: measurements in cm) or ``"standard"`` (zero mean, unit
            variance per feature).
    """

    def __init__(
        self,
        batch_size: PositiveInt = 32,
        validation_split: ClosedOpenUnitInterval = 0.2,
        seed: NonNegativeInt = 0,
        test_size: OpenUnitInterval = 0.2,
        split_seed: NonNegativeInt = 42,
        preprocess_fit: PreprocessFit = "all",
        scale: Scale = "none",
    ):
        check_scale(scale)
        super().__init__(batch_size, validation_split, seed, test_size, split_seed, preprocess_fit)
        self.scale = scale
        self.source = describe(scale)

    def features_and_target(self, fit_rows):
        x = as_float32(iris_points(self.scale, fit_rows))  # the twins' inputs
        return x, np.zeros((len(x), 0), np.float32)

    def all_points(self) -> np.ndarray:
        """All 150 flowers (the course clusters every flower), raw or scaled on all rows,
        float64 (150, 4) like the course's data frame (``iris_points``)."""
        return iris_points(self.scale)

    @staticmethod
    def species() -> np.ndarray:
        """The species of the 150 flowers, only for judging clusters afterwards, int64 (150,)."""
        return load_iris_frame()["species"].to_numpy(np.int64)

    @staticmethod
    def petal_cm() -> np.ndarray:
        """Petal length and width in cm of the 150 flowers (the course's scatter axes), (150, 2)."""
        return load_iris_frame()[["petal_length", "petal_width"]].to_numpy(np.float64)


def describe(scale: Scale) -> str:
    """The data line every output carries: which Iris, and raw or scaled."""
    return f"Iris (scikit-learn, 150 flowers, labels removed; {_DESCRIBED[scale]})"
