"""The parity harness (checks a–f, ``parity_suite.py``) over every registered model.

Check g — every check fails on a deliberately broken twin — lives in test_broken_twin.py.
"""

import numpy as np
import pytest

from . import parity_suite


def test_a_the_model_is_registered_with_mirrored_twins_and_a_datamodule(model_id):
    assert parity_suite.check_a_registration(model_id).id == model_id


def test_b_output_shapes_on_a_real_batch(model_id, twins):
    datamodule = twins[0]
    batch = min(len(datamodule.splits.x_val), datamodule.batch_size)
    assert parity_suite.check_b_output_shapes(model_id, twins)[0] == batch


def test_c_parameter_counts_are_exact(model_id, twins):
    assert parity_suite.check_c_parameter_counts(model_id, twins)["keras"]["trainable"] > 0


def test_d_forward_parity_after_weight_transfer(model_id, twins):
    assert parity_suite.check_d_forward(model_id, twins) >= 0.0


def test_e_one_optimizer_step_in_stages(model_id, twins):
    measured = parity_suite.check_e_one_step(model_id, twins)
    assert {"loss", "updates"} <= set(measured)  # + "gradients", or what drives the update of a training kind


def test_e_trajectory_of_whole_fits_from_identical_weights(model_id, twins):
    assert parity_suite.check_e_trajectory(model_id, twins) >= 0.0


@pytest.mark.slow
def test_f_converged_validation_loss_within_band(model_id):
    record = parity_suite.check_f_converged(model_id)
    assert np.isfinite(record["relative_gap"])
