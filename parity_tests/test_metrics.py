"""``lit_models.keras_compat.metrics.EpochTrackers``: the steps reach torchmetrics in groups, and
the epoch's values are the ones torchmetrics gives when it is updated every step."""

import torch

import pytest
import torchmetrics

from lit_models.keras_compat.metrics import EpochTrackers, LogitBinaryAccuracy

#: 70 steps of 32 and a short last batch of 7: two full groups of 32 steps and a partial one.
BATCH_SIZES = [32] * 70 + [7]


def steps(classes: int):
    generator = torch.Generator().manual_seed(0)
    for size in BATCH_SIZES:
        outputs = torch.randn(size, classes, generator=generator)
        targets = torch.randint(0, classes, (size,), generator=generator)
        yield torch.rand((), generator=generator) * 3, outputs, targets


def per_step_values(classes: int) -> dict[str, float]:
    """The same epoch with torchmetrics updated at every step (what the trackers replace)."""
    loss, accuracy = torchmetrics.MeanMetric(), torchmetrics.Accuracy(task="multiclass", num_classes=classes)
    for step_loss, outputs, targets in steps(classes):
        loss.update(step_loss, weight=len(outputs))
        accuracy.update(outputs, targets)
    return {"loss": float(loss.compute()), "train/accuracy": float(accuracy.compute())}


def accuracy_trackers(classes: int) -> EpochTrackers:
    metric = torchmetrics.Accuracy(task="multiclass", num_classes=classes)
    return EpochTrackers(torchmetrics.MetricCollection({"accuracy": metric}, prefix="train/"))


def test_grouped_updates_give_the_per_step_epoch_values():
    trackers = accuracy_trackers(classes=10)
    for step_loss, outputs, targets in steps(10):
        trackers.update(step_loss, outputs, targets)
    values = {name: float(value) for name, value in trackers.compute().items()}
    expected = per_step_values(10)
    assert values["train/accuracy"] == expected["train/accuracy"], "counts are integers: exact"
    # the batch-size weighted mean, summed in another order: float32 rounding only
    assert values["loss"] == pytest.approx(expected["loss"], rel=1e-6)


def test_steps_reach_torchmetrics_every_flush_steps_and_before_compute():
    trackers = accuracy_trackers(classes=3)
    batches = steps(3)
    for _ in range(trackers.flush_steps - 1):
        trackers.update(*next(batches))
    assert trackers.loss.update_count == 0, "held, not yet handed over"
    trackers.update(*next(batches))
    assert trackers.loss.update_count == 1, "the group of flush_steps steps in one call"
    trackers.update(*next(batches))
    trackers.compute()
    assert trackers.loss.update_count == 2, "compute hands over what is held"


def test_reset_drops_the_held_steps():
    trackers = accuracy_trackers(classes=3)
    trackers.update(torch.tensor(5.0), torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))
    trackers.reset()
    trackers.update(torch.tensor(1.0), torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    assert float(trackers.compute()["loss"]) == 1.0


def test_a_loss_only_stage_and_binary_logits():
    """No metrics (the regressors without mae, the autoencoders): the loss alone; binary accuracy on
    logits of batches concatenated."""
    loss_only = EpochTrackers(torchmetrics.MetricCollection({}))
    loss_only.update(torch.tensor(2.0), torch.zeros(3, 1), torch.zeros(3, 1))
    assert loss_only.compute() == {"loss": torch.tensor(2.0)}
    binary = EpochTrackers(torchmetrics.MetricCollection({"accuracy": LogitBinaryAccuracy()}))
    binary.update(torch.tensor(0.0), torch.tensor([[0.3], [-0.2]]), torch.tensor([[1.0], [1.0]]))
    binary.update(torch.tensor(0.0), torch.tensor([[0.1]]), torch.tensor([[0.0]]))
    assert float(binary.compute()["accuracy"]) == pytest.approx(1 / 3)
