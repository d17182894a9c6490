"""Faults a hostile or unlucky user meets (issue 18, and issue 17's broken files): no code runs from a
checkpoint, damaged checkpoints fall back or are named with the fix, SIGTERM ends a run as a
failure, a resumed run reports every epoch, and two runs never share an ``--out`` folder."""

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

import numpy as np
import pytest

from twins.cli import main
from twins.training.checkpoints import read_checkpoint

PRODUCT = ("twins", "lit_models", "keras_models", "datamodules", "exercises")
ROOT = Path(__file__).resolve().parent.parent
MARKER_NAME = "code-from-the-file-ran"


class Payload:
    """Unpickled, it creates ``marker`` (what an ``os.system`` payload would do, harmlessly)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def train(out, framework="lightning", epochs=2, *extra, model="iris_mlp", json_path=None):
    """``twins train`` in this process; ``(exit status, stderr lines)``."""
    args = ["train", model, "--framework", framework, "--epochs", str(epochs), "--quiet", "--out", str(out)]
    args += [*(["--json", str(json_path)] if json_path else []), *extra]
    return main(args)


def run_cli(capsys, *args, **kwargs):
    capsys.readouterr()
    code = train(*args, **kwargs)
    return code, capsys.readouterr().err.splitlines()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Both twins of iris_mlp trained 2 epochs with checkpoints (a folder per framework)."""
    root = tmp_path_factory.mktemp("trained")
    for framework in ("lightning", "keras"):
        assert train(root / framework, framework, 2, json_path=root / f"{framework}.json") == 0
    return root


@pytest.fixture
def out(trained, tmp_path, request):
    """A fresh copy of the trained folder of the test's ``framework``."""
    callspec = getattr(request.node, "callspec", None)
    framework = callspec.params.get("framework", "lightning") if callspec else "lightning"
    shutil.copytree(trained / framework, tmp_path / "out")
    return tmp_path / "out"


# --- 1. no code runs from a checkpoint ------------------------------------------------------------


def test_the_product_code_never_unpickles():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in PRODUCT
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"pickle\.loads?\(|allow_pickle=True|weights_only=False", line)
    ]
    assert found == []


def lightning_plantings(checkpoint: dict, marker) -> dict:
    """``{field: checkpoint with a payload there}``: every top-level field, the RNG states as pickled
    bytes (what the project wrote before) and as objects."""
    plantings = {key: {**checkpoint, key: Payload(marker)} for key in checkpoint}
    for name in ("torch", "numpy", "python"):
        for kind, value in (("bytes", pickle.dumps(Payload(marker))), ("object", Payload(marker))):
            states = {**checkpoint["rng_states"], name: value}
            plantings[f"rng_states.{name} ({kind})"] = {**checkpoint, "rng_states": states}
    numpy_state = {**checkpoint["rng_states"]["numpy"], "algorithm": pickle.dumps(Payload(marker))}
    plantings["rng_states.numpy.algorithm"] = {
        **checkpoint,
        "rng_states": {**checkpoint["rng_states"], "numpy": numpy_state},
    }
    history = {"loss": [pickle.dumps(Payload(marker))]}
    plantings["twins_history.loss"] = {**checkpoint, "twins_history": history}
    return plantings


def test_no_field_of_a_lightning_checkpoint_runs_code(out, tmp_path, capsys):
    marker = tmp_path / MARKER_NAME
    last = out / "lightning" / "last.ckpt"
    checkpoint = read_checkpoint(last)
    assert {"twins_model_id", "rng_states", "twins_history", "state_dict"} <= set(checkpoint)
    for field, planted in lightning_plantings(checkpoint, marker).items():
        for path in (last, Path(f"{last}.bkp")):
            torch.save(planted, path)
        code, err = run_cli(capsys, out, "lightning", 3, "--resume")
        assert not marker.exists(), field
        assert code == 2 and len(err) == 1, (field, err)
        assert str(last) in err[0] and "not a checkpoint this project wrote" in err[0], (field, err)


def keras_plantings(backup: Path, marker) -> dict:
    """``{file: bytes}``: every file of the Keras backup replaced by a pickle, the states file by an
    ``.npz`` with an object array (which only ``allow_pickle=True`` would unpickle)."""
    plantings = {path.name: pickle.dumps(Payload(marker)) for path in backup.iterdir()}
    for path in backup.glob("random_states_epoch*.npz"):
        with np.load(path) as saved:
            arrays = dict(saved)
        arrays["state0"] = np.array([Payload(marker)], dtype=object)
        buffer = __import__("io").BytesIO()
        np.savez(buffer, **arrays)
        plantings[path.name] = buffer.getvalue()
    return plantings


