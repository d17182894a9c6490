"""Course features of the vision twins: feature maps of the first conv layers, and predicting the
user's own photo (twins/cli/featuremaps.py, twins/cli/predict.py), on images the tests generate."""

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from twins.cli import main
from twins.cli.featuremaps import conv_activations, max_abs_diff
from twins.cli.predict import load_photo
from twins.models import make_twins
from twins.transfer import keras_to_torch


def run_cli(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def photo(tmp_path):
    """A dark 'garment' on a light background, 120×90 RGB, as a phone photo would show it."""
    path = tmp_path / "photo.jpg"
    image = Image.new("RGB", (120, 90), (250, 250, 245))
    ImageDraw.Draw(image).rectangle([30, 10, 90, 80], fill=(30, 30, 40))
    image.save(path)
    return path


def test_conv_activations_of_both_twins_agree_after_transfer():
    datamodule, lightning_model, keras_model = make_twins("mnist_cnn", data={"image_size": 8})
    keras_to_torch(keras_model, lightning_model)
    maps = conv_activations(lightning_model, keras_model, datamodule.splits.x_val[:3], layers=2)
    assert [m.shape for m in maps["keras"]] == [(3, 8, 8, 32), (3, 4, 4, 64)]
    assert [m.shape for m in maps["lightning"]] == [(3, 8, 8, 32), (3, 4, 4, 64)]
    assert max(max_abs_diff(maps)) <= 1e-5
    assert min(float(m.min()) for m in maps["lightning"]) == 0.0  # after the ReLU, as Keras' Conv2D(relu)


def test_featuremaps_command_writes_the_png_grid(capsys, tmp_path):
    code, out, err = run_cli(
        capsys,
        "featuremaps",
        "mnist_cnn",
        "--out",
        str(tmp_path),
        "--train",
        "lightning",
        "--epochs",
        "1",
        "--images",
        "2",
        "--quiet",
    )
    assert code == 0, err
    diffs = [float(v) for v in out.split("per conv layer:")[1].split(",")]
    assert len(diffs) == 2 and max(diffs) <= 1e-5
    png = tmp_path / "mnist_cnn_featuremaps.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_featuremaps_of_a_model_without_conv_layers_is_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "featuremaps", "fashion_mlp", "--out", str(tmp_path), "--epochs", "0")
    assert code == 2 and err.count("\n") == 1 and "fashion_mlp has no conv layers" in err
    assert not list(tmp_path.iterdir())


def test_a_photo_becomes_a_grey_inverted_28x28_image(photo):
    x = load_photo(photo)
    assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32
    assert x[0, 14, 14, 0] > 0.8 and x[0, 1, 1, 0] < 0.05  # dark garment → bright, light background → dark
    assert load_photo(photo, 16, 12).shape == (1, 16, 12, 1)


def test_predict_from_a_lightning_checkpoint_gives_both_twins_the_same_weights(capsys, tmp_path, photo):
    code, _, err = run_cli(
        capsys,
        "train",
        "fashion_mlp",
        "--framework",
        "lightning",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
    )
    assert code == 0, err
    out_json = tmp_path / "prediction.json"
    code, out, err = run_cli(
        capsys,
        "predict",
        "fashion_mlp",
        "--image",
        str(photo),
        "--checkpoint",
        str(tmp_path / "run" / "lightning" / "last.ckpt"),
        "--json",
        str(out_json),
    )
    assert code == 0, err
    record = json.loads(out_json.read_text())
    keras, lightning = np.array(record["keras"]), np.array(record["lightning"])
    np.testing.assert_allclose(keras, lightning, atol=1e-5)
    np.testing.assert_allclose(keras.sum(), 1.0, rtol=1e-5)
    assert record["classes"] == [str(d) for d in range(10)] and "substitute" in record["data"]
    assert "most likely" in out and "substitute" in out


def test_predict_trains_both_twins_without_a_checkpoint(capsys, tmp_path, photo):
    code, _out, err = run_cli(
        capsys,
        "predict",
        "fashion_mlp",
        "--image",
        str(photo),
        "--epochs",
        "1",
        "--quiet",
        "--json",
        str(tmp_path / "p.json"),
    )
    record = json.loads((tmp_path / "p.json").read_text())
    assert code == 0, err
    assert len(record["keras"]) == len(record["lightning"]) == 10 and record["weights"] == "trained now"


@pytest.mark.parametrize(
    "content, message", [(None, "image not found"), (b"not a picture", "cannot read image")]
)
def test_a_bad_photo_is_one_line_and_exit_status_2(capsys, tmp_path, content, message):
    path = tmp_path / "photo.jpg"
    if content is not None:
        path.write_bytes(content)
    out_json = tmp_path / "p.json"
    code, _, err = run_cli(capsys, "predict", "fashion_mlp", "--image", str(path), "--json", str(out_json))
    assert code == 2 and err.count("\n") == 1 and err.startswith("twins: error: ") and message in err
    assert not out_json.exists()


def test_compare_runs_on_the_substitute_and_draws_both_loss_curves(capsys, tmp_path):
    """fashion_cnn's course recipe is one epoch: each curve is then a single marked point."""
    code, out, err = run_cli(
        capsys,
        "compare",
        "fashion_cnn",
        "--epochs",
        "1",
        "--quiet",
        "--json",
        str(tmp_path / "c.json"),
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    record = json.loads((tmp_path / "c.json").read_text())
    assert "substitute" in record["data"] and "substitute" in out
    assert all(len(record[fw]["history"]["loss"]) == 1 for fw in ("keras", "lightning"))
    assert record["forward_max_abs_diff"] <= 1e-5
    assert (tmp_path / "fashion_cnn_loss.png").stat().st_size > 10_000
