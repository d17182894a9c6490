"""Optimizers named like Keras' strings, with Keras' defaults mapped onto torch.

- ``sgd``: Keras ``"sgd"`` is SGD(lr=0.01, momentum=0); torch has no default lr.
- ``adam``: Keras adds epsilon=1e-7 to sqrt(v) *before* bias correction of the step size;
  torch adds eps=1e-8 to the bias-corrected sqrt(v). ``KerasAdam`` follows the Keras update
  exactly, so trajectories agree to float32 round-off.
- ``rmsprop``: Keras divides by sqrt(v + ε) (rho=0.9, ε=1e-7); torch by sqrt(v) + eps
  (alpha=0.99, eps=1e-8). ``KerasRMSprop`` follows the Keras update exactly.
"""
from __future__ import annotations

import math

import torch
from torch.optim import SGD, Optimizer


class KerasAdam(Optimizer):
    """Adam with Keras 3's update rule (``keras.optimizers.Adam``), step by step:

    m ← m + (g − m)(1 − β1);  v ← v + (g² − v)(1 − β2)
    θ ← θ − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε)
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-7):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(param)
                    state["v"] = torch.zeros_like(param)
                state["step"] += 1
                t = state["step"]
                state["m"].add_((param.grad - state["m"]) * (1 - beta1))
                state["v"].add_((param.grad.square() - state["v"]) * (1 - beta2))
                step_size = group["lr"] * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                param.addcdiv_(state["m"], state["v"].sqrt().add_(group["eps"]), value=-step_size)
        return loss


class KerasRMSprop(Optimizer):
    """RMSprop with Keras 3's update rule (``keras.optimizers.RMSprop``, no momentum, not centered):

    v ← ρ·v + (1 − ρ)·g²;  θ ← θ − lr · g / √(v + ε)
    """

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-7):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                velocity = self.state[param].setdefault("v", torch.zeros_like(param))
                velocity.mul_(group["rho"]).addcmul_(param.grad, param.grad, value=1 - group["rho"])
                param.addcdiv_(param.grad, velocity.add(group["eps"]).sqrt_(), value=-group["lr"])
        return loss


def make_optimizer(name: str, params, learning_rate: float) -> Optimizer:
    """The torch twin of ``keras.optimizers.get(name)`` with ``learning_rate``."""
    if name == "sgd":
        return SGD(params, lr=learning_rate, momentum=0.0)
    if name == "adam":
        return KerasAdam(params, lr=learning_rate)
    if name == "rmsprop":
        return KerasRMSprop(params, lr=learning_rate)
    raise ValueError(f"unknown optimizer {name!r}: use sgd, adam or rmsprop")
