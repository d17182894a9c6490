"""Find the first layer where a participant's torch model departs from the reference twin.

Both torch models hold the same weights (each got ``keras_to_torch`` from the same Keras twin)
and read the same input; forward hooks record the input and output of every module that owns
weights (the layers the weight transfer pairs). The first pair that differs says where the
mistake is: in a layer itself (padding, stride, a BatchNorm setting), or between two layers
(an activation, pooling, a flatten or reshape order) — then the functions between them are
identified by trying the usual candidates on the previous layer's output (sorted values, so a
reshape in between does not matter).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch
from torch import nn
from torch.nn import functional as F

from twins.transfer import torch_weighted_modules

#: What can sit between two weighted layers, by the name a hint prints.
ACTIVATIONS = {
    "no activation": lambda t: t,
    "ReLU": F.relu,
    "LeakyReLU(0.3) (Keras' default slope)": partial(F.leaky_relu, negative_slope=0.3),
    "LeakyReLU(0.01) (torch's default slope)": partial(F.leaky_relu, negative_slope=0.01),
    "LeakyReLU(0.2)": partial(F.leaky_relu, negative_slope=0.2),
    "ReLU6": F.relu6,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": partial(F.softmax, dim=-1),
}


@dataclass
class Difference:
    """Where the participant's model first differs. ``kind``: ``layer`` (the layer computes
    differently from the same input), ``reordered`` (its input holds the reference's values in
    another order), ``activation`` (another function between two layers, or after the last),
    ``between`` (something else between two layers), ``missing`` (a layer never called)."""

    kind: str
    detail: str
    index: int  # 1-based position among the weighted layers (0: after the last)
    module: nn.Module | None = None  # the participant's layer
    reference: nn.Module | None = None
    previous: nn.Module | None = None  # the participant's layer before it (None: the model's input)
    yours: str | None = None  # the participant's function between (kind "activation")
    theirs: str | None = None  # the reference's


def _first(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def record(model: nn.Module, x: torch.Tensor, shapes_only: bool = False):
    """``([(name, module, input, output)] per weighted module, model output)`` of one eval-mode
    forward; tensors cloned at the first call (an in-place ReLU must not rewrite them). A forward
    that raises (mismatched shapes) still returns what the layers before the error recorded, and
    ``None`` as the output."""
    names = {module: name for name, module in model.named_modules()}
    modules = [m for m in torch_weighted_modules(model) if m is not model]
    seen: dict = {}

    def store(module, args, output):
        if module not in seen and args and isinstance(args[0], torch.Tensor):
            seen[module] = (args[0].detach().clone(), _first(output).detach().clone())

    hooks = [m.register_forward_hook(store) for m in modules]
    try:
        with torch.no_grad():
            output = _first(model.eval()(x))
    except Exception:
        output = None
    finally:
        for hook in hooks:
            hook.remove()
    return [(names[m], m, *seen.get(m, (None, None))) for m in modules], output


def _same(a: torch.Tensor, b: torch.Tensor, shapes_only: bool) -> bool:
    if a.shape != b.shape:
        return False
    return shapes_only or float((a - b).abs().max()) <= 1e-4 * max(1.0, float(b.abs().max()))


def _same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    """The same multiset of values (any order, any shape)."""
    return a.numel() == b.numel() and _same(a.flatten().sort().values, b.flatten().sort().values, False)


def between_function(previous: torch.Tensor, result: torch.Tensor) -> str | None:
    """The name of the candidate that maps ``previous`` to ``result`` (up to a reshape; with a
    2×2 max pooling after it for images), or None."""
    pooled = previous.ndim == 4 and result.numel() * 4 == previous.numel()
    for name, function in ACTIVATIONS.items():
        mapped = function(previous)
        if pooled:
            mapped, name = F.max_pool2d(mapped, 2), f"{name} + MaxPool2d(2)"
        if _same_values(mapped, result):
            return name
    return None


def _label(index: int, name: str, module: nn.Module) -> str:
    return f"layer {index} ({type(module).__name__} '{name}')"


def _between(
    index, label, previous, previous_label, mine, theirs, layer, reference, previous_module
) -> Difference:
    where = f"between {previous_label} and {label}"
    if mine.shape != theirs.shape:
        detail = (
            f"the input of {label} has shape {tuple(mine.shape)}, the reference's {tuple(theirs.shape)}: "
            f"what your forward does {where} differs (padding, pooling, flatten?)"
        )
        return Difference("between", detail, index, layer, reference, previous_module)
    if _same_values(mine, theirs):
        detail = (
            f"the input of {label} holds the reference's values in another order: the flatten/reshape "
            f"{where} orders them differently"
        )
        return Difference("reordered", detail, index, layer, reference, previous_module)
    yours, ref = between_function(previous, mine), between_function(previous, theirs)
    if yours and ref and yours != ref:
        detail = f"{where} the reference applies {ref}, yours {yours}"
        return Difference("activation", detail, index, layer, reference, previous_module, yours, ref)
    delta = float((mine - theirs).abs().max())
    detail = (
        f"the input of {label} differs from the reference's (max |Δ| {delta:.3g}): check your forward {where}"
    )
    return Difference("between", detail, index, layer, reference, previous_module)


def first_difference(
    yours: nn.Module, reference: nn.Module, x: torch.Tensor, shapes_only: bool = False
) -> Difference | None:
    """The first place where ``yours`` departs from ``reference`` on ``x`` (same weights in
    both), or None when every layer and the output agree (``shapes_only``: shapes alone)."""
    mine, out_mine = record(yours, x)
    theirs, out_theirs = record(reference, x)
    previous, previous_label, previous_module = x, "the model's input", None
    for index, ((name, layer, in_y, out_y), (_, ref, in_r, out_r)) in enumerate(zip(mine, theirs), start=1):
        label = _label(index, name, layer)
        if in_y is None and out_mine is None:
            return None  # your forward stopped before this layer, with no difference recorded before
        if in_y is None:
            return Difference(
                "missing", f"{label} is never called in your forward", index, layer, ref, previous_module
            )
        if in_r is None:
            return None  # a reference layer unused on this path: nothing to compare from here
        if not _same(in_y, in_r, shapes_only):
            return _between(index, label, previous, previous_label, in_y, in_r, layer, ref, previous_module)
        if not _same(out_y, out_r, shapes_only):
            shapes = (
                f"returns {tuple(out_y.shape)}, the reference's {type(ref).__name__} {tuple(out_r.shape)}"
            )
            values = (
                f"max |Δ| {float((out_y - out_r).abs().max()):.3g}" if out_y.shape == out_r.shape else shapes
            )
            detail = (
                f"{label} computes differently from the reference's "
                f"{type(ref).__name__} given the same input: {values}"
            )
            return Difference("layer", detail, index, layer, ref, previous_module)
        previous, previous_label, previous_module = out_r, label, layer
    if out_mine is None or _same(out_mine, out_theirs, shapes_only):
        return None
    last = f"after the last layer ({previous_label})"
    yours_fn, ref_fn = between_function(previous, out_mine), between_function(previous, out_theirs)
    if yours_fn and ref_fn and yours_fn != ref_fn:
        return Difference(
            "activation",
            f"{last} the reference applies {ref_fn}, yours {yours_fn}",
            0,
            None,
            None,
            previous_module,
            yours_fn,
            ref_fn,
        )
    return Difference(
        "between",
        f"every layer matches the reference, but your forward's output differs {last}",
        0,
        None,
        None,
        previous_module,
    )
