"""Conv2D weight transfer, `same` padding, and the Flatten-after-conv feature order
(twins/transfer/dense.py)."""

import torch
from torch import nn

import keras
import numpy as np
import pytest

from datamodules.torch_adapter import to_keras_layout, to_torch_layout
from twins.transfer import keras_to_torch, torch_to_keras
from twins.transfer.dense import chw_rows_to_hwc, flattened_image_shape, hwc_rows_to_chw


def keras_cnn(kernel: int, with_dropout: bool = True) -> keras.Model:
    """Conv(same) → MaxPool → Flatten → [Dropout] → Dense: every layer kind of the course's CNNs."""
    layers = [
        keras.Input((9, 7, 2)),
        keras.layers.Conv2D(5, kernel, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
    ]
    layers += [keras.layers.Dropout(0.5)] if with_dropout else []
    return keras.Sequential([*layers, keras.layers.Dense(3)])


def torch_cnn(kernel: int) -> nn.Module:
    """The torch twin of ``keras_cnn``: padding=k//2 is Keras `same` for stride 1 and odd k;
    plain nn.Flatten."""
    return nn.Sequential(
        nn.Conv2d(2, 5, kernel, padding=kernel // 2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(5 * 4 * 3, 3),
    )


@pytest.mark.parametrize("kernel", [1, 3, 5, 7])
def test_same_padding_and_flatten_order_match_values_both_ways(kernel):
    keras.utils.set_random_seed(kernel)
    keras_model, torch_model = keras_cnn(kernel), torch_cnn(kernel).eval()
    x = np.random.default_rng(kernel).normal(size=(4, 9, 7, 2)).astype(np.float32)
    keras_to_torch(keras_model, torch_model)
    with torch.no_grad():
        out = torch_model(to_torch_layout(x)).numpy()
    np.testing.assert_allclose(out, keras_model(x, training=False), atol=1e-5)
    with torch.no_grad():  # torch → Keras: fresh torch weights reach Keras unchanged in function
        for parameter in torch_model.parameters():
            parameter.normal_()
        out = torch_model(to_torch_layout(x)).numpy()
    torch_to_keras(torch_model, keras_model)
    np.testing.assert_allclose(out, keras_model(x, training=False), atol=1e-4)


def test_conv_kernel_layout_is_out_in_kh_kw():
    keras_model, torch_model = keras_cnn(3), torch_cnn(3)
    keras_to_torch(keras_model, torch_model)
    kernel = keras_model.layers[0].get_weights()[0]  # (kh, kw, in, out)
    assert kernel.shape == (3, 3, 2, 5) and torch_model[0].weight.shape == (5, 2, 3, 3)
    np.testing.assert_array_equal(torch_model[0].weight[4, 1].detach().numpy(), kernel[:, :, 1, 4])


def test_flatten_order_needs_the_row_reordering():
    """Without the reordering the Dense layer reads the wrong features: the outputs differ."""
    keras_model, torch_model = keras_cnn(3), torch_cnn(3).eval()
    keras_to_torch(keras_model, torch_model)
    kernel = keras_model.layers[-1].get_weights()[0]
    assert flattened_image_shape(keras_model.layers[-1]) == (4, 3, 5)
    with torch.no_grad():
        torch_model[-1].weight.copy_(torch.from_numpy(kernel.T))  # transpose only: the naive copy
        x = np.random.default_rng(0).normal(size=(2, 9, 7, 2)).astype(np.float32)
        naive = torch_model(to_torch_layout(x)).numpy()
    assert np.max(np.abs(naive - np.asarray(keras_model(x)))) > 1e-2


def test_row_reordering_is_a_permutation_and_its_inverse():
    kernel = np.arange(4 * 3 * 5 * 2, dtype=np.float32).reshape(60, 2)
    reordered = hwc_rows_to_chw(kernel, (4, 3, 5))
    np.testing.assert_array_equal(chw_rows_to_hwc(reordered, (4, 3, 5)), kernel)
    image = np.arange(60).reshape(1, 4, 3, 5)  # index of each feature in Keras' flatten order
    torch_order = to_torch_layout(image).reshape(-1).numpy()  # the same features in torch's flatten order
    np.testing.assert_array_equal(reordered[:, 0], kernel[torch_order, 0])


def test_a_dense_layer_not_after_an_image_flatten_is_plainly_transposed():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    torch_model = nn.Sequential(nn.Linear(6, 4), nn.Linear(4, 2))
    assert flattened_image_shape(model.layers[1]) is None
    keras_to_torch(model, torch_model)
    np.testing.assert_array_equal(torch_model[1].weight.detach().numpy(), model.layers[1].get_weights()[0].T)
    x = np.ones((1, 6), np.float32)
    np.testing.assert_allclose(to_keras_layout(torch_model(torch.from_numpy(x))), model(x), atol=1e-6)
