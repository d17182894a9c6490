"""The image classifier twins (lit_models/keras_models image_classifiers.py): the course's networks.

Checks a–g run on them through test_parity.py / test_broken_twin.py; here: the architectures are
the course's, layer by layer and in parameter count, on the real 28×28 input size.
"""

import torch
from torch import nn

import keras
import numpy as np
import pytest

from configs import load_config
from datamodules.torch_adapter import to_torch_layout
from parity_tests.conftest import within_draw_bound
from twins.models import make_keras, make_lightning
from twins.parity.counts import keras_counts, torch_counts
from twins.transfer import keras_to_torch

#: Hand-computed from COURSE.md (weights + biases per layer), 28×28×1 inputs.
COURSE_PARAMETERS = {
    # 784·300+300 + 300·100+100 + 100·10+10
    "fashion_mlp": 266_610,
    # conv 7·7·1·64+64, 3·3·64·128+128, 3·3·128·128+128, 3·3·128·256+256, 3·3·256·256+256;
    # dense (3·3·256)·64+64, 64·64+64, 64·10+10
    "fashion_cnn": 3_200 + 73_856 + 147_584 + 295_168 + 590_080 + 147_520 + 4_160 + 650,
    # conv 3·3·1·32+32, 3·3·32·64+64; dense (7·7·64)·64+64, 64·10+10
    "mnist_cnn": 320 + 18_496 + 200_768 + 650,
}


def course_twins(model_id):
    arguments = {**load_config(model_id)["model"], "input_shape": [28, 28, 1]}
    return make_lightning(model_id, arguments), make_keras(model_id, arguments)


@pytest.mark.parametrize("model_id", COURSE_PARAMETERS)
def test_the_course_architectures_at_28x28(model_id):
    lightning_model, keras_model = course_twins(model_id)
    assert keras_counts(keras_model) == {"trainable": COURSE_PARAMETERS[model_id], "non_trainable": 0}
    assert torch_counts(lightning_model) == {"trainable": COURSE_PARAMETERS[model_id], "buffers": 0}
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    keras_to_torch(keras_model, lightning_model)
    with torch.no_grad():
        probabilities = lightning_model.eval().keras_output(to_torch_layout(x)).numpy()
    np.testing.assert_allclose(probabilities, keras_model(x, training=False), atol=1e-6)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_fashion_cnn_layer_sequence_is_the_courses():
    lightning_model, keras_model = course_twins("fashion_cnn")
    keras_kinds = [type(layer).__name__ for layer in keras_model.layers]
    assert keras_kinds == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
        "Dense",
    ]
    kernels = [layer.kernel_size for layer in keras_model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert kernels == [(7, 7)] + [(3, 3)] * 4
    torch_kinds = [
        type(m).__name__
        for m in [*lightning_model.features, *lightning_model.classifier]
        if not isinstance(m, nn.ReLU)
    ]
    assert torch_kinds == [
        "Conv2d",
        "MaxPool2d",
        "Conv2d",
        "Conv2d",
        "MaxPool2d",
        "Conv2d",
        "Conv2d",
        "MaxPool2d",
        "Flatten",
        "Linear",
        "Dropout",
        "Linear",
        "Dropout",
        "Linear",
    ]
    paddings = [m.padding for m in lightning_model.features if isinstance(m, nn.Conv2d)]
    assert paddings == [(3, 3)] + [(1, 1)] * 4


def test_odd_sized_images_pool_with_floor_like_keras():
    """MaxPooling2D(2) drops the odd last row/column ("valid"), as MaxPool2d(2) does: 9 → 4 → 2."""
    arguments = {**load_config("mnist_cnn")["model"], "input_shape": [9, 9, 1]}
    lightning_model, keras_model = make_lightning("mnist_cnn", arguments), make_keras("mnist_cnn", arguments)
    assert keras_model.layers[-4].output.shape[1:] == (2, 2, 64)
    x = np.random.default_rng(1).random((2, 9, 9, 1), dtype=np.float32)
    keras_to_torch(keras_model, lightning_model)
    with torch.no_grad():
        out = lightning_model.eval().keras_output(to_torch_layout(x)).numpy()
    np.testing.assert_allclose(out, keras_model(x, training=False), atol=1e-6)


def test_an_even_kernel_is_refused_with_one_line():
    arguments = {**load_config("mnist_cnn")["model"], "conv_blocks": [[[32, 4]]]}
    with pytest.raises(ValueError, match="kernel size 4 is even"):
        make_lightning("mnist_cnn", arguments)


def test_a_float32_draw_at_its_rounded_bound_is_within_the_bound():
    """The flake of issue 17: float32(bound) is the largest float32 draw of U(-bound, bound) and
    lies above the float64 bound; the comparison is made in float32."""
    bound = np.sqrt(6.0 / (9 * 64 + 9 * 128))
    edge = np.array([np.float32(bound), -np.float32(bound)])
    assert not np.abs(edge).max() <= bound  # the float64 comparison that failed
    assert within_draw_bound(edge, bound) and within_draw_bound(torch.from_numpy(edge), bound)
    assert not within_draw_bound(np.nextafter(edge, np.float32(1)), bound)


def test_conv_kernels_start_from_keras_glorot_uniform_and_zero_biases():
    """Keras' glorot_uniform for Conv2D: fan_in = kh·kw·in, fan_out = kh·kw·out — torch's
    xavier_uniform_ on (out, in, kh, kw) computes the same fans, so the bound is the same."""
    lightning_model, keras_model = course_twins("fashion_cnn")
    keras_kernel = keras_model.layers[2].get_weights()[0]  # (3, 3, 64, 128)
    torch_weight = lightning_model.features[3].weight.detach().numpy()  # (128, 64, 3, 3)
    bound = np.sqrt(6.0 / (9 * 64 + 9 * 128))
    for weights in (keras_kernel, torch_weight):
        assert 0.98 * bound < np.abs(weights).max() and within_draw_bound(weights, bound)
        assert abs(weights.std() - bound / np.sqrt(3)) < 0.02 * bound
    assert not lightning_model.features[3].bias.detach().numpy().any()
