"""Benchmark: one Lloyd iteration of the K-Means twins vs scikit-learn on large inputs.

    python scripts/bench_kmeans.py [--sizes 100000 1000000] [--dim 8] [--k 8] [--batch 65536]
        [--device cpu|cuda]

Points are Gaussian blobs (float32). Every implementation starts from the same centroids and
runs the same number of Lloyd iterations; printed: seconds per iteration and the largest centroid
difference to scikit-learn (``KMeans(algorithm="lloyd", n_init=1, tol=0)``). The twins stream the
points in batches (``lloyd_batch`` + ``lloyd_update``), so their memory is bounded by the batch,
and the Lightning twin's module runs on any torch device.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import torch

import numpy as np

import keras_models
import lit_models


def blobs(n, dim, k, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 5, (k, dim))
    return (centers[rng.integers(k, size=n)] + rng.normal(size=(n, dim))).astype(np.float32)


def twin_iterations(model, points, batch, iterations, as_input, sync=lambda: None):
    start = time.perf_counter()
    for _ in range(iterations):
        for first in range(0, len(points), batch):
            model.lloyd_batch(as_input(points[first : first + batch]))
        model.lloyd_update()
    sync()
    return (time.perf_counter() - start) / iterations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=8)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--batch", type=int, default=65_536)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    options = parser.parse_args()
    from sklearn.cluster import KMeans

    print(
        f"torch threads {torch.get_num_threads()}, device {options.device}, "
        f"d={options.dim}, k={options.k}, batch {options.batch}"
    )
    print(f"{'n':>10}{'sklearn s/it':>14}{'lightning s/it':>16}{'keras s/it':>12}{'max |Δc| vs sklearn':>22}")
    for n in options.sizes:
        points = blobs(n, options.dim, options.k)
        start_centroids = points[: options.k]
        began = time.perf_counter()
        reference = KMeans(
            options.k, init=start_centroids, n_init=1, algorithm="lloyd", tol=0.0, max_iter=options.iterations
        ).fit(points)
        sklearn_time = (time.perf_counter() - began) / max(reference.n_iter_, 1)
        iterations = reference.n_iter_
        device = torch.device(options.device)
        lightning = lit_models.KMeans(options.dim, options.k).to(device)
        on_device = torch.from_numpy(points).to(device)
        sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
        torch_time = twin_iterations(lightning, on_device, options.batch, iterations, lambda x: x, sync)
        keras_model = keras_models.KMeans(options.dim, options.k)
        keras_time = twin_iterations(keras_model, points, options.batch, iterations, np.asarray)
        diff = max(
            np.abs(lightning.centroids.centroids.detach().cpu().numpy() - reference.cluster_centers_).max(),
            np.abs(np.asarray(keras_model.centroid_layer.centroids) - reference.cluster_centers_).max(),
        )
        print(f"{n:>10,}{sklearn_time:>14.4f}{torch_time:>16.4f}{keras_time:>12.4f}{diff:>22.2e}")


if __name__ == "__main__":
    main()
