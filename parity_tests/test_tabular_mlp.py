"""``TabularMLP`` twins (mpg_regression, mpg_classification, iris_mlp, csv_regression):
the course's layer sizes, and torch initialised like Keras."""

import torch

import keras
import numpy as np
import pytest

from parity_tests.conftest import within_draw_bound
from twins.models import make_twins

TABULAR = {
    "mpg_regression": (19, [10, 10], 1, 321),
    "mpg_classification": (7, [20, 20], 3, 643),
    "iris_mlp": (4, [4, 4], 3, 55),
}


@pytest.mark.parametrize("model_id", TABULAR)
def test_course_architecture(model_id):
    inputs, hidden, outputs, parameters = TABULAR[model_id]
    _, lightning_model, keras_model = make_twins(model_id)
    sizes = [layer.units for layer in keras_model.layers]
    assert keras_model.input_shape == (None, inputs) and sizes == [*hidden, outputs]
    assert keras_model.count_params() == parameters
    assert sum(p.numel() for p in lightning_model.parameters()) == parameters


def test_torch_twin_initialises_like_keras_by_default():
    _, lightning_model, _ = make_twins("mpg_classification", model={"hidden_units": [400, 400]})
    hidden = lightning_model.net[2]
    limit = np.sqrt(6 / (400 + 400))  # glorot uniform
    assert torch.all(hidden.bias == 0)
    assert within_draw_bound(hidden.weight, limit)
    assert hidden.weight.std().item() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_native_torch_init_stays_available():
    _, lightning_model, _ = make_twins(
        "mpg_classification", model={"hidden_units": [400, 400], "init": "torch"}
    )
    hidden = lightning_model.net[2]
    assert hidden.bias.abs().max() > 0  # torch: U(±1/sqrt(fan_in)) biases
    assert within_draw_bound(hidden.weight, 1 / np.sqrt(400))


def test_keras_softmax_cross_entropy_in_fit_uses_logits_like_torch():
    """Inside fit (a tf.function) Keras hands the Softmax's logits to the loss: no 1e-7 clipping.
    With extreme logits a clipped loss would be at most -log(1e-7) = 16.1; both give ~60."""
    _, lightning_model, keras_model = make_twins("iris_mlp")
    last = keras_model.layers[-1]
    kernel, _bias = last.get_weights()
    last.set_weights([kernel * 0, np.array([60.0, 0.0, 0.0], np.float32)])
    x, y = np.zeros((4, 4), np.float32), np.array([1, 1, 1, 1])
    keras_loss = keras_model.test_on_batch(x, y, return_dict=True)["loss"]
    eager_probabilities = np.asarray(keras_model(x))  # a plain array: the logits are gone
    clipped = float(np.mean(keras.losses.sparse_categorical_crossentropy(y, eager_probabilities)))
    from twins.transfer import keras_to_torch

    keras_to_torch(keras_model, lightning_model)
    torch_loss = lightning_model.loss_fn(lightning_model(torch.from_numpy(x)), torch.from_numpy(y)).item()
    assert keras_loss == pytest.approx(60.0, rel=1e-5) and torch_loss == pytest.approx(keras_loss, rel=1e-6)
    assert clipped == pytest.approx(-np.log(1e-7), rel=1e-3)  # outside fit, on probabilities: clipped


def test_the_epoch_loss_tracker_is_weighted_by_batch_size_like_keras_mean():
    """Keras' loss tracker weighs each batch by its size (a short last batch counts less).
    torchmetrics' MeanMetric does so with its default nan_strategy — under "disable" (1.9) it
    silently drops the weights, which check e caught as a 0.5 % trajectory gap."""
    import keras
    import torchmetrics

    from lit_models.base import CourseModule

    keras_mean = keras.metrics.Mean()
    keras_mean.update_state([1.0] * 32)
    keras_mean.update_state([4.0] * 8)
    module = CourseModule(1, "linear", "mse", [], "sgd", 0.01)
    module.train_trackers.update(torch.tensor(1.0), torch.zeros(32, 1), torch.zeros(32, 1))
    module.train_trackers.update(torch.tensor(4.0), torch.zeros(8, 1), torch.zeros(8, 1))
    epoch_loss = float(module.train_trackers.compute()["loss"])
    assert epoch_loss == pytest.approx(float(keras_mean.result())) == pytest.approx(1.6)
    unweighted = torchmetrics.MeanMetric(nan_strategy="disable")
    unweighted.update(torch.tensor(1.0), weight=32)
    unweighted.update(torch.tensor(4.0), weight=8)
    # the trap, pinned: if this changes, revisit base.py
    assert float(unweighted.compute()) == pytest.approx(2.5)
