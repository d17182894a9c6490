"""Forecasts of the sequence twins and their pictures (matplotlib, no display needed).

- ``autoregressive``: the course's 10-step forecast — predict one step, append it, predict the
  next from the last ``n_steps`` values, ten times.
- ``predictor``: one numpy → numpy function for either twin, so both forecast through the same code.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from twins.io import save_figure
from twins.plots.curves import COLORS


def predictor(model):
    """``x (n, steps, features) float32 → (n, 1)`` of a Lightning twin or a Keras twin."""
    if hasattr(model, "keras_output"):
        import torch

        model.eval()

        def predict_torch(x):
            with torch.no_grad():
                return model.keras_output(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()

        return predict_torch
    return lambda x: np.asarray(model(np.ascontiguousarray(x, dtype=np.float32), training=False))


def autoregressive(predict, x: np.ndarray, steps_ahead: int = 10) -> np.ndarray:
    """Feed each prediction back in: x (n, steps, 1) → forecasts (n, steps_ahead)."""
    window = x.shape[1]
    series = x.copy()
    for _ in range(steps_ahead):
        step = predict(series[:, -window:])[:, None, :]
        series = np.concatenate([series, step.astype(series.dtype)], axis=1)
    return series[:, window:, 0]


def forecast_plot(history: np.ndarray, truth: np.ndarray, forecasts: dict[str, np.ndarray], title: str, path):
    """One series: the observed steps, the true next values and each twin's forecast, as a PNG."""
    figure, axes = plt.subplots(figsize=(8, 4))
    observed = np.arange(len(history))
    ahead = np.arange(len(history), len(history) + len(truth))
    axes.plot(observed, history, ".-", color="tab:blue", label="observed")
    axes.plot(ahead, truth, "o-", color="tab:green", label="actual")
    for framework, values in forecasts.items():
        axes.plot(ahead, values, "x--", color=COLORS.get(framework), label=f"{framework} forecast")
    axes.set(xlabel="time step", ylabel="value", title=title)
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)


def prediction_plot(truth: np.ndarray, predictions: dict[str, np.ndarray], title: str, path, ylabel: str):
    """Consecutive targets and each twin's predictions of them, as a PNG."""
    figure, axes = plt.subplots(figsize=(9, 4))
    axes.plot(truth, color="tab:green", label="true")
    for framework, values in predictions.items():
        axes.plot(values, color=COLORS.get(framework), linestyle="--", label=f"{framework} prediction")
    axes.set(xlabel="window", ylabel=ylabel, title=title)
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)
