"""``ArrayDataModule``: the LightningDataModule every course datamodule derives from.

Subclasses only implement ``load_splits()`` (numpy, seeded). This class turns the splits into
torch ``DataLoader``s (``torch_adapter.batch_loader``); ``keras_adapter.keras_train_data`` and
``keras_eval_data`` turn the very same splits and batch orders into ``tf.data.Dataset``s for
Keras' ``fit``/``evaluate``.
"""

from __future__ import annotations

import lightning as L
from jsonargparse.typing import NonNegativeInt, PositiveInt

from .core import ArraySplits, BatchOrder, ClosedOpenUnitInterval
from .torch_adapter import batch_loader


class ArrayDataModule(L.LightningDataModule):
    """In-memory train/val/test arrays, batched identically for both frameworks.

    Args:
        batch_size: samples per batch (Keras ``fit`` default: 32).
        validation_split: fraction of the training arrays held out **from their end**, like
            Keras' ``fit(validation_split=...)``.
        seed: seed of the per-epoch shuffle of the training batches.
    """

    #: Human-readable name of the data, printed in every output (says "synthetic" when it is).
    source: str = ""
    #: The ``source`` value of the labelled offline substitute of a download dataset (``None``:
    #: the data ships with a package). Used only when asked for (``twins bench --offline``).
    OFFLINE_SUBSTITUTE: str | None = None
    #: Training steps an epoch of the course's own run on the real data, and that data's name,
    #: e.g. ``(1719, "Fashion-MNIST")``: 55,000 images / batch 32 (``None``: nothing to compare).
    COURSE_STEPS: tuple[int, str] | None = None
    #: What the course's recipe shows on the substitute, appended to ``substitute_note`` ("": nothing
    #: that looks like a bug).
    SUBSTITUTE_EXPECTATION = ""
    #: ``None`` or a callable ``(x_batch, indices, epoch) -> x_batch`` applied to every training
    #: batch by both adapters (augmentation drawn in numpy, e.g. ``datamodules.augment.FlipRotate``).
    train_transform = None

    def __init__(
        self,
        batch_size: PositiveInt = 32,
        validation_split: ClosedOpenUnitInterval = 0.2,
        seed: NonNegativeInt = 0,
    ):
        super().__init__()
        self.batch_size = batch_size
        self.validation_split = validation_split
        self.seed = seed
        self.splits: ArraySplits | None = None

    def load_splits(self) -> ArraySplits:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def substitute_note(self) -> str:
        """What to expect of a run on the offline substitute, "" on the real data, e.g. "40 steps an
        epoch on the digits substitute vs the course's 1,719 on Fashion-MNIST; ..."."""
        chosen = getattr(self, "source_name", None)  # a folder of your own (``path``) is no substitute
        if chosen is None or chosen != self.OFFLINE_SUBSTITUTE or getattr(self, "path", None):
            return ""
        if self.COURSE_STEPS is None:
            return ""
        course_steps, course_data = self.COURSE_STEPS
        steps = self.batch_order("train").num_batches
        note = (
            f"{steps:,} steps an epoch on the {self.OFFLINE_SUBSTITUTE} substitute "
            f"vs the course's {course_steps:,} on {course_data}"
        )
        return f"{note}; {self.SUBSTITUTE_EXPECTATION}" if self.SUBSTITUTE_EXPECTATION else note

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = self.load_splits()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. ``(19,)``."""
        self.setup()
        return tuple(self.splits.x_train.shape[1:])

    @property
    def input_dim(self) -> int:
        """Number of input features of a tabular sample."""
        return self.input_shape[0]

    def model_inputs(self) -> dict:
        """The data-dependent arguments of both twins' constructors, e.g. ``{"input_dim": 19}``."""
        return {"input_dim": self.input_dim}

    def batch_order(self, stage: str) -> BatchOrder:
        """Training batches are reshuffled every epoch; validation and test batches are not."""
        self.setup()
        x, _ = self.splits.stage(stage)
        return BatchOrder(len(x), self.batch_size, shuffle=stage == "train", seed=self.seed)

    def _loader(self, stage: str):
        self.setup()
        trainer = self.trainer  # set by Lightning; shards the batches across DDP processes
        rank, world_size = (trainer.global_rank, trainer.world_size) if trainer else (0, 1)
        transform = self.train_transform if stage == "train" else None
        return batch_loader(*self.splits.stage(stage), self.batch_order(stage), rank, world_size, transform)

    def train_dataloader(self):
        return self._loader("train")

    def val_dataloader(self):
        return self._loader("val")

    def test_dataloader(self):
        return self._loader("test")

    def predict_dataloader(self):
        return self._loader("test")
