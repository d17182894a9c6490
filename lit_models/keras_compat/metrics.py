"""torchmetrics twins of Keras metrics that need more than a constructor argument, and the
epoch trackers every course twin logs from (``EpochTrackers``)."""

from __future__ import annotations

import torch
from torch import nn

from torchmetrics import MeanMetric, MetricCollection
from torchmetrics.classification import BinaryAccuracy


class LogitBinaryAccuracy(BinaryAccuracy):
    """Keras ``BinaryAccuracy(threshold=0.0)`` on logits: a sample is positive iff its logit > 0.

    torchmetrics' ``BinaryAccuracy`` guesses: it applies a sigmoid only when some prediction lies
    outside [0, 1], so a batch of logits that all happen to lie in [0, 1] would be thresholded at
    0.5 instead of 0. Thresholding here first makes the decision explicit.
    Shapes: preds (batch, 1) or (batch,) logits, target the same shape with 0/1 values.
    """

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        super().update((preds > 0).to(preds.dtype), target.round().long())


class EpochTrackers(nn.Module):
    """One stage's (train, val or test) epoch values: Keras' loss tracker — a mean weighted by
    batch size (``torchmetrics.MeanMetric``) — and the metrics under Keras' names.

    ``update`` only keeps the step's detached loss, outputs and targets; every ``flush_steps``
    steps (and before ``compute``) they reach torchmetrics in one call. The sums are the same
    (up to float32 summation order); torchmetrics' fixed cost of a call — about 0.25 ms a step on
    a small model, more than the step itself — is paid once per ``flush_steps`` steps. At most
    ``flush_steps`` batches of outputs are held (on the model's device), none without metrics.
    Shapes: loss (), outputs (batch, units) logits or predictions, targets as the loss takes them.
    """

    def __init__(self, metrics: MetricCollection, flush_steps: int = 32):
        super().__init__()
        # Keep the default nan_strategy: torchmetrics 1.9 ignores ``weight`` under "disable".
        self.loss = MeanMetric()
        self.metrics = metrics
        self.flush_steps = flush_steps
        self._losses: list[tuple[torch.Tensor, int]] = []  # (loss, batch size) of each held step
        self._batches: list[tuple[torch.Tensor, torch.Tensor]] = []  # (outputs, targets), for metrics

    def update(self, loss: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> None:
        self._losses.append((loss.detach(), len(outputs)))
        if self.metrics:  # a loss-only stage (the autoencoders) holds no outputs
            self._batches.append((outputs.detach(), targets))
        if len(self._losses) >= self.flush_steps:
            self.flush()

    def flush(self) -> None:
        if not self._losses:
            return
        losses, sizes = zip(*self._losses)
        weights = torch.tensor(sizes, dtype=losses[0].dtype, device=losses[0].device)
        self.loss.update(torch.stack(losses), weight=weights)
        if self._batches:
            outputs, targets = zip(*self._batches)
            self.metrics.update(torch.cat(outputs), torch.cat(targets))
        self._losses, self._batches = [], []

    def compute(self) -> dict[str, torch.Tensor]:
        """``{"loss": mean, **metrics}`` of the epoch so far (synced across DDP processes)."""
        self.flush()
        return {"loss": self.loss.compute(), **self.metrics.compute()}

    def reset(self) -> None:
        self._losses, self._batches = [], []
        self.loss.reset()
        self.metrics.reset()
