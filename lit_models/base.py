"""``CourseModule``: what every Lightning twin shares with ``keras.Model.compile`` + ``fit``.

A subclass defines the network (``forward`` returns logits for classifiers, like PyTorch
idiom); this class saves the subclass's constructor arguments as hyperparameters (what a
checkpoint rebuilds the twin from) and maps the course's Keras recipe:

- loss names (``mse``, ``sparse_categorical_crossentropy`` on logits ≡ Keras softmax + CE),
- metrics under Keras' names (``mae``, ``accuracy``) as torchmetrics,
- the optimizer by Keras name with Keras defaults (``lit_models.keras_compat.optim``),
- logging ``{stage}/{metric}`` once per epoch: the loss as a mean weighted by batch size
  (``torchmetrics.MeanMetric``), exactly like Keras' loss tracker behind ``history``; the steps
  reach torchmetrics in groups (``EpochTrackers``), which keeps its per-call cost off each step.
"""

from __future__ import annotations

import inspect

import torch
from torch import nn
from torch.nn import functional as F

import lightning as L
import torchmetrics

from .keras_compat.metrics import EpochTrackers, LogitBinaryAccuracy
from .keras_compat.optim import make_optimizer

#: Arguments of the Lightning twins that the Keras twins do not take.
TORCH_ONLY_ARGS = ("init",)

# Keras, TF backend: inside ``fit`` a Softmax output op hands its logits to the cross-entropy,
# so no probability clipping happens there; F.cross_entropy on logits is the same function.
LOSSES = {
    "mse": F.mse_loss,
    "sparse_categorical_crossentropy": F.cross_entropy,
    "binary_crossentropy_from_logits": F.binary_cross_entropy_with_logits,
}

OUTPUT_ACTIVATIONS = {
    "linear": nn.Identity,
    "softmax": lambda: nn.Softmax(dim=-1),
    "sigmoid": nn.Sigmoid,
}


def make_metric(name: str, output_units: int) -> torchmetrics.Metric:
    """The torchmetrics twin of a Keras metric name. ``validate_args=False``: the shared
    datamodules already guarantee the shapes and label ranges; the checks cost ~20 µs a step."""
    if name == "mae":
        return torchmetrics.MeanAbsoluteError()
    if name == "accuracy" and output_units == 1:
        # on logits, threshold 0 (Keras BinaryAccuracy(threshold=0.0))
        return LogitBinaryAccuracy(validate_args=False)
    if name == "accuracy":
        return torchmetrics.Accuracy(task="multiclass", num_classes=output_units, validate_args=False)
    raise ValueError(f"unknown metric {name!r}: use mae or accuracy")


class CourseModule(L.LightningModule):
    """Loss, metrics, optimizer and the shared train/val/test step of a course twin.

    Args:
        output_units: width of the last layer (1 for regression, k for k classes).
        output_activation: the Keras twin's last activation; torch returns the pre-activation
            (logits) and applies it only in ``keras_output``.
        loss / metrics / optimizer / learning_rate: Keras names and values from the config.
    """

    def __init__(self, output_units, output_activation, loss, metrics, optimizer, learning_rate):
        super().__init__()
        # The twin's own constructor arguments (Lightning collects the subclass's __init__ too); the
        # arguments of this base only where the twin takes them under the same name.
        takes = inspect.signature(type(self).__init__).parameters
        self.save_hyperparameters(
            ignore=[
                name
                for name in inspect.signature(CourseModule.__init__).parameters
                if name != "self" and name not in takes
            ]
        )
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}: use one of {', '.join(LOSSES)}")
        self.loss_fn = LOSSES[loss]
        self.output_activation = OUTPUT_ACTIVATIONS[output_activation]()
        # Keras' loss tracker and metrics, per stage (``keras_compat.metrics.EpochTrackers``)
        collection = torchmetrics.MetricCollection({m: make_metric(m, output_units) for m in metrics})
        self.train_trackers = EpochTrackers(collection.clone(prefix="train/"))
        self.val_trackers = EpochTrackers(collection.clone(prefix="val/"))
        self.test_trackers = EpochTrackers(collection.clone(prefix="test/"))

    def keras_output(self, x: torch.Tensor) -> torch.Tensor:
        """What the Keras twin's ``model(x)`` returns (probabilities for classifiers)."""
        return self.output_activation(self(x))

    def shared_step(self, batch, trackers: EpochTrackers) -> torch.Tensor:
        """The loss of one batch; the epoch's trackers are updated (train, val and test alike)."""
        x, y = batch
        outputs = self(x)
        loss = self.loss_fn(outputs, y)
        # Only trackers are updated per step; values are logged once, at the epoch's end. (Per-step
        # self.log calls cost Lightning about a millisecond each, more than a small model's step.)
        trackers.update(loss, outputs, y)
        return loss

    def log_epoch(self, stage: str, trackers: EpochTrackers) -> None:
        """Log the epoch's ``{stage}/loss`` and metrics (torchmetrics syncs them across DDP processes)."""
        computed = trackers.compute()
        values = {f"{stage}/loss": computed.pop("loss"), **computed}
        trackers.reset()
        self.log_dict(values, prog_bar=stage == "val", sync_dist=True)

    def training_step(self, batch, batch_idx):
        return self.shared_step(batch, self.train_trackers)

    def validation_step(self, batch, batch_idx):
        self.shared_step(batch, self.val_trackers)

    def test_step(self, batch, batch_idx):
        self.shared_step(batch, self.test_trackers)

    def on_train_epoch_end(self):
        self.log_epoch("train", self.train_trackers)

    def on_validation_epoch_end(self):
        self.log_epoch("val", self.val_trackers)

    def on_test_epoch_end(self):
        self.log_epoch("test", self.test_trackers)

    def predict_step(self, batch, batch_idx):
        return self.keras_output(batch[0])

    def configure_optimizers(self):
        return make_optimizer(self.hparams.optimizer, self.parameters(), self.hparams.learning_rate)
