"""What ``twins predict`` feeds the twins from each kind of image file (twins/cli/predict.py,
issue 18.6): every Pillow mode by its bit depth, transparency on white, EXIF orientation applied,
Pillow's pixel limit as bad input, and ``--show-input`` writing exactly the pixels the model sees.
Each image is built with Pillow in ``tmp_path`` and compared with the plain 8-bit picture it shows."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from twins.cli import main
from twins.cli.predict import load_photo

GARMENT = [12, 4, 30, 26]  # off-centre, so a picture turned sideways differs from the upright one
SIZE = (48, 32)  # width, height: not square for the same reason; multiples of 8 for JPEG blocks


def draw(mode: str, background, garment, size=SIZE) -> Image.Image:
    image = Image.new(mode, size, background)
    ImageDraw.Draw(image).rectangle(GARMENT, fill=garment)
    return image


def saved(tmp_path, image: Image.Image, name: str, **save) -> str:
    path = tmp_path / name
    image.save(path, **save)
    return str(path)


@pytest.fixture
def grey_8bit(tmp_path):
    """A mid-grey garment on a lighter background, the 8-bit reference: (1, 28, 28, 1)."""
    return load_photo(saved(tmp_path, draw("L", 230, 60), "grey8.png"))


@pytest.mark.parametrize(("background", "garment"), [(230, 60), (0, 128)])  # dark on light, grey on black
def test_a_16bit_png_equals_the_8bit_version(tmp_path, background, garment):
    """Before: Pillow's convert("L") clipped 16-bit samples at 255 — a photo became all white, an
    all-zero input (mean 0.599 instead of 0.682 for a garment on black)."""
    eight = draw("L", background, garment)
    sixteen = Image.fromarray(np.asarray(eight).astype(np.uint16) * 257)  # 255 → 65535
    path = saved(tmp_path, sixteen, "grey16.png")
    assert Image.open(path).mode == "I;16"
    np.testing.assert_array_equal(load_photo(path), load_photo(saved(tmp_path, eight, "grey8.png")))


@pytest.mark.parametrize(
    ("name", "samples"),
    [
        ("int32.tif", lambda eight: eight.astype(np.int32) * 257),  # 16-bit samples in Pillow's mode "I"
        ("float01.tif", lambda eight: eight.astype(np.float32) / 255),  # mode "F" in [0, 1]
        ("float255.tif", lambda eight: eight.astype(np.float32)),  # mode "F" on Pillow's 0..255
    ],
)
def test_32bit_integer_and_float_images_equal_the_8bit_version(tmp_path, grey_8bit, name, samples):
    path = saved(tmp_path, Image.fromarray(samples(np.asarray(draw("L", 230, 60)))), name)
    assert Image.open(path).mode in ("I", "F")
    np.testing.assert_array_equal(load_photo(path), grey_8bit)


@pytest.fixture
def on_white(tmp_path):
    """A dark garment on white: what every transparent background must become."""
    return load_photo(saved(tmp_path, draw("RGB", (255, 255, 255), (30, 30, 30)), "white.png"))


@pytest.mark.parametrize(
    ("mode", "background", "garment"),
    [
        ("RGBA", (0, 0, 0, 0), (30, 30, 30, 255)),  # transparent black: before, a "garment" mean of 0.95
        ("RGBA", (200, 10, 90, 0), (30, 30, 30, 255)),  # the hidden colour does not matter
        ("LA", (0, 0), (30, 255)),
    ],
)
def test_a_transparent_background_is_white(tmp_path, on_white, mode, background, garment):
    x = load_photo(saved(tmp_path, draw(mode, background, garment), "clear.png"))
    np.testing.assert_array_equal(x, on_white)


def test_palette_images_with_and_without_transparency(tmp_path, on_white):
    palette = draw("P", 0, 1)
    palette.putpalette([0, 0, 0, 30, 30, 30] + [0] * 762)  # index 0 black, 1 the garment's grey
    clear = saved(tmp_path, palette, "clear_palette.png", transparency=0)
    assert "transparency" in Image.open(clear).info
    np.testing.assert_array_equal(load_photo(clear), on_white)
    opaque = load_photo(saved(tmp_path, palette, "black_palette.png"))  # index 0 stays black
    np.testing.assert_array_equal(opaque, load_photo(saved(tmp_path, draw("L", 0, 30), "black.png")))


def test_a_cmyk_jpeg_is_grey_like_its_rgb(tmp_path):
    cmyk = draw("CMYK", (0, 0, 0, 0), (0, 0, 0, 225))  # white paper, a dark garment (K only)
    path = saved(tmp_path, cmyk, "print.jpg", quality=100)
    assert Image.open(path).mode == "CMYK"
    rgb = Image.open(path).convert("RGB")
    np.testing.assert_array_equal(load_photo(path), load_photo(saved(tmp_path, rgb, "print_rgb.png")))


def test_the_exif_orientation_of_a_phone_photo_is_applied(tmp_path):
    """A phone stores the sensor's pixels and says "rotate 90° clockwise to show" (orientation 6)."""
    upright = draw("L", 235, 40)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the viewer turns the stored pixels 90° clockwise
    sideways = saved(
        tmp_path, upright.transpose(Image.Transpose.ROTATE_90), "phone.jpg", exif=exif, quality=100
    )
    reference = load_photo(saved(tmp_path, upright, "upright.jpg", quality=100))
    x = load_photo(sideways)
    np.testing.assert_allclose(x, reference, atol=2 / 255)  # JPEG rounding only
    assert np.abs(x - reference).max() < np.abs(x - np.swapaxes(reference, 1, 2)).max()


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("pixels", [150, 400])  # Pillow warns over the limit, refuses over twice it
def test_an_image_over_pillows_pixel_limit_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, pixels):
    """Before: Pillow's own "could be decompression bomb DOS attack" (exit 1), or a silent run."""
    path = saved(tmp_path, Image.new("L", (pixels, 1), 255), "huge.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    out_json = tmp_path / "p.json"
    code, _, err = run_cli(capsys, "predict", "fashion_mlp", "--image", path, "--json", str(out_json))
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"twins: error: image {path} is over Pillow's limit of 100 pixels")
    assert "scale it down" in err and not out_json.exists()


