"""``KMeans``: K-Means that learns its centroids with Lloyd steps, as a LightningModule.

Twin: ``keras_models/kmeans.py`` (same names, same arguments). Model id ``iris_kmeans``.

There is no gradient: each training batch assigns its points to the nearest centroid and adds
them to per-cluster sums and counts; at the end of the epoch every centroid moves to the mean of
its points (one Lloyd iteration over the whole training set, however it is batched). So the
result is exactly scikit-learn's ``KMeans(algorithm="lloyd")`` from the same initial centroids,
while the data streams through in batches (large inputs, GPUs). ``learning_rate`` < 1 damps
the move (c ← c + lr·(mean − c)); the course's K-Means is ``learning_rate=1``.

Initialisation like scikit-learn's ``init="random"``: the first ``n_clusters`` points of the
first training batch — the datamodule's seeded shuffle makes that a random sample, the same
one in both frameworks.
"""

from __future__ import annotations

import torch
from torch import nn

import lightning as L
from jsonargparse.typing import PositiveFloat, PositiveInt


def squared_distances(points: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """The K-Means objective per point and centroid: (batch, d), (k, d) -> (batch, k)."""
    return (points[:, None, :] - centroids[None, :, :]).square().sum(-1)


class Centroids(nn.Module):
    """k centroids (learned, not by gradients) with the Lloyd accumulators of the running epoch.

    Tensors: ``centroids`` (k, d) parameter; buffers ``sums`` (k, d), ``counts`` (k,) and
    ``initialised`` (1,) 0 or 1. Twin: ``keras_models.kmeans.Centroids``.
    """

    def __init__(self, n_clusters: PositiveInt, input_dim: int):
        super().__init__()
        self.centroids = nn.Parameter(torch.zeros(n_clusters, input_dim))
        self.register_buffer("sums", torch.zeros(n_clusters, input_dim))
        self.register_buffer("counts", torch.zeros(n_clusters))
        self.register_buffer("initialised", torch.zeros(1))

    @torch.no_grad()
    def initialise_from(self, points: torch.Tensor) -> None:
        """Centroids ← the first k points, once (a fresh model only)."""
        if not self.initialised:
            k = len(self.centroids)
            if len(points) < k:
                raise ValueError(
                    f"the first training batch has {len(points)} points, K-Means needs {k} to start"
                )
            self.centroids.copy_(points[:k])
            self.initialised.fill_(1.0)

    @torch.no_grad()
    def accumulate(self, points: torch.Tensor, nearest: torch.Tensor) -> None:
        """Add each point to the sum and count of its nearest centroid."""
        one_hot = nn.functional.one_hot(nearest, len(self.centroids)).to(points.dtype)
        self.sums += one_hot.T @ points
        self.counts += one_hot.sum(0)

    @torch.no_grad()
    def lloyd_update(self, learning_rate: float) -> None:
        """Move every centroid that received points towards their mean; reset the accumulators.
        A centroid without points stays where it is."""
        present = (self.counts > 0).to(self.sums.dtype)[:, None]
        means = self.sums / self.counts.clamp(min=1.0)[:, None]
        self.centroids += learning_rate * present * (means - self.centroids)
        self.sums.zero_()
        self.counts.zero_()


class KMeans(L.LightningModule):
    """K-Means over (batch, input_dim) float32 points.

    ``forward`` returns the squared distance of each point to each centroid, (batch, n_clusters);
    the cluster is its argmin (``predict``). Logged loss (Keras twin: the same number): the mean
    squared distance to the nearest centroid, i.e. inertia / number of points.

    Args:
        input_dim: features per point (from the datamodule).
        n_clusters: k.
        learning_rate: fraction of the way each centroid moves to its points' mean per epoch.
    """

    def __init__(self, input_dim: int, n_clusters: PositiveInt = 3, learning_rate: PositiveFloat = 1.0):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.centroids = Centroids(n_clusters, input_dim)
        self.loss_fn = squared_distances

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(x, self.centroids.centroids)

    def keras_output(self, x: torch.Tensor) -> torch.Tensor:
        """What the Keras twin's ``model(x)`` returns: the same squared distances."""
        return self(x)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Cluster id of each point, int64 (batch,)."""
        return self(x).argmin(-1)

    def _distances(self, x):
        distances = self.loss_fn(x, self.centroids.centroids.detach())
        nearest = distances.argmin(-1)
        return distances.gather(1, nearest[:, None]).mean(), nearest

    def lloyd_batch(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch of a Lloyd epoch: ``(mean squared distance, nearest centroid per point)``;
        the points are added to the accumulators."""
        self.centroids.initialise_from(x)
        loss, nearest = self._distances(x)
        self.centroids.accumulate(x, nearest)
        return loss, nearest

    def lloyd_update(self) -> None:
        """End of a Lloyd epoch: move the centroids."""
        self.centroids.lloyd_update(self.hparams.learning_rate)

    def training_step(self, batch, batch_idx):
        loss, _ = self.lloyd_batch(batch[0])
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]), prog_bar=True)

    def on_train_epoch_end(self):
        self.lloyd_update()

    def _evaluate(self, batch, stage):
        loss, _ = self._distances(batch[0])
        self.log(f"{stage}/loss", loss, on_step=False, on_epoch=True, batch_size=len(batch[0]))

    def validation_step(self, batch, batch_idx):
        self._evaluate(batch, "val")

    def test_step(self, batch, batch_idx):
        self._evaluate(batch, "test")

    def predict_step(self, batch, batch_idx):
        return self.predict(batch[0])

    def configure_optimizers(self):
        return None  # Lloyd steps, no gradient optimizer
