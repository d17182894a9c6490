"""``BiLSTMClassifier``: the IMDB sentiment twins of Day 2 as a Keras 3 model.

Twin: ``lit_models/imdb_bilstm.py`` (same name, same arguments).
"""

from __future__ import annotations

import keras
from jsonargparse.typing import ClosedUnitInterval, PositiveFloat, PositiveInt

from .base import compile_course_model


def BiLSTMClassifier(
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
) -> keras.Sequential:
    """Embedding(vocab, dim, mask_zero=True) → Bidirectional(LSTM(u₁, return_sequences=True)) → …
    → Bidirectional(LSTM(u_k)) → Dense(dense_units, relu) → Dropout → Dense(output_units) (a logit).

    Shapes: (batch, steps) int64 token ids, 0 = padding → (batch, output_units).
    """
    model = keras.Sequential(name="bilstm_classifier")
    model.add(keras.Input(shape=(None,), dtype="int64"))
    model.add(keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True))
    for index, units in enumerate(lstm_units):
        model.add(
            keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=index < len(lstm_units) - 1))
        )
    model.add(keras.layers.Dense(dense_units, activation="relu"))
    model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(output_units, activation=output_activation))
    return compile_course_model(model, loss, metrics, optimizer, learning_rate)
