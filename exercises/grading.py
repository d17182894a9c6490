"""Grade one participant's twin: run the steps in order, stop at the first failure, attach hints.

from exercises.grading import grade
result = grade(BY_ID["cnn"], Path("my_exercises/cnn.py"))   # path None: the reference solution
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

from .bench import Bench
from .catalogue import KERAS, LIGHTNING, Exercise
from .loading import describe_error
from .report import NOT_RUN, Grade, StepResult
from .steps import Step, plan

DEBUG_ENV = "EXERCISE_DEBUG"


@contextlib.contextmanager
def quiet():
    """No framework chatter between the checklist lines (Lightning banners, TF retracing notes)."""
    from twins.training.fit_lightning import quiet_lightning

    quiet_lightning()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def participant_converters(bench: Bench):
    """Pair the participant's own Keras layer classes (e.g. ``Centroids``) with the torch twin's
    like the reference's classes of the same name, while the grading runs."""
    from twins.transfer import CONVERTERS

    added = []

    def register():
        if bench.exercise.write != KERAS or bench.path is None or bench.module is None:
            return
        for converter in list(CONVERTERS):
            kind = converter.keras_type
            mine = getattr(bench.module, kind.__name__, None)
            if kind.__module__ == bench.exercise.module and isinstance(mine, type) and mine is not kind:
                added.append(dataclasses.replace(converter, keras_type=mine))
        CONVERTERS.extend(added)

    try:
        yield register
    finally:
        for converter in added:
            CONVERTERS.remove(converter)


def _difference(bench: Bench, step: Step):
    """The layer trace of a failing shapes/forward step (torch participants), or None."""
    if bench.exercise.write != LIGHTNING or step.category not in ("shapes", "forward") or bench.yours is None:
        return None
    from datamodules.torch_adapter import to_torch_layout
    from twins import parity
    from twins.transfer import keras_to_torch

    from .trace import first_difference

    yours, reference = bench.focus["yours"], bench.focus["reference"]
    keras_model = bench.focus["twin"]
    if step.part:
        yours, reference, keras_model = (getattr(m, step.part) for m in (yours, reference, keras_model))
    x = bench.sample("val")[0] if step.category == "shapes" else bench.forward_inputs()
    if step.part:
        x = parity.component_input(keras_model, x)
    if step.category == "forward":
        keras_to_torch(keras_model, yours)
        keras_to_torch(keras_model, reference)
    return first_difference(yours, reference, to_torch_layout(x), shapes_only=step.category == "shapes")


def hints_for(bench: Bench, step: Step, error: BaseException) -> list[str]:
    from . import fallbacks, hinting, hints, hints_keras  # noqa: F401 - importing them registers their hints

    def part(model):
        return getattr(model, step.part, None) if step.part and model is not None else model

    focus = bench.focus
    try:
        difference = _difference(bench, step)
    except Exception:
        difference = None
    context = hinting.Context(
        step.category,
        error,
        bench.exercise,
        part(focus.get("yours")),
        part(focus.get("reference")),
        part(focus.get("twin")),
        focus.get("yours"),
        focus.get("reference"),
        difference,
        {"forward_returns": bench.forward_returns},
    )
    return hinting.collect(context) + lookahead(bench, step)


#: The order of the step categories, and the hints that need no run of their step (a module's
#: settings against the reference's): those of later steps are named at the first failure.
ORDER = ("loads", "builds", "shapes", "counts", "init", "forward", "dropout", "step", "trajectory")
LOOKAHEAD = {
    "forward": (
        "same_padding",
        "strided_same_conv",
        "conv_transpose_same",
        "leaky_relu_slope",
        "batchnorm_epsilon",
    ),
    "step": ("optimizer_rule", "manual_optimization", "batchnorm_momentum", "batchnorm_variance"),
}
LABELS = {"forward": "forward after weight transfer", "step": "one step"}


def lookahead(bench: Bench, step: Step) -> list[str]:
    """What later steps will need changed, found without running them (layer settings, the
    optimizer, the missing step methods): the first failure names everything known to be left."""
    from . import hinting, hints
    from .steps import missing_steps_line

    yours, reference = bench.yours, bench.reference
    if bench.exercise.write != LIGHTNING or yours is None or reference is None:
        return []
    later, failed = [], ORDER.index(step.category)
    for category, names in LOOKAHEAD.items():
        if ORDER.index(category) <= failed:
            continue
        context = hinting.Context(
            category, None, bench.exercise, yours, reference, bench.twin, yours, reference
        )
        for name in names:
            try:
                later += [f"later, {LABELS[category]}: {text}" for text in getattr(hints, name)(context)]
            except Exception:
                continue
    if bench.exercise.dropout and failed < ORDER.index("dropout"):
        from .steps import _dropout_rates

        mine, theirs = _dropout_rates(yours), _dropout_rates(reference)
        if mine != theirs:
            later.append(
                f"later, dropout rates: your Dropout modules {mine}, the reference's {theirs} — one "
                "nn.Dropout per Keras Dropout (a module used twice counts once)"
            )
    if step.category != "trajectory" and missing_steps_line(yours):
        later.append(f"later, trajectory: {missing_steps_line(yours)}")
    return list(dict.fromkeys(later))


def run_step(bench: Bench, step: Step) -> StepResult:
    try:
        with quiet():
            return StepResult(step.name, True, step.run(bench))
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exception(error, file=sys.stderr)
        with quiet():
            found = hints_for(bench, step, error)
        return StepResult(step.name, False, describe_error(error, bench.path), found)


def grade(exercise: Exercise, path: Path | None, on_step=None) -> Grade:
    """Run every step of ``exercise`` on the participant's file ``path`` (None: the reference
    solution); ``on_step(StepResult)`` is called as each step ends (also for the steps not run)."""
    bench = Bench(exercise, path)
    results: list[StepResult] = []
    with participant_converters(bench) as register:
        for step in plan(bench):
            if results and not results[-1].passed:
                result = StepResult(step.name, None, NOT_RUN)
            else:
                result = run_step(bench, step)
                if step.category == "loads" and result.passed:
                    register()
            results.append(result)
            if on_step:
                on_step(result)
    return Grade(exercise.id, all(r.passed for r in results), results)
