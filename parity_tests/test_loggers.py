"""Loggers and callbacks: Lightning's, given by class name as in LightningCLI, beside the project's
own; and ``--logger tensorboard|csv``, one log folder for both twins with the same tags.

The event files are read back with TensorBoard's own reader (``event_accumulator``): the Keras
twin's values arrive as tensor summaries (``tf.summary.scalar``), the Lightning twin's as simple
values (torch's ``SummaryWriter``); TensorBoard's scalar dashboard shows both kinds alike.
"""

import csv
import json

import numpy as np
import pytest
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from twins.cli import main

TRAIN = ["train", "iris_mlp", "--framework", "lightning", "--epochs", "2", "--quiet"]
TAGS = {"train/loss", "train/accuracy", "val/loss", "val/accuracy"}


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def curves(run_dir) -> dict[str, list[tuple[int, float]]]:
    """``{tag: [(step, value), ...]}`` of the event files in ``run_dir`` (scalars and tensors)."""
    reader = event_accumulator.EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    reader.Reload()
    found = {tag: [(e.step, e.value) for e in reader.Scalars(tag)] for tag in reader.Tags()["scalars"]}
    for tag in reader.Tags()["tensors"]:
        found[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in reader.Tensors(tag)]
    return found


def csv_rows(path) -> tuple[list[str], list[dict]]:
    with open(path, newline="") as stream:
        reader = csv.DictReader(stream)
        return reader.fieldnames, list(reader)


# --- Lightning's loggers and callbacks by class name ---------------------------------------------


def test_tensorboard_logger_by_class_name_writes_events_and_says_where(capsys, tmp_path):
    """Before: twins: error: 'Namespace' object has no attribute 'finalize' (the logger was
    handed to the Trainer as jsonargparse's Namespace, never instantiated)."""
    save_dir = tmp_path / "tb"
    code, out, err = run_cli(
        capsys, *TRAIN, "--trainer.logger", "TensorBoardLogger", "--trainer.logger.save_dir", str(save_dir)
    )
    assert code == 0, err
    run = save_dir / "lightning_logs" / "version_0"
    assert set(curves(run)) >= TAGS
    assert f"logs (TensorBoardLogger): {run}" in out
    assert out.splitlines()[0].startswith("train loss")  # --quiet: the result line, then where things went


def test_csv_logger_and_learning_rate_monitor_beside_the_history(capsys, tmp_path):
    record = tmp_path / "run.json"
    code, _, err = run_cli(
        capsys,
        *TRAIN,
        "--trainer.logger",
        "CSVLogger",
        "--trainer.logger.save_dir",
        str(tmp_path / "csv"),
        "--trainer.callbacks+=LearningRateMonitor",
        "--json",
        str(record),
    )
    assert code == 0, err
    columns, rows = csv_rows(tmp_path / "csv" / "lightning_logs" / "version_0" / "metrics.csv")
    assert {"lr-SGD", "train/loss", "val/accuracy", "epoch"} <= set(columns)
    logged = [float(r["train/loss"]) for r in rows if r["train/loss"]]
    history = json.loads(record.read_text())["history"]  # the project's history logger still ran
    np.testing.assert_allclose(logged, history["loss"], rtol=1e-6)


def test_early_stopping_by_class_name_stops_the_lightning_twin(capsys, tmp_path):
    """Before: twins: error: 'Namespace' object has no attribute 'on_exception'."""
    record = tmp_path / "run.json"
    code, _, err = run_cli(
        capsys,
        *TRAIN[:5],
        "4",
        "--quiet",
        "--trainer.callbacks+=EarlyStopping",
        "--trainer.callbacks.monitor",
        "val/loss",
        "--trainer.callbacks.stopping_threshold",
        "1e9",  # every val/loss is below it: stop after the first epoch
        "--json",
        str(record),
    )
    assert code == 0, err
    assert len(json.loads(record.read_text())["history"]["loss"]) == 1


def test_model_checkpoint_saves_under_out_and_says_where(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        capsys,
        *TRAIN,
        "--out",
        str(out_dir),
        "--trainer.callbacks+=ModelCheckpoint",
        "--trainer.callbacks.monitor",
        "val/loss",
    )
    assert code == 0, err
    saved = list((out_dir / "checkpoints").glob("*.ckpt"))
    assert len(saved) == 1 and f"checkpoints (ModelCheckpoint): {out_dir / 'checkpoints'}" in out
    assert not (tmp_path / "history").exists() and not (tmp_path / "checkpoints").exists()


def test_logger_true_writes_under_out_not_the_current_folder(capsys, tmp_path, monkeypatch):
    """Before: ./lightning_logs/version_0/metrics.csv in the current folder, even with --out."""
    monkeypatch.chdir(tmp_path)
    out_dir = tmp_path / "runs"
    code, out, err = run_cli(capsys, *TRAIN, "--out", str(out_dir), "--trainer.logger", "true")
    assert code == 0, err
    run = out_dir / "lightning_logs" / "version_0"
    assert set(curves(run)) >= TAGS  # Lightning's default logger: TensorBoard, now installed
    assert f"logs (TensorBoardLogger): {run}" in out
    assert not (tmp_path / "lightning_logs").exists()


