"""Optimizers named like Keras' strings, with Keras' defaults mapped onto torch.

- ``sgd``: Keras ``"sgd"`` is SGD(lr=0.01, momentum=0); torch has no default lr.
- ``adam``: Keras adds epsilon=1e-7 to sqrt(v) *before* bias correction of the step size;
  torch adds eps=1e-8 to the bias-corrected sqrt(v). ``KerasAdam`` follows the Keras update
  exactly, so trajectories agree to float32 round-off.
- ``rmsprop``: Keras divides by sqrt(v + ε) (rho=0.9, ε=1e-7); torch by sqrt(v) + eps
  (alpha=0.99, eps=1e-8). ``KerasRMSprop`` follows the Keras update exactly.
"""

from __future__ import annotations

import torch
from torch.optim import SGD, Optimizer

import numpy as np


def _keras_step_size(lr: float, beta1: float, beta2: float, t: int) -> float:
    """lr·√(1 − β2ᵗ)/(1 − β1ᵗ) in float32, as Keras computes it (β cast to float32, then the
    power): 1 − 0.999f is 1.3e-5 off 0.001, which in double precision would shift every step by 6e-6."""
    f32 = np.float32
    beta1_power, beta2_power = f32(beta1) ** f32(t), f32(beta2) ** f32(t)
    return float(f32(lr) * np.sqrt(f32(1) - beta2_power) / (f32(1) - beta1_power))


def _gradient_and_square(grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(g, g²)`` as Keras' TF backend forms them. A sparse gradient (``nn.Embedding(sparse=True)``:
    one row per lookup, like TF's ``IndexedSlices``) is summed per row for g, but squared row by
    row *before* summing for g² — Keras squares the slices (``ops.square`` keeps them sparse), so
    a token seen k times in a batch gets Σ gᵢ², not (Σ gᵢ)²."""
    if not grad.is_sparse:
        return grad, grad.square()
    indices, values = grad._indices(), grad._values()
    # the squares on the gradient's own indices
    squares = torch.sparse_coo_tensor(indices, values.square(), grad.shape, check_invariants=False)
    return grad.coalesce().to_dense(), squares.coalesce().to_dense()


class KerasAdam(Optimizer):
    """Adam with Keras 3's update rule (``keras.optimizers.Adam``), step by step:

    m ← m + (g − m)(1 − β1);  v ← v + (g² − v)(1 − β2)
    θ ← θ − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε)

    Sparse gradients (embeddings) follow Keras' ``IndexedSlices`` arithmetic: see ``_gradient_and_square``.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-7):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

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
                gradient, squared = _gradient_and_square(param.grad)
                state["m"].add_((gradient - state["m"]) * (1 - beta1))
                state["v"].add_((squared - state["v"]) * (1 - beta2))
                step_size = _keras_step_size(group["lr"], beta1, beta2, t)
                param.addcdiv_(state["m"], state["v"].sqrt().add_(group["eps"]), value=-step_size)
        return loss


class KerasRMSprop(Optimizer):
    """RMSprop with Keras 3's update rule (``keras.optimizers.RMSprop``, no momentum, not centered):

    v ← ρ·v + (1 − ρ)·g²;  θ ← θ − lr · g / √(v + ε)
    """

    def __init__(self, params, lr: float = 1e-3, rho: float = 0.9, eps: float = 1e-7):
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps})

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
