"""Pictures of ``twins cluster``: Davies-Bouldin over k, and clusters over petal length × width."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from twins.io import save_figure
from twins.plots.curves import COLORS


def davies_bouldin_over_k(kmeans: dict, path: Path) -> Path:
    figure, axes = plt.subplots(figsize=(6.5, 4))
    ks = list(kmeans)
    lines = (
        ("keras", "-o", "keras"),
        ("lightning", "--s", "lightning"),
        ("scikit-learn", ":x", "scikit-learn"),
        ("course", "-.^", "course: KMeans(n_clusters=k)"),
    )
    colors = {**COLORS, "scikit-learn": "grey", "course": "tab:green"}
    for name, style, label in lines:
        axes.plot(ks, [kmeans[k][name]["davies_bouldin"] for k in ks], style, color=colors[name], label=label)
    axes.set(
        xlabel="k (clusters)",
        ylabel="Davies-Bouldin index (lower is better)",
        title="K-Means on Iris, labels removed",
    )
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)


def petal_scatter(petal_cm: np.ndarray, labels: np.ndarray, title: str, path: Path) -> Path:
    """Flowers over petal length × petal width (cm), coloured by cluster; noise (−1) grey."""
    figure, axes = plt.subplots(figsize=(5.5, 4.5))
    noise = labels == -1
    axes.scatter(petal_cm[noise, 0], petal_cm[noise, 1], c="lightgrey", s=18, label="noise")
    axes.scatter(
        petal_cm[~noise, 0], petal_cm[~noise, 1], c=labels[~noise], cmap="tab10", vmin=0, vmax=9, s=18
    )
    axes.set(xlabel="petal length (cm)", ylabel="petal width (cm)", title=title)
    if noise.any():
        axes.legend()
    return save_figure(figure, path)


def write_pictures(out: Path, kmeans: dict, dbscan: dict, petal_cm: np.ndarray) -> list[Path]:
    paths = [davies_bouldin_over_k(kmeans, out / "kmeans_davies_bouldin.png")]
    for k in (2, 3):
        for twin in ("keras", "lightning"):
            paths.append(
                petal_scatter(
                    petal_cm,
                    kmeans[k][twin]["labels"],
                    f"K-Means k={k} ({twin} twin)",
                    out / f"kmeans_k{k}_{twin}.png",
                )
            )
    best = dbscan["best_min_samples"]
    paths.append(
        petal_scatter(
            petal_cm,
            dbscan["sweep"][best]["labels"],
            f"DBSCAN eps=0.5, min_samples={best} (best)",
            out / "dbscan_best.png",
        )
    )
    paths.append(
        petal_scatter(
            petal_cm,
            dbscan["eps1_min_samples3"]["labels"],
            "DBSCAN eps=1, min_samples=3",
            out / "dbscan_eps1_min_samples3.png",
        )
    )
    paths.append(
        petal_scatter(
            petal_cm,
            dbscan["pca_dbscan"]["labels"],
            "PCA (2 components), then DBSCAN",
            out / "pca_dbscan.png",
        )
    )
    return paths
