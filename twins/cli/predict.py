"""Classify the user's own photo with both twins (COURSE.md, ``fashion_mlp``).

The course photographs a piece of clothing and feeds it to its classifier after making it look
like a Fashion-MNIST image: ``load_photo`` converts to grey, resizes to the model's input size
(28×28), inverts (Fashion-MNIST garments are light on a black background; a photo shows a dark
garment on a light background) and scales by 1/255. Before that it makes any file a photo as the
course's is: upright (the EXIF orientation a phone records), a transparent background on white, and
8-bit grey by the file's bit depth (``grey_8bit``). ``--show-input PNG`` writes what the twins see.

Weights, decided explicitly:

- ``--checkpoint PATH``: a Lightning checkpoint of this model (``twins train MODEL --framework
  lightning --out DIR`` writes ``DIR/lightning/last.ckpt``); its weights are copied into the Keras twin, so
  both twins print the same probabilities (their max |Δ| is shown).
- without it: both twins are trained first, each by its own framework from the same seed
  (``--epochs``, default the config's), like ``twins compare``; their probabilities then differ as
  two independently trained networks do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twins.errors import BadInput

FRAMEWORKS = ("keras", "lightning")


class ImageError(BadInput, ValueError):
    """A photo that cannot be read (one line naming the file and why)."""


# Pillow's modes by what one sample holds: integers of a bit depth, or floats.
DEEP_INTEGER_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
ALPHA_MODES = ("LA", "La", "PA", "RGBA", "RGBa")


def open_photo(path):
    """The image at ``path``, upright (a phone's EXIF orientation applied), fully read.

    Bad input (``ImageError``): a missing file, a folder, an unreadable file, and an image over
    Pillow's pixel limit (``Image.MAX_IMAGE_PIXELS``, its guard against decompression bombs —
    Pillow only warns between the limit and twice it; here both are refused)."""
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise ImageError(f"--image {path} is a folder, not an image; give the path of one image file")
    if not path.is_file():
        raise ImageError(f"image not found: {path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return ImageOps.exif_transpose(image)  # a copy, loaded: the file can close
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"image {path} is over Pillow's limit of {Image.MAX_IMAGE_PIXELS:,} pixels (its guard against "
            "decompression bombs); scale it down first, the model sees 28×28 pixels anyway"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ImageError(
            f"cannot read image {path}: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
        ) from None


def on_white(image):
    """An image with transparency as RGB composited on white: a transparent background is the
    light background of a photo (its stored colour is often black, which would invert to "garment")."""
    from PIL import Image

    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")


def grey_8bit(image, path):
    """``image`` as an 8-bit grey ("L") image on a light background, scaled by its bit depth.

    Fashion-MNIST is 8-bit, so everything becomes 8-bit: 16-bit samples are scaled by
    255/65535 (Pillow's ``convert("L")`` clips them at 255, so a 16-bit photo became all white,
    all zero once inverted); mode "I" (32-bit, where Pillow also keeps 16-bit samples) by the
    smaller of 16 or 32 bits that holds its maximum; mode "F" (floats) is read as [0, 1] when every
    value lies there, else as 0..255 like Pillow. Transparency is composited on white first;
    palette, CMYK and colour modes become grey with Pillow's ITU-R 601-2 luma, as the course's."""
    from PIL import Image

    if image.mode in ALPHA_MODES or (image.mode == "P" and "transparency" in image.info):
        image = on_white(image)
    if image.mode in DEEP_INTEGER_MODES or image.mode == "F":
        samples = np.asarray(image, dtype=np.float64)
        if not np.isfinite(samples).all():
            raise ImageError(f"image {path} has pixels that are not numbers (NaN or infinite)")
        if image.mode == "F":
            full = 1.0 if samples.size and samples.min() >= 0.0 and samples.max() <= 1.0 else 255.0
        else:
            full = 65535.0 if samples.max(initial=0) <= 65535 else 2.0**31 - 1
        eight_bit = np.rint(np.clip(samples / full, 0.0, 1.0) * 255.0).astype(np.uint8)
        return Image.fromarray(eight_bit)  # uint8 (h, w): mode "L"
    try:
        return image.convert("L")
    except ValueError as error:
        raise ImageError(f"cannot read image {path}: mode {image.mode} ({error})") from None


def load_photo(path, height: int = 28, width: int = 28) -> np.ndarray:
    """The photo at ``path`` as float32 (1, height, width, 1) in [0, 1]: upright, on white, grey
    (8 bits), resized, inverted — what both twins see (``--show-input`` writes it as a PNG)."""
    from PIL import Image

    grey = grey_8bit(open_photo(path), path).resize((width, height), Image.Resampling.LANCZOS)
    inverted = 255.0 - np.asarray(grey, dtype=np.float32)
    return (inverted / np.float32(255.0))[None, :, :, None].astype(np.float32)


def input_png(x: np.ndarray) -> bytes:
    """The model's input ``x`` (1, height, width, 1) in [0, 1] as an 8-bit grey PNG, exactly:
    ``load_photo``'s values are k/255, so the file holds the very pixels the twins see."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.rint(x[0, :, :, 0] * 255.0).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def probabilities(lightning_model, keras_model, x: np.ndarray) -> dict[str, np.ndarray]:
    """``{"keras": p, "lightning": p}``: each twin's class probabilities of the one image ``x``."""
    import torch  # here, not at the top: ``twins predict --help`` loads no framework

    from datamodules.torch_adapter import to_torch_layout

    with torch.no_grad():
        lightning = lightning_model.eval().keras_output(to_torch_layout(x)).numpy()[0]
    return {"keras": np.asarray(keras_model(x, training=False))[0], "lightning": lightning}


