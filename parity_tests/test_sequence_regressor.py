"""The time-series and Jena twins beyond the generic harness: data, Keras-like recurrent init,
the single recurrent bias, exact per-layer counts, forecasting, Jena's windows and its download."""

import math
import zipfile

import torch

import numpy as np
import pytest

from datamodules import DataError, JenaDataModule, SeriesDataModule, jena
from datamodules.series import generate_time_series
from parity_tests.conftest import within_draw_bound
from twins.models import make_twins
from twins.parity.counts import extra_torch_parameters
from twins.plots.forecast import autoregressive, predictor
from twins.training.fit_keras import seed_keras
from twins.training.fit_lightning import seed_lightning
from twins.transfer import keras_to_torch


def test_series_are_the_courses_generator_and_split():
    datamodule = SeriesDataModule(n_series=10_000)
    datamodule.setup()
    splits = datamodule.splits
    assert [len(splits.x_train), len(splits.x_val), len(splits.x_test)] == [7000, 2000, 1000]
    assert splits.x_train.shape[1:] == (50, 1) and splits.y_train.shape[1:] == (1,)
    assert splits.x_train.dtype == np.float32
    # the course: 0.5 + 0.2 amplitudes + 0.05 noise bound every value
    assert np.abs(splits.x_train).max() <= 0.75
    # the course's naive baseline (last value) is ≈ 0.02
    assert 0.015 <= datamodule.naive_mse("val") <= 0.025


def test_the_generator_follows_the_formula():
    rng = np.random.default_rng(3)
    series = generate_time_series(rng, 2, 5)
    rng = np.random.default_rng(3)
    f1, f2, o1, o2 = rng.random((4, 2, 1))
    t = np.linspace(0, 1, 5)
    expected = (
        0.5 * np.sin((t - o1) * (f1 * 10 + 10))
        + 0.2 * np.sin((t - o2) * (f2 * 20 + 20))
        + 0.1 * (rng.random((2, 5)) - 0.5)
    )
    np.testing.assert_allclose(series[..., 0], expected, atol=1e-6)


def test_a_bad_split_is_one_clear_error():
    with pytest.raises(DataError, match="split must be three positive fractions"):
        SeriesDataModule(split=[0.5, 0.5])


@pytest.mark.parametrize(
    "model_id, per_layer",
    [
        ("series_simple_rnn", {"recurrent.0": 20, "recurrent.1": 20}),
        ("series_lstm", {"recurrent.0": 80, "recurrent.1": 80}),
        ("jena_lstm", {"recurrent.0": 128}),
    ],
)
def test_torch_extra_recurrent_bias_is_counted_per_layer(model_id, per_layer):
    _, lightning_model, keras_model = make_twins(model_id)
    assert {name: count for name, count, _ in extra_torch_parameters(lightning_model)} == per_layer
    keras_total = keras_model.count_params()
    torch_total = sum(p.numel() for p in lightning_model.parameters())
    assert torch_total - keras_total == sum(per_layer.values())


def test_torch_recurrent_init_is_keras_like():
    seed_lightning(0)
    _, lightning_model, _ = make_twins("series_lstm")
    lstm = lightning_model.recurrent[0]
    units = lstm.hidden_size
    # the recurrent kernel is orthogonal
    torch.testing.assert_close(lstm.weight_hh_l0.T @ lstm.weight_hh_l0, torch.eye(units), atol=1e-5, rtol=0)
    limit = math.sqrt(6 / (1 + 4 * units))  # glorot_uniform of the (1, 4u) kernel
    assert within_draw_bound(lstm.weight_ih_l0, limit)
    expected_bias = torch.zeros(4 * units)
    expected_bias[units : 2 * units] = 1.0  # unit_forget_bias
    torch.testing.assert_close(lstm.bias_ih_l0.detach(), expected_bias)
    assert not lstm.bias_hh_l0.any()


