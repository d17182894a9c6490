"""MNIST for the DCGAN (COURSE.md, Day 3): images in [−1, 1] and one latent vector per image.

Built on ``MNISTDataModule`` (same ``source`` choice: the real files or the explicitly named
offline substitute). The GAN trains on **all** training images (the vision split's validation +
training images, original order); val = test = the test images (for the losses after each epoch).

The latent noise is drawn here, once, from ``numpy.random.default_rng([noise_seed, split])``:
x = image, y = its noise vector. Both twins therefore train on identical (image, noise) pairs, in
the datamodule's seeded batch order, so their whole fits can be compared step by step. (The
generator sees as many distinct noise vectors as there are images, re-paired every epoch by the
shuffle; the TF tutorial draws fresh noise per batch — statistically the same thing.)
"""

from __future__ import annotations

import numpy as np
from jsonargparse.typing import NonNegativeInt, PositiveInt

from .core import ArraySplits, as_float32
from .mnist import MNISTDataModule, Source


class MNISTGANData(MNISTDataModule):
    """x float32 (28, 28, 1) NHWC in [−1, 1]; y float32 (noise_dim,) ~ N(0, 1). Twins: ``mnist_dcgan``."""

    COURSE_STEPS = (235, "MNIST")  # all 60,000 training images / batch 256
    SUBSTITUTE_EXPECTATION = ""  # no accuracy to mistake for a bug

    def __init__(
        self,
        source: Source = "download",
        data_dir: str | None = None,
        batch_size: PositiveInt = 256,
        seed: NonNegativeInt = 0,
        limit_train: PositiveInt | None = None,
        limit_eval: PositiveInt | None = None,
        noise_dim: PositiveInt = 100,
        noise_seed: NonNegativeInt = 0,
    ):
        super().__init__(
            source=source,
            data_dir=data_dir,
            batch_size=batch_size,
            seed=seed,
            limit_train=limit_train,
            limit_eval=limit_eval,
        )
        self.noise_dim = noise_dim
        self.noise_seed = noise_seed

    def noise(self, count: int, split: int) -> np.ndarray:
        return as_float32(
            np.random.default_rng([self.noise_seed, split]).standard_normal((count, self.noise_dim))
        )

    def load_splits(self) -> ArraySplits:
        splits = super().load_splits()
        train = np.concatenate([splits.x_val, splits.x_train]) * 2.0 - 1.0  # [0, 1] → [−1, 1]
        test = splits.x_test * 2.0 - 1.0
        train, test = as_float32(train), as_float32(test)
        return ArraySplits(
            train, self.noise(len(train), 0), test, self.noise(len(test), 1), test, self.noise(len(test), 1)
        )

    def model_inputs(self) -> dict:
        return {"input_shape": list(self.input_shape), "noise_dim": self.noise_dim}