def test_no_file_of_a_keras_backup_runs_code(trained, tmp_path, capsys):
    marker = tmp_path / MARKER_NAME
    names = sorted(p.name for p in (trained / "keras" / "keras").iterdir())
    assert "training_metadata.json" in names and "random_states_epoch2.npz" in names
    for name in names:
        out = tmp_path / name
        shutil.copytree(trained / "keras", out)
        backup = out / "keras"
        planted = keras_plantings(backup, marker)[name]
        (backup / name).write_bytes(planted)
        if not name.startswith("random_states"):  # the previous copy too: nothing to fall back to
            previous = backup / (name.removesuffix(".bkp") + ("" if name.endswith(".bkp") else ".bkp"))
            previous.write_bytes(planted)
        else:  # both epochs' states: the latest backup's and the previous one's
            for states in backup.glob("random_states_epoch*.npz"):
                states.write_bytes(planted)
        code, err = run_cli(capsys, out, "keras", 3, "--resume")
        assert not marker.exists(), name
        assert code == 2 and len(err) == 1, (name, err)
        assert str(backup) in err[0] and "not a checkpoint this project wrote" in err[0], (name, err)


def test_predict_refuses_a_checkpoint_that_would_run_code(tmp_path, capsys):
    from PIL import Image

    marker = tmp_path / MARKER_NAME
    image = tmp_path / "photo.png"
    Image.new("L", (28, 28), 200).save(image)
    checkpoint = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": Payload(marker)}, checkpoint)
    capsys.readouterr()
    code = main(["predict", "fashion_mlp", "--image", str(image), "--checkpoint", str(checkpoint), "--quiet"])
    err = capsys.readouterr().err.splitlines()
    assert not marker.exists()
    assert code == 2 and len(err) == 1 and str(checkpoint) in err[0]
    assert "not a checkpoint this project wrote" in err[0] and "Weights only" not in err[0]


# --- 5. broken checkpoints: fall back to the previous one, or name the file ---------------------


def damage(path: Path, how) -> None:
    data = path.read_bytes()
    path.write_bytes(bytes(len(data)) if how == "zeros" else data[:how])


DAMAGES = [0, 1, 100, 2000, -30, "zeros"]  # empty, cut at several offsets, zero-filled


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_lightning_checkpoint_falls_back_to_the_previous_one(out, how, capsys):
    last = out / "lightning" / "last.ckpt"
    damage(last, how if how != -30 else last.stat().st_size - 30)
    code, err = run_cli(capsys, out, "lightning", 2, "--resume", json_path=out / "r.json")
    assert code == 0, err
    assert len(err) == 1 and str(last) in err[0] and f"resuming from {last}.bkp" in err[0]
    assert len(json.loads((out / "r.json").read_text())["history"]["loss"]) == 2


@pytest.mark.parametrize("how", DAMAGES)
def test_a_lightning_folder_with_nothing_usable_names_the_file_and_the_fix(out, how, capsys):
    last = out / "lightning" / "last.ckpt"
    for path in (last, Path(f"{last}.bkp")):
        damage(path, how if how != -30 else path.stat().st_size - 30)
    code, err = run_cli(capsys, out, "lightning", 2, "--resume")
    assert code == 2 and len(err) == 1, err
    assert str(last) in err[0] and "use another --out, or delete" in err[0]
    assert "Errno" not in err[0] and "EOFError" not in err[0]


@pytest.mark.parametrize("framework", ["keras"])
@pytest.mark.parametrize("name", ["latest.weights.h5", "training_metadata.json", "random_states_epoch2.npz"])
@pytest.mark.parametrize("how", [0, 9, -5, "zeros"])
def test_a_damaged_keras_backup_falls_back_to_the_previous_one(out, framework, name, how, capsys):
    """``training_metadata.json`` cut by a SIGKILL mid-write is the flaky crash-resume test's case."""
    damage(out / "keras" / name, how)
    code, err = run_cli(capsys, out, "keras", 2, "--resume", json_path=out / "r.json")
    assert code == 0, err
    assert len(err) == 1 and name in err[0] and "resuming from" in err[0] and ".bkp" in err[0]
    assert len(json.loads((out / "r.json").read_text())["history"]["loss"]) == 2


