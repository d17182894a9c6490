"""The course's synthetic time series (Day 2): two sines with random frequencies and phases, plus noise.

Generator (the course's, per series): freq1, freq2, offset1, offset2 ~ U[0, 1);
t = linspace(0, 1, n_steps);
x = 0.5·sin((t − offset1)(10·freq1 + 10)) + 0.2·sin((t − offset2)(20·freq2 + 20)) + 0.1·(U[0, 1) − 0.5).
Samples: the first ``n_steps`` values (steps, 1) float32; target: the next value (1,) float32.
Split 7,000 / 2,000 / 1,000 of 10,000 series (train / validation / test), in generation order.
Twins: ``series_linear``, ``series_simple_rnn``, ``series_lstm``.
"""

from __future__ import annotations

import numpy as np
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveInt

from .base import ArrayDataModule
from .core import ArraySplits, as_float32
from .errors import DataError


def generate_time_series(rng: np.random.Generator, batch_size: int, n_steps: int) -> np.ndarray:
    """``batch_size`` series of ``n_steps`` values: float32 (batch_size, n_steps, 1)."""
    freq1, freq2, offset1, offset2 = rng.random((4, batch_size, 1))
    time = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time - offset1) * (freq1 * 10 + 10))
    series += 0.2 * np.sin((time - offset2) * (freq2 * 20 + 20))
    series += 0.1 * (rng.random((batch_size, n_steps)) - 0.5)
    return as_float32(series[..., np.newaxis])


def naive_mse(x: np.ndarray, y: np.ndarray) -> float:
    """The course's baseline: predict the last observed value; its mean squared error."""
    return float(np.mean(np.square(x[:, -1, :] - y)))


class SeriesDataModule(ArrayDataModule):
    """Two-sine series, one-step-ahead targets; the course's split by counts.

    Args:
        n_series: series generated (the course: 10,000).
        n_steps: observed steps per sample (the course: 50); each series has ``n_steps + 1`` values.
        split: ``[train, validation, test]`` fractions of the series (the course: 0.7, 0.2, 0.1).
        data_seed: seed of the generator (the batch order has its own ``seed``).
    """

    source = "synthetic two-sine time series (the course's generator)"

    def __init__(
        self,
        n_series: PositiveInt = 10_000,
        n_steps: PositiveInt = 50,
        split: list[OpenUnitInterval] = (0.7, 0.2, 0.1),
        data_seed: NonNegativeInt = 42,
        batch_size: PositiveInt = 32,
        seed: NonNegativeInt = 0,
    ):
        super().__init__(batch_size=batch_size, validation_split=0.0, seed=seed)
        if len(split) != 3 or abs(sum(split) - 1.0) > 1e-9 or min(split) <= 0:
            raise DataError(f"split must be three positive fractions that sum to 1, got {list(split)}")
        if n_steps < 2 or n_series < 3:
            raise DataError(
                f"need n_steps >= 2 and n_series >= 3, got n_steps={n_steps}, n_series={n_series}"
            )
        self.n_series, self.n_steps, self.split, self.data_seed = n_series, n_steps, list(split), data_seed

    def load_splits(self) -> ArraySplits:
        series = generate_time_series(np.random.default_rng(self.data_seed), self.n_series, self.n_steps + 1)
        x, y = series[:, :-1], series[:, -1]
        train_end = round(self.n_series * self.split[0])
        val_end = train_end + round(self.n_series * self.split[1])
        return ArraySplits(
            x[:train_end], y[:train_end], x[train_end:val_end], y[train_end:val_end], x[val_end:], y[val_end:]
        )

    def model_inputs(self) -> dict:
        return {"input_shape": list(self.input_shape)}

    def naive_mse(self, stage: str = "val") -> float:
        """MSE of the last-value baseline on ``stage`` (the course reports it on validation)."""
        self.setup()
        return naive_mse(*self.splits.stage(stage))
