"""How the grader reads a plain LightningModule: a Lightning user's conventions, mapped to Keras'.

A participant's twin need not derive from ``CourseModule`` (``lit_models/base.py``). The grader
finds what the parity checks need the way a Lightning user writes it:

- the loss: whatever ``training_step`` returns (the checks run the participant's own
  ``training_step``; no ``loss_fn`` attribute is needed);
- the output activation: a twin without ``keras_output`` whose ``forward`` returns logits is
  compared with the Keras twin after the Keras twin's own output activation (softmax or sigmoid),
  and the step's message says so (``output_activation``);
- the logged metrics: ``self.log("train_loss", ...)``, ``"val_acc"``, ``"train/accuracy"``,
  ``"loss"`` inside ``validation_step`` ... are read under Keras' history keys (``loss``,
  ``val_accuracy``), one value per epoch as Keras' ``history`` holds them (``keras_name``,
  ``adapted``).
"""

from __future__ import annotations

import re

import torch

import lightning as L

STAGES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
}
#: Lightning users' metric names → Keras' names in ``history``.
ALIASES = {"acc": "accuracy", "mean_absolute_error": "mae", "mean_squared_error": "mse"}
#: The step methods whose unprefixed names (``self.log("loss", ...)``) belong to one stage.
STEP_STAGES = {"training_step": "train", "validation_step": "val", "test_step": "test"}
_STAGED = re.compile(r"(train|training|val|valid|validation|test)[/_](.+)$", re.IGNORECASE)


def keras_name(name: str, stage: str | None = None) -> str:
    """``"{stage}/{metric}"`` under Keras' metric names: ``train_loss`` → ``train/loss``,
    ``val_acc`` → ``val/accuracy``, ``loss`` logged in ``validation_step`` (``stage="val"``) →
    ``val/loss``; a name with no stage and no ``stage`` given stays as it is."""
    text = name[: -len("_epoch")] if name.endswith("_epoch") else name
    match = _STAGED.match(text)
    if match:
        stage, metric = STAGES[match[1].lower()], match[2]
    elif stage is None:
        return name
    else:
        metric = text
    metric = metric.lower()
    return f"{stage}/{ALIASES.get(metric, metric)}"


# --- logged names --------------------------------------------------------------------------------


def _translating(step, stage: str):
    """``step`` (a ``training_step``/``validation_step``/``test_step``) with its ``self.log`` and
    ``self.log_dict`` calls renamed to Keras' keys and logged once per epoch. Whatever ``self.log``
    is when the step runs (Lightning's, or the parity harness's recorder) receives the new names."""

    def wrapped(self, *args, **kwargs):
        log, log_dict = self.log, self.log_dict
        renamed = self.__dict__.setdefault("_grader_names", {})

        def epoch_kwargs(options: dict) -> dict:
            if not options.get("on_epoch", stage != "train"):  # Lightning's default in training_step
                renamed["per step"] = True
            return {**options, "on_step": False, "on_epoch": True}

        def keras_log(name, value, *more, **options):
            key = keras_name(name, stage)
            renamed.setdefault(name, key)  # the first stage that logged it (training)
            return log(key, value, *more, **epoch_kwargs(options))

        def keras_log_dict(values, *more, **options):
            keys = {name: keras_name(name, stage) for name in values}
            for name, key in keys.items():
                renamed.setdefault(name, key)
            return log_dict({keys[n]: v for n, v in values.items()}, *more, **epoch_kwargs(options))

        before = {name: self.__dict__[name] for name in ("log", "log_dict") if name in self.__dict__}
        object.__setattr__(self, "log", keras_log)
        object.__setattr__(self, "log_dict", keras_log_dict)
        try:
            return step(self, *args, **kwargs)
        finally:
            for name in ("log", "log_dict"):
                if name in before:
                    object.__setattr__(self, name, before[name])
                else:
                    self.__dict__.pop(name, None)

    wrapped.__wrapped__ = step
    return wrapped


_ADAPTED: dict[type, type] = {}


def adapted(model):
    """``model`` with its class swapped for a subclass (same name) whose step methods log under
    Keras' names, once per epoch (``_translating``). Only the step methods the participant wrote
    are wrapped: Lightning still sees which ones exist."""
    cls = type(model)
    if not isinstance(model, L.LightningModule) or getattr(cls, "_grader_adapted", False):
        return model
    if cls not in _ADAPTED:
        overrides = {
            name: _translating(getattr(cls, name), stage)
            for name, stage in STEP_STAGES.items()
            if getattr(cls, name) is not getattr(L.LightningModule, name)
        }
        _ADAPTED[cls] = type(
            cls.__name__,
            (cls,),
            {
                **overrides,
                "_grader_adapted": True,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
            },
        )
    model.__class__ = _ADAPTED[cls]
    return model


def renamed(model) -> dict:
    """``{your name: the Keras key it was read as}`` of what ``model``'s steps logged so far."""
    return {
        k: v for k, v in getattr(model, "__dict__", {}).get("_grader_names", {}).items() if k != "per step"
    }


def logged_per_step(model) -> bool:
    """Whether a step logged without ``on_epoch=True`` (Lightning's default in ``training_step``)."""
    return "per step" in getattr(model, "__dict__", {}).get("_grader_names", {})


def describe_renames(model) -> str:
    """`` (read train_loss as loss, val_acc as val_accuracy)`` for the names that were mapped."""
    history = {name: history_key(key) for name, key in renamed(model).items()}
    changed = [f"{name} as {key}" for name, key in history.items() if key and key != name]
    return f" (read {', '.join(changed)})" if changed else ""


def history_key(key: str) -> str | None:
    """Keras' history key of ``stage/metric`` (``train/loss`` → ``loss``, ``val/mae`` → ``val_mae``)."""
    stage, _, metric = key.partition("/")
    if not metric:
        return None
    return {"train": metric, "val": f"val_{metric}", "test": f"test_{metric}"}.get(stage)


# --- the output activation -----------------------------------------------------------------------

ACTIVATIONS = {"softmax": lambda t: torch.softmax(t, dim=-1), "sigmoid": torch.sigmoid}


def keras_output_activation(keras_model) -> str | None:
    """The name of the Keras model's last layer's activation (``softmax``, ``sigmoid``, ...)."""
    layers = getattr(keras_model, "layers", None) or []
    activation = getattr(layers[-1], "activation", None) if layers else None
    return getattr(activation, "__name__", None)


def attach_output_activation(model, name: str) -> None:
    """Give ``model`` a ``keras_output`` that applies Keras' output activation ``name`` to ``forward``."""
    function = ACTIVATIONS[name]
    object.__setattr__(model, "keras_output", lambda x: function(model(x)))
