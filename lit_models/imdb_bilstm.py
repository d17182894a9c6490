"""``BiLSTMClassifier``: the IMDB sentiment twins of Day 2 as a LightningModule.

Twin: ``keras_models/imdb_bilstm.py`` (same name, same arguments). Used by ``imdb_bilstm``
(one bidirectional LSTM(64)) and ``imdb_bilstm_stacked`` (LSTM(64) → LSTM(32), dropout 0.5).
"""

from __future__ import annotations

import torch
from torch import nn

from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt

from .base import CourseModule
from .keras_compat.init import Init, apply_init_
from .keras_compat.recurrent import keras_rnn, run_masked


class BiLSTMClassifier(CourseModule):
    """Embedding(vocab, dim) → Bidirectional(LSTM(u₁), sequences) → … → Bidirectional(LSTM(u_k))
    → Linear(dense_units) → ReLU → Dropout → Linear(output_units) (a logit).

    Shapes: x (batch, steps) int64 token ids, right-padded with 0 → (batch, 1) logits.
    Id 0 is padding (Keras ``mask_zero=True``): padded steps are skipped by packing, so a
    review scores the same whatever the padding beside it. Ids ≥ 1 inside a review, 0 only after it.

    Args:
        vocab_size: rows of the embedding (from the datamodule's vocabulary size).
        lstm_units: width of each bidirectional LSTM, e.g. ``[64]`` or ``[64, 32]``.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: PositiveInt = 64,
        lstm_units: list[PositiveInt] = (64,),
        dense_units: PositiveInt = 64,
        dropout: ClosedUnitInterval = 0.0,
        output_units: PositiveInt = 1,
        output_activation: str = "linear",
        loss: str = "binary_crossentropy_from_logits",
        metrics: list[str] = ("accuracy",),
        optimizer: str = "adam",
        learning_rate: PositiveFloat = 1e-4,
        init: Init = "keras",
    ):
        super().__init__(output_units, output_activation, loss, list(metrics), optimizer, learning_rate)
        # sparse=True: one gradient row per lookup, like TF's IndexedSlices, which Keras' Adam
        # squares row by row (lit_models/keras_compat/optim.py); a dense gradient would train the
        # embedding differently.
        self.embedding = nn.Embedding(vocab_size, embedding_dim, sparse=True)
        widths = [embedding_dim, *(2 * u for u in lstm_units)]
        self.recurrent = nn.ModuleList(
            keras_rnn("lstm", n_in, units, bidirectional=True) for n_in, units in zip(widths, lstm_units)
        )
        self.head = nn.Sequential(
            nn.Linear(widths[-1], dense_units),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(dense_units, output_units),
        )
        apply_init_(self, init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lengths = (x != 0).sum(dim=1)
        h = self.embedding(x)
        for index, rnn in enumerate(self.recurrent):
            h = run_masked(rnn, h, lengths, return_sequences=index < len(self.recurrent) - 1)
        return self.head(h)
