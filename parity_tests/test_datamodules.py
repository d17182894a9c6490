"""The shared datamodules: the course's splits and preprocessing, and identical batches in
both frameworks."""

import keras
import lightning as L
import numpy as np
import pytest
from keras.src.trainers.data_adapters.array_slicing import train_validation_split
from sklearn.model_selection import train_test_split

from datamodules.auto_mpg import ORIGINS, load_cars
from datamodules.core import BatchOrder, keras_validation_split
from datamodules.keras_adapter import keras_train_data
from twins.models import make_datamodule
from twins.registry import specs

from .conftest import MODEL_IDS


def test_auto_mpg_is_the_courses_398_cars():
    cars = load_cars()
    assert len(cars) == 398
    assert cars["horsepower"].isna().sum() == 6
    per_year = cars["model_year"].value_counts().sort_index()
    uci_counts = [29, 28, 28, 40, 27, 30, 34, 28, 36, 29, 29, 29, 31]  # UCI auto-mpg, years 70..82
    assert per_year.index.tolist() == list(range(70, 83))
    assert per_year.tolist() == uci_counts
    assert set(cars["origin"]) == set(ORIGINS)


def test_mpg_regression_features_follow_the_course():
    datamodule = make_datamodule("mpg_regression")
    splits = datamodule.splits
    assert datamodule.input_dim == 19
    assert len(splits.x_train) + len(splits.x_val) + len(splits.x_test) == 398
    assert len(splits.x_test) == 80  # 20 % of 398, rounded up like train_test_split
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    scaled, origin, years = x[:, :5], x[:, 5], x[:, 6:]
    # scaler fitted on all rows (the course's leak)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-5)
    assert set(np.unique(origin)) == {0.0, 1.0, 2.0}
    assert np.all(years.sum(axis=1) == 1)


def test_horsepower_is_filled_with_the_origin_group_mean():
    from datamodules.auto_mpg import fill_horsepower

    cars = load_cars()
    filled = fill_horsepower(cars, np.arange(len(cars)))
    missing = cars["horsepower"].isna()
    for origin, group in cars.groupby("origin"):
        expected = group["horsepower"].mean()
        np.testing.assert_allclose(filled.loc[missing & (cars["origin"] == origin), "horsepower"], expected)


def test_mpg_classification_keeps_year_and_mpg_unscaled():
    splits = make_datamodule("mpg_classification").splits
    x = np.concatenate([splits.x_train, splits.x_val, splits.x_test])
    assert x.shape[1] == 7
    assert x[:, 6].min() == 70 and x[:, 6].max() == 82
    assert x[:, 0].min() > 5  # mpg in miles per gallon
    assert splits.y_train.dtype == np.int64


def test_preprocess_fit_train_removes_the_leak():
    leaky = make_datamodule("mpg_regression", preprocess_fit="all").splits
    clean = make_datamodule("mpg_regression", preprocess_fit="train").splits
    train_rows = np.concatenate([clean.x_train, clean.x_val])
    np.testing.assert_allclose(train_rows[:, :5].mean(axis=0), 0, atol=1e-5)
    assert not np.allclose(leaky.x_test, clean.x_test)


def test_iris_split_is_train_test_split_with_random_state_5():
    from datamodules.iris import load_iris_frame

    splits = make_datamodule("iris_mlp").splits
    _, test_rows = train_test_split(np.arange(150), test_size=0.2, random_state=5)
    np.testing.assert_array_equal(splits.y_test, load_iris_frame()["species"].to_numpy()[test_rows])


@pytest.mark.parametrize("n", [10, 97, 254, 318])
@pytest.mark.parametrize("fraction", [0.1, 0.2, 0.33])
def test_validation_split_is_keras_own_last_fraction(n, fraction):
    x, y = np.arange(n * 2).reshape(n, 2), np.arange(n)
    ours = keras_validation_split(x, y, fraction)
    (kx, ky), (vx, vy) = train_validation_split((x, y), validation_split=fraction)
    for a, b in zip(ours, (kx, ky, vx, vy)):
        np.testing.assert_array_equal(a, b)


def test_batch_order_is_a_pure_function_of_seed_and_epoch():
    order = BatchOrder(100, 32, shuffle=True, seed=7)
    first, again = order.batches(3), BatchOrder(100, 32, shuffle=True, seed=7).batches(3)
    assert [len(b) for b in first] == [32, 32, 32, 4]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(order.batches(3)[0], order.batches(4)[0])
    np.testing.assert_array_equal(np.sort(np.concatenate(first)), np.arange(100))


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_keras_fit_and_lightning_fit_see_the_same_batches_every_epoch(model_id):
    """Record what each framework's own training loop feeds the model, epoch by epoch."""
    datamodule = make_datamodule(model_id, seed=11)
    epochs = 3
    lightning_batches = lightning_training_targets(datamodule, epochs)
    keras_batches = keras_training_targets(datamodule, epochs)
    assert (
        len(lightning_batches) == len(keras_batches) == epochs * datamodule.batch_order("train").num_batches
    )
    for seen_by_lightning, seen_by_keras in zip(lightning_batches, keras_batches):
        np.testing.assert_array_equal(seen_by_lightning, seen_by_keras)


def lightning_training_targets(datamodule, epochs):
    seen = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            seen.append(batch[1].numpy().reshape(-1))

    from twins.models import make_lightning, model_arguments
    from twins.training.fit_lightning import fit_lightning

    model = make_lightning(
        datamodule_model_id(datamodule), model_arguments(datamodule_model_id(datamodule), datamodule)
    )
    fit_lightning(
        model,
        datamodule,
        {
            "max_epochs": epochs,
            "limit_val_batches": 0,
            "enable_progress_bar": False,
            "enable_model_summary": False,
        },
        quiet=True,
        callbacks=[Record()],
    )
    return seen


def keras_training_targets(datamodule, epochs):
    seen = []

    class RecordTargets(keras.losses.Loss):
        def call(self, y_true, y_pred):
            seen.append(np.asarray(y_true).reshape(-1))
            return keras.ops.mean(y_pred * 0.0, axis=-1)  # zero, yet connected to the weights

    model = keras.Sequential([keras.Input(datamodule.input_shape), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=RecordTargets(), run_eagerly=True)  # eager: Python runs per batch
    data, steps = keras_train_data(datamodule)
    model.fit(data, steps_per_epoch=steps, epochs=epochs, verbose=0, shuffle=False)
    return seen


def datamodule_model_id(datamodule) -> str:
    return next(s.id for s in specs().values() if type(datamodule) is s.datamodule_class())
