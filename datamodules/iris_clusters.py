"""Iris with the labels removed (COURSE.md, Day 2 clustering): the points K-Means clusters.

Same rows, split and scaling as ``IrisDataModule``; the targets are empty (n, 0) arrays, so
nothing of the species reaches a model. ``species`` and ``petal_cm`` are kept aside for the
clustering workflow's pictures and scores (``twins/cli/cluster.py``).
"""
from __future__ import annotations

import numpy as np

from .core import as_float32
from .iris import FEATURES, IrisDataModule, load_iris_frame
from .tabular import standard_scale


class IrisClusters(IrisDataModule):
    """Standard-scaled Iris features, no labels. Samples: x float32 (4,), y float32 (0,).
    Twins: ``iris_kmeans``."""

    source = "Iris (scikit-learn, 150 flowers, labels removed)"

    def features_and_target(self, fit_rows):
        x, _ = super().features_and_target(fit_rows)
        return x, np.zeros((len(x), 0), np.float32)

    def all_points(self) -> np.ndarray:
        """All 150 flowers, scaled like the splits (the course clusters every flower), float32 (150, 4)."""
        rows = np.arange(self.num_rows())
        return as_float32(standard_scale(load_iris_frame(), FEATURES, rows)[FEATURES].to_numpy(np.float64))

    @staticmethod
    def species() -> np.ndarray:
        """The species of the 150 flowers, only for judging clusters afterwards, int64 (150,)."""
        return load_iris_frame()["species"].to_numpy(np.int64)

    @staticmethod
    def petal_cm() -> np.ndarray:
        """Petal length and width in cm of the 150 flowers (the course's scatter axes), (150, 2)."""
        return load_iris_frame()[["petal_length", "petal_width"]].to_numpy(np.float64)
