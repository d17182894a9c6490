"""``RunResult``: what a training run of either framework produced, in Keras' vocabulary."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class RunResult:
    """``history`` uses Keras' keys (``loss``, ``mae``, ``val_loss``, ...); ``test`` maps metric -> value."""

    framework: str
    history: dict[str, list[float]]
    test: dict[str, float]
    epoch_seconds: list[float]
    model: object = field(repr=False)
    is_global_zero: bool = True  # False in the other processes of a multi-process run

    def final(self) -> dict:
        """``{"train", "val", "test", "seconds_per_epoch"}`` as in the CLI's JSON."""
        train = {k: v[-1] for k, v in self.history.items() if not k.startswith("val_")}
        val = {k[len("val_") :]: v[-1] for k, v in self.history.items() if k.startswith("val_")}
        return {
            "train": train,
            "val": val,
            "test": dict(self.test),
            "seconds_per_epoch": self.seconds_per_epoch,
        }

    @property
    def seconds_per_epoch(self) -> float:
        """Median epoch time (training + validation); the first epoch is dropped when there are more."""
        times = self.epoch_seconds[1:] or self.epoch_seconds
        return statistics.median(times)
