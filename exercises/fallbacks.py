"""The last-resort hints: when no trap-specific hint (``hints.py``, ``hints_keras.py``) explains a
failing step, its category's fallback names the Keras behaviour the step compares with and the
place in the participant's file to change. Registered in ``exercises.hinting`` (``@fallback``)."""

from __future__ import annotations

from .catalogue import LIGHTNING
from .hinting import Context, fallback


def _you(context: Context) -> str:
    return "your LightningModule" if context.exercise.write == LIGHTNING else "your Keras model"


def _raised(context: Context) -> str:
    """`` (the line named in the message raised it)`` for a Python error, else ""."""
    error = context.error
    return (
        "" if type(error).__name__ in ("ParityError", "StepFailure") else " — the line named above raised it"
    )


@fallback("loads")
def loads(context: Context) -> list[str]:
    return [
        f"the grader imports your file and looks up {context.exercise.name!r} (the skeleton's name): "
        f"fix the Python error{_raised(context)}"
    ]


@fallback("builds")
def builds(context: Context) -> list[str]:
    return [
        f"the grader builds {context.exercise.name}(**arguments) with the keyword arguments of "
        f"configs/{context.exercise.reference}.yaml, as the Keras builder gets them: keep the skeleton's "
        f"signature in __init__ (add **kwargs for those you ignore){_raised(context)}"
    ]


@fallback("shapes", "counts")
def layers(context: Context) -> list[str]:
    return [
        "Keras' Conv2D/Dense/LSTM layers fix the output size and count the weights layer by layer: compare "
        f"the layers {_you(context)} creates in __init__ (and the sizes forward passes on) with the "
        f"skeleton's docstring{_raised(context)}"
    ]


@fallback("init")
def init(context: Context) -> list[str]:
    return [
        "Keras draws kernels glorot-uniform, recurrent kernels orthogonal and biases zero: keep its default "
        "initialisers where you create the layers"
    ]


@fallback("forward")
def forward(context: Context) -> list[str]:
    return [
        "with the Keras weights copied in, your forward must compute Keras' model(x): check forward "
        "(activations, padding, the flatten/reshape order, what it returns: logits, or define "
        f"keras_output(x) for Keras' output){_raised(context)}"
    ]


@fallback("step")
def step(context: Context) -> list[str]:
    return [
        "one step compares Keras' compiled loss and optimizer with yours on the same batch: training_step "
        "must return the loss Keras computes (F.cross_entropy on logits = sparse_categorical_crossentropy, "
        "F.mse_loss = mse) and configure_optimizers Keras' optimizer with the config's learning rate"
        f"{_raised(context)}"
    ]


@fallback("trajectory")
def trajectory(context: Context) -> list[str]:
    return [
        "two epochs of Keras' fit + evaluate against Trainer.fit + test from the same weights: log the "
        "loss and each metric per epoch in training_step/validation_step/test_step (train_loss, val_acc, "
        f"test_loss ...){_raised(context)}"
    ]


@fallback("dropout")
def dropout(context: Context) -> list[str]:
    return ["keep one Dropout per Keras Dropout, at the course's rate"]
