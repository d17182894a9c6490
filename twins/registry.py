"""The model registry: every ``configs/<id>.yaml`` is one model's registration.

    spec = registry.spec("mnist_cnn")
    spec.lightning_class()     # lit_models.image_classifiers.ConvClassifier
    spec.keras_builder()       # keras_models.image_classifiers.ConvClassifier
    spec.datamodule_class()    # datamodules.mnist.MNISTDataModule
    spec.tolerance("forward")  # 1e-5 unless the config says otherwise

Adding a model = its config + its two twin files (+ a datamodule when the data is new); the
parity suite, the CLI, the benchmark and the exercises read the same spec. Reading specs imports
nothing heavy: the targets are imported when asked for (``twins list`` stays instant).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from types import MappingProxyType

import configs
from twins.errors import BadInput

#: How the parity harness steps a model (``twins.parity.steps.STEP_CHECKS``).
TRAINING_KINDS = ("gradient", "lloyd", "gan")
#: Tolerances of checks d/e where a config names none: float32 round-off measured on the course's
#: models (forward: absolute; step and trajectory: relative). See docs/PARITY.md.
DEFAULT_TOLERANCES = MappingProxyType({"forward": 1e-5, "step": 1e-5, "trajectory": 1e-5})
#: Check f (converged) where a config names none: final validation losses of ``seeds`` runs per
#: framework, means within ``band`` (relative) of each other.
DEFAULT_CONVERGED = MappingProxyType({"seeds": 5, "band": 0.25})
#: The constructor arguments a datamodule gives both twins (not in the config's ``model`` section).
DATA_GIVEN_ARGUMENTS = ("input_dim", "input_shape", "vocab_size")


class RegistrationError(BadInput, ValueError):
    """A config that does not describe a usable model (one line naming the file and the fix)."""


class UnknownModel(BadInput, KeyError):
    """A model id that no config registers."""

    def __str__(self):
        return f"unknown model {self.args[0]!r}; valid ids: {', '.join(model_ids())}"


def import_object(path: str):
    """``"package.module.Name"`` → the object (a class or a function)."""
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise RegistrationError(f"cannot import {path!r}: {error}") from None


@dataclass(frozen=True)
class ModelSpec:
    """One model id's registration (the ``twins`` and ``parity`` sections of its config)."""

    id: str
    lightning: str  # import path of the LightningModule class
    keras: str  # import path of the Keras builder (returns a compiled model)
    datamodule: str  # import path of the datamodule class
    day: int  # the course day it belongs to
    order: int = 99  # its place in that day (``twins list`` shows course order)
    training: str = "gradient"  # how the harness steps it: gradient | lloyd | gan
    components: tuple[str, ...] = ()  # networks checked one by one (attributes of both twins)
    tolerances: MappingProxyType = field(default_factory=lambda: DEFAULT_TOLERANCES)
    converged: MappingProxyType = field(default_factory=lambda: DEFAULT_CONVERGED)

    def lightning_class(self):
        return import_object(self.lightning)

    def keras_builder(self):
        return import_object(self.keras)

    def datamodule_class(self):
        return import_object(self.datamodule)

    def tolerance(self, check: str) -> float:
        """``forward`` (absolute), ``step`` or ``trajectory`` (relative)."""
        return self.tolerances[check]

    def config(self) -> dict:
        """The model's ``model``/``data``/``trainer`` settings (with the active profile's overrides)."""
        return configs.load_config(self.id)


def _spec_from(model_id: str, config: dict) -> ModelSpec:
    where = configs.config_path(model_id)
    twins = dict(config.get("twins") or {})
    missing = [key for key in ("lightning", "keras", "datamodule", "day") if key not in twins]
    if missing:
        raise RegistrationError(
            f"{where}: the twins: section lacks {', '.join(missing)} (see configs/README.md)"
        )
    parity = dict(config.get("parity") or {})
    unknown = set(parity.get("tolerances") or {}) - set(DEFAULT_TOLERANCES)
    if unknown:
        raise RegistrationError(
            f"{where}: unknown tolerance {sorted(unknown)}; use {', '.join(DEFAULT_TOLERANCES)}"
        )
    if twins.get("training", "gradient") not in TRAINING_KINDS:
        raise RegistrationError(
            f"{where}: training {twins['training']!r} is none of {', '.join(TRAINING_KINDS)}"
        )
    return ModelSpec(
        id=model_id,
        lightning=twins["lightning"],
        keras=twins["keras"],
        datamodule=twins["datamodule"],
        day=int(twins["day"]),
        order=int(twins.get("order", 99)),
        training=twins.get("training", "gradient"),
        components=tuple(twins.get("components") or ()),
        tolerances=MappingProxyType({**DEFAULT_TOLERANCES, **(parity.get("tolerances") or {})}),
        converged=MappingProxyType({**DEFAULT_CONVERGED, **(parity.get("converged") or {})}),
    )


def specs() -> dict[str, ModelSpec]:
    """Every registered model, in course order (day, order, id)."""
    found = [_spec_from(model_id, configs.load_config(model_id)) for model_id in configs.config_files()]
    return {s.id: s for s in sorted(found, key=lambda s: (s.day, s.order, s.id))}


def model_ids() -> list[str]:
    return list(specs())


def spec(model_id: str) -> ModelSpec:
    """The registration of ``model_id`` (``UnknownModel`` for an id no config registers)."""
    if model_id not in configs.config_files():
        raise UnknownModel(model_id)
    return _spec_from(model_id, configs.load_config(model_id))


def check_model_id(model_id: str) -> str:
    spec(model_id)
    return model_id


def _accepted(target, keys, what: str, where) -> None:
    parameters = inspect.signature(target).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(keys) - set(parameters))
    if unknown:
        raise RegistrationError(f"{where}: {what} takes no argument {', '.join(unknown)}")


def check_registration(model_spec: ModelSpec) -> ModelSpec:
    """Check a: the targets import, are what they claim, are twins by name, and accept the config.

    Twins by name: ``lit_models.<file>.<Name>`` ↔ ``keras_models.<file>.<Name>`` (the mirrored
    files of the course, same names on both sides)."""
    import lightning as L

    from datamodules.base import ArrayDataModule

    where = configs.config_path(model_spec.id)
    lightning, keras, datamodule = (
        model_spec.lightning_class(),
        model_spec.keras_builder(),
        model_spec.datamodule_class(),
    )
    if not (isinstance(lightning, type) and issubclass(lightning, L.LightningModule)):
        raise RegistrationError(f"{where}: {model_spec.lightning} is not a LightningModule class")
    if not (isinstance(datamodule, type) and issubclass(datamodule, ArrayDataModule)):
        raise RegistrationError(f"{where}: {model_spec.datamodule} is not an ArrayDataModule class")
    if not callable(keras):
        raise RegistrationError(f"{where}: {model_spec.keras} is not callable (a Keras model builder)")
    mirrored = model_spec.lightning.replace("lit_models.", "keras_models.", 1)
    if model_spec.lightning.startswith("lit_models.") and model_spec.keras != mirrored:
        raise RegistrationError(
            f"{where}: the Keras twin of {model_spec.lightning} must be {mirrored} "
            f"(mirrored file, same name), not {model_spec.keras}"
        )
    config = model_spec.config()
    _accepted(lightning, config["model"], model_spec.lightning, where)
    from lit_models.base import TORCH_ONLY_ARGS

    _accepted(keras, set(config["model"]) - set(TORCH_ONLY_ARGS), model_spec.keras, where)
    _accepted(datamodule, config["data"], model_spec.datamodule, where)
    return model_spec
