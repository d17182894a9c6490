"""``Converter``: how the weights of one Keras layer kind map to one torch module kind and back.

Every family module of this package (``dense``, ``conv``, ...) lists its converters as
``CONVERTERS``; ``core.CONVERTERS`` joins them in one explicit table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from twins.errors import BadInput


class TransferError(BadInput, ValueError):
    """The two models do not have the same structure (one line naming the first difference)."""


@dataclass(frozen=True)
class Converter:
    """How to move the weights of one Keras layer kind to one torch module kind and back."""

    keras_type: type
    torch_type: type
    to_torch: Callable[[list[np.ndarray]], list[np.ndarray]]  # Keras weights -> torch tensors, in order
    to_keras: Callable[[list[np.ndarray]], list[np.ndarray]]  # torch tensors -> Keras weights, in order
    #: optional ``(keras_layer, torch_module) -> (to_torch, to_keras) | None``: functions for this very
    #: layer when its layout depends on its context (a Dense after a Flatten of an image); None keeps
    #: the defaults
    for_layer: Callable | None = None

    def specialise(self, layer, module) -> Converter:
        functions = self.for_layer(layer, module) if self.for_layer else None
        return Converter(self.keras_type, self.torch_type, *functions) if functions else self


def same_arrays(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The identity conversion: both frameworks store these weights in the same layout."""
    return list(arrays)
