"""Recurrent building blocks shared by the sequence twins: torch RNN layers with Keras' semantics.

- **One bias.** Keras' SimpleRNN/LSTM add a single bias; torch adds two (``bias_ih`` + ``bias_hh``).
  Trained, two biases move twice as fast as one under SGD and Adam alike, so ``keras_rnn`` keeps
  ``bias_hh`` as a parameter (torch's layout, counted in ``twins/parity/counts.py``) but holds it at 0:
  a gradient hook zeroes its gradient, so every optimizer leaves it at 0 and the twin has
  exactly Keras' one bias (``bias_ih``).
- **Masking.** Keras' ``mask_zero=True`` skips every padded step (state carried through);
  ``run_masked`` packs the right-padded batch (``pack_padded_sequence``), which skips the same
  steps in both directions.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

#: Config name of the recurrent cell → torch layer (Keras: SimpleRNN, LSTM; tanh, sigmoid gates).
CELLS = {"simple_rnn": nn.RNN, "lstm": nn.LSTM}


def _no_gradient(grad: torch.Tensor) -> torch.Tensor:
    return torch.zeros_like(grad)


def keras_rnn(cell: str, input_size: int, units: int, bidirectional: bool = False) -> nn.RNNBase:
    """One batch-first recurrent layer (one direction or two) whose ``bias_hh`` stays 0."""
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}: use one of {', '.join(CELLS)}")
    rnn = CELLS[cell](input_size, units, batch_first=True, bidirectional=bidirectional)
    for name, parameter in rnn.named_parameters():
        if name.startswith("bias_hh"):
            nn.init.zeros_(parameter)
            parameter.register_hook(_no_gradient)
    return rnn


def last_output(rnn: nn.RNNBase, x: torch.Tensor) -> torch.Tensor:
    """Unmasked: (batch, steps, features) → the output at the last step (batch, units)."""
    return rnn(x)[0][:, -1]


def run_masked(
    rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, return_sequences: bool
) -> torch.Tensor:
    """A bidirectional layer over right-padded ``x`` (batch, steps, features), ``lengths`` (batch,).

    Returns (batch, steps, 2·units) with zeros at padded steps when ``return_sequences``, else the
    final states [forward at its last valid step, backward at step 0] (batch, 2·units) — Keras'
    ``Bidirectional`` with ``merge_mode="concat"``. An empty sequence (length 0) gives zeros, as
    a fully masked Keras sequence keeps its zero initial state.
    """
    packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
    outputs, state = rnn(packed)
    hidden = state[0] if isinstance(state, tuple) else state  # LSTM: (h, c); RNN: h
    present = (lengths > 0).to(x.dtype).unsqueeze(-1)
    if return_sequences:
        padded, _ = pad_packed_sequence(outputs, batch_first=True, total_length=x.shape[1])
        return padded * present.unsqueeze(-1)
    return torch.cat([hidden[-2], hidden[-1]], dim=-1) * present
