"""One training step of each twin's own code, run outside its framework's loop and recorded.

What the parity harness needs to step a model sits here, not in the model classes:

- Lightning: the twin's own ``training_step`` runs with what a ``Trainer`` would hand it
  replaced by recorders — ``self.optimizers()`` returns ``RecordingOptimizer``s,
  ``self.manual_backward`` is ``Tensor.backward``, ``self.log`` keeps the values. A model with
  automatic optimization returns its loss; the harness calls ``backward`` and steps.
- Keras: a custom ``train_step`` (the GAN's) runs eagerly with every optimizer of the model
  wrapped by a ``RecordingKerasOptimizer``.

Each recording optimizer keeps the gradients it was asked to apply; the Lightning one can also
swap in other gradients (Keras', in torch layout) before it steps, which is how check e compares
two optimizers' *rules* on identical gradients.
"""

from __future__ import annotations

import contextlib

import torch
from torch.optim import Optimizer

import keras
import numpy as np


class RecordingOptimizer:
    """Stands in for a ``LightningOptimizer``: at ``step()`` it records the gradient of each of its
    parameters, replaces it by ``replacements[parameter]`` when given, then steps."""

    def __init__(self, optimizer: Optimizer, replacements: dict | None = None):
        self.optimizer = optimizer
        self.replacements = replacements or {}
        self.gradients: dict[torch.Tensor, torch.Tensor] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.optimizer.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.optimizer.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                self.gradients[parameter] = parameter.grad.detach().clone()
                if parameter in self.replacements:
                    parameter.grad = replacement_gradient(parameter.grad, self.replacements[parameter])
        return self.optimizer.step()


def replacement_gradient(current: torch.Tensor, replacement) -> torch.Tensor:
    """``replacement`` (numpy, or a torch sparse tensor for an embedding's rows) as ``current``'s type."""
    if isinstance(replacement, torch.Tensor):
        return replacement if current.is_sparse else replacement.to_dense()
    return torch.from_numpy(np.array(replacement, dtype=np.float32)).reshape(current.shape)


def configured_optimizers(module) -> list[Optimizer]:
    """The optimizers of ``module.configure_optimizers()`` in any of Lightning's return forms."""
    config = module.configure_optimizers()
    if config is None:
        return []
    if isinstance(config, Optimizer):
        return [config]
    if isinstance(config, dict):
        return [config["optimizer"]]
    if len(config) == 2 and all(
        isinstance(part, (list, tuple)) for part in config
    ):  # (optimizers, schedulers)
        config = config[0]
    return [entry["optimizer"] if isinstance(entry, dict) else entry for entry in config]


@contextlib.contextmanager
def without_trainer(module, optimizers: list[RecordingOptimizer]):
    """Run ``module``'s step methods with no ``Trainer``: yields the dict that ``self.log`` and
    ``self.log_dict`` write to (name → float)."""
    logged: dict[str, float] = {}

    def log(name, value, *args, **kwargs):
        logged[name] = float(value.detach() if isinstance(value, torch.Tensor) else value)

    def log_dict(values, *args, **kwargs):
        for name, value in values.items():
            log(name, value)

    stand_ins = {
        "optimizers": lambda use_pl_optimizer=True: optimizers[0] if len(optimizers) == 1 else optimizers,
        "manual_backward": lambda loss, *args, **kwargs: loss.backward(*args, **kwargs),
        "log": log,
        "log_dict": log_dict,
    }
    for name, function in stand_ins.items():
        setattr(module, name, function)  # instance attributes shadow the LightningModule methods
    try:
        yield logged
    finally:
        for name in stand_ins:
            delattr(module, name)


def step_lightning(module, batch, replacements: dict | None = None) -> tuple[dict, dict, torch.Tensor | None]:
    """One ``training_step`` of ``module`` on ``batch`` (torch layout), then every optimizer's step.

    Returns ``(logged values, gradients by parameter, the returned loss or None)``; the gradients
    are those ``backward`` produced, recorded before ``replacements`` took their place."""
    optimizers = [RecordingOptimizer(o, replacements) for o in configured_optimizers(module)]
    module.train()
    for optimizer in optimizers:
        optimizer.zero_grad()
    with without_trainer(module, optimizers) as logged:
        output = module.training_step(batch, 0)
    loss = output["loss"] if isinstance(output, dict) else output
    if module.automatic_optimization:
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()
    gradients = {p: g for optimizer in optimizers for p, g in optimizer.gradients.items()}
    return logged, gradients, loss


class RecordingKerasOptimizer:
    """Wraps a Keras optimizer: ``apply`` records the gradients by variable, then applies them."""

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.gradients: dict[int, np.ndarray] = {}

    def apply(self, grads, trainable_variables=None):
        for gradient, variable in zip(grads, trainable_variables):
            self.gradients[id(variable)] = None if gradient is None else np.asarray(gradient)
        return self.optimizer.apply(grads, trainable_variables)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


def step_keras(model, x: np.ndarray, y: np.ndarray) -> tuple[dict, dict]:
    """One eager ``train_step`` of ``model`` on ``(x, y)`` (Keras layout), its trackers reset first.

    Returns ``(the step's logs as floats, gradients by variable id)`` — the optimizers found among
    the model's attributes (a GAN's two) are wrapped while the step runs."""
    names = [name for name, value in vars(model).items() if isinstance(value, keras.optimizers.Optimizer)]
    recorders = {name: RecordingKerasOptimizer(getattr(model, name)) for name in names}
    for metric in model.metrics:
        metric.reset_state()
    for name, recorder in recorders.items():
        object.__setattr__(model, name, recorder)  # not tracked: the real optimizer stays the model's
    try:
        logs = model.train_step((x, y))
    finally:
        for name, recorder in recorders.items():
            object.__setattr__(model, name, recorder.optimizer)
    gradients = {key: g for recorder in recorders.values() for key, g in recorder.gradients.items()}
    return {name: float(value) for name, value in logs.items()}, gradients
