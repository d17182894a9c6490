"""Weight transfer as a utility: both directions, and clear errors for mismatched twins."""

import torch

import pytest

from twins import parity
from twins.models import make_twins
from twins.registry import spec
from twins.training.fit_keras import seed_keras
from twins.transfer import TransferError, keras_to_torch, torch_to_keras

from .conftest import MODEL_IDS, tolerance


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_torch_to_keras_then_back_is_the_identity(model_id):
    seed_keras(1)
    datamodule, lightning_model, keras_model = make_twins(model_id, seed=1)
    original = [t.detach().clone() for t in lightning_model.parameters()]
    torch_to_keras(lightning_model, keras_model)
    with torch.no_grad():
        for parameter in lightning_model.parameters():
            parameter.zero_()
    keras_to_torch(keras_model, lightning_model)
    for before, after in zip(original, lightning_model.parameters()):
        torch.testing.assert_close(after, before, rtol=0, atol=0)
    x = datamodule.splits.x_val
    components = spec(model_id).components
    for name, torch_net, keras_net in parity.networks(lightning_model, keras_model, components):
        net_x = parity.component_input(keras_net, x) if name else x  # a GAN: each network on its own input
        assert parity.forward_max_abs_diff(torch_net, keras_net, net_x) <= tolerance(model_id, "forward")

def test_a_structural_mismatch_names_the_layer():
    _, lightning_model, _ = make_twins("mpg_regression")
    _, _, other_keras = make_twins("mpg_regression", model={"hidden_units": [10, 12]})
    with pytest.raises(
        TransferError, match=r"layer 1 \(Dense '.*'\): weight of shape \(12, 10\) does not fit \(10, 10\)"
    ):
        keras_to_torch(other_keras, lightning_model)


def test_a_different_number_of_layers_is_reported():
    _, lightning_model, _ = make_twins("mpg_regression")
    _, _, deeper_keras = make_twins("mpg_regression", model={"hidden_units": [10, 10, 10]})
    with pytest.raises(TransferError, match=r"Keras model has 4 layers with weights .* torch module has 3"):
        keras_to_torch(deeper_keras, lightning_model)
