"""The grading steps, in order; each returns a one-line success message or raises.

Every step but ``initialisation`` and ``dropout rates`` is a check of the parity harness
(``twins.parity``): output shapes, parameter counts layer by layer, forward parity after weight
transfer, one training step in stages (loss, gradients, updates; the GAN and Lloyd variants from
``twins.parity.steps``), and a short trajectory of whole fits from identical weights and
batches. Later steps need the earlier ones, so grading stops at the first failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import torchvision  # noqa: F401  - torch and torchvision before TensorFlow, always
from torch import nn

import keras
import lightning as L

import lit_models  # noqa: F401  - torch and torchvision before TensorFlow, always
from twins import parity
from twins.parity.counts import extra_torch_parameters, keras_counts, torch_counts
from twins.transfer import keras_to_torch, paired_layers, torch_tensors

from . import adapt, initcheck
from .bench import Bench
from .catalogue import LIGHTNING

QUIET = {"enable_progress_bar": False, "enable_model_summary": False}
TRAJECTORY_EPOCHS = 2


class StepFailure(AssertionError):
    """A grading check outside the parity harness failed (the message says how)."""


@dataclass(frozen=True)
class Step:
    name: str
    category: str  # what kind of check it is: the hints are chosen by it
    run: Callable[[Bench], str]
    part: str | None = None  # a component (the GAN's "generator") or None for the whole model


def tolerance(exercise, check: str) -> float:
    """``forward`` (absolute), ``step``, ``trajectory`` (relative): the parity suite's, from the
    reference model's registration (``configs/<reference>.yaml``)."""
    return exercise.spec.tolerance(check)


def training_kind(bench: Bench) -> str:
    return bench.exercise.spec.training


# --- the steps -----------------------------------------------------------------------------------


def loads(bench: Bench) -> str:
    bench.load()
    where = bench.path if bench.path else f"{bench.exercise.module} (the reference solution)"
    return f"{bench.exercise.name} found in {where}"


def _check_kind(bench: Bench, model) -> None:
    name = bench.exercise.name
    if bench.exercise.write == LIGHTNING and not isinstance(model, L.LightningModule):
        raise StepFailure(f"{name}(...) gave a {type(model).__name__}, not a LightningModule")
    if bench.exercise.write != LIGHTNING and not isinstance(model, keras.Model):
        raise StepFailure(f"{name}(...) returned {type(model).__name__}, not a keras.Model: return the model")
    if bench.exercise.write != LIGHTNING and not getattr(model, "compiled", False):
        raise StepFailure(
            f"{name}(...) returned an uncompiled model: compile it with the config's recipe "
            "(keras_models.base.compile_course_model does it)"
        )


def builds(bench: Bench) -> str:
    yours = bench.build_yours()
    _check_kind(bench, yours)
    bench.yours, bench.twin, bench.reference = yours, bench.build_twin(), bench.build_reference()
    bench.focus = {"yours": yours, "twin": bench.twin, "reference": bench.reference}
    return f"{type(yours).__name__} built from configs/{bench.exercise.reference}.yaml's arguments"


def shapes(bench: Bench, part: str | None = None) -> str:
    lightning, keras_model = bench.pair(bench.yours, bench.twin, part)
    x, _ = bench.sample("val")
    if part:
        x = parity.component_input(keras_model, x)
    return f"{parity.check_output_shapes(lightning, keras_model, x)} in both"


def _count_delta(lightning, keras_model, yours_side: str) -> str:
    """`` — the torch side (yours) has 540 more parameters``: the first layer (or total) that differs."""
    extras = {name: count for name, count, _ in extra_torch_parameters(lightning)}
    names = {module: name for name, module in lightning.named_modules()}
    delta, what = 0, ""
    for _, layer, module, _ in paired_layers(keras_model, lightning):
        torch_count = sum(t.numel() for t in torch_tensors(module)) - extras.get(names[module], 0)
        delta = torch_count - sum(math.prod(w.shape) for w in layer.weights)
        if delta:
            break
    if not delta:
        delta, what = (
            torch_counts(lightning)["trainable"]
            - sum(extras.values())
            - keras_counts(keras_model)["trainable"],
            " trainable",
        )
    mark = " (yours)" if yours_side == "torch" else ""
    return (
        f" — the torch side{mark} has {abs(delta):,} {'more' if delta > 0 else 'fewer'}{what} parameters"
        if delta
        else ""
    )


def counts(bench: Bench, part: str | None = None) -> str:
    lightning, keras_model = bench.pair(bench.yours, bench.twin, part)
    try:
        record = parity.check_parameter_counts(lightning, keras_model)
    except parity.ParityError as error:
        side = "torch" if bench.exercise.write == LIGHTNING else "keras"
        raise parity.ParityError(f"{error}{_count_delta(lightning, keras_model, side)}") from None
    k, explained = record["keras"], record["explained"]
    text = f"{k['trainable']:,} trainable + {k['non_trainable']:,} non-trainable, equal layer by layer"
    return text + (
        f" (torch's {explained:,} extra = its second recurrent bias, explained)" if explained else ""
    )


