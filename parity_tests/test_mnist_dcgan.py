"""``mnist_dcgan``: the course's architecture and Keras defaults, forward parity in training mode
(BatchNorm batch statistics and running statistics), the origin of the GAN-step gradient
tolerance, and components that the parity checks name when they differ."""

import copy

import torch
from torch import nn

import keras
import numpy as np
import pytest

from datamodules.torch_adapter import to_keras_layout, to_torch_layout
from twins import parity
from twins.models import make_twins
from twins.parity.stepping import step_keras, step_lightning
from twins.parity.steps import GAN_STEP_RTOL, keras_gradients_by_variable_in_torch_layout
from twins.training.fit_keras import seed_keras
from twins.transfer import keras_to_torch

COMPONENTS = ("generator", "discriminator")


@pytest.fixture
def gan():
    seed_keras(0)
    datamodule, lightning_model, keras_model = make_twins("mnist_dcgan", seed=0)
    parity.without_dropout(lightning_model, keras_model)
    keras_to_torch(keras_model, lightning_model)
    return datamodule, lightning_model, keras_model


def test_course_sizes_and_keras_defaults(gan):
    _, lightning_model, keras_model = gan
    assert keras_model.generator.count_params() == 2_330_944  # the TF DCGAN tutorial's generator
    assert keras_model.discriminator.count_params() == 212_865
    keras_slopes = {
        layer.negative_slope
        for layer in keras_model._flatten_layers()
        if isinstance(layer, keras.layers.LeakyReLU)
    }
    torch_slopes = {m.negative_slope for m in lightning_model.modules() if isinstance(m, nn.LeakyReLU)}
    assert keras_slopes == torch_slopes == {0.3}
    keras_norms = [
        (layer.epsilon, layer.momentum)
        for layer in keras_model._flatten_layers()
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    torch_norms = [
        (m.eps, 1 - m.momentum)
        for m in lightning_model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    assert len(keras_norms) == 3 and np.allclose(keras_norms, torch_norms)


def test_training_mode_forward_uses_batch_statistics_and_updates_running_statistics_alike(gan):
    datamodule, lightning_model, keras_model = gan
    noise, images = datamodule.splits.y_train[:16], datamodule.splits.x_train[:16]
    lightning_model.train()
    with torch.no_grad():
        torch_fake = to_keras_layout(lightning_model.generator(torch.from_numpy(noise)))
        torch_logits = lightning_model.discriminator(to_torch_layout(images)).numpy()
    keras_fake = np.asarray(keras_model.generator(noise, training=True))
    keras_logits = np.asarray(keras_model.discriminator(images, training=True))
    assert np.max(np.abs(torch_fake - keras_fake)) <= parity.FORWARD_ATOL
    assert np.max(np.abs(torch_logits - keras_logits)) <= parity.FORWARD_ATOL
    keras_stats = parity.keras_weights_in_torch_layout(keras_model, lightning_model)
    torch_stats = [t.detach().numpy() for t in parity.torch_layout_tensors(lightning_model)]
    # running mean/var after one training forward
    for torch_tensor, keras_tensor in zip(torch_stats, keras_stats):
        np.testing.assert_allclose(torch_tensor, keras_tensor, atol=1e-6, rtol=1e-5)
    with torch.no_grad():  # and eval mode now reads those running statistics in both
        eval_fake = to_keras_layout(lightning_model.eval().generator(torch.from_numpy(noise)))
    assert (
        np.max(np.abs(eval_fake - np.asarray(keras_model.generator(noise, training=False))))
        <= parity.FORWARD_ATOL
    )


def test_the_gradient_tolerance_is_keras_float32_round_off(gan):
    """A float64 copy of the torch twin is the reference: torch float32 stays within 1e-4 of it
    on every tensor (measured 2e-6 at batch 32, 2.4e-5 at batch 8), Keras' float32 gradients
    within GAN_STEP_RTOL["gradients"] (measured up to 1.3e-2)."""
    datamodule, lightning_model, keras_model = gan
    # 8 samples: float64 convolutions are slow on CPU
    real, noise = datamodule.splits.x_train[:8], datamodule.splits.y_train[:8]
    reference = copy.deepcopy(lightning_model).double()
    _, reference_grads, _ = step_lightning(
        reference, (to_torch_layout(real).double(), torch.from_numpy(noise).double())
    )
    _, keras_by_variable = step_keras(keras_model, real, noise)
    keras_grads = keras_gradients_by_variable_in_torch_layout(keras_model, lightning_model, keras_by_variable)
    _, torch_grads, _ = step_lightning(lightning_model, (to_torch_layout(real), torch.from_numpy(noise)))
    pairs = [
        (torch_grads[t].numpy(), reference_grads[r].numpy(), k)
        for t, r, k in zip(
            parity.torch_layout_tensors(lightning_model), parity.torch_layout_tensors(reference), keras_grads
        )
        if t in torch_grads
    ]
    assert len(pairs) == sum(p.numel() > 0 for p in lightning_model.parameters())
    torch_error = max(parity.relative_difference(t, r) for t, r, _ in pairs)
    keras_error = max(parity.relative_difference(k, r) for _, r, k in pairs)
    assert torch_error <= 1e-4
    assert keras_error <= GAN_STEP_RTOL["gradients"]


def test_a_broken_component_is_caught_and_named(gan):
    datamodule, lightning_model, keras_model = gan
    original = lightning_model.generator.forward
    lightning_model.generator.forward = lambda noise: original(noise * 1.5)
    with pytest.raises(parity.ParityError, match="generator: forward outputs differ"):
        parity.check_forward(lightning_model, keras_model, datamodule.splits.x_test, components=COMPONENTS)
    lightning_model.generator.forward = original
    lightning_model.discriminator.net[-1].register_parameter("extra", nn.Parameter(torch.zeros(3)))
    with pytest.raises(parity.ParityError, match="weights"):
        parity.check_parameter_counts(lightning_model.discriminator, keras_model.discriminator)


def test_a_checkpoint_every_15_epochs_for_both_twins_named_alike_and_resumable(tmp_path):
    """The course saves the GAN every 15 epochs: both twins keep ``gan-epoch=015``, counted from 1
    (Lightning's own epoch counts from 0), and the Lightning file resumes a Trainer at epoch 16."""
    from twins.cli import main
    from twins.models import make_datamodule, make_lightning, model_arguments
    from twins.training.checkpoints import load_keras, read_checkpoint
    from twins.training.fit_lightning import fit_lightning

    assert main(["pictures", "mnist_dcgan", "--epochs", "15", "--out", str(tmp_path), "--quiet"]) == 0
    checkpoints = tmp_path / "checkpoints"
    assert [p.name for p in (checkpoints / "keras_every_15").iterdir()] == ["gan-epoch=015.weights.h5"]
    assert [p.name for p in (checkpoints / "lightning_every_15").iterdir()] == ["gan-epoch=015.ckpt"]

    every_15 = read_checkpoint(checkpoints / "lightning_every_15" / "gan-epoch=015.ckpt")
    last = read_checkpoint(checkpoints / "lightning" / "last.ckpt")
    assert every_15["epoch"] == last["epoch"] == 14  # Lightning's 0-based index of the 15th epoch
    for name, tensor in last["state_dict"].items():
        assert torch.equal(every_15["state_dict"][name], tensor), name

    datamodule = make_datamodule("mnist_dcgan", seed=0)
    arguments = model_arguments("mnist_dcgan", datamodule)
    saved, final = (
        load_keras("mnist_dcgan", path, arguments).get_weights()
        for path in (
            checkpoints / "keras_every_15" / "gan-epoch=015.weights.h5",
            checkpoints / "keras_final.weights.h5",
        )
    )
    assert all(np.array_equal(a, b) for a, b in zip(saved, final))

    resumed = fit_lightning(
        make_lightning("mnist_dcgan", arguments),
        datamodule,
        {"max_epochs": 16},
        quiet=True,
        ckpt_path=str(checkpoints / "lightning_every_15" / "gan-epoch=015.ckpt"),
    )
    assert len(resumed.history["loss"]) == 1  # only epoch 16 ran
