"""Per-model settings: one YAML file per model id — the model's one registration.

Each ``<id>.yaml`` has five sections:

- ``twins``: what the id is made of — import paths of the Lightning class, the Keras builder and
  the datamodule (like ``_target_`` in lightning-hydra-template), the course day, how the parity
  harness steps it (``training``) and the networks it checks one by one (``components``);
- ``parity``: per-model tolerances and the converged check's settings (defaults where absent);
- ``model``: constructor arguments shared by the Lightning and the Keras twin;
- ``data``: arguments of the datamodule;
- ``trainer``: ``max_epochs`` is also the Keras ``epochs``.

``twins.registry`` turns a file into a ``ModelSpec``. Files are found in this package and in the
folders of ``$TWINS_CONFIG_PATH`` (``os.pathsep``-separated; a model of your own, or a test's).
The test suite sets ``TWINS_CONFIG_PROFILE=test`` (``parity_tests/conftest.py``); then an optional
``test/<id>.yaml`` next to the file (same sections) overrides its settings with reduced sizes —
fewer samples, fewer epochs, the same architecture — so each model's share of the suite stays small.

This module reads YAML only: it imports neither torch nor TensorFlow.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import yaml

#: Name of the environment variable that selects a profile directory (``test``) of overrides.
PROFILE_ENV = "TWINS_CONFIG_PROFILE"
#: Extra folders of model configs, searched after this package.
PATH_ENV = "TWINS_CONFIG_PATH"
SECTIONS = ("twins", "parity", "model", "data", "trainer")


def config_dirs() -> list[Path]:
    """This package's folder, then the folders of ``$TWINS_CONFIG_PATH``."""
    extra = [Path(p).expanduser() for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p]
    return [Path(str(resources.files(__name__))), *extra]


def config_files() -> dict[str, Path]:
    """``{model id: its YAML file}``; a later folder cannot shadow an earlier one's id."""
    found: dict[str, Path] = {}
    for folder in config_dirs():
        for path in sorted(folder.glob("*.yaml")):
            found.setdefault(path.stem, path)
    return found


def config_path(model_id: str) -> Path:
    """The YAML file of ``model_id`` (``KeyError`` for an unknown id)."""
    return config_files()[model_id]


def read_yaml(path: Path) -> dict:
    with path.open() as handle:
        return yaml.safe_load(handle) or {}


def load_config(model_id: str) -> dict:
    """``{"twins", "parity", "model", "data", "trainer"}`` of ``model_id``, with the profile's overrides."""
    path = config_path(model_id)
    config = read_yaml(path)
    for section in SECTIONS:
        config.setdefault(section, {})
    profile = os.environ.get(PROFILE_ENV)
    overrides = path.parent / profile / path.name if profile else None
    if overrides is not None and overrides.is_file():
        for section, values in read_yaml(overrides).items():
            config.setdefault(section, {}).update(values)
    return config
