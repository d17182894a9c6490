"""torch layers that compute exactly what their Keras 3 namesakes compute, where torch's own
defaults differ. Used by the autoencoder and DCGAN twins (and free for any twin).

- ``SameConv2d``: Keras ``Conv2D(padding="same", strides=s)``. Keras (TF) pads a total of
  ``max((ceil(n/s) − 1)·s + k − n, 0)`` per spatial axis, the odd pixel at the **bottom/right**;
  torch's ``padding=k//2`` is symmetric, which shifts every output of a stride-2 conv by a pixel.
  Where the total is even (both sides equal) the padding is the conv's own (no padded copy).
- ``SameConvTranspose2d``: Keras ``Conv2DTranspose(padding="same", strides=s)``, output n·s.
  It is the gradient of the strided ``same`` conv above: the full transposed convolution
  ((n − 1)·s + k) cropped by ``pad_top = (k − s) // 2`` at the start, keeping n·s values. torch's
  own ``padding=pad_top`` crops that much at both ends; an odd ``k − s`` leaves one value to drop
  at the end (a view), instead of computing and cropping the whole ``k − s`` border.
- ``KerasBatchNorm1d`` / ``KerasBatchNorm2d``: Keras ``BatchNormalization()`` — epsilon 1e-3,
  momentum 0.99 (torch ``momentum=0.01``: torch weights the *new* statistic), and the moving
  variance updated with the **biased** batch variance (torch uses the unbiased one, n/(n−1)).
  Training runs torch's fused batch-norm kernel, then corrects its moving-variance update exactly:
  ``v ← d + (v_torch − d)·(n−1)/n`` with ``d = (1 − m)·v_old`` turns ``m·n/(n−1)·σ²`` into ``m·σ²``.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Keras/TF ``same`` padding of one axis: ``(before, after)``, the odd pixel after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with Keras' ``padding="same"`` for any stride (NCHW in, NCHW out)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, bias: bool = True
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        top, bottom = same_padding(x.shape[-2], kh, sh)
        left, right = same_padding(x.shape[-1], kw, sw)
        if (top, left) != (bottom, right):  # the odd pixel bottom/right: a padded copy
            x, top, left = F.pad(x, (left, right, top, bottom)), 0, 0
        return F.conv2d(x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups)


class SameConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` with Keras' ``padding="same"``: (N, C, H, W) -> (N, C', H·s, W·s)."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, bias: bool = True
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=0, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        top, left = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
        # the full output cropped by (top, left) at both ends; an odd k − s leaves one more at the end
        cropped = F.conv_transpose2d(x, self.weight, self.bias, self.stride, (top, left), 0, self.groups)
        return cropped[..., : x.shape[-2] * sh, : x.shape[-1] * sw]


class _KerasBatchNorm:
    """Training mode: normalise with the batch statistics, then update the running statistics
    the Keras way (biased variance). Inference mode: torch's own path (running statistics)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        n = x.numel() // x.shape[1]  # values per channel
        # torch's update lands in a copy: autograd keeps it for the backward pass, unmodified
        torch_var = self.running_var.clone()
        normalised = F.batch_norm(
            x, self.running_mean, torch_var, self.weight, self.bias, True, self.momentum, self.eps
        )
        with torch.no_grad():  # torch added m·n/(n−1)·σ² to the decayed variance; Keras adds m·σ²
            decayed = self.running_var.mul_(1 - self.momentum)
            decayed.add_((torch_var - decayed).mul_((n - 1) / n))
            self.num_batches_tracked += 1
        return normalised


class KerasBatchNorm1d(_KerasBatchNorm, nn.BatchNorm1d):
    """Keras ``BatchNormalization()`` over (N, C) features."""

    def __init__(self, num_features: int):
        super().__init__(num_features, eps=1e-3, momentum=0.01)


class KerasBatchNorm2d(_KerasBatchNorm, nn.BatchNorm2d):
    """Keras ``BatchNormalization()`` over (N, C, H, W) images (Keras' axis −1 of NHWC)."""

    def __init__(self, num_features: int):
        super().__init__(num_features, eps=1e-3, momentum=0.01)
