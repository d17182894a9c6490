"""The grading bench of one exercise: the data, the arguments, and the three models.

- ``yours``: the participant's twin (framework ``exercise.write``);
- ``twin``: the project's twin in the *other* framework — the yardstick the parity harness pairs
  with yours;
- ``reference``: the project's twin in *your* framework — the solution, used only to explain a
  failure (hints, the layer trace, the initialisation).

Data and arguments come from the model's config under the test profile (``configs/test/``) plus
the exercise's small-data overrides, so both twins are built exactly as the parity suite builds them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import lit_models  # noqa: F401  - torch and torchvision before TensorFlow, always
from configs import PROFILE_ENV
from lit_models.base import TORCH_ONLY_ARGS
from twins.models import make_datamodule, model_arguments

from .catalogue import KERAS, LIGHTNING, Exercise
from .loading import load_file, load_reference


@contextlib.contextmanager
def test_profile():
    """Read ``configs/test/<id>.yaml`` over the config while the block runs (then restore)."""
    before = os.environ.get(PROFILE_ENV)
    os.environ[PROFILE_ENV] = "test"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PROFILE_ENV, None)
        else:
            os.environ[PROFILE_ENV] = before


class Bench:
    """Builds the models of one grading; steps store what they built on it."""

    def __init__(self, exercise: Exercise, path: Path | None):
        self.exercise, self.path = exercise, path  # path None: the project's own solution
        with test_profile():
            self.datamodule = make_datamodule(exercise.reference, seed=0, **exercise.data)
            self.arguments = model_arguments(exercise.reference, self.datamodule)
        self.module = self.participant = None
        self.yours = self.twin = self.reference = None
        self.focus: dict = {}  # the models the current step works on, for the hints
        self.draws: dict = {}  # (who, seed) -> a fresh model, for the initialisation step
        # a Lightning twin without keras_output whose forward returns logits: Keras' output
        # activation the grader applies (found by the forward step, see exercises.adapt)
        self.output_activation: str | None = None
        self.forward_returns: str | None = None  # "softmax": a forward that ends with Keras' activation

    # --- loading and building ------------------------------------------------------------------

    def load(self):
        loaded = (
            load_reference(self.exercise) if self.path is None else load_file(self.path, self.exercise.name)
        )
        self.module, self.participant = loaded
        return self.participant

    def _build(self, framework: str, factory, seed: int, overrides: dict):
        arguments = {**self.arguments, **overrides}
        if framework == LIGHTNING:
            from twins.training.fit_lightning import seed_lightning

            seed_lightning(seed)
            return factory(**arguments)
        from twins.training.fit_keras import seed_keras

        seed_keras(seed)
        return factory(**{k: v for k, v in arguments.items() if k not in TORCH_ONLY_ARGS})

    def build_yours(self, seed: int = 0, **overrides):
        """Your twin; a Lightning one read by a Lightning user's conventions (``exercises.adapt``)."""
        model = self._build(self.exercise.write, self.participant, seed, overrides)
        if self.exercise.write != LIGHTNING or self.path is None:
            return model
        from .adapt import adapted, attach_output_activation

        if self.output_activation:
            attach_output_activation(model, self.output_activation)
        return adapted(model)

    def build_reference(self, seed: int = 0, **overrides):
        return self._build(self.exercise.write, load_reference(self.exercise)[1], seed, overrides)

    def build_twin(self, seed: int = 0, **overrides):
        model_spec = self.exercise.spec
        if self.exercise.other == LIGHTNING:
            return self._build(LIGHTNING, model_spec.lightning_class(), seed, overrides)
        model = self._build(KERAS, model_spec.keras_builder(), seed, overrides)
        model.run_eagerly = self.exercise.eager_keras  # the project's twin: no tracing needed (same ops)
        return model

    # --- pairing for the parity harness ----------------------------------------------------------

    def pair(self, yours, twin, part: str | None = None):
        """``(lightning model, keras model)`` as ``twins.parity`` takes them (``part``: a component)."""
        lightning, keras = (yours, twin) if self.exercise.write == LIGHTNING else (twin, yours)
        if part:
            return getattr(lightning, part), getattr(keras, part)
        return lightning, keras

    def keras_side(self, yours, twin, part: str | None = None):
        return self.pair(yours, twin, part)[1]

    def forward_inputs(self, count: int = 64):
        """Up to ``count`` inputs for the forward checks: the test split, topped up from validation."""
        import numpy as np

        splits = self.datamodule.splits
        return np.concatenate([splits.x_test, splits.x_val])[:count]

    def sample(self, stage: str, count: int | None = None):
        """``(x, y)`` of a split, the first ``count`` samples (default: the exercise's batch)."""
        x, y = self.datamodule.splits.stage(stage)
        count = count or self.exercise.batch
        return x[:count], y[:count]
