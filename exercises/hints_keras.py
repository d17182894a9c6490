"""Hints for the reverse exercises, where the participant writes the **Keras** twin.

Registered in ``exercises.hinting`` (one function per trap, like the torch-side ones there); each
compares the participant's Keras model with the project's Keras twin of the same model.
"""

from __future__ import annotations

from .catalogue import KERAS
from .hinting import Context, hint

KERAS_KEYS = (
    "units",
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "activation",
    "recurrent_activation",
    "use_bias",
    "return_sequences",
    "go_backwards",
    "unit_forget_bias",
    "kernel_initializer",
    "recurrent_initializer",
    "bias_initializer",
)


def _plain(value):
    return value.get("class_name") if isinstance(value, dict) else value


def _keras_pairs(context: Context):
    from twins.transfer import keras_weighted_layers

    return list(zip(keras_weighted_layers(context.yours), keras_weighted_layers(context.reference)))


@hint("shapes", "counts", "init", "forward", "step", "trajectory", framework=KERAS)
def keras_layer_config(context: Context) -> list[str]:
    """Settings of each Keras layer that differ from the reference twin's."""
    hints = []
    for index, (mine, theirs) in enumerate(_keras_pairs(context), start=1):
        if type(mine).__name__ != type(theirs).__name__:
            return [f"layer {index}: yours is {type(mine).__name__}, the reference's {type(theirs).__name__}"]
        a, b = mine.get_config(), theirs.get_config()
        hints += [
            f"{type(mine).__name__} layer {index} ('{mine.name}'): "
            f"{key}={_plain(a.get(key))!r}, reference {_plain(b[key])!r}"
            for key in KERAS_KEYS
            if key in b and _plain(a.get(key)) != _plain(b[key])
        ]
    return hints[:3]


@hint("builds", framework=KERAS)
def return_sequences(context: Context) -> list[str]:
    if "expected ndim=3, found ndim=2" in str(context.error):
        return [
            "a recurrent layer that feeds another needs the whole sequence: return_sequences=True "
            "on every recurrent layer but the last (the torch twin passes rnn(x)[0], all steps, on)"
        ]
    return []


@hint("init", framework=KERAS)
def unit_forget_bias(context: Context) -> list[str]:
    for mine, theirs in _keras_pairs(context):
        if getattr(theirs, "unit_forget_bias", False) and not getattr(mine, "unit_forget_bias", True):
            return [
                "unit forget bias: Keras' LSTM starts the forget gate's bias "
                "at 1 (unit_forget_bias=True, the default; the torch twin sets "
                "the same in lit_models/keras_compat/init.py) — keep the default"
            ]
    return []


@hint("init", framework=KERAS)
def orthogonal_recurrent_init(context: Context) -> list[str]:
    for mine, theirs in _keras_pairs(context):
        cell_a, cell_b = getattr(mine, "cell", None), getattr(theirs, "cell", None)
        if (
            cell_a is not None
            and type(cell_a.recurrent_initializer).__name__ != type(cell_b.recurrent_initializer).__name__
        ):
            return [
                "recurrent init: Keras draws the recurrent kernel orthogonal "
                "(recurrent_initializer='orthogonal', the default; "
                "the torch twin calls nn.init.orthogonal_) — keep the default"
            ]
    return []


@hint("counts", framework=KERAS)
def second_recurrent_bias(context: Context) -> list[str]:
    if any(getattr(layer, "use_bias", True) is False for layer, _ in _keras_pairs(context)):
        return [
            "torch's nn.LSTM has a second bias (bias_hh) that Keras has not; the grader subtracts it, "
            "so your Keras layer needs exactly its own single bias (use_bias=True, the default)"
        ]
    return []


@hint("shapes", "counts", "forward", "init", framework=KERAS)
def keras_layer_class(context: Context) -> list[str]:
    """The weight transfer pairs layers by class: a home-made layer needs the reference's class name."""
    if "no converter" in str(context.error):
        return [
            "the grader pairs your layers with the torch twin's by layer class: "
            "give your custom layer the reference's class name "
            "(e.g. class Centroids(keras.layers.Layer)) and the same weights in the same order"
        ]
    return []


@hint("counts", "forward", "init", "step", framework=KERAS)
def keras_weight_order(context: Context) -> list[str]:
    for mine, theirs in _keras_pairs(context):
        a = [(w.name, tuple(w.shape)) for w in mine.weights]
        b = [(w.name, tuple(w.shape)) for w in theirs.weights]
        if a != b:
            return [
                f"layer '{mine.name}' has the weights {a}, the reference {b}: "
                "add_weight the same ones in the same order (the grader pairs them by position)"
            ]
    return []


@hint("step", "trajectory", framework=KERAS)
def keras_optimizer(context: Context) -> list[str]:
    mine, theirs = getattr(context.yours, "optimizer", None), getattr(context.reference, "optimizer", None)
    if theirs is None or mine is None:
        return []
    if type(mine).__name__ != type(theirs).__name__:
        return [f"optimizer: yours {type(mine).__name__}, the config's {type(theirs).__name__}"]
    rates = float(mine.learning_rate.numpy()), float(theirs.learning_rate.numpy())
    return [f"learning rate: yours {rates[0]:g}, the config's {rates[1]:g}"] if rates[0] != rates[1] else []


@hint("step", "trajectory", framework=KERAS)
def lloyd_epoch(context: Context) -> list[str]:
    if not hasattr(context.reference, "lloyd_update"):
        return []
    return [
        "Lloyd: lloyd_batch(x) returns (mean squared distance to the nearest centroid, "
        "nearest index per point) and adds the points to sums/counts; "
        "lloyd_update() moves each centroid with points to their mean and resets the sums/counts; "
        "fit adds the LloydEpochEnd callback that calls it after every epoch"
    ]
