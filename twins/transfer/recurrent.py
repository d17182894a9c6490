"""Weight converters of the sequence twins: SimpleRNN, LSTM, Bidirectional, Embedding.

- SimpleRNN / LSTM: Keras ``kernel`` (in, g·u), ``recurrent_kernel`` (u, g·u), one ``bias`` (g·u)
  ↔ torch ``weight_ih`` (g·u, in), ``weight_hh`` (g·u, u), ``bias_ih``, ``bias_hh`` (g = 1 or 4).
  The LSTM gate blocks are in the same order in both (Keras i, f, c, o; torch i, f, g, o), so
  transposing is all; Keras' single bias goes to ``bias_ih`` and ``bias_hh`` = 0. Back to Keras,
  the bias is ``bias_ih + bias_hh`` — the same function whatever torch's split.
- Bidirectional: the forward layer's weights, then the backward layer's ↔ torch's ``*_l0`` then
  ``*_l0_reverse`` tensors of one ``bidirectional=True`` module.
- Embedding: the (vocab, dim) matrix, unchanged.
"""

from __future__ import annotations

from torch import nn

import keras
import numpy as np

from twins.transfer.converter import Converter, same_arrays


def _rnn_to_torch(weights):
    kernel, recurrent_kernel, bias = weights
    return [kernel.T, recurrent_kernel.T, bias, np.zeros_like(bias)]


def _rnn_to_keras(tensors):
    weight_ih, weight_hh, bias_ih, bias_hh = tensors
    return [weight_ih.T, weight_hh.T, bias_ih + bias_hh]


def _bidirectional_to_torch(weights):
    half = len(weights) // 2
    return [*_rnn_to_torch(weights[:half]), *_rnn_to_torch(weights[half:])]


def _bidirectional_to_keras(tensors):
    half = len(tensors) // 2
    return [*_rnn_to_keras(tensors[:half]), *_rnn_to_keras(tensors[half:])]


CONVERTERS = [
    Converter(keras.layers.SimpleRNN, nn.RNN, _rnn_to_torch, _rnn_to_keras),
    Converter(keras.layers.LSTM, nn.LSTM, _rnn_to_torch, _rnn_to_keras),
    Converter(keras.layers.Bidirectional, nn.RNNBase, _bidirectional_to_torch, _bidirectional_to_keras),
    Converter(keras.layers.Embedding, nn.Embedding, same_arrays, same_arrays),
]
