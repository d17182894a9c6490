"""Jena LSTM twins: train both with the course recipe, plot predicted vs true temperature.

    python scripts/jena_temperature.py [--seed 0] [--epochs N] [--source synthetic|download] [--out runs]

Writes ``<out>/jena_lstm_temperature.png`` (the first 300 validation windows, in °C) and prints
both twins' validation MSE (normalised units) next to the naive "temperature now" baseline.
Default data: the real Jena record (download/cache); ``--source synthetic`` picks the offline substitute.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.pop("TWINS_CONFIG_PROFILE", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import lit_models  # noqa: F401  - torch before TensorFlow
from configs import load_config
from datamodules.jena import FEATURES, TARGET
from twins.models import make_datamodule, model_arguments
from twins.plots.forecast import prediction_plot, predictor
from twins.training.run import train_twin

FRAMEWORKS = ("keras", "lightning")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--source", default="download", choices=["synthetic", "download"])
    parser.add_argument("--out", type=Path, default=Path("runs"))
    options = parser.parse_args(argv)
    datamodule = make_datamodule("jena_lstm", options.seed, source=options.source)
    arguments = model_arguments("jena_lstm", datamodule)
    epochs = options.epochs or load_config("jena_lstm")["trainer"]["max_epochs"]
    quiet = {"enable_progress_bar": False, "enable_model_summary": False}
    results = {
        fw: train_twin(fw, "jena_lstm", datamodule, arguments, options.seed, epochs, quiet, quiet=True)
        for fw in FRAMEWORKS
    }
    x_val, y_val = datamodule.splits.x_val[:300], datamodule.splits.y_val[:300, 0]
    table = datamodule.table()
    raw = table[TARGET].to_numpy()[: int(datamodule.train_fraction * len(table))]
    to_celsius = lambda values: values * raw.std() + raw.mean()  # noqa: E731 - the normalisation, undone
    predictions = {fw: to_celsius(predictor(results[fw].model)(x_val)[:, 0]) for fw in FRAMEWORKS}
    png = prediction_plot(
        to_celsius(y_val),
        predictions,
        f"jena_lstm · {datamodule.source}",
        options.out / "jena_lstm_temperature.png",
        "temperature (°C)",
    )
    naive = float(
        np.mean((datamodule.splits.x_val[:, -1, FEATURES.index(TARGET)] - datamodule.splits.y_val[:, 0]) ** 2)
    )
    record = {fw: results[fw].history["val_loss"][-1] for fw in FRAMEWORKS} | {
        "naive_val_mse": naive,
        "png": str(png),
    }
    print(
        f"jena_lstm · {datamodule.source} · {epochs} epochs: val MSE keras {record['keras']:.4f}, "
        f"lightning {record['lightning']:.4f}, naive {naive:.4f} (normalised units) → {png}"
    )
    return record


if __name__ == "__main__":
    main()
