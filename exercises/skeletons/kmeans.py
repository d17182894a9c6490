"""Exercise kmeans (Day 2) — REVERSE: write the Keras twin of a given Lightning K-Means.

K-Means learns without gradients: each training batch assigns its points to the nearest centroid
and adds them to per-cluster sums and counts; at the end of the epoch every centroid moves to the
mean of its points (one Lloyd iteration over the whole training set, however it is batched). The
Lightning twin you must match (``lit_models/kmeans.py``), in short::

    class Centroids(nn.Module):                # parameter centroids (k, d); buffers sums (k, d),
        ...                                    # counts (k,), initialised (1,) — in this order
        def accumulate(self, points, nearest):
            one_hot = F.one_hot(nearest, k).float()
            self.sums += one_hot.T @ points
            self.counts += one_hot.sum(0)
        def lloyd_update(self, learning_rate):
            present = (self.counts > 0).float()[:, None]          # a centroid without points stays
            means = self.sums / self.counts.clamp(min=1.0)[:, None]
            self.centroids += learning_rate * present * (means - self.centroids)
            self.sums.zero_(); self.counts.zero_()

    class KMeans(L.LightningModule):
        def lloyd_batch(self, x):              # one batch of a Lloyd epoch
            self.centroids.initialise_from(x)  # the first k points of the first batch, once
            loss, nearest = self._distances(x) # mean squared distance to the nearest centroid
            self.centroids.accumulate(x, nearest)
            return loss, nearest
        def training_step(self, batch, batch_idx):
            loss, _ = self.lloyd_batch(batch[0]); self.log("train/loss", loss, ...)
        def on_train_epoch_end(self):          # after validation
            self.lloyd_update()                # self.centroids.lloyd_update(self.hparams.learning_rate)
        def configure_optimizers(self):
            return None                        # no optimizer: automatic_optimization = False

In Keras: the weights come from ``add_weight`` (trainable or not), the per-batch work goes into
``train_step``, and what Lightning does in ``on_train_epoch_end`` needs a ``keras.callbacks.Callback``
(``on_epoch_end`` runs after validation too) that ``fit`` must always use. The grader pairs your
``Centroids`` layer with the torch one by its class name and its weights by position, checks the
forward (squared distances), one Lloyd step (``lloyd_batch`` + ``lloyd_update`` on a batch: the
loss, the assignments and the centroid moves) and two epochs of ``fit``. Replace each
``raise NotImplementedError("TODO ...")`` by your code, then run ``exercise check kmeans``.
"""

from __future__ import annotations

import keras
from keras import ops


def squared_distances(points, centroids):
    """The K-Means objective per point and centroid: (batch, d), (k, d) -> (batch, k)."""
    return ops.sum(ops.square(points[:, None, :] - centroids[None, :, :]), axis=-1)


class Centroids(keras.layers.Layer):
    """k centroids and the epoch's accumulators. ``call(points)`` → squared distances (batch, k)."""

    def __init__(self, n_clusters: int, **kwargs):
        super().__init__(**kwargs)
        self.n_clusters = n_clusters

    def build(self, input_shape):
        raise NotImplementedError(
            "TODO 1 (Centroids.build): self.add_weight the four tensors of the torch twin, "
            "in its order and shapes: centroids (k, d) trainable; sums (k, d), "
            "counts (k,), initialised (1,) non-trainable; all zeros"
        )

    def call(self, points):
        return squared_distances(points, self.centroids)

    def initialise_from(self, points) -> None:
        """Centroids ← the first k points, once (a fresh model only). Written with ``ops.where``:
        inside ``train_step`` this runs as a TensorFlow graph, where a Python ``if`` on a tensor fails."""
        fresh = ops.equal(self.initialised[0], 0.0)
        first = ops.cast(points[: self.n_clusters], self.centroids.dtype)
        self.centroids.assign(ops.where(fresh, first, self.centroids))
        self.initialised.assign(ops.ones_like(self.initialised))

    def accumulate(self, points, nearest) -> None:
        raise NotImplementedError(
            "TODO 2 (Centroids.accumulate): add each point to "
            "its nearest centroid's sum and count (assign_add)"
        )

    def lloyd_update(self, learning_rate: float) -> None:
        raise NotImplementedError(
            "TODO 3 (Centroids.lloyd_update): move every centroid that got points "
            "towards their mean, then reset sums and counts to zero (assign)"
        )


class LloydEpochEnd(keras.callbacks.Callback):
    """The Lloyd update after each epoch (after validation, as Lightning's ``on_train_epoch_end``)."""

    def on_epoch_end(self, epoch, logs=None):
        raise NotImplementedError("TODO 4 (LloydEpochEnd.on_epoch_end): move the model's centroids")


class KMeansModel(keras.Model):
    """K-Means over (batch, input_dim) points; ``model(x)`` = squared distances (batch, k)."""

    def __init__(self, input_dim: int, n_clusters: int, learning_rate: float, **kwargs):
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
        """``(mean squared distance to the nearest centroid, nearest centroid per point)``."""
        distances = self.loss_fn(x, ops.stop_gradient(self.centroid_layer.centroids))
        nearest = ops.argmin(distances, axis=-1)
        return ops.mean(ops.take_along_axis(distances, nearest[:, None], axis=1)), nearest

    def lloyd_batch(self, x):
        """One batch of a Lloyd epoch: ``(loss, nearest)``; the points are added to the accumulators."""
        raise NotImplementedError("TODO 5 (KMeansModel.lloyd_batch): as the torch twin's lloyd_batch above")

    def lloyd_update(self) -> None:
        self.centroid_layer.lloyd_update(self.learning_rate)

    def _track(self, x, loss):
        self.loss_tracker.update_state(loss, sample_weight=ops.cast(ops.shape(x)[0], "float32"))
        return {"loss": self.loss_tracker.result()}

    def train_step(self, data):
        raise NotImplementedError(
            "TODO 6 (KMeansModel.train_step): x = the batch's points (data may be (x, y)); one lloyd_batch; "
            "return self._track(x, loss)"
        )

    def test_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        return self._track(x, self._distances(x)[0])

    def fit(self, *args, callbacks=None, **kwargs):
        raise NotImplementedError(
            "TODO 7 (KMeansModel.fit): super().fit(...) with LloydEpochEnd() added to the callbacks, first"
        )


def KMeans(input_dim: int, n_clusters: int = 3, learning_rate: float = 1.0) -> KMeansModel:
    """The compiled Keras twin of ``lit_models.kmeans.KMeans``: points (batch, input_dim) →
    squared distances (batch, n_clusters). No optimizer: Lloyd steps move the centroids."""
    raise NotImplementedError(
        "TODO 8 (KMeans): build KMeansModel(input_dim, n_clusters, learning_rate, name='kmeans'), compile it "
        "with optimizer=None and jit_compile=False, return it"
    )
