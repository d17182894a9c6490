"""Pictures of the autoencoders: reconstructions, and the codes in 2-D (PCA, t-SNE)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from twins.io import save_figure


def reconstruction_grid(rows: dict, title: str, path: Path) -> Path:
    """One row of images per entry of ``rows`` (name → (n, 28, 28[, 1]) in [0, 1])."""
    count = len(next(iter(rows.values())))
    figure, axes = plt.subplots(len(rows), count, figsize=(1.2 * count, 1.35 * len(rows)), squeeze=False)
    for row, (name, images) in zip(axes, rows.items()):
        for axis, image in zip(row, images):
            axis.imshow(np.asarray(image).reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            axis.set_xticks([])
            axis.set_yticks([])
        row[0].set_ylabel(name, fontsize=8)
    figure.suptitle(title, fontsize=9)
    return save_figure(figure, path)


def code_maps(codes: np.ndarray, labels: np.ndarray, classes, title: str, path: Path, seed: int = 0) -> Path:
    """The codes (n, features) in 2-D by PCA (left) and t-SNE (right), coloured by class."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    maps = {
        "PCA": PCA(n_components=2, random_state=seed).fit_transform(codes),
        "t-SNE": TSNE(
            n_components=2, random_state=seed, init="pca", perplexity=min(30.0, (len(codes) - 1) / 3)
        ).fit_transform(codes),
    }
    figure, axes = plt.subplots(1, 2, figsize=(11, 5))
    for axis, (name, points) in zip(axes, maps.items()):
        scatter = axis.scatter(points[:, 0], points[:, 1], c=labels, cmap="tab10", vmin=0, vmax=9, s=6)
        axis.set_title(f"{name} of the {codes.shape[1]}-d codes")
        axis.set_xticks([])
        axis.set_yticks([])
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=scatter.cmap(scatter.norm(i)))
        for i in range(len(classes))
    ]
    figure.legend(handles, list(classes), loc="center right", fontsize=7)
    figure.suptitle(title)
    return save_figure(figure, path)
