"""``calibration_images``: the fixed noise batch both MobileNetV2 twins calibrate a random base on.

Framework-neutral (numpy, seeded), so the Keras and the Lightning twin normalise on exactly the
same pixels (``keras_models/mobilenet_transfer.py``, ``lit_models/mobilenet_transfer.py``).
"""

from __future__ import annotations

import numpy as np


def calibration_images(input_shape, count: int = 16, seed: int = 0) -> np.ndarray:
    """The fixed noise batch (count, H, W, C), uniform in [−1, 1], float32."""
    return np.random.default_rng(seed).uniform(-1, 1, (count, *input_shape)).astype(np.float32)