def test_the_second_recurrent_bias_stays_zero_when_trained():
    """torch's bias_hh exists (layout) but never learns: the twin has Keras' one bias."""
    datamodule, lightning_model, _ = make_twins("series_simple_rnn")
    optimizer = lightning_model.configure_optimizers()
    x, y = (torch.from_numpy(a[:32]) for a in datamodule.splits.stage("train"))
    for _ in range(3):
        optimizer.zero_grad()
        lightning_model.loss_fn(lightning_model(x), y).backward()
        optimizer.step()
    for rnn in lightning_model.recurrent:
        assert not rnn.bias_hh_l0.any() and not rnn.bias_hh_l0.grad.any()
        assert rnn.bias_ih_l0.grad.abs().sum() > 0


@pytest.mark.parametrize("model_id", ["series_linear", "series_lstm"])
def test_ten_step_forecasts_of_both_twins_agree(model_id):
    seed_keras(0)
    datamodule, lightning_model, keras_model = make_twins(model_id)
    keras_to_torch(keras_model, lightning_model)
    history = datamodule.splits.x_test[:4]
    keras_forecast = autoregressive(predictor(keras_model), history, 10)
    torch_forecast = autoregressive(predictor(lightning_model), history, 10)
    assert keras_forecast.shape == (4, 10)
    np.testing.assert_allclose(torch_forecast, keras_forecast, atol=1e-5)


# --- Jena -----------------------------------------------------------------------------------------


def test_jena_windows_equal_keras_timeseries_dataset_from_array():
    import keras

    data = np.random.default_rng(0).normal(size=(300, 7)).astype(np.float32)
    targets = data[40:, 1:2]
    x, y = jena.timeseries_windows(data, targets, sequence_length=10, sampling_rate=3)
    dataset = keras.utils.timeseries_dataset_from_array(
        data, targets, sequence_length=10, sampling_rate=3, batch_size=64
    )
    keras_x, keras_y = (
        np.concatenate(parts) for parts in zip(*[(bx.numpy(), by.numpy()) for bx, by in dataset])
    )
    np.testing.assert_array_equal(x, keras_x)
    np.testing.assert_array_equal(y, keras_y)


def test_jena_datamodule_follows_the_course_recipe():
    datamodule = JenaDataModule(source="synthetic", rows=3000, past=60, step=6, future=12)
    datamodule.setup()
    table = datamodule.table()
    features, train_rows = jena.prepare(table, 0.715)
    assert train_rows == int(0.715 * 3000)
    # normalised on the training part
    np.testing.assert_allclose(features[:train_rows].mean(axis=0), 0, atol=1e-9)
    wind = features[:, jena.FEATURES.index("wv (m/s)")]
    assert (table["wv (m/s)"] == -9999).any() and wind.min() > -10  # wind fix
    x, y = datamodule.splits.x_train, datamodule.splits.y_train
    assert x.shape[1:] == (10, 7) and datamodule.batch_size == 256
    # window i starts at row i; its target is the temperature `past + future` rows later
    temperature = features[:, 1]
    np.testing.assert_allclose(x[5, :, 1], temperature[5:65:6], atol=1e-6)
    np.testing.assert_allclose(y[5, 0], temperature[5 + 72], atol=1e-6)
    assert "substitute" in datamodule.source


def _jena_zip(path):
    frame = jena.synthetic_jena(1000, np.random.default_rng(0))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("jena_climate_2009_2016.csv", frame.to_csv(index=False))
    return frame


def test_jena_pinned_checksum_and_offline_error(tmp_path, monkeypatch):
    source = tmp_path / "remote.zip"
    _jena_zip(source)
    monkeypatch.setattr(jena, "JENA_URL", source.as_uri())
    with pytest.raises(DataError, match="checksum mismatch"):
        jena.fetch_jena(tmp_path / "pinned", checksum="sha256:" + "0" * 64)
    monkeypatch.setattr(jena, "JENA_URL", (tmp_path / "absent.zip").as_uri())
    with pytest.raises(DataError, match=r"not available offline.*--data.source synthetic") as error:
        JenaDataModule(source="download", data_dir=str(tmp_path / "empty")).setup()
    assert "\n" not in str(error.value)
