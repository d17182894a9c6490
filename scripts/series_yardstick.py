"""The course's yardstick for the time-series twins: test MSE after the course recipe, several seeds.

    python scripts/series_yardstick.py [--seeds 0 1 2] [--models series_linear ...] [--out runs] [--json PATH]

For each seed and model both twins train with the full recipe of ``configs/<id>.yaml``
(10,000 series, 7,000/2,000/1,000; 20 or 2 epochs), each from its own initialisation; the script
prints their test MSEs next to the course's values and the naive last-value baseline, and writes
a 10-step autoregressive forecast of one test series by both twins (``<out>/<id>_forecast.png``).
Reads the configs without the test profile (unset ``TWINS_CONFIG_PROFILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

os.environ.pop("TWINS_CONFIG_PROFILE", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import lit_models  # noqa: F401  - torch before TensorFlow
from configs import load_config
from datamodules.series import generate_time_series, naive_mse
from twins.models import make_datamodule, model_arguments
from twins.plots.forecast import autoregressive, forecast_plot, predictor
from twins.training.run import train_twin

#: What the course reports for its Keras models (test/validation MSE after the recipe).
COURSE = {
    "naive": "≈ 0.02",
    "series_linear": "≈ 0.004",
    "series_simple_rnn": "≈ 0.003",
    "series_lstm": "≈ 0.015–0.02",
}
MODELS = ["series_linear", "series_simple_rnn", "series_lstm"]
FRAMEWORKS = ("keras", "lightning")


def run(model_id: str, seed: int, out: Path | None) -> dict:
    datamodule = make_datamodule(model_id, seed)
    arguments = model_arguments(model_id, datamodule)
    epochs = load_config(model_id)["trainer"]["max_epochs"]
    results = {
        fw: train_twin(
            fw,
            model_id,
            datamodule,
            arguments,
            seed,
            epochs,
            {"enable_progress_bar": False, "enable_model_summary": False},
            quiet=True,
        )
        for fw in FRAMEWORKS
    }
    record = {fw: results[fw].test["loss"] for fw in FRAMEWORKS}
    if out is not None and seed == 0:
        series = generate_time_series(np.random.default_rng(1234), 1, datamodule.n_steps + 10)
        history, truth = series[:, : datamodule.n_steps], series[0, datamodule.n_steps :, 0]
        forecasts = {fw: autoregressive(predictor(results[fw].model), history, 10)[0] for fw in FRAMEWORKS}
        record["forecast_mse"] = {fw: float(np.mean((forecasts[fw] - truth) ** 2)) for fw in FRAMEWORKS}
        record["png"] = str(
            forecast_plot(
                history[0, :, 0],
                truth,
                forecasts,
                f"{model_id}: 10-step forecast",
                out / f"{model_id}_forecast.png",
            )
        )
    return record


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--out", type=Path, default=Path("runs"))
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    datamodule = make_datamodule("series_linear", 0)
    report = {
        "naive": {"val": datamodule.naive_mse("val"), "test": naive_mse(*datamodule.splits.stage("test"))}
    }
    print(
        f"naive last value: val MSE {report['naive']['val']:.4f}, "
        f"test MSE {report['naive']['test']:.4f} (course {COURSE['naive']})"
    )
    for model_id in options.models:
        runs = [run(model_id, seed, options.out) for seed in options.seeds]
        summary = {fw: [r[fw] for r in runs] for fw in FRAMEWORKS}
        means = {fw: statistics.fmean(values) for fw, values in summary.items()}
        gap = abs(means["lightning"] - means["keras"]) / means["keras"]
        report[model_id] = {
            **summary,
            "mean": means,
            "relative_gap": gap,
            **{k: v for k, v in runs[0].items() if k not in FRAMEWORKS},
        }
        print(
            f"{model_id:18} test MSE keras {np.round(summary['keras'], 5).tolist()} "
            f"(mean {means['keras']:.4f}) | "
            f"lightning {np.round(summary['lightning'], 5).tolist()} (mean {means['lightning']:.4f}) | "
            f"gap {gap:.1%} | course {COURSE[model_id]}"
        )
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
