"""Per-model settings: one YAML file per model id, read by both twins.

Each file is a LightningCLI-style config with three sections:
``model`` (arguments shared by the Lightning and the Keras twin), ``data`` (arguments of
the datamodule) and ``trainer`` (``max_epochs`` is also the Keras ``epochs``).

The test suite sets ``TWINS_CONFIG_PROFILE=test`` (``parity_tests/conftest.py``); then an optional
``configs/test/<id>.yaml`` (same sections) overrides the model's settings with reduced sizes —
fewer samples, fewer epochs, the same architecture — so each model's share of the suite stays small.
"""
from __future__ import annotations

import os
from importlib import resources

import yaml


#: Name of the environment variable that selects a profile directory (``test``) of overrides.
PROFILE_ENV = "TWINS_CONFIG_PROFILE"


def config_path(model_id: str):
    """The packaged YAML file of ``model_id`` (a Traversable)."""
    return resources.files(__name__) / f"{model_id}.yaml"


def load_config(model_id: str) -> dict:
    """``{"model": {...}, "data": {...}, "trainer": {...}}`` for ``model_id``."""
    with config_path(model_id).open() as handle:
        config = yaml.safe_load(handle)
    config.setdefault("data", {})
    config.setdefault("trainer", {})
    profile = os.environ.get(PROFILE_ENV)
    overrides = resources.files(__name__) / profile / f"{model_id}.yaml" if profile else None
    if overrides is not None and overrides.is_file():
        with overrides.open() as handle:
            for section, values in (yaml.safe_load(handle) or {}).items():
                config.setdefault(section, {}).update(values)
    return config
