"""Build a course model's datamodule and both twins from its registration (``configs/<id>.yaml``).

Import order matters: torch (and torchvision) are imported before TensorFlow, which is imported
only when a Keras twin is built (a Lightning-only run never loads TensorFlow).
"""

from __future__ import annotations

import torch  # noqa: F401  - torch and torchvision before TensorFlow, always (the reverse order segfaults)
import torchvision  # noqa: F401  - likewise

from lit_models.base import TORCH_ONLY_ARGS
from twins.registry import check_model_id, model_ids, spec

__all__ = [
    "check_model_id",
    "configured_datamodule",
    "make_datamodule",
    "make_keras",
    "make_lightning",
    "make_twins",
    "model_arguments",
    "model_ids",
    "shapes_datamodule",
]


def configured_datamodule(model_id: str, seed: int = 0, **overrides):
    """The model's datamodule with the config's ``data`` arguments (``overrides`` win), not set
    up: its options are checked, no data is read or downloaded yet."""
    model_spec = spec(model_id)
    data_args = {**model_spec.config()["data"], **overrides, "seed": seed}
    return model_spec.datamodule_class()(**data_args)


def make_datamodule(model_id: str, seed: int = 0, **overrides):
    """The model's datamodule with the config's ``data`` arguments (``overrides`` win), set up."""
    datamodule = configured_datamodule(model_id, seed, **overrides)
    datamodule.setup()
    return datamodule


def shapes_datamodule(model_id: str, seed: int = 0, **overrides):
    """A set-up datamodule with the configured data's shapes that needs no download: for a
    downloaded dataset its labelled offline substitute under the same settings (``source`` =
    ``OFFLINE_SUBSTITUTE``; the substitutes have the real data's shapes, which is what lets the
    test profile train the course's architectures on them), else the configured one (data shipped
    with a package, or a local file). For what only builds the twins: ``twins summary``."""
    substitute = spec(model_id).datamodule_class().OFFLINE_SUBSTITUTE
    return make_datamodule(model_id, seed, **{**overrides, **({"source": substitute} if substitute else {})})


def model_arguments(model_id: str, datamodule, **overrides) -> dict:
    """Constructor arguments shared by both twins: the config's ``model`` section, the
    datamodule's shapes (``input_dim``...) and ``overrides``."""
    return {**spec(model_id).config()["model"], **datamodule.model_inputs(), **overrides}


def make_lightning(model_id: str, arguments: dict):
    """The Lightning twin (torch-only arguments such as ``init`` are welcome here)."""
    return spec(model_id).lightning_class()(**arguments)


def make_keras(model_id: str, arguments: dict):
    """The compiled Keras twin (torch-only arguments are dropped)."""
    keras_arguments = {k: v for k, v in arguments.items() if k not in TORCH_ONLY_ARGS}
    return spec(model_id).keras_builder()(**keras_arguments)


def make_twins(model_id: str, seed: int = 0, data: dict | None = None, model: dict | None = None):
    """``(datamodule, lightning_model, keras_model)`` from the config, ready for parity checks."""
    datamodule = make_datamodule(model_id, seed, **(data or {}))
    arguments = model_arguments(model_id, datamodule, **(model or {}))
    return datamodule, make_lightning(model_id, arguments), make_keras(model_id, arguments)
