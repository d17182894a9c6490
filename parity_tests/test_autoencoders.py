"""Autoencoder twins and their Keras-like layers: strided ``same`` (transposed) convolutions and
BatchNorm compared by value with Keras on random, asymmetric inputs; the denoising data."""

import torch
from torch import nn

import keras
import numpy as np
import pytest

from datamodules.fashion_autoencoder import FashionDenoisingData
from datamodules.torch_adapter import to_keras_layout, to_torch_layout
from lit_models.keras_compat.layers import KerasBatchNorm1d, KerasBatchNorm2d, SameConv2d, SameConvTranspose2d
from twins.transfer.conv import conv2d_to_torch
from twins.transfer.conv_transpose import conv2d_transpose_to_torch

SHAPES = [(3, 2, 7, 5), (3, 2, 8, 6), (5, 2, 7, 7), (5, 1, 7, 6), (5, 2, 14, 13), (3, 1, 5, 4)]  # k, s, h, w


def copy_into(module, arrays):
    with torch.no_grad():
        for tensor, array in zip(module.parameters(), arrays):
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def random_layer_output(layer, x, rng):
    """Build ``layer`` on ``x``, give it random weights (biases too), return its output and weights."""
    layer(x)
    layer.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()])
    return np.asarray(layer(x)), layer.get_weights()


@pytest.mark.parametrize("kernel, stride, height, width", SHAPES)
def test_conv_transpose_same_matches_keras_values(kernel, stride, height, width):
    rng = np.random.default_rng(kernel * 100 + height * 10 + width)
    x = rng.standard_normal((2, height, width, 3)).astype(np.float32)
    expected, weights = random_layer_output(
        keras.layers.Conv2DTranspose(4, kernel, strides=stride, padding="same"), x, rng
    )
    module = SameConvTranspose2d(3, 4, kernel, stride)
    copy_into(module, conv2d_transpose_to_torch(weights))
    with torch.no_grad():
        got = to_keras_layout(module(to_torch_layout(x)))
    assert got.shape == expected.shape == (2, height * stride, width * stride, 4)
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("kernel, stride, height, width", SHAPES)
def test_strided_same_conv_pads_like_keras(kernel, stride, height, width):
    rng = np.random.default_rng(kernel * 100 + height * 10 + width + 1)
    x = rng.standard_normal((2, height, width, 3)).astype(np.float32)
    expected, weights = random_layer_output(
        keras.layers.Conv2D(4, kernel, strides=stride, padding="same"), x, rng
    )
    module = SameConv2d(3, 4, kernel, stride)
    copy_into(module, conv2d_to_torch(weights))
    with torch.no_grad():
        got = to_keras_layout(module(to_torch_layout(x)))
        symmetric = nn.Conv2d(3, 4, kernel, stride, padding=kernel // 2)
        symmetric.load_state_dict(module.state_dict())
        naive = to_keras_layout(symmetric(to_torch_layout(x)))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    if stride == 2 and (height % 2 == 0 or width % 2 == 0):  # an odd total pad: Keras pads bottom/right only
        assert naive.shape != expected.shape or np.max(np.abs(naive - expected)) > 1e-2


@pytest.mark.parametrize("norm, shape", [(KerasBatchNorm1d, (16, 6)), (KerasBatchNorm2d, (8, 5, 3, 6))])
def test_keras_batchnorm_in_training_mode_and_its_running_statistics(norm, shape):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
    layer = keras.layers.BatchNormalization()
    layer.build(shape)
    layer.set_weights(
        [
            rng.uniform(0.5, 1.5, 6).astype(np.float32),
            rng.standard_normal(6).astype(np.float32),
            rng.standard_normal(6).astype(np.float32),
            rng.uniform(0.5, 2, 6).astype(np.float32),
        ]
    )
    module = norm(6)
    with torch.no_grad():
        for tensor, array in zip(
            [module.weight, module.bias, module.running_mean, module.running_var], layer.get_weights()
        ):
            tensor.copy_(torch.from_numpy(array))
    expected = np.asarray(layer(x, training=True))
    with torch.no_grad():
        got = to_keras_layout(module.train()(to_torch_layout(x)))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    np.testing.assert_allclose(module.running_mean.numpy(), layer.moving_mean.numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(
        module.running_var.numpy(), layer.moving_variance.numpy(), atol=1e-6, rtol=1e-6
    )
    plain = getattr(nn, norm.__name__.replace("Keras", ""))(6, eps=1e-3, momentum=0.01)  # torch's own layer
    before = plain.running_var.clone()
    with torch.no_grad():
        plain.train()(to_torch_layout(x))
    channels_last = x.reshape(-1, 6) if x.ndim == 2 else x.transpose(0, 2, 3, 1).reshape(-1, 6)
    # Keras' update; torch's uses the unbiased variance
    biased_step = 0.01 * (channels_last.var(0) - before.numpy())
    assert not np.allclose((plain.running_var - before).detach().numpy(), biased_step, rtol=1e-3)


def test_denoising_data_is_seeded_clipped_noise_over_clean_targets():
    data = FashionDenoisingData(source="digits", limit_train=40, limit_eval=20)
    data.setup()
    again = FashionDenoisingData(source="digits", limit_train=40, limit_eval=20)
    again.setup()
    other = FashionDenoisingData(source="digits", limit_train=40, limit_eval=20, noise_seed=1)
    other.setup()
    noisy, clean = data.splits.x_train, data.splits.y_train
    assert noisy.shape == clean.shape and noisy.shape[1:] == (28, 28, 1) and noisy.dtype == np.float32
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0 and not np.array_equal(noisy, clean)
    np.testing.assert_array_equal(noisy, again.splits.x_train)  # both twins read identical noisy images
    assert not np.array_equal(noisy, other.splits.x_train)
    inside = (clean > 0.3) & (clean < 0.7) & (noisy > 0) & (noisy < 1)  # unclipped pixels: x + 0.2·N(0, 1)
    assert abs(np.std(noisy[inside] - clean[inside]) - 0.2) < 0.03
    np.testing.assert_array_equal(data.splits.x_val, data.splits.x_test)  # validation on the test images
