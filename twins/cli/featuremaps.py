"""Feature maps of the first convolutional layers, in both frameworks (COURSE.md, ``fashion_cnn``).

The course trains its CNN, then shows what the first conv layers make of a few validation
images. ``twins featuremaps MODEL --out DIR`` does this for both twins: one twin is trained with
its own framework (``--train keras`` or ``lightning``, the course recipe, ``--epochs``), its
weights are copied into the other, and the activations (after the ReLU, as Keras' ``Conv2D(...,
activation="relu")`` returns them) of both are drawn as one PNG grid: for every conv layer and
image, a Keras row above a Lightning row, the first ``--channels`` channels left to right.
Equal rows are the point; the largest difference is printed and returned.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twins.errors import BadInput

# torch is imported where it is used: ``twins featuremaps --help`` loads no framework.

#: Framework names, in the order their rows appear in the grid.
FRAMEWORKS = ("keras", "lightning")


class FeatureMapError(BadInput, ValueError):
    """A model without conv layers, or more layers/images than there are (one line)."""


def torch_conv_activations(model, x: np.ndarray, layers: int) -> list[np.ndarray]:
    """Outputs of the first ``layers`` ``Conv2d`` modules of ``model`` (an ``nn.Module``) — after
    the ReLU that follows one, like Keras' ``Conv2D(activation="relu")`` — each NHWC
    ``(n, h, w, channels)``."""
    import torch
    from torch import nn

    from datamodules.torch_adapter import to_keras_layout, to_torch_layout

    leaves = [m for m in model.modules() if not list(m.children())]
    taps = [
        leaves[i + 1] if i + 1 < len(leaves) and isinstance(leaves[i + 1], nn.ReLU) else leaf
        for i, leaf in enumerate(leaves)
        if isinstance(leaf, nn.Conv2d)
    ][:layers]
    outputs = []
    handles = [
        tap.register_forward_hook(lambda module, inputs, output: outputs.append(output)) for tap in taps
    ]
    try:
        with torch.no_grad():
            model.eval()(to_torch_layout(x))
    finally:
        for handle in handles:
            handle.remove()
    return [to_keras_layout(output) for output in outputs]


def keras_conv_activations(model, x: np.ndarray, layers: int) -> list[np.ndarray]:
    """Outputs of the first ``layers`` ``Conv2D`` layers of a Keras model, each ``(n, h, w, channels)``."""
    import keras

    convs = [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.Conv2D)][:layers]
    if not convs:
        return []
    probe = keras.Model(model.inputs, [layer.output for layer in convs])
    outputs = probe([x], training=False)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def conv_activations(lightning_model, keras_model, x: np.ndarray, layers: int) -> dict[str, list[np.ndarray]]:
    """``{"keras": [...], "lightning": [...]}``: the first ``layers`` conv activations of both twins."""
    maps = {
        "keras": keras_conv_activations(keras_model, x, layers),
        "lightning": torch_conv_activations(lightning_model, x, layers),
    }
    if not maps["keras"] or len(maps["keras"]) != len(maps["lightning"]):
        raise FeatureMapError(
            "the model has no conv layers to show "
            f"(keras {len(maps['keras'])}, lightning {len(maps['lightning'])})"
        )
    return maps


def max_abs_diff(maps: dict[str, list[np.ndarray]]) -> list[float]:
    """max |Δ| between the frameworks' maps, per layer."""
    return [float(np.max(np.abs(k - t))) for k, t in zip(maps["keras"], maps["lightning"])]


def feature_map_grid(
    images: np.ndarray, maps: dict[str, list[np.ndarray]], path, channels: int = 8, title: str = ""
):
    """The PNG grid: per layer and image, a row per framework — the input image, then ``channels``
    feature maps (each scaled to its own range, ``viridis``). Returns the path written."""
    from twins.io import save_figure
    from twins.plots.curves import plt

    n_layers, n_images = len(maps["keras"]), len(images)
    columns = 1 + min(channels, min(m.shape[-1] for m in maps["keras"]))
    rows = n_layers * n_images * len(FRAMEWORKS)
    figure, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.25 * rows), squeeze=False)
    row = 0
    for layer in range(n_layers):
        for image in range(n_images):
            for framework in FRAMEWORKS:
                activation = maps[framework][layer][image]
                axes[row, 0].imshow(images[image, ..., 0], cmap="gray_r")
                axes[row, 0].set_ylabel(f"conv {layer + 1}\nimage {image + 1}\n{framework}", fontsize=7)
                for channel in range(columns - 1):
                    axes[row, channel + 1].imshow(activation[..., channel], cmap="viridis")
                    if row == 0:
                        axes[row, channel + 1].set_title(f"channel {channel + 1}", fontsize=7)
                row += 1
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(title, fontsize=9)
    return save_figure(figure, path)


