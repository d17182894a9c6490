"""Faults of the command line found red-teaming it (issue 18.5 and 18.7): a CSV that would leak the
target, output paths that are files or folders where the other is needed, ``--resume`` into
nothing, and failed runs leaving empty folders behind. Each ends in one line naming the user's
path (never an internal temporary or probe file), exit status 2, before any work."""

import subprocess
import sys
from pathlib import Path

import pytest

from twins.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sales_csv(tmp_path, header: str, row) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text(header + "\n" + "".join(row(i) + "\n" for i in range(20)))
    return path


def test_a_duplicated_target_is_refused_by_the_command(tmp_path):
    """Issue 18.5 through ``python -m twins.cli``: pandas reads the copy as ``sales.1``, a feature
    (test MAE 0.19 instead of 5.15). Already refused when checked here; before, its ``--out`` was
    left behind as an empty folder."""
    path = sales_csv(tmp_path, "weekday,temp,sales,sales", lambda i: f"{i % 7},{i},{2 * i},{2 * i}")
    command = [sys.executable, "-m", "twins.cli", "train", "csv_regression", "--framework", "lightning"]
    done = subprocess.run(
        [*command, "--data.path", str(path), "--data.target", "sales", "--quiet", "--out", tmp_path / "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "duplicated column names: 'sales' (columns 3, 4)" in done.stderr
    assert not (tmp_path / "run").exists()  # refused before any folder was made


def test_a_feature_identical_to_the_target_is_refused_naming_it(capsys, tmp_path):
    path = sales_csv(tmp_path, "weekday,revenue,sales", lambda i: f"{i % 7},{i * 3}.5,{i * 3}.5")
    code, _, err = run_cli(capsys, "train", "csv_regression", "--framework", "keras", "--data.path", path)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("twins: error: column 'revenue' is a copy of the target 'sales'")
    assert err.endswith("leave it out with --data.exclude revenue\n")


def test_an_out_that_is_a_file_is_named_so(capsys, tmp_path):
    """Before: "cannot write FILE/.probe.PID: File exists"."""
    regular = tmp_path / "results"
    regular.write_text("notes")
    code, out, err = run_cli(capsys, "train", "fashion_mlp", "--framework", "lightning", "--out", regular)
    assert code == 2 and out == ""
    assert (
        err
        == f"twins: error: --out {regular} is a file, not a folder; give a folder (it is made if missing)\n"
    )


@pytest.mark.parametrize("option", ["--out", "--json"])
def test_a_file_where_a_folder_is_needed_is_named_not_a_probe(capsys, tmp_path, option):
    """Before: "cannot write FILE/sub/.probe.PID: Not a directory" — an internal file name."""
    regular = tmp_path / "results"
    regular.write_text("notes")
    target = regular / "sub" / ("run.json" if option == "--json" else "run")
    code, _, err = run_cli(capsys, "compare", "fashion_mlp", "--epochs", "1", option, target)
    assert code == 2 and ".probe" not in err
    assert err == f"twins: error: cannot write {target} ({option}): {regular} is a file, not a folder\n"


def test_a_json_path_that_is_a_folder_is_named_so(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "fashion_mlp", "--framework", "keras", "--json", tmp_path)
    assert code == 2 and err.startswith(f"twins: error: --json {tmp_path} is a folder, not a file")


@pytest.mark.parametrize("command", ["train", "compare"])
def test_a_run_refused_for_its_data_leaves_no_empty_folder(capsys, tmp_path, command):
    """Before: ``--out`` (and ``--json``'s folder) was made first, then the CSV was refused."""
    path = sales_csv(tmp_path, "weekday,revenue,sales", lambda i: f"{i % 7},{i * 3}.5,{i * 3}.5")
    framework = ["--framework", "lightning"] if command == "train" else ["--epochs", "1"]
    outputs = ["--out", tmp_path / "new" / "out", "--json", tmp_path / "json" / "run.json"]
    code, _, err = run_cli(capsys, command, "csv_regression", *framework, "--data.path", path, *outputs)
    assert code == 2 and "is a copy of the target" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sales.csv"]


def test_resume_into_an_out_that_does_not_exist_says_so(capsys, tmp_path):
    """Before: it silently trained from scratch."""
    out = tmp_path / "typo"
    code, _, err = run_cli(
        capsys, "train", "fashion_mlp", "--framework", "lightning", "--epochs", "1", "--quiet", "--out", out,
        "--resume",
    )  # fmt: skip
    assert code == 0, err
    assert (
        f"twins: notice: --resume: --out {out} does not exist, so there is nothing to resume; "
        "training from scratch\n"
    ) in err
    assert (out / "lightning" / "last.ckpt").is_file()


@pytest.mark.parametrize(
    "command",
    [
        ["featuremaps", "mnist_cnn", "--epochs", "1"],
        ["pictures", "fashion_autoencoder", "--epochs", "1"],
        ["cluster"],
    ],
    ids=["featuremaps", "pictures", "cluster"],
)
def test_an_out_that_is_a_file_is_refused_before_any_training(tmp_path, capsys, command):
    """``featuremaps``, ``pictures`` and ``cluster`` check ``--out`` first: a file in its place is one
    line and exit 2 before any data is loaded or any epoch runs (no banner, no progress)."""
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    code, out, err = run_cli(capsys, *command, "--out", blocker, "--quiet")
    assert code == 2
    expected = f"twins: error: --out {blocker} is a file, not a folder; give a folder (it is made if missing)"
    assert err.strip().splitlines() == [expected]
    assert out == ""
