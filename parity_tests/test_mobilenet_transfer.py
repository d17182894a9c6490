"""``cats_dogs_transfer`` beyond the generic harness: Keras-style padding by value, frozen
BatchNorm in inference mode through Lightning's loop, the fine-tuning phase (same layers
unfrozen, exact counts, trajectory and moving statistics), the CLI's two phases, and the
binary accuracy on logits."""

import json

import torch

import keras
import numpy as np
import pytest

from keras_models.mobilenet_transfer import BASE_NAME, start_fine_tuning
from lit_models.keras_compat.metrics import LogitBinaryAccuracy
from lit_models.keras_compat.mobilenet_v2 import SameConv2d, correct_pad
from twins import parity
from twins.cli import main
from twins.models import make_twins
from twins.training.fit_keras import fit_keras
from twins.training.fit_lightning import fit_lightning
from twins.transfer import keras_to_torch

from .parity_suite import QUIET

MODEL = "cats_dogs_transfer"


@pytest.mark.parametrize("size", [(32, 32), (33, 31)])
def test_stride_2_padding_is_keras_by_value(size):
    """Conv1 (``padding="same"``, stride 2) and the ZeroPadding2D before stride-2 depthwise convs."""
    from keras.src.applications.imagenet_utils import correct_pad as keras_correct_pad

    (top, bottom), (left, right) = keras_correct_pad(np.zeros((1, *size, 3)), 3)
    assert correct_pad(size) == (left, right, top, bottom)
    x = np.random.default_rng(0).normal(size=(2, *size, 3)).astype(np.float32)
    layer = keras.layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False)
    expected = np.asarray(layer(x))
    conv = SameConv2d(3, 4, 3, stride=2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(layer.get_weights()[0].transpose(3, 2, 0, 1)))
        got = conv(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_logit_accuracy_thresholds_at_zero_even_when_all_logits_lie_in_0_1():
    metric = LogitBinaryAccuracy()
    metric.update(torch.tensor([[0.2], [0.4], [0.9]]), torch.tensor([[1.0], [1.0], [1.0]]))
    assert metric.compute().item() == 1.0  # torchmetrics' guess would threshold these at 0.5: 1/3


@pytest.fixture
def twins():
    return make_twins(MODEL, seed=0)


def batch_norms(lightning_model):
    return [m for m in lightning_model.base.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def test_frozen_batch_norm_stays_in_inference_mode_through_lightning_fit(twins):
    datamodule, lightning_model, _ = twins
    before = [m.running_mean.clone() for m in batch_norms(lightning_model)]
    modes = []

    class Spy(__import__("lightning").Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            modes.append({m.training for m in batch_norms(pl_module)})

    fit_lightning(
        lightning_model,
        datamodule,
        {"max_epochs": 2, "limit_train_batches": 2, **QUIET},
        quiet=True,
        callbacks=[Spy()],
    )
    assert modes == [{False}] * 4
    for old, norm in zip(before, batch_norms(lightning_model)):
        torch.testing.assert_close(norm.running_mean, old, rtol=0, atol=0)


def test_fine_tuning_unfreezes_the_same_layers_in_both_and_counts_stay_exact(twins):
    _, lightning_model, keras_model = twins
    start_fine_tuning(keras_model)
    lightning_model.start_fine_tuning()
    counts = parity.check_parameter_counts(lightning_model, keras_model)
    assert counts["keras"] == {"trainable": 1_862_721, "non_trainable": 396_544}  # Keras' own numbers
    keras_layers = keras_model.get_layer(BASE_NAME).layers
    torch_layers = lightning_model.base.keras_layers()
    # all but [0], the input layer (input_layer_<n> in Keras)
    assert [layer.name for layer in keras_layers][1:] == [name for name, _ in torch_layers][1:]
    for layer, (name, module) in zip(keras_layers, torch_layers):
        if module is not None:
            assert all(p.requires_grad == layer.trainable for p in module.parameters()), name
    assert lightning_model.configure_optimizers().defaults["lr"] == 1e-5  # RMSprop(1e-5)


#: Phase 2 back-propagates through 50 layers with training-mode BatchNorm over tiny batches
#: (16 samples × 1×1 pixels at the last blocks): float32 round-off grows; measured ≤ 1.5e-4.
FINE_TUNE_RTOL = 1e-3


def test_fine_tuning_phase_trajectory_and_moving_statistics():
    """From identical weights: 1 epoch of phase 2 in each framework. Unfrozen BatchNorms train
    (batch statistics, moving averages updated with momentum 0.999); frozen ones do not."""
    datamodule, lightning_model, keras_model = make_twins(MODEL, seed=0, data={"num_images": 32})
    parity.without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    start_fine_tuning(keras_model)
    lightning_model.start_fine_tuning()
    modules = dict(lightning_model.base.keras_layers())
    before = {name: modules[name].running_var.clone() for name in ("block_16_project_BN", "bn_Conv1")}
    lightning = fit_lightning(lightning_model, datamodule, {"max_epochs": 1, **QUIET}, quiet=True)
    keras_run = fit_keras(keras_model, datamodule, epochs=1, quiet=True)
    parity.check_trajectory(keras_run.history, lightning.history, FINE_TUNE_RTOL)
    base = keras_model.get_layer(BASE_NAME)
    for name in ("block_16_project_BN", "bn_Conv1"):  # unfrozen (layer ≥ 100), frozen
        keras_stats = [np.asarray(w) for w in base.get_layer(name).weights[2:]]
        for keras_value, torch_value in zip(
            keras_stats, (modules[name].running_mean, modules[name].running_var)
        ):
            assert parity.relative_difference(torch_value.numpy(), keras_value) <= FINE_TUNE_RTOL, name
    assert not torch.equal(modules["block_16_project_BN"].running_var, before["block_16_project_BN"])
    assert torch.equal(modules["bn_Conv1"].running_var, before["bn_Conv1"])


def test_cli_train_runs_the_fine_tuning_phase_after_the_first(capsys, tmp_path):
    path = tmp_path / "run.json"
    code = main(
        [
            "train",
            MODEL,
            "--framework",
            "lightning",
            "--epochs",
            "1",
            "--model.fine_tune_epochs",
            "1",
            "--data.num_images",
            "32",
            "--quiet",
            "--json",
            str(path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    record = json.loads(path.read_text())
    assert len(record["history"]["loss"]) == 2 and "substitute" in record["data"]
