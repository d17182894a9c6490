"""MobileNetV2 (alpha 1.0, no top) in PyTorch with **Keras' layout**, layer for layer.

Twin of ``keras.applications.MobileNetV2(include_top=False)`` (Keras 3): the same layers in the
same order under the same names, so ``twins.transfer`` pairs them one to one and the forward
pass after a weight transfer agrees to float32 round-off. What differs from torchvision's
MobileNetV2 and is mapped here:

- stride-2 convolutions pad like Keras: ``Conv1`` (``padding="same"``) and the ``ZeroPadding2D``
  before each stride-2 depthwise conv add the odd pixel at the bottom/right only
  (``imagenet_utils.correct_pad``): ((0, 1), (0, 1)) for an even input size, ((1, 1), (1, 1)) for odd;
- BatchNorm ``eps=1e-3``, ``momentum=0.001`` (Keras ``momentum=0.999`` is the weight of the old
  moving average; torch's momentum is the weight of the new batch statistic), and the moving
  variance updated with the biased batch variance (``layers.KerasBatchNorm2d``);
- the layer list ``keras_layer_names`` counts every Keras layer (input, ReLU, padding, add), so
  "unfreeze from layer 100 on" means the same layers in both frameworks.

Shapes: x (batch, 3, H, W) float32 in [−1, 1] → (batch, 1280, ceil(H/32), ceil(W/32)).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .layers import KerasBatchNorm2d, SameConv2d

#: (filters, stride, expansion) of the 17 inverted residual blocks, block_id 0..16 (Keras order).
BLOCKS = (
    (16, 1, 1),
    (24, 2, 6),
    (24, 1, 6),
    (32, 2, 6),
    (32, 1, 6),
    (32, 1, 6),
    (64, 2, 6),
    (64, 1, 6),
    (64, 1, 6),
    (64, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (96, 1, 6),
    (160, 2, 6),
    (160, 1, 6),
    (160, 1, 6),
    (320, 1, 6),
)
FIRST_FILTERS = 32
LAST_FILTERS = 1280


def keras_batch_norm(channels: int) -> KerasBatchNorm2d:
    """Keras ``BatchNormalization(epsilon=1e-3, momentum=0.999)`` as torch sees it (biased
    moving-variance update: ``lit_models.keras_compat.layers.KerasBatchNorm2d``)."""
    norm = KerasBatchNorm2d(channels)
    norm.momentum = 1 - 0.999
    return norm


def correct_pad(size: tuple[int, int], kernel_size: int = 3) -> tuple[int, int, int, int]:
    """``keras.applications.imagenet_utils.correct_pad`` as ``F.pad``'s (left, right, top, bottom).

    ``size`` = (height, width) of the tensor the padding is applied to."""
    (height, width), half = size, kernel_size // 2
    top, left = half - (1 - height % 2), half - (1 - width % 2)
    return (left, half, top, half)


class InvertedResidual(nn.Module):
    """Keras' ``_inverted_res_block``: [1×1 expand → BN → ReLU6] → [pad] → 3×3 depthwise → BN →
    ReLU6 → 1×1 project → BN → [+ input].

    Args:
        in_channels / filters / stride / expansion / block_id: as in Keras (block 0 has no expand).
        size: (H, W) of the block's input, to compute Keras' ``correct_pad`` at stride 2.
    """

    def __init__(self, in_channels: int, filters: int, stride: int, expansion: int, block_id: int, size):
        super().__init__()
        hidden = in_channels * expansion
        prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
        names = []
        if block_id:
            self.expand = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self.expand_bn = keras_batch_norm(hidden)
            names += [f"{prefix}expand", f"{prefix}expand_BN", f"{prefix}expand_relu"]
        self.pad = nn.ZeroPad2d(correct_pad(size)) if stride == 2 else nn.Identity()
        names += [f"{prefix}pad"] if stride == 2 else []
        # stride 1 "same" with a 3×3 kernel pads 1 on every side in both frameworks
        self.depthwise = nn.Conv2d(
            hidden, hidden, 3, stride, padding=0 if stride == 2 else 1, groups=hidden, bias=False
        )
        self.depthwise_bn = keras_batch_norm(hidden)
        self.project = nn.Conv2d(hidden, filters, 1, bias=False)
        self.project_bn = keras_batch_norm(filters)
        names += [
            f"{prefix}depthwise",
            f"{prefix}depthwise_BN",
            f"{prefix}depthwise_relu",
            f"{prefix}project",
            f"{prefix}project_BN",
        ]
        self.residual = in_channels == filters and stride == 1
        names += [f"{prefix}add"] if self.residual else []
        self.keras_layer_names = names

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if hasattr(self, "expand"):
            x = F.relu6(self.expand_bn(self.expand(x)))
        x = F.relu6(self.depthwise_bn(self.depthwise(self.pad(x))))
        x = self.project_bn(self.project(x))
        return inputs + x if self.residual else x


class MobileNetV2(nn.Module):
    """The convolutional base, Keras layout (see the module docstring).

    Args:
        input_size: (H, W) of the images; fixes the asymmetric padding like Keras' static shapes.
    """

    def __init__(self, input_size: tuple[int, int] = (160, 160)):
        super().__init__()
        # Keras Conv1: padding="same", stride 2
        self.conv1 = SameConv2d(3, FIRST_FILTERS, 3, stride=2, bias=False)
        self.bn_conv1 = keras_batch_norm(FIRST_FILTERS)
        size = tuple(math.ceil(s / 2) for s in input_size)
        blocks, channels = [], FIRST_FILTERS
        for block_id, (filters, stride, expansion) in enumerate(BLOCKS):
            blocks.append(InvertedResidual(channels, filters, stride, expansion, block_id, size))
            channels, size = filters, tuple(math.ceil(s / stride) for s in size)
        self.blocks = nn.ModuleList(blocks)
        self.conv_last = nn.Conv2d(channels, LAST_FILTERS, 1, bias=False)
        self.bn_last = keras_batch_norm(LAST_FILTERS)

    @property
    def keras_layer_names(self) -> list[str]:
        """Names of ``keras.applications.MobileNetV2(include_top=False).layers``, in order."""
        names = ["input_layer", "Conv1", "bn_Conv1", "Conv1_relu"]
        for block in self.blocks:
            names += block.keras_layer_names
        return [*names, "Conv_1", "Conv_1_bn", "out_relu"]

    def keras_layers(self) -> list[tuple[str, nn.Module | None]]:
        """``(Keras layer name, torch module owning its weights or None)`` for every Keras layer."""
        owners = {
            "Conv1": self.conv1,
            "bn_Conv1": self.bn_conv1,
            "Conv_1": self.conv_last,
            "Conv_1_bn": self.bn_last,
        }
        suffixes = {
            "expand": "expand",
            "expand_BN": "expand_bn",
            "depthwise": "depthwise",
            "depthwise_BN": "depthwise_bn",
            "project": "project",
            "project_BN": "project_bn",
        }
        for block_id, block in enumerate(self.blocks):
            prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
            owners |= {f"{prefix}{k}": getattr(block, v) for k, v in suffixes.items() if hasattr(block, v)}
        return [(name, owners.get(name)) for name in self.keras_layer_names]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.bn_conv1(self.conv1(x)))
        for block in self.blocks:
            x = block(x)
        return F.relu6(self.bn_last(self.conv_last(x)))
