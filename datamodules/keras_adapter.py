"""Thin Keras adapter: ``tf.data`` pipelines that serve the datamodule's batches to ``fit``.

Training: one endless stream of batches, global batch ``g`` being
``order.batches(g // num_batches)[g % num_batches]``; ``fit(..., steps_per_epoch=num_batches)``
cuts it into epochs. The batches are a pure function of their position in the stream, so
Keras' prefetching and iterator handling can never reorder or mix epochs, and epoch k holds
exactly the batches the torch adapter yields for epoch k. Validation and test batches are the
unshuffled arrays cut every ``batch_size``.
"""

from __future__ import annotations

import itertools

import numpy as np
import tensorflow as tf

from .core import BatchOrder


def epoch_stream(x: np.ndarray, y: np.ndarray, order: BatchOrder, first_epoch: int = 0, transform=None):
    """Yields ``(x[b], y[b])`` for every batch ``b`` of epochs ``first_epoch``, ``first_epoch + 1``, ...
    (``transform(x[b], b, epoch)`` instead of ``x[b]`` when given)."""
    for epoch in itertools.count(first_epoch):
        for indices in order.batches(epoch):
            yield (x[indices] if transform is None else transform(x[indices], indices, epoch)), y[indices]


def _signature(x: np.ndarray, y: np.ndarray):
    return tuple(tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in (x, y))


def keras_train_data(datamodule, first_epoch=0) -> tuple[tf.data.Dataset, int]:
    """``(dataset, steps_per_epoch)`` of the training batches, for ``model.fit``.

    ``first_epoch``: an int, or a callable read when Keras starts iterating (a resumed run
    learns its first epoch only then, from ``BackupAndRestore``).
    """
    x, y = datamodule.splits.stage("train")
    order = datamodule.batch_order("train")
    start = first_epoch if callable(first_epoch) else (lambda: first_epoch)
    dataset = tf.data.Dataset.from_generator(
        lambda: epoch_stream(x, y, order, start(), datamodule.train_transform),
        output_signature=_signature(x, y),
    )
    return dataset.prefetch(tf.data.AUTOTUNE), order.num_batches


def keras_eval_data(datamodule, stage: str) -> tf.data.Dataset:
    """The unshuffled ``"val"`` or ``"test"`` batches, for ``validation_data`` / ``evaluate``."""
    x, y = datamodule.splits.stage(stage)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(datamodule.batch_size)
