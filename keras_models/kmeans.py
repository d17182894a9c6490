"""``KMeans``: K-Means that learns its centroids with Lloyd steps, as a Keras 3 model.

Twin: ``lit_models/kmeans.py`` (same names, same arguments, same algorithm): each training batch
adds its points to per-cluster sums and counts (``train_step``); at the end of each epoch every
centroid moves to the mean of its points (a callback that ``fit`` adds by itself). Like
``keras.applications``, the capitalised name is a function returning the compiled model.
"""

from __future__ import annotations

import keras
from jsonargparse.typing import PositiveFloat, PositiveInt
from keras import ops


def squared_distances(points, centroids):
    """The K-Means objective per point and centroid: (batch, d), (k, d) -> (batch, k)."""
    return ops.sum(ops.square(points[:, None, :] - centroids[None, :, :]), axis=-1)


class Centroids(keras.layers.Layer):
    """k centroids (learned by Lloyd steps, not by the optimizer) and the epoch's accumulators.

    Weights: ``centroids`` (k, d) trainable; ``sums`` (k, d), ``counts`` (k,), ``initialised`` (1,)
    non-trainable. Twin: ``lit_models.kmeans.Centroids``. ``call(points)`` returns the squared
    distances (batch, k).
    """

    def __init__(self, n_clusters: PositiveInt, **kwargs):
        super().__init__(**kwargs)
        self.n_clusters = n_clusters

    def build(self, input_shape):
        k, d = self.n_clusters, input_shape[-1]
        self.centroids = self.add_weight(shape=(k, d), initializer="zeros", trainable=True, name="centroids")
        self.sums = self.add_weight(shape=(k, d), initializer="zeros", trainable=False, name="sums")
        self.counts = self.add_weight(shape=(k,), initializer="zeros", trainable=False, name="counts")
        self.initialised = self.add_weight(
            shape=(1,), initializer="zeros", trainable=False, name="initialised"
        )

    def call(self, points):
        return squared_distances(points, self.centroids)

    def initialise_from(self, points) -> None:
        """Centroids ← the first k points, once (a fresh model only)."""
        fresh = ops.equal(self.initialised[0], 0.0)
        first = ops.cast(points[: self.n_clusters], self.centroids.dtype)
        self.centroids.assign(ops.where(fresh, first, self.centroids))
        self.initialised.assign(ops.ones_like(self.initialised))

    def accumulate(self, points, nearest) -> None:
        one_hot = ops.one_hot(nearest, self.n_clusters, dtype=points.dtype)
        self.sums.assign_add(ops.matmul(ops.transpose(one_hot), points))
        self.counts.assign_add(ops.sum(one_hot, axis=0))

    def lloyd_update(self, learning_rate: float) -> None:
        """Every centroid with points moves towards their mean; accumulators reset."""
        present = ops.cast(self.counts > 0, self.sums.dtype)[:, None]
        means = self.sums / ops.maximum(self.counts, 1.0)[:, None]
        self.centroids.assign(self.centroids + learning_rate * present * (means - self.centroids))
        self.sums.assign(ops.zeros_like(self.sums))
        self.counts.assign(ops.zeros_like(self.counts))


class LloydEpochEnd(keras.callbacks.Callback):
    """Applies the Lloyd update after each epoch (after validation, as Lightning's epoch-end hook)."""

    def on_epoch_end(self, epoch, logs=None):
        self.model.lloyd_update()


class KMeansModel(keras.Model):
    """K-Means over (batch, input_dim) points; ``model(x)`` = squared distances (batch, k)."""

    def __init__(self, input_dim: int, n_clusters: PositiveInt, learning_rate: PositiveFloat, **kwargs):
        super().__init__(**kwargs)
        self.learning_rate = learning_rate
        self.centroid_layer = Centroids(n_clusters, name="centroids")
        self.centroid_layer.build((None, input_dim))
        self.loss_fn = squared_distances
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x):
        return self.loss_fn(x, self.centroid_layer.centroids)

    def _distances(self, x):
        distances = self.loss_fn(x, ops.stop_gradient(self.centroid_layer.centroids))
        nearest = ops.argmin(distances, axis=-1)
        nearest_distance = ops.take_along_axis(distances, nearest[:, None], axis=1)
        return ops.mean(nearest_distance), nearest

    def lloyd_batch(self, x):
        """One batch of a Lloyd epoch: ``(mean squared distance, nearest centroid per point)``."""
        self.centroid_layer.initialise_from(x)
        loss, nearest = self._distances(x)
        self.centroid_layer.accumulate(x, nearest)
        return loss, nearest

    def lloyd_update(self) -> None:
        self.centroid_layer.lloyd_update(self.learning_rate)

    def _track(self, x, loss):
        self.loss_tracker.update_state(loss, sample_weight=ops.cast(ops.shape(x)[0], "float32"))
        return {"loss": self.loss_tracker.result()}

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        loss, _ = self.lloyd_batch(x)
        return self._track(x, loss)

    def test_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return self._track(x, self._distances(x)[0])

    def fit(self, *args, callbacks=None, **kwargs):
        # first: callbacks that save the model (BackupAndRestore) must see the moved centroids
        return super().fit(*args, callbacks=[LloydEpochEnd(), *(callbacks or [])], **kwargs)


def KMeans(input_dim: int, n_clusters: PositiveInt = 3, learning_rate: PositiveFloat = 1.0) -> KMeansModel:
    """The compiled Keras twin of ``lit_models.kmeans.KMeans``: points (batch, input_dim) ->
    squared distances (batch, n_clusters). No optimizer: Lloyd steps move the centroids."""
    model = KMeansModel(input_dim, n_clusters, learning_rate, name="kmeans")
    model.compile(optimizer=None, jit_compile=False)
    return model
