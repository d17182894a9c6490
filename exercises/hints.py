"""Hints for a failing step: one function per trap of the Keras ↔ Lightning translation.

Each function inspects the participant's model against the project's twin in the same framework
(the reference solution) and returns the hints that apply — a list of one-line strings, usually
empty. ``collect`` runs the functions registered for the failing step's category (``shapes``,
``counts``, ``init``, ``dropout``, ``forward``, ``step``, ``trajectory``, ...). A hint never hides the
step's own message: a hint function that fails is skipped. The traps of the reverse exercises
(the participant writes the Keras twin) are in ``hints_keras.py``; ``hinting.py`` registers both.
"""

from __future__ import annotations

import torch
from torch import nn

from lit_models.keras_compat.layers import SameConv2d, SameConvTranspose2d, _KerasBatchNorm
from lit_models.keras_compat.optim import KerasAdam

from .catalogue import LIGHTNING
from .hinting import Context, hint


def _named(model, kind, without=()) -> list[tuple[str, nn.Module]]:
    if not isinstance(model, nn.Module):
        return []
    return [(n, m) for n, m in model.named_modules() if isinstance(m, kind) and not isinstance(m, without)]


def _paired(context: Context, kind, without=()):
    return list(zip(_named(context.yours, kind, without), _named(context.reference, kind, without)))


# --- any framework -------------------------------------------------------------------------------


@hint("loads", "builds", "shapes", "counts", "init", "forward", "step", "trajectory")
def unfinished_todo(context: Context) -> list[str]:
    if isinstance(context.error, NotImplementedError) and "TODO" in str(context.error):
        return [
            "replace that `raise NotImplementedError(...)` line by your code (the docstring above it "
            "says what the Keras twin does), then check again"
        ]
    return []


# --- the participant writes the Lightning twin ---------------------------------------------------


@hint("shapes", "forward", framework=LIGHTNING)
def first_difference(context: Context) -> list[str]:
    """Where the layer trace found the first difference (see ``exercises.trace``)."""
    return [context.difference.detail] if context.difference else []


@hint("counts", framework=LIGHTNING)
def registration_order(context: Context) -> list[str]:
    """The weight transfer pairs torch modules with Keras layers in registration order."""
    from twins.transfer import torch_weighted_modules

    def sizes(model):
        return [sum(p.numel() for p in m.parameters(recurse=False)) for m in torch_weighted_modules(model)]

    mine, theirs = sizes(context.yours), sizes(context.reference)
    if mine != theirs and sorted(mine) == sorted(theirs):
        return [
            "your layers hold the reference's weights in another order: create them in __init__ in the order "
            "forward uses them (the grader pairs them with the Keras layers in registration order)"
        ]
    return []


@hint("shapes", "counts", "forward", framework=LIGHTNING)
def layer_widths(context: Context) -> list[str]:
    """ "Linear layer 2 has 64 units, reference 10" — per layer kind, in order."""
    kinds = (
        (nn.Linear, "out_features", "in_features", "units", "features"),
        (nn.Conv2d, "out_channels", "in_channels", "filters", "channels"),
        (nn.ConvTranspose2d, "out_channels", "in_channels", "filters", "channels"),
        (nn.RNNBase, "hidden_size", "input_size", "units", "features"),
    )
    if registration_order(context):
        return []  # the same layers in another order: that hint says it
    for kind, out_name, in_name, unit, in_unit in kinds:
        mine, theirs = _named(context.yours, kind), _named(context.reference, kind)
        if len(mine) != len(theirs):
            return [f"your model has {len(mine)} {kind.__name__} layers, the reference {len(theirs)}"]
        for index, ((name, m), (_, r)) in enumerate(zip(mine, theirs), start=1):
            if getattr(m, out_name) != getattr(r, out_name):
                return [
                    f"{kind.__name__} layer {index} ('{name}') has "
                    f"{getattr(m, out_name)} {unit}, reference {getattr(r, out_name)}"
                ]
            if getattr(m, in_name) != getattr(r, in_name):
                return [
                    f"{kind.__name__} layer {index} ('{name}') reads "
                    f"{getattr(m, in_name)} {in_unit}, reference {getattr(r, in_name)} "
                    "(what reaches it: padding, pooling and the flattened size before it)"
                ]
    return []


