"""The exercises, in course order: which twin the participant writes, and what grades it.

Each exercise names a reference model (``configs/<id>.yaml``, ``twins list``): the participant
writes one of its twins from ``skeletons/<exercise id>.py`` — usually the Lightning twin of the
given Keras model, sometimes the reverse — and the other twin, the project's own, is the yardstick.
Grading uses the test profile (``configs/test/``) and the small data below, so that one
``exercise check`` takes seconds.

This module imports neither torch nor TensorFlow (``exercise list`` stays instant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

LIGHTNING, KERAS = "lightning", "keras"


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes:
        id: the exercise id (``exercise check ID``).
        day, topic: where it sits in the course.
        reference: the model id whose twins are the solution and the yardstick.
        write: the framework of the twin the participant writes (``lightning`` or ``keras``).
        module, name: where the reference solution lives and the class (or, for Keras, the
            builder function) the participant's file must define under the same name.
        teaches: one line for ``exercise list`` and docs/EXERCISES.md.
        data: datamodule overrides for grading (over the test profile): a few small batches.
        extra_steps: further one-step checks, ``{step name: model overrides for both twins}``.
        batch: samples of the one-step check.
        eager_keras: run the project's Keras twin's ``fit``/``train_on_batch`` eagerly (no
            tf.function tracing: seconds saved per check; the numbers are the same ops). A Keras
            twin the participant writes always runs as ``fit`` runs it (traced).
        check_init: compare the initial weights' distributions with the reference's (off where
            the participant does not write the initialisation, e.g. a given base network).
        dropout: check the Dropout rates (the parity checks switch dropout off).
    """

    id: str
    day: int
    topic: str
    reference: str
    write: str
    module: str
    name: str
    teaches: str
    data: dict = field(default_factory=dict)
    extra_steps: dict = field(default_factory=dict)
    batch: int = 32
    eager_keras: bool = True
    check_init: bool = True
    dropout: bool = False

    @property
    def spec(self):
        """The reference model's registration (``configs/<reference>.yaml``): its tolerances, its
        training kind and the components graded one by one are those of the parity suite."""
        from twins.registry import spec

        return spec(self.reference)

    @property
    def other(self) -> str:
        """The framework of the reference twin the participant's twin is graded against."""
        return KERAS if self.write == LIGHTNING else LIGHTNING

    def record(self) -> dict:
        """The ``exercise list --json`` entry."""
        return {
            "id": self.id,
            "day": self.day,
            "topic": self.topic,
            "reference": self.reference,
            "write": self.write,
        }


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        "tabular_mlp",
        1,
        "tabular MLP (regression)",
        "mpg_regression",
        LIGHTNING,
        "lit_models.tabular_mlp",
        "TabularMLP",
        "Dense ↔ nn.Linear + nn.ReLU; Keras' glorot-uniform/zero init; "
        "Keras' SGD and Adam (epsilon 1e-7, its update rule)",
        extra_steps={"one Adam step": {"optimizer": "adam", "learning_rate": 0.001}},
    ),
    Exercise(
        "cnn",
        1,
        "CNN (image classification)",
        "mnist_cnn",
        LIGHTNING,
        "lit_models.image_classifiers",
        "ConvClassifier",
        "Conv2D ↔ nn.Conv2d on NCHW: 'same' padding, MaxPooling, "
        "the flatten order (C,H,W vs H,W,C), logits vs softmax",
        data={"source": "digits", "image_size": 16, "limit_train": 64, "limit_eval": 32, "batch_size": 16},
        batch=16,
    ),
    Exercise(
        "kmeans",
        2,
        "K-Means (clustering)",
        "iris_kmeans",
        KERAS,
        "keras_models.kmeans",
        "KMeans",
        "REVERSE: Lloyd steps without gradients in Keras — "
        "a custom train_step, weights added by add_weight, an epoch-end callback",
    ),
    Exercise(
        "lstm",
        2,
        "RNN/LSTM (time series)",
        "series_lstm",
        KERAS,
        "keras_models.sequence_regressor",
        "SequenceRNN",
        "REVERSE: nn.LSTM ↔ keras LSTM: return_sequences, "
        "one bias vs torch's two, orthogonal recurrent init, unit forget bias",
        data={"n_series": 100},
    ),
    Exercise(
        "autoencoder",
        3,
        "convolutional denoising autoencoder",
        "fashion_denoising_ae",
        LIGHTNING,
        "lit_models.autoencoders",
        "DenoisingAutoencoder",
        "strided 'same' Conv2D and Conv2DTranspose in torch: where Keras pads, output_padding, cropping",
        data={"limit_train": 32, "limit_eval": 16},
    ),
    Exercise(
        "dcgan",
        3,
        "GAN (DCGAN)",
        "mnist_dcgan",
        LIGHTNING,
        "lit_models.dcgan",
        "DCGAN",
        "manual optimization with two optimizers; "
        "BatchNorm momentum/epsilon, LeakyReLU slope, channels-last Reshape",
        batch=16,
        dropout=True,
    ),
    Exercise(
        "transfer",
        3,
        "transfer learning (MobileNetV2)",
        "cats_dogs_transfer",
        LIGHTNING,
        "lit_models.mobilenet_transfer",
        "MobileNetV2Transfer",
        "a frozen base (trainable vs non-trainable counts), "
        "GlobalAveragePooling2D, Dropout, a Dense(1) logit",
        data={"num_images": 16},
        batch=16,
        check_init=False,
        dropout=True,
    ),
)

BY_ID = {exercise.id: exercise for exercise in EXERCISES}


def skeleton_path(exercise_id: str):
    """The pristine skeleton of ``exercise_id`` (a Traversable inside the installed package)."""
    return resources.files(__package__) / "skeletons" / f"{exercise_id}.py"