def trained_twins(model_id, datamodule, arguments, options):
    """``(lightning_model, keras_model)``: from ``--checkpoint`` (copied into Keras) or trained."""
    from twins.models import make_keras

    if options.checkpoint:
        from twins.training.checkpoints import load_lightning
        from twins.transfer import torch_to_keras

        lightning_model = load_lightning(model_id, options.checkpoint)
        return lightning_model, torch_to_keras(
            lightning_model, make_keras(model_id, dict(lightning_model.hparams))
        )
    from configs import load_config
    from twins.training.run import train_twin

    epochs = options.epochs if options.epochs is not None else load_config(model_id)["trainer"]["max_epochs"]
    trainer_args = {"enable_progress_bar": not options.quiet, "enable_model_summary": False}
    runs = {
        fw: train_twin(fw, model_id, datamodule, arguments, options.seed, epochs, trainer_args, options.quiet)
        for fw in FRAMEWORKS
    }
    return runs["lightning"].model, runs["keras"].model


def format_probabilities(classes, probs: dict[str, np.ndarray]) -> str:
    lines = [f"  {'class':16}{'keras':>10}{'lightning':>11}"]
    lines += [
        f"  {name:16}{probs['keras'][i]:>10.4f}{probs['lightning'][i]:>11.4f}"
        for i, name in enumerate(classes)
    ]
    best = {fw: classes[int(np.argmax(p))] for fw, p in probs.items()}
    lines.append(f"  most likely: keras {best['keras']!r}, lightning {best['lightning']!r}")
    return "\n".join(lines)


def predict(model_id: str, options) -> dict:
    """What ``twins predict`` runs; returns the JSON record."""
    from twins.cli.commands import arguments_from, datamodule_from, say
    from twins.io import atomic_write_bytes, ensure_writable, write_json

    x = load_photo(options.image)  # first: a bad photo or output path fails before any training
    ensure_writable(options.json, "--json")
    ensure_writable(options.show_input, "--show-input")
    datamodule = datamodule_from(model_id, options)
    arguments = arguments_from(model_id, datamodule, options)
    height, width, _ = datamodule.input_shape
    if (height, width) != x.shape[1:3]:
        x = load_photo(options.image, height, width)
    weights = f"checkpoint {options.checkpoint}" if options.checkpoint else "trained now"
    say(options, f"{model_id} · {options.image} · weights: {weights} · data: {datamodule.source}")
    lightning_model, keras_model = trained_twins(model_id, datamodule, arguments, options)
    probs = probabilities(lightning_model, keras_model, x)
    classes = list(getattr(datamodule, "class_names", ())) or [str(i) for i in range(len(probs["keras"]))]
    print(format_probabilities(classes, probs))
    record = {
        "model": model_id,
        "image": str(options.image),
        "data": datamodule.source,
        "weights": weights,
        "classes": classes,
        **{fw: p.tolist() for fw, p in probs.items()},
        "max_abs_diff": float(np.max(np.abs(probs["keras"] - probs["lightning"]))),
    }
    if options.checkpoint:
        print(f"  max |Δ| keras vs lightning (same weights): {record['max_abs_diff']:.3g}")
    if options.show_input:
        written = atomic_write_bytes(options.show_input, input_png(x))
        print(f"  the input the twins saw ({width}×{height}): {written}")
    if options.json:
        write_json(options.json, record)
    return record


def command(args: list[str]) -> int:
    """``twins predict MODEL --image PHOTO [--checkpoint CKPT | --epochs N] [--json PATH]
    [--show-input PNG]``."""
    from jsonargparse.typing import PositiveInt

    from twins.cli.options import model_parser, parse, split_model_id

    model_id, rest = split_model_id("predict", args)
    parser = model_parser("predict", model_id)
    parser.add_argument(
        "--image", type=str, required=True, help="the photo to classify (any format Pillow reads)"
    )
    parser.add_argument(
        "--checkpoint",
        type=str | None,
        default=None,
        help="a Lightning checkpoint of this model (else both twins train first)",
    )
    parser.add_argument(
        "--epochs",
        type=PositiveInt | None,
        default=None,
        help="training epochs without --checkpoint (default: the config's)",
    )
    parser.add_argument(
        "--json", type=str | None, default=None, help="write the probabilities as JSON to this path"
    )
    parser.add_argument(
        "--show-input",
        type=str | None,
        default=None,
        help="write the image the twins see (the model's size, grey, inverted) as a PNG to this path",
    )
    predict(model_id, parse(parser, rest))
    return 0
