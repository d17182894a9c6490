"""Build a course model's datamodule and both twins from its config (``configs/<id>.yaml``).

Import order matters: ``lit_models`` (torch) is imported before ``keras_models`` (TensorFlow),
which is imported only when a Keras twin is built (a Lightning-only run never loads TensorFlow).
"""
from __future__ import annotations

import lit_models  # noqa: F401  - torch first, always
import datamodules
from configs import load_config

from twins.errors import BadInput


class UnknownModel(BadInput, KeyError):
    """A model id that no registry holds."""

    def __str__(self):
        return f"unknown model {self.args[0]!r}; valid ids: {', '.join(model_ids())}"


def model_ids() -> list[str]:
    return list(lit_models.REGISTRY)


def check_model_id(model_id: str) -> str:
    if model_id not in lit_models.REGISTRY:
        raise UnknownModel(model_id)
    return model_id


def make_datamodule(model_id: str, seed: int = 0, **overrides) -> datamodules.ArrayDataModule:
    """The model's datamodule with the config's ``data`` arguments (``overrides`` win), set up."""
    data_args = {**load_config(check_model_id(model_id))["data"], **overrides, "seed": seed}
    datamodule = datamodules.REGISTRY[model_id](**data_args)
    datamodule.setup()
    return datamodule


def model_arguments(model_id: str, datamodule, **overrides) -> dict:
    """Constructor arguments shared by both twins: the config's ``model`` section, the
    datamodule's shapes (``input_dim``...) and ``overrides``."""
    return {**load_config(check_model_id(model_id))["model"], **datamodule.model_inputs(), **overrides}


def make_lightning(model_id: str, arguments: dict):
    """The Lightning twin (torch-only arguments such as ``init`` are welcome here)."""
    return lit_models.REGISTRY[check_model_id(model_id)](**arguments)


def make_keras(model_id: str, arguments: dict):
    """The compiled Keras twin (torch-only arguments are dropped)."""
    import keras_models

    keras_arguments = {k: v for k, v in arguments.items() if k not in lit_models.TORCH_ONLY_ARGS}
    return keras_models.REGISTRY[check_model_id(model_id)](**keras_arguments)


def make_twins(model_id: str, seed: int = 0, data: dict | None = None, model: dict | None = None):
    """``(datamodule, lightning_model, keras_model)`` from the config, ready for parity checks."""
    datamodule = make_datamodule(model_id, seed, **(data or {}))
    arguments = model_arguments(model_id, datamodule, **(model or {}))
    return datamodule, make_lightning(model_id, arguments), make_keras(model_id, arguments)
