"""The ``twins`` command line: its JSON contract, determinism and one-line errors."""

import json
import subprocess
import sys

import pytest

from twins.cli import main

from .conftest import MODEL_IDS


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_json_names_every_registered_model(capsys):
    code, out, _ = run_cli(capsys, "list", "--json")
    assert code == 0 and json.loads(out) == {"models": MODEL_IDS}


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_summary_json_contract(capsys, model_id):
    code, out, _ = run_cli(capsys, "summary", model_id, "--json")
    record = json.loads(out)
    assert code == 0 and record["model"] == model_id
    assert set(record["keras"]) >= {"trainable", "non_trainable", "output_shape"}
    assert set(record["lightning"]) >= {"trainable", "buffers", "output_shape"}
    extra = (record["explained_difference"] or {}).get("count", 0)
    assert record["lightning"]["trainable"] - extra == record["keras"]["trainable"]
    assert record["lightning"]["buffers"] == record["keras"]["non_trainable"]
    assert record["keras"]["output_shape"] == record["lightning"]["output_shape"]


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_train_json_is_complete_and_deterministic(capsys, tmp_path, framework):
    records = []
    for run in range(2):
        path = tmp_path / f"{run}.json"
        code, _, _ = run_cli(
            capsys,
            "train",
            "iris_mlp",
            "--framework",
            framework,
            "--seed",
            "3",
            "--epochs",
            "3",
            "--quiet",
            "--json",
            str(path),
        )
        assert code == 0
        records.append(json.loads(path.read_text()))
    first, second = records
    assert {"model", "framework", "train", "val", "test", "seconds_per_epoch"} <= set(first)
    assert set(first["train"]) == set(first["val"]) == set(first["test"]) == {"loss", "accuracy"}
    assert [first[k] for k in ("train", "val", "test")] == [second[k] for k in ("train", "val", "test")]


def test_train_lightning_takes_trainer_flags_and_config_files(capsys, tmp_path):
    config = tmp_path / "small.yaml"
    config.write_text("model:\n  hidden_units: [8]\ndata:\n  batch_size: 16\ntrainer:\n  max_epochs: 2\n")
    path = tmp_path / "run.json"
    code, _, err = run_cli(
        capsys,
        "train",
        "mpg_regression",
        "--framework",
        "lightning",
        "--config",
        str(config),
        "--trainer.accelerator",
        "cpu",
        "--trainer.devices",
        "1",
        "--trainer.precision",
        "32-true",
        "--quiet",
        "--json",
        str(path),
    )
    assert code == 0, err
    record = json.loads(path.read_text())
    assert record["epochs"] == 2 and len(record["history"]["loss"]) == 2


def test_compare_prints_both_frameworks_and_writes_json_and_png(capsys, tmp_path):
    path = tmp_path / "compare.json"
    code, out, _ = run_cli(
        capsys,
        "compare",
        "mpg_regression",
        "--epochs",
        "3",
        "--quiet",
        "--json",
        str(path),
        "--out",
        str(tmp_path / "plots"),
    )
    record = json.loads(path.read_text())
    assert code == 0
    assert "keras" in out and "lightning" in out and "forward max |Δ|" in out
    for framework in ("keras", "lightning"):
        assert {"train", "val", "test", "seconds_per_epoch"} <= set(record[framework])
    assert record["forward_max_abs_diff"] < 1e-4
    assert (tmp_path / "plots" / "mpg_regression_loss.png").stat().st_size > 1000


BAD_COMMANDS = {
    "unknown model": (
        ["summary", "no_such_model"],
        "unknown model 'no_such_model'; valid ids: mpg_regression",
    ),
    "unknown command": (["fly", "mpg_regression"], "unknown command 'fly'"),
    "unknown flag": (
        ["train", "iris_mlp", "--framework", "keras", "--bogus", "1"],
        "unrecognized arguments: --bogus",
    ),
    "wrong value type": (
        ["train", "iris_mlp", "--framework", "lightning", "--trainer.max_epochs", "many"],
        "invalid value for --trainer.max_epochs: 'many'",
    ),
    "missing framework": (["train", "iris_mlp"], "--framework"),
    "trainer flag for keras": (
        ["train", "iris_mlp", "--framework", "keras", "--trainer.devices", "2"],
        "--trainer.devices applies to --framework lightning only",
    ),
    "missing csv": (
        ["train", "csv_regression", "--framework", "keras", "--data.path", "/no/such.csv"],
        "CSV file not found: /no/such.csv",
    ),
    "missing target": (
        ["compare", "csv_regression", "--data.target", "profit"],
        "target column 'profit' is not in CSV",
    ),
}


@pytest.mark.parametrize("case", BAD_COMMANDS)
def test_bad_input_gives_one_line_and_exit_status_2(capsys, tmp_path, case):
    args, message = BAD_COMMANDS[case]
    out_json = tmp_path / "out.json"
    code, _, err = run_cli(
        capsys, *args, *(["--json", str(out_json)] if args[0] in ("train", "compare") else [])
    )
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("twins: error: ") and message in err
    assert not out_json.exists()


def test_garbage_csv_through_the_real_console_script(tmp_path):
    """A real process: exit status 2, one line on stderr, no traceback, no JSON written."""
    csv = tmp_path / "cars.csv"
    csv.write_text("weight,horsepower,sales\n1,2,3\n2,x3,4\n3,4,5\n4,5,6\n5,6,7\n6,7,8\n")
    out_json = tmp_path / "out.json"
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "twins.cli",
            "train",
            "csv_regression",
            "--framework",
            "lightning",
            "--data.path",
            str(csv),
            "--json",
            str(out_json),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert process.returncode == 2
    assert (
        process.stderr.strip() == "twins: error: column 'horsepower' has a non-numeric value 'x3' on line 3"
    )
    assert not out_json.exists()
