"""``iris_kmeans``: both twins reach scikit-learn's Lloyd result from the same initial centroids.

The comparison runs on the raw measurements (cm), the course's data and the config's default, and
on the standard-scaled ones (``--data.scale standard``)."""

import torch

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans

from twins.models import make_twins
from twins.training.fit_keras import fit_keras, seed_keras
from twins.training.fit_lightning import fit_lightning
from twins.transfer import keras_to_torch

QUIET = {"enable_progress_bar": False, "enable_model_summary": False}


def first_batch_start(datamodule, k):
    """The twins' initial centroids: the first k points of the first (seeded, shuffled) batch."""
    return datamodule.splits.x_train[datamodule.batch_order("train").batches(0)[0][:k]]


@pytest.mark.parametrize("seed, scale", [(0, None), (3, None), (0, "standard"), (3, "standard")])
def test_both_twins_reach_scikit_learns_centroids_and_inertia(seed, scale):
    seed_keras(seed)
    datamodule, lightning_model, keras_model = make_twins(
        "iris_kmeans", seed=seed, data=scale and {"scale": scale}
    )
    x = datamodule.splits.x_train
    raw = scale is None  # the config's default: the course's raw measurements
    assert datamodule.scale == ("none" if raw else scale) and bool(x.min() > 0) == raw
    start = first_batch_start(datamodule, 3)
    reference = SklearnKMeans(3, init=start, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(
        x.astype(np.float64)
    )
    epochs = reference.n_iter_ + 2  # one Lloyd iteration per epoch, plus margin
    lightning = fit_lightning(lightning_model, datamodule, {"max_epochs": epochs, **QUIET}, quiet=True)
    keras = fit_keras(keras_model, datamodule, epochs=epochs, quiet=True)
    for centroids, result in [
        (lightning_model.centroids.centroids.detach().numpy(), lightning),
        (np.asarray(keras_model.centroid_layer.centroids), keras),
    ]:
        np.testing.assert_allclose(centroids, reference.cluster_centers_, atol=1e-4, rtol=0)
        # the last epoch's loss is the inertia per point of the converged centroids
        assert result.history["loss"][-1] == pytest.approx(reference.inertia_ / len(x), rel=1e-5)
    with torch.no_grad():
        labels = lightning_model.predict(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(labels, reference.labels_)
    np.testing.assert_array_equal(np.argmin(keras_model.predict(x, verbose=0), axis=-1), reference.labels_)


def test_a_centroid_without_points_stays_where_it_is_in_both_twins():
    datamodule, lightning_model, keras_model = make_twins("iris_kmeans", seed=0)
    x = datamodule.splits.x_train
    start = np.stack([x[0], x[1], np.full(4, 50.0, np.float32)])  # the third is far from every flower
    keras_model.centroid_layer.centroids.assign(start)
    keras_model.centroid_layer.initialised.assign([1.0])
    keras_to_torch(keras_model, lightning_model)
    lightning_model.lloyd_batch(torch.from_numpy(x))
    lightning_model.lloyd_update()
    keras_model.lloyd_batch(x)
    keras_model.lloyd_update()
    for centroids in (
        lightning_model.centroids.centroids.detach().numpy(),
        np.asarray(keras_model.centroid_layer.centroids),
    ):
        np.testing.assert_array_equal(centroids[2], start[2])
        assert not np.allclose(centroids[:2], start[:2])


def test_a_damped_step_moves_a_fraction_of_the_way():
    """``learning_rate`` 0.5: each centroid moves half-way to its points' mean (both twins)."""
    datamodule, lightning_model, keras_model = make_twins("iris_kmeans", seed=0, model={"learning_rate": 0.5})
    x = datamodule.splits.x_train
    full = make_twins("iris_kmeans", seed=0)[1]
    start = x[:3]  # a fresh twin starts from the first k points it sees
    for model in (lightning_model, full):
        model.lloyd_batch(torch.from_numpy(x))
        model.lloyd_update()
    keras_model.lloyd_batch(x)
    keras_model.lloyd_update()
    half = lightning_model.centroids.centroids.detach().numpy()
    np.testing.assert_allclose(
        half, start + 0.5 * (full.centroids.centroids.detach().numpy() - start), atol=1e-6
    )
    np.testing.assert_allclose(np.asarray(keras_model.centroid_layer.centroids), half, atol=1e-6)
