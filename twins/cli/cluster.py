"""``twins cluster``: the course's Day-2 clustering workflow on Iris with the labels removed.

1. K-Means for k = 2..11 with **both twins** (and scikit-learn as the reference), scored by the
   Davies-Bouldin index (lower is better): a plot of the index over k, and the clusters of
   k = 2 and k = 3 over petal length × petal width, one picture per twin.
2. DBSCAN (scikit-learn, default eps 0.5) over min_samples = 2..11, the best by Davies-Bouldin.
3. DBSCAN(eps=1, min_samples=3).
4. PCA to 2 components, then DBSCAN (default eps 0.5, min_samples 5) on the projection.

All points are the 150 flowers of the shared datamodule (``IrisClusters``): by default the raw
measurements in cm, which the course clusters (``--scale standard`` standard-scales them first).
Beside the twins, each k is also fitted the way the course's notebook calls scikit-learn
(``course_kmeans``); steps 2–4 are the course's own scikit-learn calls on the same points.
Noise points (DBSCAN label −1) are scored as one more group, as the course does, and drawn grey.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

KS = range(2, 12)
MIN_SAMPLES = range(2, 12)
#: ``KMeans(n_clusters=k)`` as the course calls it. The course sets no ``random_state`` (here: the
#: seed) and ran with scikit-learn's default of 10 k-means++ starts (``n_init="auto"`` = 1 start
#: since scikit-learn 1.4), so ``n_init`` is pinned. On the raw points k = 2 and 3 give the same
#: partition for every seed; from k = 4 on the best of 10 starts depends on the seed.
COURSE_N_INIT = 10


def lloyd_fit(model, points: np.ndarray, batch_size: int, as_input, max_epochs: int = 300) -> np.ndarray:
    """Train a K-Means twin (either framework: the same ``lloyd_batch``/``lloyd_update`` methods)
    until no centroid moves; returns the cluster of each point, int64 (n,)."""
    previous = None
    for _ in range(max_epochs):
        labels = np.concatenate(
            [
                np.asarray(model.lloyd_batch(as_input(points[start : start + batch_size]))[1])
                for start in range(0, len(points), batch_size)
            ]
        )
        model.lloyd_update()
        if previous is not None and np.array_equal(labels, previous):
            return labels  # assignments stable: the centroids are their clusters' means (Lloyd's fixed point)
        previous = labels
    return previous


def davies_bouldin(points, labels) -> float | None:
    """Davies-Bouldin index, or None when the labels form fewer than 2 groups."""
    from sklearn.metrics import davies_bouldin_score

    return float(davies_bouldin_score(points, labels)) if len(set(labels.tolist())) >= 2 else None


def course_kmeans(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The course's K-Means of ``points`` (n, d): scikit-learn's k-means++, best of
    ``COURSE_N_INIT`` starts; the cluster of each point, (n,)."""
    from sklearn.cluster import KMeans as SklearnKMeans

    return (
        SklearnKMeans(n_clusters=k, n_init=COURSE_N_INIT, random_state=seed)
        .fit(points.astype(np.float64))
        .labels_
    )


def scored(points: np.ndarray, labels: np.ndarray, k: int) -> dict:
    """``{"davies_bouldin", "inertia", "labels"}`` of a partition of ``points`` into clusters 0..k−1."""
    centers = np.stack(
        [points[labels == c].mean(0) if np.any(labels == c) else np.zeros(points.shape[1]) for c in range(k)]
    )
    inertia = float(np.square(points.astype(np.float64) - centers[labels]).sum())
    return {"davies_bouldin": davies_bouldin(points, labels), "inertia": inertia, "labels": labels}


def kmeans_sweep(points: np.ndarray, seed: int, batch_size: int, progress=None) -> dict:
    """``points`` (n, d) float64, the course's values (the twins see them as float32). Returns
    ``{k: {"keras", "lightning", "scikit-learn", "course": {"davies_bouldin", "inertia", "labels"}}}``.
    The twins and scikit-learn's Lloyd start every k from the same centroids (the first k points
    of a seeded shuffle); ``"course"`` is ``course_kmeans``. ``progress(text)`` hears of each k."""
    import torch

    from sklearn.cluster import KMeans as SklearnKMeans

    import keras_models.kmeans
    import lit_models.kmeans

    order = np.random.default_rng(seed).permutation(len(points))
    # the twins' inputs; scikit-learn's Lloyd gets the same values
    shuffled = points[order].astype(np.float32)
    results = {}
    for k in KS:
        if progress is not None:
            progress(f"K-Means k={k}: Lightning twin, Keras twin, scikit-learn")
        twins = {
            "lightning": lloyd_fit(
                lit_models.kmeans.KMeans(points.shape[1], k), shuffled, batch_size, torch.from_numpy
            ),
            "keras": lloyd_fit(
                keras_models.kmeans.KMeans(points.shape[1], k), shuffled, batch_size, np.asarray
            ),
        }
        reference = SklearnKMeans(k, init=shuffled[:k], n_init=1, algorithm="lloyd", tol=0.0).fit(
            shuffled.astype(np.float64)
        )
        twins["scikit-learn"] = reference.labels_
        results[k] = {}
        for name, shuffled_labels in twins.items():
            labels = np.empty_like(shuffled_labels)
            labels[order] = shuffled_labels
            results[k][name] = scored(points, labels, k)
        results[k]["course"] = scored(points, course_kmeans(points, k, seed), k)
    return results


