"""``twins pictures MODEL``: the Day-3 pictures, for both twins.

- ``fashion_autoencoder`` / ``fashion_denoising_ae``: train both twins, then
  ``<id>_reconstructions.png`` (originals [, noisy inputs], Keras and Lightning reconstructions)
  and ``<id>_codes_<twin>.png`` (the test codes in 2-D by PCA and by t-SNE, coloured by class).
- ``mnist_dcgan``: train both twins with a 4×4 grid of 16 fixed noise vectors after every epoch
  (``<twin>/epoch_XXX.png``), a checkpoint every 15 epochs and a resumable last checkpoint
  (``checkpoints/``); ``--resume`` continues an interrupted run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twins.plots.curves import COLORS  # noqa: F401  - same colours as every other picture
from twins.training.run import train_twin

FRAMEWORKS = ("keras", "lightning")


def train_both(model_id, datamodule, arguments, options, callbacks=None, checkpoint_dir=None) -> dict:
    epochs = options.epochs
    results = {}
    for framework in FRAMEWORKS:
        extra = (callbacks or {}).get(framework, ())
        trainer_args = {"enable_progress_bar": False, "enable_model_summary": False}
        results[framework] = train_twin(
            framework,
            model_id,
            datamodule,
            arguments,
            options.seed,
            epochs,
            trainer_args,
            quiet=True,
            checkpoint_dir=checkpoint_dir,
            resume=options.resume,
            callbacks=extra,
        )
        print(f"{framework}: " + ", ".join(f"{k} {v[-1]:.4g}" for k, v in results[framework].history.items()))
    return results


def reconstructions(results, x: np.ndarray) -> dict:
    """Each twin's outputs on ``x`` (NHWC numpy in, the Keras layout out)."""
    import torch

    from datamodules.torch_adapter import to_keras_layout, to_torch_layout

    with torch.no_grad():
        lightning = to_keras_layout(results["lightning"].model.eval()(to_torch_layout(x)))
    return {"keras": np.asarray(results["keras"].model(x, training=False)), "lightning": lightning}


def codes(results, x: np.ndarray) -> dict:
    """Each twin's codes of ``x``, flattened to (n, features)."""
    import torch

    from datamodules.torch_adapter import to_keras_layout, to_torch_layout

    with torch.no_grad():
        lightning = to_keras_layout(results["lightning"].model.eval().encode(to_torch_layout(x)))
    keras = np.asarray(results["keras"].model.get_layer("encoder")(x, training=False))
    return {"keras": keras.reshape(len(x), -1), "lightning": lightning.reshape(len(x), -1)}


def autoencoder_pictures(model_id, datamodule, arguments, options) -> list[Path]:
    from twins.plots.unsupervised import code_maps, reconstruction_grid

    results = train_both(model_id, datamodule, arguments, options)
    x, clean = datamodule.splits.x_test, datamodule.splits.y_test
    out = Path(options.out)
    rows = {"original": clean[:10]}
    if not np.array_equal(x, clean):
        rows["noisy input"] = x[:10]
    outputs = reconstructions(results, x[:10])
    rows |= {f"{fw} twin": outputs[fw] for fw in FRAMEWORKS}
    for framework in FRAMEWORKS:
        loss = results[framework].history["val_loss"][-1]
        print(f"{framework} twin: test reconstruction MSE {loss:.5f}")
    paths = [
        reconstruction_grid(
            rows, f"{model_id} · {datamodule.source}", out / f"{model_id}_reconstructions.png"
        )
    ]
    count = min(options.codes, len(x))
    labels = datamodule.test_classes[:count]
    for framework, values in codes(results, x[:count]).items():
        paths.append(
            code_maps(
                values,
                labels,
                datamodule.class_names,
                f"{model_id}: {framework} twin's codes",
                out / f"{model_id}_codes_{framework}.png",
                options.seed,
            )
        )
    return paths


def gan_pictures(model_id, datamodule, arguments, options) -> list[Path]:
    from twins.training.gan_callbacks import LightningEvery15, LightningSeedGrid, keras_callbacks

    out = Path(options.out)
    checkpoints = out / "checkpoints"
    callbacks = {
        "lightning": [
            LightningSeedGrid(out / "lightning", arguments["noise_dim"]),
            LightningEvery15(checkpoints / "lightning_every_15"),
        ],
        "keras": keras_callbacks(out / "keras", arguments["noise_dim"], checkpoints / "keras_every_15"),
    }
    train_both(model_id, datamodule, arguments, options, callbacks, checkpoint_dir=checkpoints)
    return sorted((out / "keras").glob("epoch_*.png")) + sorted((out / "lightning").glob("epoch_*.png"))


def run(model_id, options) -> list[Path]:
    from configs import load_config
    from twins.io import ensure_folder
    from twins.models import make_datamodule, model_arguments

    ensure_folder(options.out, "--out")  # before training: a file in the way is bad input, not a late failure
    datamodule = make_datamodule(model_id, options.seed, **vars(options.data))
    arguments = model_arguments(model_id, datamodule, **vars(options.model))
    options.epochs = options.epochs or load_config(model_id)["trainer"]["max_epochs"]
    if not options.quiet:  # the banner; the results and pictures are printed either way
        print(f"{model_id} · data: {datamodule.source} · {options.epochs} epochs · seed {options.seed}")
    if model_id == "mnist_dcgan":
        paths = gan_pictures(model_id, datamodule, arguments, options)
    elif model_id in ("fashion_autoencoder", "fashion_denoising_ae"):
        paths = autoencoder_pictures(model_id, datamodule, arguments, options)
    else:
        from twins.cli.options import UsageError

        raise UsageError(
            "'pictures' draws the Day-3 models "
            f"(fashion_autoencoder, fashion_denoising_ae, mnist_dcgan), not {model_id!r}"
        )
    for path in paths:
        print(f"picture: {path}")
    return paths
