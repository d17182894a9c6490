"""Recurrent building blocks shared by the sequence twins: torch RNN layers with Keras' semantics.

- **One bias.** Keras' SimpleRNN/LSTM add a single bias; torch adds two (``bias_ih`` + ``bias_hh``).
  Trained, two biases move twice as fast as one under SGD and Adam alike, so ``keras_rnn`` keeps
  ``bias_hh`` as a parameter (torch's layout, counted in ``twins/parity/counts.py``) but holds it at 0:
  a gradient hook zeroes its gradient, so every optimizer leaves it at 0 and the twin has
  exactly Keras' one bias (``bias_ih``).
- **Masking.** Keras' ``mask_zero=True`` skips every padded step (state carried through).
  ``run_masked`` gets the same numbers from torch's fused (oneDNN / cuDNN) kernel on the padded
  batch: the forward direction is read at each review's last step (the steps after it never reach
  that output), and the backward direction runs over each review reversed within its length, so
  it starts at the review's last token, not at the padding. (``pack_padded_sequence`` skips the
  padding too, but torch runs a packed LSTM step by step, and the backward of each step's input
  slice zero-fills the whole input: 45 % of ``imdb_bilstm``'s CPU step went to ``aten::fill_``.)
"""

from __future__ import annotations

import torch
from torch import nn

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


def reverse_within_lengths(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Each row's first ``length`` steps in reverse order, the padding after them where it was.
    Shapes: x (batch, steps, features), lengths (batch,) → (batch, steps, features). Its own inverse."""
    steps = torch.arange(x.shape[1], device=x.device)
    ends = lengths.unsqueeze(1)
    order = torch.where(steps < ends, ends - 1 - steps, steps)
    return x.gather(1, order.unsqueeze(-1).expand_as(x))


def one_direction(rnn: nn.RNNBase, x: torch.Tensor, suffix: str) -> torch.Tensor:
    """The outputs (batch, steps, units) of one direction of the one-layer bidirectional ``rnn`` —
    its weights ``*_l0`` (forward) or ``*_l0_reverse`` (``suffix``) — run forward over ``x`` from a
    zero state, on the fused kernel ``rnn.forward`` itself calls (``torch._VF``)."""
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    weights = [getattr(rnn, f"{name}_l0{suffix}") for name in names]
    zeros = x.new_zeros(1, len(x), rnn.hidden_size)
    if isinstance(rnn, nn.LSTM):
        return torch._VF.lstm(x, (zeros, zeros), weights, True, 1, 0.0, rnn.training, False, True)[0]
    return torch._VF.rnn_tanh(x, zeros, weights, True, 1, 0.0, rnn.training, False, True)[0]


def run_masked(
    rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor, return_sequences: bool
) -> torch.Tensor:
    """A bidirectional layer over right-padded ``x`` (batch, steps, features), ``lengths`` (batch,).

    Returns (batch, steps, 2·units) with zeros at padded steps when ``return_sequences``, else the
    final states [forward at its last valid step, backward at step 0] (batch, 2·units) — Keras'
    ``Bidirectional`` with ``merge_mode="concat"``. An empty sequence (length 0) gives zeros, as
    a fully masked Keras sequence keeps its zero initial state.
    """
    present = (lengths > 0).to(x.dtype).unsqueeze(-1)
    lengths = lengths.clamp(min=1)
    steps, longest = x.shape[1], int(lengths.max())
    x = x[:, :longest]  # the steps after the batch's longest review are padding in every row
    forward = one_direction(rnn, x, "")
    backward = one_direction(rnn, reverse_within_lengths(x, lengths), "_reverse")
    if return_sequences:
        backward = reverse_within_lengths(backward, lengths)  # back in the reviews' order
        valid = torch.arange(longest, device=x.device) < lengths.unsqueeze(1)
        sequences = torch.cat([forward, backward], dim=-1) * (valid.unsqueeze(-1) * present.unsqueeze(-1))
        return nn.functional.pad(sequences, (0, 0, 0, steps - longest))
    rows = torch.arange(len(x), device=x.device)
    return torch.cat([forward[rows, lengths - 1], backward[rows, lengths - 1]], dim=-1) * present