def dbscan_scores(points: np.ndarray) -> dict:
    """DBSCAN: min_samples 2..11 at default eps, best by Davies-Bouldin; eps=1 with min_samples=3;
    PCA, then DBSCAN."""
    from sklearn.cluster import DBSCAN
    from sklearn.decomposition import PCA

    sweep = {}
    for min_samples in MIN_SAMPLES:
        labels = DBSCAN(min_samples=min_samples).fit_predict(points)
        sweep[min_samples] = {"davies_bouldin": davies_bouldin(points, labels), "labels": labels}
    scored = {m: r for m, r in sweep.items() if r["davies_bouldin"] is not None}
    best = min(scored, key=lambda m: scored[m]["davies_bouldin"])
    eps1 = DBSCAN(eps=1.0, min_samples=3).fit_predict(points)
    projected = PCA(n_components=2).fit_transform(points)
    pca_labels = DBSCAN().fit_predict(projected)
    return {
        "sweep": sweep,
        "best_min_samples": best,
        "eps1_min_samples3": {"davies_bouldin": davies_bouldin(points, eps1), "labels": eps1},
        "pca_dbscan": {"davies_bouldin": davies_bouldin(projected, pca_labels), "labels": pca_labels},
    }


def summary_record(kmeans: dict, dbscan: dict, source: str, scale: str = "none") -> dict:
    """The JSON of ``twins cluster`` (labels left out, counts of clusters and noise kept)."""

    def groups(labels):
        return {"clusters": len(set(labels.tolist()) - {-1}), "noise": int(np.sum(labels == -1))}

    return {
        "data": source,
        "scale": scale,
        "kmeans": {
            str(k): {
                name: {"davies_bouldin": r["davies_bouldin"], "inertia": r["inertia"]}
                for name, r in by.items()
            }
            for k, by in kmeans.items()
        },
        "kmeans_twins_agree": all(
            np.array_equal(by["keras"]["labels"], by["lightning"]["labels"]) for by in kmeans.values()
        ),
        "dbscan_min_samples": {
            str(m): {"davies_bouldin": r["davies_bouldin"], **groups(r["labels"])}
            for m, r in dbscan["sweep"].items()
        },
        "dbscan_best_min_samples": dbscan["best_min_samples"],
        "dbscan_eps1_min_samples3": {
            "davies_bouldin": dbscan["eps1_min_samples3"]["davies_bouldin"],
            **groups(dbscan["eps1_min_samples3"]["labels"]),
        },
        "pca_dbscan": {
            "davies_bouldin": dbscan["pca_dbscan"]["davies_bouldin"],
            **groups(dbscan["pca_dbscan"]["labels"]),
        },
    }


def run(options) -> dict:
    """What ``twins cluster`` does: compute, print, and write the PNGs / JSON that were asked for."""
    from datamodules.iris_clusters import IrisClusters
    from twins.io import ensure_folder, ensure_writable, write_json

    ensure_folder(options.out, "--out")  # checked before the sweep, creating nothing
    ensure_writable(options.json, "--json")
    datamodule = IrisClusters(seed=options.seed, scale=options.scale)
    points = datamodule.all_points()
    kmeans = kmeans_sweep(points, options.seed, options.batch_size, progress=None if options.quiet else say)
    dbscan = dbscan_scores(points)
    record = summary_record(kmeans, dbscan, datamodule.source, options.scale)
    print(format_record(record))
    if options.out:
        from twins.plots.clusters import write_pictures

        for path in write_pictures(Path(options.out), kmeans, dbscan, IrisClusters.petal_cm()):
            print(f"picture: {path}")
    if options.json:
        write_json(options.json, record)
    return record


def say(text: str) -> None:
    """Progress goes to stderr (``--quiet`` silences it); the results go to stdout."""
    print(text, file=sys.stderr, flush=True)


def _score(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def format_record(record: dict) -> str:
    header = (
        f"  {'k':>3}{'keras':>10}{'lightning':>11}{'sklearn':>10}{'course':>10}"
        f"{'inertia (lightning)':>22}{'inertia (course)':>19}"
    )
    lines = [
        f"clustering · {record['data']}",
        "  K-Means, Davies-Bouldin (lower is better) and inertia; sklearn: Lloyd from the twins' start;",
        f"  course: KMeans(n_clusters=k) as the course calls it "
        f"({COURSE_N_INIT} k-means++ starts, random_state=seed)",
        header,
    ]
    for k, by in record["kmeans"].items():
        scores = "".join(
            f"{_score(by[name]['davies_bouldin']):>{width}}"
            for name, width in (("keras", 10), ("lightning", 11), ("scikit-learn", 10), ("course", 10))
        )
        lines.append(f"  {k:>3}{scores}{by['lightning']['inertia']:>22.4f}{by['course']['inertia']:>19.4f}")
    lines.append(f"  the twins assign every flower alike for every k: {record['kmeans_twins_agree']}")
    lines.append(
        "  DBSCAN (eps 0.5), Davies-Bouldin by min_samples: "
        + ", ".join(f"{m}: {_score(r['davies_bouldin'])}" for m, r in record["dbscan_min_samples"].items())
    )
    best = record["dbscan_best_min_samples"]
    lines.append(
        f"  best min_samples = {best} ({record['dbscan_min_samples'][str(best)]['clusters']} clusters)"
    )
    for name in ("dbscan_eps1_min_samples3", "pca_dbscan"):
        r = record[name]
        lines.append(
            f"  {name}: Davies-Bouldin {_score(r['davies_bouldin'])}, "
            f"{r['clusters']} clusters, {r['noise']} noise points"
        )
    return "\n".join(lines)
