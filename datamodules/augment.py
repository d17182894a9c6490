"""The course's image augmentation in numpy, so both frameworks train on the same pixels.

The course puts ``RandomFlip("horizontal")`` and ``RandomRotation(0.2)`` layers in front of the
Keras model; each framework would then draw its own random flips and angles. Here the
parameters of sample ``i`` in epoch ``e`` are drawn from ``numpy.random.default_rng([seed, e, i])``
— a pure function of (seed, epoch, sample) — and applied by the datamodule before either
framework sees the batch. The geometry follows Keras 3's layers (and is tested against them):

- flip: the width axis is reversed with probability 1/2;
- rotation: an angle uniform in ±``factor``·2π (0.2 → ±72°), positive = counter-clockwise,
  about the image centre ((W−1)/2, (H−1)/2), bilinear interpolation, ``fill_mode="reflect"``
  (d c b a | a b c d | d c b a), exactly TensorFlow's ``ImageProjectiveTransformV3``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FlipRotate:
    """``RandomFlip("horizontal")`` then ``RandomRotation(factor)``, seeded per (seed, epoch, sample)."""

    factor: float = 0.2
    flip: bool = True
    seed: int = 0

    def parameters(self, epoch: int, index: int) -> tuple[bool, float]:
        """``(flipped, angle in radians)`` of sample ``index`` in ``epoch``."""
        rng = np.random.default_rng([self.seed, epoch, int(index)])
        flipped = bool(rng.random() < 0.5) and self.flip
        return flipped, float(rng.uniform(-self.factor, self.factor) * 2 * np.pi)

    def __call__(self, images: np.ndarray, indices: np.ndarray, epoch: int) -> np.ndarray:
        """Augmented copies of ``images`` (n, H, W, C) float32, sample ``indices[k]`` for row k."""
        out = np.empty_like(images)
        for row, index in enumerate(indices):
            flipped, angle = self.parameters(epoch, index)
            image = images[row, :, ::-1] if flipped else images[row]
            out[row] = rotate(image, angle) if angle else image
        return out


def reflect(coordinate: np.ndarray, size: int) -> np.ndarray:
    """TensorFlow's REFLECT fill: fold a pixel coordinate into [0, size − 1] (d c b a | a b c d)."""
    folded = np.mod(coordinate, 2 * size)
    folded = np.where(folded > size - 1, 2 * size - folded - 1, folded)
    return np.clip(folded, 0, size - 1)


def rotate(image: np.ndarray, angle: float) -> np.ndarray:
    """``image`` (H, W, C) rotated counter-clockwise by ``angle`` radians like Keras' RandomRotation.

    Each output pixel (x, y) reads the input at x' = cos·x − sin·y + x₀, y' = sin·x + cos·y + y₀
    (Keras' transform, which keeps the centre fixed), bilinearly, with reflected coordinates.
    """
    height, width = image.shape[:2]
    cos, sin = np.cos(angle), np.sin(angle)
    x_offset = ((width - 1) - (cos * (width - 1) - sin * (height - 1))) / 2
    y_offset = ((height - 1) - (sin * (width - 1) + cos * (height - 1))) / 2
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    source_x = reflect(cos * x - sin * y + x_offset, width)
    source_y = reflect(sin * x + cos * y + y_offset, height)
    x0, y0 = np.floor(source_x).astype(int), np.floor(source_y).astype(int)
    x1, y1 = np.minimum(x0 + 1, width - 1), np.minimum(y0 + 1, height - 1)
    wx, wy = (source_x - x0)[..., None], (source_y - y0)[..., None]
    top = (1 - wx) * image[y0, x0] + wx * image[y0, x1]
    bottom = (1 - wx) * image[y1, x0] + wx * image[y1, x1]
    return ((1 - wy) * top + wy * bottom).astype(image.dtype)