def _draw(bench: Bench, who: str, seed: int, part: str | None):
    """The weights of a fresh model (``who``: yours or reference) built under ``seed``."""
    cache = bench.draws
    if (who, seed) not in cache:
        cache[(who, seed)] = (bench.build_yours if who == "yours" else bench.build_reference)(seed)
    model = cache[(who, seed)]
    model = getattr(model, part) if part else model
    return (initcheck.torch_weights if bench.exercise.write == LIGHTNING else initcheck.keras_weights)(model)


def initialisation(bench: Bench, part: str | None = None) -> str:
    most = 20 if bench.exercise.write == LIGHTNING else 4  # Keras models build slowly: fewer draws
    reference = [_draw(bench, "reference", seed, part) for seed in (0, 1)]
    count = initcheck.draws_needed(reference[0], reference[1], most)
    reference += [_draw(bench, "reference", seed, part) for seed in range(2, count)]
    yours = [_draw(bench, "yours", seed, part) for seed in range(count)]
    problems = initcheck.compare(yours, reference)
    if problems:
        more = (
            f" (and {len(problems) - 1} more tensor{'s' if len(problems) > 2 else ''})"
            if len(problems) > 1
            else ""
        )
        raise StepFailure(problems[0] + more)
    return f"{len(reference[0])} tensors drawn like the reference's ({count} seeds)"


