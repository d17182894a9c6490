"""Auto MPG (COURSE.md, Day 1): ``mpg_regression`` and ``mpg_classification``.

The table ships offline inside ``vega_datasets`` (406 cars; the 8 without mpg are dropped,
leaving the course's 398; vega's merged 1981/1982 model years are split again, see
``model_years``). Preprocessing follows the course, in its order:
fill missing horsepower with the mean of the car's origin group, label-encode origin
alphabetically (europe=0, japan=1, usa=2), standard-scale, one-hot the model year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .core import as_float32, class_target, regression_target
from .tabular import TabularDataModule, standard_scale

ORIGINS = ("europe", "japan", "usa")
SCALED = ["cylinders", "displacement", "horsepower", "weight", "acceleration"]
MODEL_YEARS = list(range(70, 83))


FIRST_CAR_OF_1982 = "chevrolet cavalier"


def model_years(raw: pd.DataFrame) -> pd.Series:
    """Model years 70..82 of vega's table, with 1981 restored.

    vega_datasets stores both 1981 and 1982 as 1982. Its rows keep the UCI order, in which
    the 1982 block starts at the first "chevrolet cavalier"; the 30 rows before it are 1981
    (29 cars with mpg + the saab 900s without). Result: UCI's counts, 29 cars in 81, 31 in 82.
    """
    years = raw["Year"].dt.year - 1900
    block_1982 = years[years == 82].index
    first_1982 = raw.loc[block_1982, "Name"].eq(FIRST_CAR_OF_1982).idxmax()
    years.loc[block_1982[block_1982 < first_1982]] = 81
    return years.astype(int)


def load_cars() -> pd.DataFrame:
    """The course's 398 cars with columns mpg, cylinders, displacement, horsepower, weight,
    acceleration, model_year (70..82), origin (europe/japan/usa), name."""
    from vega_datasets import data

    raw = data.cars()
    raw["model_year"] = model_years(raw)
    raw = raw.dropna(subset=["Miles_per_Gallon"]).reset_index(drop=True)
    return pd.DataFrame(
        {
            "mpg": raw["Miles_per_Gallon"].astype(float),
            "cylinders": raw["Cylinders"].astype(float),
            "displacement": raw["Displacement"].astype(float),
            "horsepower": raw["Horsepower"].astype(float),
            "weight": raw["Weight_in_lbs"].astype(float),
            "acceleration": raw["Acceleration"].astype(float),
            "model_year": raw["model_year"],
            "origin": raw["Origin"].str.lower(),
            "name": raw["Name"],
        }
    )


def fill_horsepower(cars: pd.DataFrame, fit_rows: np.ndarray) -> pd.DataFrame:
    """Missing horsepower := mean horsepower of the car's origin group (over ``fit_rows``)."""
    group_means = cars.iloc[fit_rows].groupby("origin")["horsepower"].mean()
    cars = cars.copy()
    cars["horsepower"] = cars["horsepower"].fillna(cars["origin"].map(group_means))
    return cars


def encode_origin(cars: pd.DataFrame) -> pd.DataFrame:
    """Origin as one integer column, alphabetical: europe=0, japan=1, usa=2."""
    cars = cars.copy()
    cars["origin"] = cars["origin"].map({name: code for code, name in enumerate(ORIGINS)})
    return cars


def prepared_cars(fit_rows: np.ndarray) -> pd.DataFrame:
    """Fill, label-encode and scale, the steps both Auto MPG tasks share."""
    cars = encode_origin(fill_horsepower(load_cars(), fit_rows))
    return standard_scale(cars, SCALED, fit_rows)


class AutoMPGRegression(TabularDataModule):
    """Predict mpg from 19 features: 5 scaled numerics, origin code, 13 one-hot model years.

    Samples: x float32 (19,), y float32 (1,). Twins: ``mpg_regression`` in lit_models/keras_models.
    """

    source = "Auto MPG (vega_datasets, 398 cars)"

    def num_rows(self) -> int:
        return 398

    def features_and_target(self, fit_rows):
        cars = prepared_cars(fit_rows)
        years = pd.get_dummies(pd.Categorical(cars["model_year"], categories=MODEL_YEARS), prefix="year")
        features = pd.concat([cars[[*SCALED, "origin"]], years], axis=1)
        return as_float32(features.to_numpy(dtype=np.float64)), regression_target(cars["mpg"])


class AutoMPGClassification(TabularDataModule):
    """Predict the origin (3 classes) from mpg, 5 scaled numerics and the unscaled model year.

    The course leaves mpg and model year (70..82) unscaled on purpose ("why is accuracy poor?").
    Samples: x float32 (7,), y int64 class id. Twins: ``mpg_classification``.
    """

    source = "Auto MPG (vega_datasets, 398 cars)"
    num_classes = len(ORIGINS)

    def num_rows(self) -> int:
        return 398

    def features_and_target(self, fit_rows):
        cars = prepared_cars(fit_rows)
        features = cars[["mpg", *SCALED, "model_year"]]
        return as_float32(features.to_numpy(dtype=np.float64)), class_target(cars["origin"])
