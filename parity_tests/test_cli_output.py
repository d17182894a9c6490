"""What the commands print and write: ``--quiet`` alike everywhere (no progress or banners, the
result still printed), one epoch count in both frameworks' progress, output files that others
can read (the user's umask, not ``mkstemp``'s 0600)."""

import json
import os
import re
import stat

import pytest

from twins.cli import main
from twins.io import atomic_write_bytes, save_figure, write_json


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_train_quiet_prints_the_result_line_only(capsys, tmp_path, framework):
    """Before: 'train --quiet' printed nothing at all, not even the result."""
    record = tmp_path / "run.json"
    code, out, err = run_cli(
        capsys,
        "train",
        "iris_mlp",
        "--framework",
        framework,
        "--epochs",
        "2",
        "--quiet",
        "--json",
        str(record),
    )
    assert code == 0, err
    result = json.loads(record.read_text())
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("train ")
    assert f"loss {result['train']['loss']:.4g}" in lines[0]
    assert " | val " in lines[0] and " | test " in lines[0] and lines[0].endswith(" s/epoch")
    assert "Epoch" not in out + err and "iris_mlp ·" not in out  # no progress, no banner


def test_compare_quiet_prints_the_table_without_banners_or_progress(capsys):
    code, out, err = run_cli(capsys, "compare", "iris_mlp", "--epochs", "2", "--quiet")
    assert code == 0, err
    assert "training the" not in out and "Epoch" not in out + err
    assert "forward max |Δ|" in out and "seconds per epoch" in out


def test_cluster_takes_quiet_like_every_command(capsys, monkeypatch):
    """Before: 'twins cluster --quiet' ended with 'unrecognized arguments: --quiet'."""
    seen = {}
    monkeypatch.setattr("twins.cli.cluster.run", lambda options: seen.setdefault("quiet", options.quiet))
    code, _, err = run_cli(capsys, "cluster", "--quiet")
    assert code == 0, err
    assert seen == {"quiet": True}


def test_list_takes_quiet_too(capsys):
    code, out, _ = run_cli(capsys, "list", "--quiet", "--json")
    assert code == 0 and "iris_mlp" in json.loads(out)["models"]


def epoch_labels(capsys, framework) -> set[str]:
    code, out, err = run_cli(capsys, "train", "iris_mlp", "--framework", framework, "--epochs", "2")
    assert code == 0, err
    return set(re.findall(r"Epoch (\d+(?:/\d+)?)\b", out + err))


def test_both_frameworks_count_epochs_from_one_to_n(capsys):
    """Before: Keras printed 'Epoch 2/2' for the last of 2 epochs, Lightning's (rich) bar 'Epoch 1/1'."""
    keras, lightning = epoch_labels(capsys, "keras"), epoch_labels(capsys, "lightning")
    assert keras == {"1/2", "2/2"}
    assert "2/2" in lightning and lightning <= keras  # off a terminal, rich draws only its last frame


def test_the_tqdm_bar_counts_from_one_too(capsys, monkeypatch):
    """Where rich is not installed Lightning shows its tqdm bar ('Epoch 0', 'Epoch 1')."""
    from twins.training import fit_lightning

    monkeypatch.setattr(fit_lightning, "epoch_progress_bar", fit_lightning.EpochProgressBar)
    assert epoch_labels(capsys, "lightning") == {"1/2", "2/2"}


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_honour_the_umask(tmp_path, umask, mode):
    """Before: every JSON/PNG/backup written through mkstemp was 0600, whatever the umask."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    previous = os.umask(umask)
    try:
        written = [
            write_json(tmp_path / "a.json", {"x": 1}),
            atomic_write_bytes(tmp_path / "b.npz", b"data"),
            save_figure(plt.figure(), tmp_path / "c.png"),
        ]
    finally:
        os.umask(previous)
    assert [stat.S_IMODE(path.stat().st_mode) for path in written] == [mode] * 3


def test_the_json_of_a_run_is_readable_by_others(capsys, tmp_path):
    previous = os.umask(0o022)
    try:
        code, _, err = run_cli(
            capsys,
            "compare",
            "iris_mlp",
            "--epochs",
            "1",
            "--quiet",
            "--out",
            str(tmp_path),
            "--json",
            str(tmp_path / "run.json"),
        )
    finally:
        os.umask(previous)
    assert code == 0, err
    for path in (tmp_path / "run.json", tmp_path / "iris_mlp_loss.png"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