def _dropout_rates(model) -> list[float]:
    if isinstance(model, nn.Module):
        return [m.p for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    return [layer.rate for layer in model._flatten_layers() if isinstance(layer, keras.layers.Dropout)]


def dropout(bench: Bench) -> str:
    mine, theirs = _dropout_rates(bench.yours), _dropout_rates(bench.reference)
    if mine != theirs:
        raise StepFailure(f"your Dropout rates {mine}, the reference's {theirs}")
    return f"{theirs}"


def _output_activation(bench: Bench, lightning, keras_model, x) -> str:
    """A Lightning twin without ``keras_output``: does its forward return logits of the Keras
    twin's softmax/sigmoid output? Then the grader applies that activation for the comparison (as
    ``CourseModule.keras_output`` does) and says so; returns that note, or ""."""
    from .adapt import attach_output_activation, keras_output_activation

    name = keras_output_activation(keras_model)
    if (
        bench.exercise.write != LIGHTNING
        or hasattr(lightning, "keras_output")
        or name not in adapt.ACTIVATIONS
    ):
        return ""
    keras_to_torch(keras_model, lightning)
    raw = parity.forward_max_abs_diff(lightning, keras_model, x)
    attach_output_activation(lightning, name)
    if not parity.forward_max_abs_diff(lightning, keras_model, x) < raw:
        del lightning.__dict__["keras_output"]
        if raw <= tolerance(bench.exercise, "forward"):
            bench.forward_returns = name  # forward applies the activation itself: the loss must expect it
        return ""
    bench.output_activation = name
    return (
        f"; your forward returns logits, so they were compared after the {name} Keras' last layer "
        "applies (define keras_output(x) to choose yourself)"
    )


def forward(bench: Bench, part: str | None = None) -> str:
    lightning, keras_model = bench.pair(bench.yours, bench.twin, part)
    x = bench.forward_inputs()
    if part:
        x = parity.component_input(keras_model, x)
    atol = tolerance(bench.exercise, "forward")
    note = "" if part else _output_activation(bench, lightning, keras_model, x)
    return (
        f"max |Δ| {parity.check_forward(lightning, keras_model, x, atol=atol):.2g} ≤ "
        f"{atol:g} on {len(x)} samples{note}"
    )


def one_step(bench: Bench, overrides: dict | None = None) -> str:
    yours, twin = bench.yours, bench.twin
    if overrides:  # a recipe of its own (e.g. Adam): fresh models built with it
        yours, twin = bench.build_yours(**overrides), bench.build_twin(**overrides)
        bench.focus = {"yours": yours, "twin": twin, "reference": bench.build_reference(**overrides)}
    lightning, keras_model = bench.pair(yours, twin)
    x, y = bench.sample("train")
    measured = parity.check_one_step(
        lightning, keras_model, x, y, tolerance(bench.exercise, "step"), training=training_kind(bench)
    )
    return ", ".join(f"{stage} {value:.2g}" for stage, value in measured.items()) + " (relative Δ)"


def missing_steps(model) -> list[str]:
    """The Lightning step methods the trajectory needs that ``model`` lacks: Keras' ``fit``
    validates every epoch (``validation_step``) and ``evaluate`` tests (``test_step``)."""
    if not isinstance(model, L.LightningModule):
        return []
    return [
        name
        for name in ("training_step", "validation_step", "test_step")
        if getattr(type(model), name) is getattr(L.LightningModule, name)
    ]


def missing_steps_line(model) -> str:
    names = missing_steps(model)
    return (
        f"your {type(model).__name__} has no {' and no '.join(names)}: Keras' fit validates after every "
        "epoch (history's val_* values) and evaluate measures the test split — write them like "
        "training_step without the optimizer, logging val_loss/val_acc and test_loss/test_acc"
        if names
        else ""
    )


def _missing_keys(keras_values: dict, lightning_values: dict, prefix: str) -> list[str]:
    return [f"{prefix}{key}" for key in keras_values if key not in lightning_values]


def _logging_line(missing: list[str], yours) -> str:
    said = (
        ", ".join(f"{k} → {adapt.history_key(v) or v}" for k, v in adapt.renamed(yours).items()) or "nothing"
    )
    return (
        f"Keras' history has {', '.join(missing)} (one value per epoch); your twin logged none under those "
        f"names (it logged: {said}) — self.log('train_acc', acc, on_epoch=True) in training_step, "
        "'val_acc' in validation_step, 'test_acc' in test_step: the grader reads train_/val_/test_ and "
        "train/, val/, test/ names, acc as accuracy"
    )


def trajectory(bench: Bench) -> str:
    from twins.training.fit_keras import fit_keras
    from twins.training.fit_lightning import fit_lightning

    yours, twin = bench.build_yours(), bench.build_twin()
    bench.focus = {"yours": yours, "twin": twin, "reference": bench.reference}
    if bench.exercise.write == LIGHTNING and missing_steps(yours):
        raise StepFailure(missing_steps_line(yours))
    lightning, keras_model = bench.pair(yours, twin)
    parity.without_dropout(lightning, keras_model)
    keras_to_torch(keras_model, lightning)
    lit = fit_lightning(lightning, bench.datamodule, {"max_epochs": TRAJECTORY_EPOCHS, **QUIET}, quiet=True)
    ker = fit_keras(keras_model, bench.datamodule, epochs=TRAJECTORY_EPOCHS, quiet=True)
    missing = _missing_keys(ker.history, lit.history, "") + _missing_keys(ker.test, lit.test, "test ")
    if missing and bench.exercise.write == LIGHTNING:
        raise StepFailure(_logging_line(missing, lightning))
    rtol = tolerance(bench.exercise, "trajectory")
    worst = parity.check_trajectory(ker.history, lit.history, rtol)
    tested = parity.check_trajectory(
        {k: [v] for k, v in ker.test.items()}, {k: [v] for k, v in lit.test.items()}, rtol
    )
    per_step = (
        "; training_step logged per step (Lightning's default), read as epoch means like Keras' "
        "history (on_epoch=True logs them so)"
        if adapt.logged_per_step(lightning)
        else ""
    )
    return (
        f"{TRAJECTORY_EPOCHS} epochs, {', '.join(ker.history)} + test: "
        f"max relative Δ {max(worst, tested):.2g} ≤ {rtol:g}{adapt.describe_renames(lightning)}{per_step}"
    )


# --- the plan ------------------------------------------------------------------------------------

STEP_NAMES = {
    "gradient": "one optimizer step",
    "gan": "one GAN step (both optimizers)",
    "lloyd": "one Lloyd step",
}


def plan(bench: Bench) -> list[Step]:
    """The steps of ``bench.exercise``, in the order they run."""
    exercise = bench.exercise
    steps = [Step("loads", "loads", loads), Step("builds", "builds", builds)]
    for part in exercise.spec.components or (None,):
        prefix = f"{part}: " if part else ""
        steps += [
            Step(f"{prefix}output shapes", "shapes", partial(shapes, part=part), part),
            Step(f"{prefix}parameter counts", "counts", partial(counts, part=part), part),
        ]
        if exercise.check_init:
            steps.append(Step(f"{prefix}initialisation", "init", partial(initialisation, part=part), part))
        steps.append(
            Step(f"{prefix}forward after weight transfer", "forward", partial(forward, part=part), part)
        )
    if exercise.dropout:
        steps.append(Step("dropout rates", "dropout", dropout))
    kind = training_kind(bench)
    name = STEP_NAMES[kind] + (f" ({bench.arguments['optimizer']})" if kind == "gradient" else "")
    steps.append(Step(name, "step", one_step))
    steps += [
        Step(name, "step", partial(one_step, overrides=overrides))
        for name, overrides in exercise.extra_steps.items()
    ]
    steps.append(Step(f"trajectory ({TRAJECTORY_EPOCHS} epochs)", "trajectory", trajectory))
    return steps
