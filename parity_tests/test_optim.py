"""The torch optimizers that follow Keras' update rules, checked against Keras itself."""

import torch

import keras
import numpy as np
import pytest

from keras_models.base import make_optimizer as make_keras_optimizer
from lit_models.keras_compat.optim import make_optimizer

STEPS = 50


def run_keras(name, lr, start, gradients):
    variable = keras.Variable(start)
    optimizer = make_keras_optimizer(name, lr)
    for gradient in gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
    return np.asarray(variable)


def run_torch(name, lr, start, gradients):
    parameter = torch.nn.Parameter(torch.from_numpy(start.copy()))
    optimizer = make_optimizer(name, [parameter], lr)
    for gradient in gradients:
        parameter.grad = torch.from_numpy(gradient)
        optimizer.step()
    return parameter.detach().numpy()


@pytest.mark.parametrize("name, lr", [("sgd", 0.01), ("adam", 1e-3), ("adam", 5e-3), ("rmsprop", 1e-3)])
def test_torch_twin_follows_the_keras_update_for_many_steps(name, lr):
    rng = np.random.default_rng(0)
    start = rng.normal(size=(7, 5)).astype(np.float32)
    # gradients of mixed magnitude, including tiny ones where epsilon placement matters
    gradients = [
        (rng.normal(size=(7, 5)) * 10.0 ** rng.integers(-6, 1)).astype(np.float32) for _ in range(STEPS)
    ]
    keras_result = run_keras(name, lr, start, gradients)
    torch_result = run_torch(name, lr, start, gradients)
    update = np.abs(keras_result - start).max()
    assert np.abs(torch_result - keras_result).max() <= 1e-5 * update + 1e-7


def test_plain_torch_adam_is_measurably_different_on_small_gradients():
    """Why KerasAdam exists: torch.optim.Adam(eps=1e-7) still puts epsilon elsewhere."""
    rng = np.random.default_rng(1)
    start = rng.normal(size=(4, 4)).astype(np.float32)
    gradients = [(rng.normal(size=(4, 4)) * 1e-6).astype(np.float32) for _ in range(5)]
    keras_result = run_keras("adam", 1e-3, start, gradients)
    parameter = torch.nn.Parameter(torch.from_numpy(start.copy()))
    plain = torch.optim.Adam([parameter], lr=1e-3, eps=1e-7)
    for gradient in gradients:
        parameter.grad = torch.from_numpy(gradient)
        plain.step()
    gap = np.abs(parameter.detach().numpy() - keras_result).max() / np.abs(keras_result - start).max()
    assert gap > 1e-2
