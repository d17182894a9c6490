"""Safe loading of saved twins, and outputs that are never left half-written."""

import errno
import os

import torch

import numpy as np
import pytest

from datamodules.torch_adapter import to_torch_layout
from twins.cli import main
from twins.errors import CheckpointError
from twins.io import OutputError, write_json
from twins.models import make_datamodule, model_arguments
from twins.training.checkpoints import load_keras, load_lightning
from twins.training.run import train_twin

QUIET = {"enable_progress_bar": False, "enable_model_summary": False}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Both twins of iris_mlp trained 2 epochs with checkpoints in one folder."""
    out = tmp_path_factory.mktemp("saved")
    datamodule = make_datamodule("iris_mlp", 0)
    arguments = model_arguments("iris_mlp", datamodule)
    runs = {
        fw: train_twin(fw, "iris_mlp", datamodule, arguments, 0, 2, QUIET, quiet=True, checkpoint_dir=out)
        for fw in ("lightning", "keras")
    }
    return out, datamodule, arguments, runs


def test_a_lightning_checkpoint_loads_with_weights_only(saved):
    out, datamodule, _, runs = saved
    model = load_lightning("iris_mlp", out / "lightning" / "last.ckpt")
    x = to_torch_layout(datamodule.splits.x_test)
    with torch.no_grad():
        torch.testing.assert_close(model(x), runs["lightning"].model.eval()(x), rtol=0, atol=0)


def test_keras_weights_load_into_a_fresh_twin(saved):
    out, datamodule, arguments, runs = saved
    model = load_keras("iris_mlp", out / "keras_final.weights.h5", arguments)
    x = datamodule.splits.x_test
    np.testing.assert_array_equal(model(x), runs["keras"].model(x))


def test_a_checkpoint_of_another_model_is_refused(saved):
    out = saved[0]
    with pytest.raises(CheckpointError, match="belongs to model 'iris_mlp', not 'mpg_classification'"):
        load_lightning("mpg_classification", out / "lightning" / "last.ckpt")


def test_files_of_the_other_framework_are_refused(saved):
    out, _, arguments, _ = saved
    with pytest.raises(CheckpointError, match="is not a checkpoint this project wrote"):
        load_lightning("iris_mlp", out / "keras_final.weights.h5")
    with pytest.raises(CheckpointError, match="does not fit the Keras twin of 'iris_mlp'"):
        load_keras("iris_mlp", out / "lightning" / "last.ckpt", arguments)


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    """``weights_only=True``: unpickling an arbitrary object (here a ``bytearray`` subclass) is refused."""
    path = tmp_path / "evil.ckpt"
    torch.save({"state_dict": {}, "payload": EvilPayload(b"x")}, path)
    with pytest.raises(CheckpointError, match="not a checkpoint this project wrote"):
        load_lightning("iris_mlp", path)


class EvilPayload(bytearray):
    pass


def test_output_into_a_path_below_a_file_is_one_line_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    code = main(
        [
            "train",
            "iris_mlp",
            "--framework",
            "lightning",
            "--epochs",
            "1",
            "--quiet",
            "--json",
            str(blocker / "out.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and f"cannot write {blocker}" in err


def test_a_full_disk_leaves_no_half_written_file(tmp_path, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OutputError, match="No space left on device"):
        write_json(tmp_path / "report.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []
