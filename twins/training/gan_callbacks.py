"""DCGAN training extras, one callback per framework each (``mnist_dcgan``, TF DCGAN tutorial):

- a fixed seed of 16 noise vectors rendered as a 4×4 PNG grid after every epoch;
- a checkpoint every 15 epochs (kept, not overwritten), besides the resumable ``last`` one
  that ``twins.training.run.train_twin(checkpoint_dir=..., resume=True)`` writes and reads.
"""

from __future__ import annotations

from pathlib import Path

import torch

import lightning as L
import numpy as np
from lightning.pytorch.callbacks import Checkpoint

from twins.io import save_figure

GRID = 4
CHECKPOINT_EVERY = 15


def fixed_seed(noise_dim: int, seed: int = 0) -> np.ndarray:
    """The 16 noise vectors of the grid, float32 (16, noise_dim), the same for both twins."""
    return np.random.default_rng([seed, 16]).standard_normal((GRID * GRID, noise_dim)).astype(np.float32)


def render_grid(images: np.ndarray, title: str, path: Path) -> Path:
    """(16, 28, 28, 1) images in [−1, 1] → a 4×4 grey PNG."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(GRID, GRID, figsize=(4, 4.3))
    for image, axis in zip(images, axes.flat):
        axis.imshow(image[..., 0] * 127.5 + 127.5, cmap="gray", vmin=0, vmax=255)
        axis.axis("off")
    figure.suptitle(title, fontsize=9)
    return save_figure(figure, path)


class LightningSeedGrid(L.Callback):
    """After every training epoch: ``out/epoch_XXX.png`` of ``generator(seed)`` in eval mode."""

    def __init__(self, out, noise_dim: int):
        self.out, self.seed = Path(out), torch.from_numpy(fixed_seed(noise_dim))

    def on_train_epoch_end(self, trainer, pl_module):
        generator = pl_module.generator
        was_training = generator.training
        with torch.no_grad():
            images = generator.eval()(self.seed.to(pl_module.device)).permute(0, 2, 3, 1).cpu().numpy()
        generator.train(was_training)
        render_grid(
            images,
            f"lightning twin, epoch {trainer.current_epoch + 1}",
            self.out / f"epoch_{trainer.current_epoch + 1:03d}.png",
        )


class LightningEvery15(Checkpoint):
    """Keeps ``gan-epoch=015.ckpt``, ``030``, ... — full, resumable Trainer checkpoints.

    Named by the finished epoch counted from 1, like the Keras twin's files (Lightning's own
    ``ModelCheckpoint(filename="{epoch}")`` would write ``014``: its epoch counts from 0).
    A ``Checkpoint`` subclass, so Lightning runs it after the module's own epoch-end hooks.
    """

    def __init__(self, directory):
        self.directory = Path(directory)

    def on_train_epoch_end(self, trainer, pl_module):
        finished = trainer.current_epoch + 1
        if finished % CHECKPOINT_EVERY == 0:
            trainer.save_checkpoint(self.directory / f"gan-epoch={finished:03d}.ckpt")


def keras_callbacks(out, noise_dim: int, checkpoint_dir):
    """The Keras twin's seed grid and its every-15-epochs weights (``gan-epoch=015.weights.h5``)."""
    import keras

    seed = fixed_seed(noise_dim)

    class KerasSeedGrid(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            images = np.asarray(self.model.generator(seed, training=False))
            render_grid(images, f"keras twin, epoch {epoch + 1}", Path(out) / f"epoch_{epoch + 1:03d}.png")
            if checkpoint_dir and (epoch + 1) % CHECKPOINT_EVERY == 0:
                Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
                self.model.save_weights(str(Path(checkpoint_dir) / f"gan-epoch={epoch + 1:03d}.weights.h5"))

    return [KerasSeedGrid()]