def featuremaps(model_id: str, options) -> dict:
    """What ``twins featuremaps`` runs: train one twin, copy its weights into the other, draw both."""
    from torch import nn

    from configs import load_config
    from twins.cli.commands import arguments_from, datamodule_from, say
    from twins.io import ensure_folder
    from twins.models import make_keras, make_lightning
    from twins.training.run import train_twin
    from twins.transfer import keras_to_torch, torch_to_keras

    ensure_folder(options.out, "--out")  # before training: a file in the way is bad input, not a late failure
    datamodule = datamodule_from(model_id, options)
    arguments = arguments_from(model_id, datamodule, options)
    epochs = options.epochs if options.epochs is not None else load_config(model_id)["trainer"]["max_epochs"]
    if not any(isinstance(m, nn.Conv2d) for m in make_lightning(model_id, arguments).modules()):
        raise FeatureMapError(
            f"{model_id} has no conv layers: feature maps need a CNN such as fashion_cnn or mnist_cnn"
        )
    if not 0 < options.images <= len(datamodule.splits.x_val):
        raise FeatureMapError(
            f"--images must be between 1 and {len(datamodule.splits.x_val)} "
            f"(validation images), got {options.images}"
        )
    say(
        options,
        f"{model_id} · data: {datamodule.source} · training the "
        f"{options.train} twin for {epochs} epochs · seed {options.seed}",
    )
    trainer_args = {"enable_progress_bar": not options.quiet, "enable_model_summary": False}
    if epochs:
        trained = train_twin(
            options.train, model_id, datamodule, arguments, options.seed, epochs, trainer_args, options.quiet
        ).model
    else:
        trained = (make_keras if options.train == "keras" else make_lightning)(model_id, arguments)
    if options.train == "keras":
        keras_model, lightning_model = trained, keras_to_torch(trained, make_lightning(model_id, arguments))
    else:
        lightning_model, keras_model = trained, torch_to_keras(trained, make_keras(model_id, arguments))
    images = datamodule.splits.x_val[: options.images]
    maps = conv_activations(lightning_model, keras_model, images, options.layers)
    diffs = max_abs_diff(maps)
    title = (
        f"{model_id}: first conv layers, {options.train}-trained "
        f"weights in both twins · data: {datamodule.source}"
    )
    png = feature_map_grid(
        images, maps, Path(options.out) / f"{model_id}_featuremaps.png", options.channels, title
    )
    print(f"feature maps: {png}")  # the file written is named under --quiet too
    print(f"  max |Δ| keras vs lightning per conv layer: {', '.join(f'{d:.3g}' for d in diffs)}")
    return {
        "model": model_id,
        "data": datamodule.source,
        "png": str(png),
        "max_abs_diff": diffs,
        "shapes": [list(m.shape[1:]) for m in maps["keras"]],
    }


def command(args: list[str]) -> int:
    """``twins featuremaps MODEL --out DIR [--train keras|lightning] [--epochs N] [--images N]
    [--layers N]``."""
    from jsonargparse.typing import NonNegativeInt, PositiveInt

    from twins.cli.options import model_parser, parse, split_model_id

    model_id, rest = split_model_id("featuremaps", args)
    parser = model_parser("featuremaps", model_id)
    parser.add_argument("--out", type=str, required=True, help="folder for the PNG")
    parser.add_argument(
        "--train",
        choices=list(FRAMEWORKS),
        default="keras",
        help="the twin that trains; the other gets its weights",
    )
    parser.add_argument(
        "--epochs",
        type=NonNegativeInt | None,
        default=None,
        help="training epochs (default: the config's; 0: untrained)",
    )
    parser.add_argument("--images", type=PositiveInt, default=3, help="validation images to show")
    parser.add_argument("--layers", type=PositiveInt, default=2, help="first conv layers to show")
    parser.add_argument("--channels", type=PositiveInt, default=8, help="channels per layer to show")
    featuremaps(model_id, parse(parser, rest))
    return 0