@hint("shapes", "counts", "forward", framework=LIGHTNING)
def same_padding(context: Context) -> list[str]:
    """Keras ``padding="same"`` at stride 1 keeps the size: torch ``padding=kernel_size // 2``."""
    for (name, m), (_, r) in _paired(context, nn.Conv2d):
        if isinstance(m, SameConv2d) or m.stride != (1, 1) or m.padding == "same":
            continue
        keeps_size = (
            isinstance(r, SameConv2d)
            or r.padding == "same"
            or r.padding == tuple(k // 2 for k in r.kernel_size)
        )
        wanted = tuple(k // 2 for k in m.kernel_size)
        if keeps_size and m.padding != wanted:
            return [
                f"Conv2d '{name}' has padding {m.padding[0]}: Keras padding='same' (stride 1) keeps "
                f"the image size — in torch padding=kernel_size // 2 = {wanted[0]} (or padding='same')"
            ]
    return []


@hint("shapes", "forward", framework=LIGHTNING)
def strided_same_conv(context: Context) -> list[str]:
    """Strided ``same``: Keras pads the odd pixel at the bottom/right only; torch pads both sides."""
    found = [
        (name, m)
        for (name, m), (_, r) in _paired(context, nn.Conv2d)
        if isinstance(r, SameConv2d) and not isinstance(m, SameConv2d) and m.stride != (1, 1)
    ]
    if not found:
        return []
    names, (_, m) = "', '".join(n for n, _ in found), found[0]
    return [
        f"Conv2d '{names}' (stride {m.stride[0]}, padding {m.padding[0]}): "
        "with strides > 1 Keras' 'same' pads the odd pixel at the bottom/right only, "
        "torch's padding pads both sides equally — use lit_models.keras_compat.layers.SameConv2d "
        "(it pads like Keras, then convolves with padding=0)"
    ]


@hint("shapes", "counts", "forward", framework=LIGHTNING)
def conv_transpose_same(context: Context) -> list[str]:
    """Keras ``Conv2DTranspose(padding="same", strides=s)`` returns exactly s·n, the full transposed
    output from row (k − s)//2 on; torch's ``padding``/``output_padding`` cannot start there for odd k."""
    for (name, m), _ in _paired(context, nn.ConvTranspose2d):
        if isinstance(m, SameConvTranspose2d):
            continue
        k, s, p, extra = m.kernel_size[0], m.stride[0], m.padding[0], m.output_padding[0]
        growth, keras_start = k - 2 * p + extra - s, max(k - s, 0) // 2
        setting = f"ConvTranspose2d '{name}' (kernel {k}, stride {s}, padding {p}, output_padding {extra})"
        rows = f"[{keras_start}:{keras_start} + {s}n]" if keras_start else f"[:{s}n]"
        fix = (
            "use lit_models.keras_compat.layers.SameConvTranspose2d, "
            f"or padding=0 and keep rows/columns {rows} of its output"
        )
        if growth:
            return [
                f"Conv2DTranspose same, stride {s}: Keras returns exactly {s}× the input size (n → {s}n), "
                f"your {setting} returns {s}n{growth:+d}. torch needs padding={(k - s + 1) // 2} "
                "output_padding=1 for that size, but then keeps the full output from "
                f"row {(k - s + 1) // 2} where Keras starts at row {keras_start} — {fix}"
            ]
        if p != keras_start:
            return [
                f"Conv2DTranspose same, stride {s}: your {setting} has Keras' "
                f"size but starts the full transposed output at row {p}, "
                f"Keras at row {keras_start} (shifted by {p - keras_start}) — {fix}"
            ]
    return []


@hint("forward", framework=LIGHTNING)
def flatten_order(context: Context) -> list[str]:
    """NCHW vs NHWC: torch flattens (C, H, W), Keras (H, W, C); the weight transfer reorders."""
    d = context.difference
    if d and d.kind == "reordered" and isinstance(d.module, nn.Linear):
        return [
            "Flatten order: torch's nn.Flatten on an NCHW tensor gives (C, H, W), Keras' Flatten (H, W, C); "
            "the grader's weight transfer already reorders the first Dense kernel's rows to (C, H, W) — "
            "keep a plain nn.Flatten on the NCHW tensor (no permute to NHWC before it)"
        ]
    return []


@hint("forward", framework=LIGHTNING)
def channels_last_reshape(context: Context) -> list[str]:
    """Keras ``Reshape((7, 7, 256))`` of a vector is channels-last."""
    d = context.difference
    if d and d.kind == "reordered" and isinstance(d.module, (nn.Conv2d, nn.ConvTranspose2d)):
        return [
            "Reshape order: Keras' Reshape((h, w, c)) reads the vector as (H, W, C) — "
            "in your forward write x.view(len(x), h, w, c).permute(0, 3, 1, 2), not x.view(len(x), c, h, w) "
            "(the grader copies Keras' Dense weights as they are: its outputs arrive in H, W, C order)"
        ]
    return []


@hint("forward", framework=LIGHTNING)
def activation_between(context: Context) -> list[str]:
    """Another function between two layers (or after the last) than the reference's."""
    d = context.difference
    if not d or d.kind != "activation":
        return []
    if d.yours.startswith("LeakyReLU") and d.theirs.startswith("LeakyReLU"):
        return [] if leaky_relu_slope(context) else [LEAKY_TEXT]  # the module hint names the layer
    if d.index == 0 and d.theirs == "no activation":
        return [
            "forward returns logits: no softmax/sigmoid at the end (CourseModule.keras_output adds the Keras "
            "output activation for comparisons; the loss works on logits)"
        ]
    if d.yours.startswith("no activation"):
        return [
            f"missing activation: the reference applies {d.theirs} there — "
            "Keras' Dense/Conv2D(..., activation=...) is the layer followed by "
            "a separate activation module in torch (nn.ReLU(), nn.Sigmoid(), ...)"
        ]
    return [f"apply {d.theirs} there, as the reference does (yours: {d.yours})"]


LEAKY_TEXT = "LeakyReLU slope: Keras default 0.3, torch default 0.01 — pass negative_slope=0.3"


@hint("forward", "step", "trajectory", framework=LIGHTNING)
def leaky_relu_slope(context: Context) -> list[str]:
    for (name, m), (_, r) in _paired(context, nn.LeakyReLU):
        if m.negative_slope != r.negative_slope:
            return [f"{LEAKY_TEXT} ('{name}' has {m.negative_slope:g})"]
    return []


@hint("step", "trajectory", framework=LIGHTNING)
def batchnorm_momentum(context: Context) -> list[str]:
    """torch's momentum weights the new batch statistic, Keras' the old moving average."""
    for (name, m), (_, r) in _paired(context, nn.modules.batchnorm._BatchNorm):
        if m.momentum != r.momentum:
            return [
                f"BatchNorm momentum: Keras {1 - r.momentum:g} corresponds to torch {r.momentum:g} "
                "(torch's momentum weights the new batch statistic, Keras' the old moving average) — "
                f"'{name}' has momentum {m.momentum}"
            ]
    return []


@hint("forward", "step", "trajectory", framework=LIGHTNING)
def batchnorm_epsilon(context: Context) -> list[str]:
    for (name, m), (_, r) in _paired(context, nn.modules.batchnorm._BatchNorm):
        if m.eps != r.eps:
            return [
                f"BatchNorm epsilon: Keras {r.eps:g}, torch's default 1e-05 — "
                f"'{name}' has eps {m.eps:g}, pass eps={r.eps:g}"
            ]
    return []


@hint("step", "trajectory", framework=LIGHTNING)
def batchnorm_variance(context: Context) -> list[str]:
    for (name, m), (_, r) in _paired(context, nn.modules.batchnorm._BatchNorm):
        if isinstance(r, _KerasBatchNorm) and not isinstance(m, _KerasBatchNorm):
            return [
                "BatchNorm moving variance: Keras updates it with the biased batch variance, "
                f"torch's '{name}' with the unbiased one (× n/(n−1)) — use "
                "lit_models.keras_compat.layers.KerasBatchNorm1d/2d (epsilon 1e-3, momentum 0.01, biased)"
            ]
    return []


@hint("step", "trajectory", framework=LIGHTNING)
def loss_on_probabilities(context: Context) -> list[str]:
    """A forward that ends with softmax, and a loss that expects logits."""
    if context.extra.get("forward_returns") != "softmax":
        return []
    return [
        "your forward ends with softmax (so it matched Keras' output), but F.cross_entropy in training_step "
        "applies log-softmax itself and expects logits: end forward with the last Linear and apply the "
        "softmax only in keras_output(x) (Keras fuses softmax + cross-entropy the same way)"
    ]


def _optimizers(model) -> list:
    result = model.configure_optimizers()
    if isinstance(result, dict):
        return [result["optimizer"]]
    if isinstance(result, (list, tuple)):
        return [item["optimizer"] if isinstance(item, dict) else item for item in result]
    return [] if result is None else [result]


@hint("step", "trajectory", framework=LIGHTNING)
def optimizer_rule(context: Context) -> list[str]:
    """Keras' optimizers by name: 'sgd' = SGD(momentum 0), 'adam' = Keras' Adam (ε 1e-7, its rule)."""
    mine, theirs = _optimizers(context.whole_yours), _optimizers(context.whole_reference)
    if len(mine) != len(theirs):
        return [f"configure_optimizers returns {len(mine)} optimizer(s), the reference {len(theirs)}"]
    hints = []
    for m, r in zip(mine, theirs):
        if isinstance(r, KerasAdam) and isinstance(m, (torch.optim.Adam, torch.optim.AdamW)):
            hints.append(
                f"Adam epsilon: Keras 1e-7, your torch.optim.{type(m).__name__} {m.defaults['eps']:g} — "
                "and Keras adds it to √v before the bias correction, so no eps makes torch's Adam match: "
                "use lit_models.keras_compat.optim.KerasAdam (Keras' exact update rule)"
            )
        elif isinstance(r, KerasAdam) and isinstance(m, KerasAdam) and m.defaults["eps"] != r.defaults["eps"]:
            hints.append(f"Adam epsilon: Keras 1e-7, yours {m.defaults['eps']:g}")
        elif type(m) is not type(r):
            hints.append(
                f"optimizer: the config's {context.whole_reference.hparams.optimizer!r} is "
                f"{type(r).__module__}.{type(r).__name__} here, yours is {type(m).__name__} "
                "(lit_models.keras_compat.optim.make_optimizer picks it by name)"
            )
        if (
            isinstance(r, torch.optim.SGD)
            and isinstance(m, torch.optim.SGD)
            and m.defaults.get("momentum", 0)
        ):
            hints.append("SGD momentum: Keras' 'sgd' has momentum 0")
        if m.param_groups[0]["lr"] != r.param_groups[0]["lr"]:
            hints.append(
                f"learning rate: yours {m.param_groups[0]['lr']:g}, "
                f"the config's {r.param_groups[0]['lr']:g} (self.hparams.learning_rate)"
            )
    return hints


@hint("builds", "step", "trajectory", framework=LIGHTNING)
def manual_optimization(context: Context) -> list[str]:
    if getattr(context.whole_reference, "automatic_optimization", True) is False and getattr(
        context.whole_yours, "automatic_optimization", False
    ):
        return [
            "two optimizers: set self.automatic_optimization = False in __init__ and step them yourself in "
            "training_step (self.optimizers(), self.manual_backward(loss), optimizer.step())"
        ]
    return []


@hint("counts", framework=LIGHTNING)
def frozen_base(context: Context) -> list[str]:
    """A frozen base: trainable in Keras' sense = requires_grad in torch."""

    def trainable(model, child):
        return sum(p.numel() for p in getattr(model, child).parameters() if p.requires_grad)

    for child, _ in context.yours.named_children():
        if not hasattr(context.reference, child):
            continue
        mine, theirs = trainable(context.yours, child), trainable(context.reference, child)
        if mine and not theirs:
            return [
                f"your '{child}' has {mine:,} trainable parameters, the reference's none: freeze it "
                f"after building it (self.{child}.requires_grad_(False); Keras: base.trainable = False)"
            ]
        if theirs and not mine:
            return [f"your '{child}' is frozen, the reference trains it ({theirs:,} trainable parameters)"]
    return []


@hint("init", framework=LIGHTNING)
def torch_init(context: Context) -> list[str]:
    return [
        "Keras initialises kernels glorot-uniform and biases with zeros (recurrent kernels orthogonal, "
        "an LSTM's forget-gate bias 1); torch's default is kaiming-uniform(a=√5) with "
        "U(±1/√fan_in) biases — call lit_models.keras_compat.init.apply_init_(self, init) "
        "once every layer exists (or nn.init.xavier_uniform_/zeros_ per layer)"
    ]


@hint("dropout")
def dropout_layers(context: Context) -> list[str]:
    return [
        "keep one Dropout layer/module per Keras Dropout, at the course's "
        "rate (the parity checks switch dropout off, so only this step sees it)"
    ]


# The traps of the reverse exercises (the participant writes the Keras twin) register themselves here.
from . import hints_keras  # noqa: E402,F401  - imported for its registrations, after this module's own
