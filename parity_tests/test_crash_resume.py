"""A real crash: a training process is killed with SIGKILL after some epoch, restarted with
``--resume``, and must end exactly where an uninterrupted run ends (metrics and weights)."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from twins.models import make_datamodule, make_keras, model_arguments
from twins.training.checkpoints import read_checkpoint
from twins.training.run import train_twin

MODEL, EPOCHS, SEED = "mpg_regression", 40, 4
FIRST_CHECKPOINT = {"lightning": "lightning/last.ckpt", "keras": "keras/training_metadata.json"}


def command(framework, out, json_path, *extra):
    return [
        sys.executable,
        "-m",
        "twins.cli",
        "train",
        MODEL,
        "--framework",
        framework,
        "--epochs",
        str(EPOCHS),
        "--seed",
        str(SEED),
        "--quiet",
        "--out",
        str(out),
        "--json",
        str(json_path),
        *extra,
    ]


def start_and_kill_after_first_checkpoint(framework, out):
    process = subprocess.Popen(
        command(framework, out, out / "never.json"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 240
    while not (out / FIRST_CHECKPOINT[framework]).exists():
        assert process.poll() is None, (
            f"the run ended before its first checkpoint: {process.stderr.read()[-500:]}"
        )
        assert time.monotonic() < deadline, "no checkpoint within 4 minutes"
        time.sleep(0.01)
    time.sleep(0.2)  # a few more epochs: the kill lands at an arbitrary point, perhaps mid-save
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert not (out / "never.json").exists()


def final_weights(framework, out):
    if framework == "lightning":
        return [t.numpy() for t in read_checkpoint(out / "lightning" / "last.ckpt")["state_dict"].values()]
    datamodule = make_datamodule(MODEL, SEED)
    model = make_keras(MODEL, model_arguments(MODEL, datamodule))
    model.load_weights(out / "keras_final.weights.h5")
    return model.get_weights()


@pytest.mark.parametrize("framework", ["lightning", "keras"])
def test_sigkilled_training_resumes_to_the_uninterrupted_result(framework, tmp_path):
    crashed = tmp_path / "crashed"
    start_and_kill_after_first_checkpoint(framework, crashed)
    resumed = subprocess.run(
        command(framework, crashed, crashed / "resumed.json", "--resume"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-800:]

    reference_dir = tmp_path / "uninterrupted"
    datamodule = make_datamodule(MODEL, SEED)
    reference = train_twin(
        framework,
        MODEL,
        datamodule,
        model_arguments(MODEL, datamodule),
        SEED,
        EPOCHS,
        {"enable_progress_bar": False, "enable_model_summary": False},
        quiet=True,
        checkpoint_dir=reference_dir,
    )
    record = json.loads((crashed / "resumed.json").read_text())
    expected = reference.final()
    assert [record[s] for s in ("train", "val", "test")] == [expected[s] for s in ("train", "val", "test")]
    for got, want in zip(
        final_weights(framework, crashed), final_weights(framework, reference_dir), strict=True
    ):
        np.testing.assert_array_equal(got, want)
