"""torchmetrics twins of Keras metrics that need more than a constructor argument."""

from __future__ import annotations

import torch

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
