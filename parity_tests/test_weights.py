"""Pretrained weights reach both twins of ``cats_dogs_transfer``, offline.

A Keras MobileNetV2 with seeded random weights is written to an ``.h5`` in keras-applications'
layout under keras-applications' file name, in a temporary ``$KERAS_HOME/models``; the real
``--model.weights imagenet`` option (and ``--model.weights PATH.h5``) must build the Keras base
from it and copy it into the torch base: base forward |Δ| within the model's tolerance before any
training. Keras' download URL points at a closed port on 127.0.0.1, so nothing is fetched; a
missing file is one line naming the file, the folder and the fix, exit status 2.
"""

import json
import socket

import torch

import h5py
import keras
import lightning as L
import numpy as np
import pytest
from keras.src.applications import mobilenet_v2
from keras.src.legacy.saving import legacy_h5_format

from keras_models.mobilenet_transfer import BASE_NAME
from twins.cli import main
from twins.cli.commands import arguments_from, datamodule_from
from twins.cli.options import model_parser, parse
from twins.models import make_keras, make_lightning
from twins.registry import spec

MODEL = "cats_dogs_transfer"
SIZE = 32  # the test profile's image size, MobileNetV2's smallest input
#: keras-applications' file for sizes without their own ImageNet file (all but 96/128/160/192/224)
FILE_NAME = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/keras-applications/mobilenet_v2/"


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty ``$KERAS_HOME`` and Keras' MobileNetV2 URL on a closed local port (offline)."""
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(mobilenet_v2, "BASE_WEIGHT_PATH", closed_port_url())
    return home


def seeded_base(seed: int = 7) -> keras.Model:
    """keras.applications.MobileNetV2(include_top=False) with every weight drawn from ``seed``
    (BatchNorm statistics too: variances in [0.5, 1.5])."""
    base = keras.applications.MobileNetV2(input_shape=(SIZE, SIZE, 3), include_top=False, weights=None)
    rng = np.random.default_rng(seed)
    for layer in base.layers:
        weights = layer.get_weights()
        if isinstance(layer, keras.layers.BatchNormalization):  # gamma, beta, mean, variance
            drawn = [
                rng.uniform(0.5, 1.5, w.shape) if i in (0, 3) else rng.normal(0, 0.1, w.shape)
                for i, w in enumerate(weights)
            ]
        else:
            drawn = [rng.normal(0, 0.1, w.shape) for w in weights]
        layer.set_weights([w.astype(np.float32) for w in drawn])
    return base


def write_h5(base: keras.Model, path) -> None:
    """keras-applications' file layout (the legacy HDF5 weights format, one group per layer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, base)


def built_through_the_cli(*args: str):
    """``(x, lightning_model, keras_model)`` as ``twins summary|train|compare`` build them."""
    options = parse(model_parser("summary", MODEL), list(args))
    datamodule = datamodule_from(MODEL, options)
    arguments = arguments_from(MODEL, datamodule, options)
    return datamodule.splits.x_val[:8], make_lightning(MODEL, arguments), make_keras(MODEL, arguments)


def base_outputs(x, lightning_model, keras_model) -> tuple[np.ndarray, np.ndarray]:
    keras_out = np.asarray(keras_model.get_layer(BASE_NAME)(x, training=False))
    with torch.no_grad():
        torch_out = lightning_model.base.eval()(torch.from_numpy(x).permute(0, 3, 1, 2))
    return keras_out, torch_out.permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("given", ["imagenet", "path"])
def test_pretrained_weights_reach_both_bases(keras_home, tmp_path, given):
    written = seeded_base()
    path = (keras_home / "models" if given == "imagenet" else tmp_path / "mine") / FILE_NAME
    write_h5(written, path)
    weights = "imagenet" if given == "imagenet" else str(path)

    x, lightning_model, keras_model = built_through_the_cli(
        "--model.weights", weights, "--model.calibrate_base", "false"
    )

    loaded = keras_model.get_layer(BASE_NAME).layers
    for layer, source in zip(loaded, written.layers, strict=True):  # Keras loaded the file ...
        for got, expected in zip(layer.get_weights(), source.get_weights(), strict=True):
            np.testing.assert_array_equal(got, expected)
    keras_out, torch_out = base_outputs(x, lightning_model, keras_model)  # ... and torch got it too
    assert np.abs(keras_out - torch_out).max() <= spec(MODEL).tolerance("forward")
    assert np.abs(keras_out).max() > 0.1  # a live base, not vanished activations
    conv1 = written.get_layer("Conv1").get_weights()[0].transpose(3, 2, 0, 1)
    np.testing.assert_array_equal(lightning_model.base.conv1.weight.detach().numpy(), conv1)
    _, random_model, _ = built_through_the_cli("--model.calibrate_base", "false")
    assert not torch.equal(random_model.base.conv1.weight, lightning_model.base.conv1.weight)


def test_missing_imagenet_weights_offline_are_one_line_naming_file_folder_and_fix(keras_home, capsys):
    code = main(["summary", MODEL, "--model.weights", "imagenet", "--model.calibrate_base", "false"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("twins: error: ")
    name = FILE_NAME
    assert f"put {name} in {keras_home / 'models'}" in err
    assert "--model.weights PATH" in err
    assert not (keras_home / "models" / name).exists()  # no partial file left behind


def test_a_weights_path_that_does_not_exist_is_one_line_exit_2(tmp_path, capsys):
    missing = tmp_path / "nowhere.h5"
    code = main(["summary", MODEL, "--model.weights", str(missing), "--json"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"no weights file {missing}" in err


def test_summary_with_imagenet_weights_counts_the_same_model(keras_home, capsys):
    write_h5(seeded_base(), keras_home / "models" / FILE_NAME)
    code = main(
        ["summary", MODEL, "--model.weights", "imagenet", "--model.calibrate_base", "false", "--json"]
    )
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert record["keras"]["trainable"] == record["lightning"]["trainable"] == 1281


def test_a_checkpoint_of_a_pretrained_run_loads_without_the_weights_file(keras_home, tmp_path):
    """A checkpoint holds every weight: loading one made with ``--model.weights imagenet`` must
    not look for the pretrained file again (offline, with it deleted, it would fail)."""
    from twins.training.checkpoints import load_lightning

    path = keras_home / "models" / FILE_NAME
    write_h5(seeded_base(), path)
    _, lightning_model, _ = built_through_the_cli(
        "--model.weights", "imagenet", "--model.calibrate_base", "false"
    )
    trainer = L.Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    trainer.strategy.connect(lightning_model)
    checkpoint = tmp_path / "pretrained.ckpt"
    trainer.save_checkpoint(checkpoint)
    path.unlink()  # the pretrained file is gone; the URL is a closed port

    loaded = load_lightning(MODEL, checkpoint)

    assert torch.equal(loaded.base.conv1.weight, lightning_model.base.conv1.weight)
