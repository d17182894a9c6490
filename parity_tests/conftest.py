"""Shared fixtures. Every test parametrised over ``model_id`` covers each registered model,
so a model is checked the moment it is registered. Every test starts from random states seeded
by its own node id (``seed_from_node_id``), so its draws do not depend on the tests run before it."""

import os
import random
import zlib

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# configs/test/<id>.yaml: reduced sizes, same architectures
os.environ.setdefault("TWINS_CONFIG_PROFILE", "test")
PARALLEL_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))
if PARALLEL_WORKER:
    # One thread per framework in each of the parallel test processes (pytest -n 2): with two
    # processes on two cores, thread pools of two would only spin against each other.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402  - before TensorFlow, always (the reverse order segfaults)
import torchvision  # noqa: E402,F401  - likewise: torchvision after TensorFlow segfaults

if PARALLEL_WORKER:
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)

import keras  # noqa: E402  - after torch (above), like every TensorFlow import
import numpy as np  # noqa: E402
import pytest  # noqa: E402  - after the environment above, which Keras and twins read when imported

from twins.models import make_twins  # noqa: E402  - likewise
from twins.registry import model_ids, spec  # noqa: E402  - likewise
from twins.training.fit_keras import seed_keras  # noqa: E402  - likewise
from twins.training.fit_lightning import seed_lightning  # noqa: E402  - likewise

MODEL_IDS = model_ids()


def node_seed(node_id: str) -> int:
    """A seed of its own for every test, stable from run to run (crc32, not the salted ``hash``)."""
    return zlib.crc32(node_id.encode("utf-8"))


@pytest.fixture(autouse=True)
def seed_from_node_id(request):
    """Python's, numpy's, torch's and Keras' (TensorFlow's) global random states seeded from the
    test's node id: a test draws the same numbers run alone, in any order or in another process
    (``pytest -n``). Tests that need a particular seed still set it themselves (``seed_lightning(0)``)."""
    seed = node_seed(request.node.nodeid)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    keras.utils.set_random_seed(seed)


def within_draw_bound(values, bound: float) -> bool:
    """``max |values| <= bound`` compared in the values' dtype: a float32 draw of U(-bound, bound)
    can be ``float32(bound)``, which is above the float64 ``bound`` by less than one float32 step
    (``0.058925565 <= 0.05892556509887896`` failed so). ``values``: a numpy array or a torch tensor."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    values = np.asarray(values)
    return bool(np.abs(values).max() <= values.dtype.type(bound))


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