def test_a_folder_given_as_image_is_named_a_folder(capsys, tmp_path):
    """Before: "image not found" for a folder that exists."""
    code, _, err = run_cli(capsys, "predict", "fashion_mlp", "--image", str(tmp_path))
    assert (
        code == 2
        and err
        == f"twins: error: --image {tmp_path} is a folder, not an image; give the path of one image file\n"
    )


def test_show_input_writes_exactly_what_the_twins_see(capsys, tmp_path):
    photo = saved(tmp_path, draw("RGBA", (0, 0, 0, 0), (30, 30, 30, 255)), "photo.png")
    shown, out_json = tmp_path / "seen" / "input.png", tmp_path / "p.json"
    code, out, err = run_cli(
        capsys, "predict", "fashion_mlp", "--image", photo, "--epochs", "1", "--quiet",
        "--show-input", str(shown), "--json", str(out_json),
    )  # fmt: skip
    assert code == 0, err
    assert f"the input the twins saw (28×28): {shown}" in out and json.loads(out_json.read_text())
    with Image.open(shown) as image:
        assert image.mode == "L" and image.size == (28, 28)
        np.testing.assert_array_equal(
            np.asarray(image, dtype=np.float32) / 255, load_photo(photo)[0, :, :, 0]
        )


def test_a_show_input_path_that_is_a_folder_fails_before_training(capsys, tmp_path):
    photo = saved(tmp_path, draw("L", 230, 60), "photo.png")
    code, out, err = run_cli(
        capsys, "predict", "fashion_mlp", "--image", photo, "--show-input", str(tmp_path)
    )
    assert (
        code == 2
        and err
        == f"twins: error: --show-input {tmp_path} is a folder, not a file; "
        "give the path of a file to write\n"
    )
    assert "weights" not in out  # nothing trained
