"""Pictures of training runs (matplotlib, no display needed)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from twins.io import save_figure

COLORS = {"keras": "tab:red", "lightning": "tab:purple"}


def loss_curves(results, title: str, path):
    """Training (solid) and validation (dashed) loss per epoch of each ``RunResult``, as a PNG."""
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for result in results:
        epochs = range(1, len(result.history["loss"]) + 1)
        color = COLORS.get(result.framework)
        marker = "o" if len(epochs) == 1 else None  # a one-epoch run (fashion_cnn) has no line to draw
        axes.plot(
            epochs, result.history["loss"], color=color, marker=marker, label=f"{result.framework} train"
        )
        if "val_loss" in result.history:
            axes.plot(
                epochs,
                result.history["val_loss"],
                color=color,
                linestyle="--",
                marker=marker,
                label=f"{result.framework} val",
            )
    axes.set(xlabel="epoch", ylabel="loss (log scale)", title=title, yscale="log")
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)