def test_compare_takes_the_lightning_twins_loggers_and_callbacks(capsys, tmp_path):
    record = tmp_path / "compare.json"
    code, out, err = run_cli(
        capsys,
        "compare",
        "iris_mlp",
        "--epochs",
        "3",
        "--quiet",
        "--trainer.logger",
        "CSVLogger",
        "--trainer.logger.save_dir",
        str(tmp_path / "csv"),
        "--trainer.callbacks+=EarlyStopping",
        "--trainer.callbacks.monitor",
        "val/loss",
        "--trainer.callbacks.stopping_threshold",
        "1e9",
        "--json",
        str(record),
    )
    assert code == 0, err
    result = json.loads(record.read_text())
    assert len(result["lightning"]["history"]["loss"]) == 1  # stopped early: the callback is Lightning's
    assert len(result["keras"]["history"]["loss"]) == 3
    assert (tmp_path / "csv" / "lightning_logs" / "version_0" / "metrics.csv").is_file()
    assert "logs (CSVLogger):" in out


# --- --logger: one folder, both twins, the same tags ---------------------------------------------


def test_logger_tensorboard_overlays_both_twins_under_the_same_tags(capsys, tmp_path):
    record = tmp_path / "compare.json"
    code, out, err = run_cli(
        capsys,
        "compare",
        "iris_mlp",
        "--epochs",
        "3",
        "--quiet",
        "--out",
        str(tmp_path),
        "--logger",
        "tensorboard",
        "--json",
        str(record),
    )
    assert code == 0, err
    logs = tmp_path / "logs"
    assert f"tensorboard --logdir {logs}" in out
    result = json.loads(record.read_text())
    for framework in ("keras", "lightning"):
        found = curves(logs / framework)
        assert set(found) == TAGS, (framework, sorted(found))  # nothing else: no epoch_*, no hp_metric
        history = result[framework]["history"]
        for tag, points in found.items():
            stage, _, metric = tag.partition("/")
            assert [step for step, _ in points] == [0, 1, 2]  # step = epoch, in both frameworks
            expected = history[metric if stage == "train" else f"val_{metric}"]
            np.testing.assert_allclose([value for _, value in points], expected, rtol=1e-6)


def test_logger_csv_writes_the_same_columns_for_both_twins(capsys, tmp_path):
    record = tmp_path / "compare.json"
    code, out, err = run_cli(
        capsys,
        "compare",
        "iris_mlp",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        str(tmp_path),
        "--logger",
        "csv",
        "--json",
        str(record),
    )
    assert code == 0, err
    result = json.loads(record.read_text())
    tables = {fw: csv_rows(tmp_path / "logs" / fw / "metrics.csv") for fw in ("keras", "lightning")}
    assert tables["keras"][0] == tables["lightning"][0] == ["epoch", *sorted(TAGS)]
    for framework, (_, rows) in tables.items():
        assert [int(r["epoch"]) for r in rows] == [0, 1]
        np.testing.assert_allclose(
            [float(r["val/loss"]) for r in rows], result[framework]["history"]["val_loss"], rtol=1e-6
        )
        assert f"logs (csv): {tmp_path / 'logs' / framework / 'metrics.csv'}" in out


def test_logger_tensorboard_for_one_twin_in_train(capsys, tmp_path):
    code, _, err = run_cli(
        capsys,
        "train",
        "iris_mlp",
        "--framework",
        "keras",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        str(tmp_path),
        "--logger",
        "tensorboard",
    )
    assert code == 0, err
    assert set(curves(tmp_path / "logs" / "keras")) == TAGS
    assert not (tmp_path / "logs" / "lightning").exists()


@pytest.mark.parametrize("command", ["train", "compare"])
def test_logger_needs_out(capsys, command):
    framework = ["--framework", "lightning"] if command == "train" else []
    code, _, err = run_cli(capsys, command, "iris_mlp", *framework, "--logger", "csv")
    assert code == 2
    assert err == "twins: error: --logger csv needs --out DIR, the folder the logs are written under\n"


def test_keras_history_keys_become_the_lightning_tags():
    from twins.training.fit_keras import lightning_tag

    assert [lightning_tag(k) for k in ("loss", "val_loss", "val_accuracy", "mae")] == [
        "train/loss",
        "val/loss",
        "val/accuracy",
        "train/mae",
    ]


def test_a_logger_without_its_required_argument_is_one_line(capsys):
    """Before: 'invalid value for --trainer.logger: "Namespace(class_path=...)"'."""
    code, _, err = run_cli(capsys, *TRAIN, "--trainer.logger", "CSVLogger")
    assert code == 2
    assert err == "twins: error: --trainer.logger CSVLogger needs --trainer.logger.save_dir\n"
