"""Fashion-MNIST for the Day-3 autoencoders: the image is its own target.

Built on ``FashionMNISTDataModule`` (same ``source`` choice: the real files or the explicitly
named offline substitute). The course fits the autoencoders on **all** training images and
validates on the test images: here train = the vision split's validation + training images
(in the original order), val = test = the test images.
"""

from __future__ import annotations

import numpy as np
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt, PositiveInt

from .core import ArraySplits, as_float32
from .mnist import FashionMNISTDataModule, Source


class FashionAutoencoderData(FashionMNISTDataModule):
    """x = y = image float32 (28, 28) in [0, 1], like the course's arrays (no channel axis).
    ``test_classes``: class ids of the test images (only to colour the codes).
    Twins: ``fashion_autoencoder``."""

    COURSE_STEPS = (1875, "Fashion-MNIST")  # all 60,000 training images / batch 32
    SUBSTITUTE_EXPECTATION = ""  # no accuracy: the reconstructions simply stay blurrier

    def images(self) -> tuple[np.ndarray, np.ndarray]:
        """``(train, test)`` images NHWC (n, 28, 28, 1); sets ``test_classes``."""
        splits = super().load_splits()
        self.test_classes = splits.y_test
        return np.concatenate([splits.x_val, splits.x_train]), splits.x_test

    def load_splits(self) -> ArraySplits:
        train, test = (images[..., 0] for images in self.images())
        return ArraySplits(train, train, test, test, test, test)


class FashionDenoisingData(FashionAutoencoderData):
    """x = noisy image, y = clean image, both float32 (28, 28, 1) NHWC in [0, 1].

    Noise like the course: ``clip(x + noise_factor · N(0, 1), 0, 1)``, drawn **once** here from
    ``numpy.random.default_rng([noise_seed, split])``, so both twins train on the same noisy
    images. Twins: ``fashion_denoising_ae``.
    """

    def __init__(
        self,
        source: Source = "download",
        data_dir: str | None = None,
        batch_size: PositiveInt = 32,
        seed: NonNegativeInt = 0,
        limit_train: PositiveInt | None = None,
        limit_eval: PositiveInt | None = None,
        noise_factor: NonNegativeFloat = 0.2,
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
        self.noise_factor = noise_factor
        self.noise_seed = noise_seed

    def noisy(self, images: np.ndarray, split: int) -> np.ndarray:
        noise = np.random.default_rng([self.noise_seed, split]).standard_normal(images.shape)
        return as_float32(np.clip(images + self.noise_factor * noise, 0.0, 1.0))

    def load_splits(self) -> ArraySplits:
        train, test = self.images()
        noisy_train, noisy_test = self.noisy(train, 0), self.noisy(test, 1)
        return ArraySplits(noisy_train, train, noisy_test, test, noisy_test, test)
