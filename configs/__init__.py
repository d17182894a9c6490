"""Per-model settings: one YAML file per model id, read by both twins.

Each file is a LightningCLI-style config with three sections:
``model`` (arguments shared by the Lightning and the Keras twin), ``data`` (arguments of
the datamodule) and ``trainer`` (``max_epochs`` is also the Keras ``epochs``).
"""
from __future__ import annotations

from importlib import resources

import yaml


def config_path(model_id: str):
    """The packaged YAML file of ``model_id`` (a Traversable)."""
    return resources.files(__name__) / f"{model_id}.yaml"


def load_config(model_id: str) -> dict:
    """``{"model": {...}, "data": {...}, "trainer": {...}}`` for ``model_id``."""
    with config_path(model_id).open() as handle:
        config = yaml.safe_load(handle)
    config.setdefault("data", {})
    config.setdefault("trainer", {})
    return config
