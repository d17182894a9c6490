"""Iris (COURSE.md, Day 1 exercise): 150 flowers, 4 features, 3 species; ships with scikit-learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris

from .core import as_float32, class_target
from .tabular import TabularDataModule, standard_scale

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def load_iris_frame() -> pd.DataFrame:
    """The 150 flowers: the 4 features in cm and ``species`` (0 setosa, 1 versicolor, 2 virginica)."""
    iris = load_iris()
    frame = pd.DataFrame(iris.data, columns=FEATURES)
    frame["species"] = iris.target
    return frame


class IrisDataModule(TabularDataModule):
    """Standard-scaled features, label-encoded species, 80/20 split with ``random_state=5``.

    Samples: x float32 (4,), y int64 class id. Twins: ``iris_mlp``.
    """

    source = "Iris (scikit-learn, 150 flowers)"
    num_classes = 3

    def num_rows(self) -> int:
        return 150

    def features_and_target(self, fit_rows):
        frame = standard_scale(load_iris_frame(), FEATURES, fit_rows)
        return as_float32(frame[FEATURES].to_numpy(dtype=np.float64)), class_target(frame["species"])
