"""Shared fixtures. Every test parametrised over ``model_id`` covers each registered model,
so a model is checked the moment it is registered."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# configs/test/<id>.yaml: reduced sizes, same architectures
os.environ.setdefault("TWINS_CONFIG_PROFILE", "test")
PARALLEL_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))
if PARALLEL_WORKER:
    # One thread per framework in each of the parallel test processes (pytest -n 2): with two
    # processes on two cores, thread pools of two would only spin against each other.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402,F401  - before TensorFlow, always (the reverse order segfaults)
import torchvision  # noqa: E402,F401  - likewise: torchvision after TensorFlow segfaults

if PARALLEL_WORKER:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

import pytest  # noqa: E402  - after the environment above, which Keras and twins read when imported

from twins.models import make_twins  # noqa: E402  - likewise
from twins.registry import model_ids, spec  # noqa: E402  - likewise
from twins.training.fit_keras import seed_keras  # noqa: E402  - likewise
from twins.training.fit_lightning import seed_lightning  # noqa: E402  - likewise

MODEL_IDS = model_ids()


def tolerance(model_id: str, check: str) -> float:
    """``check`` in ``forward`` (absolute), ``step``, ``trajectory`` (relative): the model's
    registration (``parity.tolerances`` in ``configs/<id>.yaml``) or the defaults."""
    return spec(model_id).tolerance(check)


def converged_settings(model_id: str) -> dict:
    """Check f's ``seeds``, ``band`` (and ``model`` overrides) from the model's registration."""
    return dict(spec(model_id).converged)


@pytest.fixture(params=MODEL_IDS)
def model_id(request):
    return request.param


@pytest.fixture
def twins(model_id):
    """``(datamodule, lightning_model, keras_model)`` of ``model_id``, seeded."""
    seed_lightning(0)
    seed_keras(0)
    return make_twins(model_id, seed=0)
