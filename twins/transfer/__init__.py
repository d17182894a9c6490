"""Weight transfer between the twins: ``keras_to_torch`` and ``torch_to_keras``.

``core`` pairs the layers and holds the converter table; one module per layer family
(``dense``, ``conv``, ``conv_transpose``, ``batchnorm``, ``recurrent``, ``depthwise``,
``kmeans``) knows its weight layouts.
"""

from twins.transfer.converter import Converter, TransferError
from twins.transfer.core import (
    CONVERTERS,
    keras_to_torch,
    keras_weighted_layers,
    paired_layers,
    torch_tensors,
    torch_to_keras,
    torch_weighted_modules,
)

__all__ = [
    "CONVERTERS",
    "Converter",
    "TransferError",
    "keras_to_torch",
    "keras_weighted_layers",
    "paired_layers",
    "torch_tensors",
    "torch_to_keras",
    "torch_weighted_modules",
]