@pytest.mark.parametrize("framework", ["keras"])
@pytest.mark.parametrize("how", [0, 9000, -5, "zeros"])
def test_a_keras_backup_with_both_copies_damaged_names_the_file_and_the_fix(out, framework, how, capsys):
    backup = out / "keras"
    for name in ("latest.weights.h5", "latest.weights.h5.bkp"):
        damage(backup / name, how)
    code, err = run_cli(capsys, out, "keras", 2, "--resume")
    assert code == 2 and len(err) == 1, err
    assert "latest.weights.h5" in err[0] and "use another --out, or delete" in err[0]
    assert "not a checkpoint this project wrote, or it is damaged" in err[0]


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_resuming_another_model_or_architecture_is_the_model_id_line(out, framework, capsys):
    code, err = run_cli(capsys, out, framework, 2, "--resume", model="mpg_classification")
    assert code == 2 and len(err) == 1 and "belongs to model 'iris_mlp', not 'mpg_classification'" in err[0]
    code, err = run_cli(capsys, out, framework, 2, "--resume", "--model.hidden_units", "[8, 4]")
    assert code == 2 and len(err) == 1 and "another architecture of 'iris_mlp'" in err[0], err
    assert "state_dict" not in err[0]


# --- 3. a resumed run reports every epoch -----------------------------------------------------------


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_a_finished_run_resumed_reports_its_final_metrics(trained, out, framework, capsys):
    code, err = run_cli(capsys, out, framework, 2, "--resume", json_path=out / "again.json")
    assert code == 0 and err == []
    first, again = (json.loads(p.read_text()) for p in (trained / f"{framework}.json", out / "again.json"))
    assert {k: again[k] for k in ("train", "val", "test", "history")} == {
        k: first[k] for k in ("train", "val", "test", "history")
    }


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_a_resumed_runs_history_holds_every_epoch(out, framework, tmp_path):
    assert train(out, framework, 4, "--resume", json_path=out / "resumed.json") == 0
    assert train(tmp_path / "straight", framework, 4, json_path=tmp_path / "straight.json") == 0
    paths = (out / "resumed.json", tmp_path / "straight.json")
    resumed, straight = (json.loads(p.read_text()) for p in paths)
    assert len(resumed["history"]["loss"]) == 4
    assert resumed["history"].keys() == straight["history"].keys()
    for key, values in straight["history"].items():
        np.testing.assert_allclose(resumed["history"][key], values, rtol=1e-6, err_msg=key)


# --- 2 and 4: real signals, real second processes ---------------------------------------------------

SLOW = ["mpg_regression", "--seed", "4", "--quiet"]
FIRST_CHECKPOINT = {"lightning": "lightning/last.ckpt", "keras": "keras/training_metadata.json"}


def start(framework, out, *extra, epochs=100_000):  # runs until the test ends it
    command = [sys.executable, "-m", "twins.cli", "train", *SLOW, "--framework", framework, "--out", str(out)]
    command += ["--epochs", str(epochs)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [*command, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment
    )


def wait_for(process, path: Path, seconds=240):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, f"the run ended first: {process.stderr.read()[-500:]}"
        assert time.monotonic() < deadline, f"no {path} within {seconds} s"
        time.sleep(0.02)


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_sigterm_ends_training_with_143_and_one_line(framework, tmp_path):
    out = tmp_path / "out"
    process = start(framework, out, "--json", str(tmp_path / "never.json"))
    wait_for(process, out / FIRST_CHECKPOINT[framework])
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    err = process.communicate(timeout=120)[1].strip().splitlines()
    assert process.returncode == 143, err
    match = re.fullmatch(r"twins: stopped by SIGTERM after epoch (\d+); resume with --resume", err[-1])
    assert match and len(err) == 1, err
    if framework == "lightning":
        saved = len(read_checkpoint(out / "lightning" / "last.ckpt")["twins_history"]["loss"])
    else:
        saved = json.loads((out / "keras" / "training_metadata.json").read_text())["epoch"]
    assert saved == int(match.group(1)) >= 1
    assert not (tmp_path / "never.json").exists()


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_a_second_run_on_a_folder_in_use_is_refused_and_a_dead_ones_lock_taken_over(framework, tmp_path):
    out = tmp_path / "out"
    first = start(framework, out)
    wait_for(first, out / FIRST_CHECKPOINT[framework])
    second = start(framework, out)
    err = second.communicate(timeout=120)[1].strip().splitlines()
    assert second.returncode == 2 and len(err) == 1, err
    assert err[0] == (
        f"twins: error: --out {out} is in use by another run (pid {first.pid}); "
        "wait for it to end, or use another --out"
    )
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert (out / ".twins.lock").read_text().strip() == str(first.pid)  # stale: its process is dead
    third = start(framework, out, epochs=1)  # a fresh one-epoch run in the folder
    err = third.communicate(timeout=180)[1]
    assert third.returncode == 0, err[-500:]
    assert not (out / ".twins.lock").exists()
