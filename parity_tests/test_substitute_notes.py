"""A run on an offline substitute says what to expect: its steps an epoch against the course's
and, for the classifiers of the digits substitute, that chance-level accuracy after a few epochs
is expected (``ArrayDataModule.substitute_note``, printed under the ``twins train|compare`` banner
and in the notebooks)."""

import pytest

from datamodules.cats_dogs import CatsDogsDataModule
from datamodules.fashion_autoencoder import FashionAutoencoderData
from datamodules.iris import IrisDataModule
from datamodules.mnist import FashionMNISTDataModule, MNISTDataModule
from datamodules.mnist_gan import MNISTGANData
from twins.cli import main


def test_digits_substitute_counts_its_steps_against_the_courses_and_expects_chance_level():
    note = FashionMNISTDataModule(source="digits").substitute_note
    # 1,250 training images / batch 32 = 40 steps; the course: 55,000 / 32 = 1,719
    expected = "40 steps an epoch on the digits substitute vs the course's 1,719 on Fashion-MNIST;"
    assert note.startswith(expected)
    assert "chance level" in note and "expected" in note


def test_the_steps_are_those_of_the_run():
    note = MNISTDataModule(source="digits", batch_size=16, limit_train=64, image_size=8).substitute_note
    assert note.startswith("4 steps an epoch on the digits substitute vs the course's 1,719 on MNIST;")


@pytest.mark.parametrize(
    ("datamodule", "course"),
    [
        (FashionAutoencoderData(source="digits", limit_train=100), "1,875 on Fashion-MNIST"),
        (MNISTGANData(source="digits", limit_train=100), "235 on MNIST"),
    ],
    ids=["autoencoder", "gan"],
)
def test_models_without_accuracy_get_the_steps_only(datamodule, course):
    note = datamodule.substitute_note
    assert f"the course's {course}" in note and "chance" not in note


def test_real_data_own_folders_and_packaged_data_have_no_note(tmp_path):
    assert FashionMNISTDataModule(source="download").substitute_note == ""  # nothing loaded
    assert CatsDogsDataModule(source="shapes", path=str(tmp_path)).substitute_note == ""
    assert IrisDataModule().substitute_note == ""


def test_shapes_substitute_counts_its_steps():
    note = CatsDogsDataModule(source="shapes", num_images=40, image_size=32).substitute_note
    assert note.startswith("2 steps an epoch on the shapes substitute vs the course's 63 on cats vs dogs")


def test_train_banner_says_what_to_expect_on_the_substitute(capsys):
    # the test profile: 256 digits, batch 32
    code = main(["train", "fashion_cnn", "--framework", "keras", "--epochs", "1", "--data.limit_train", "64"])
    out = capsys.readouterr().out
    assert code == 0
    banner, note = out.splitlines()[:2]
    assert "substitute" in banner
    assert note.startswith("note: 4 steps an epoch on the digits substitute vs the course's 1,719")
    assert "chance level" in note


def test_no_note_on_packaged_data(capsys):
    assert main(["train", "iris_mlp", "--framework", "keras", "--epochs", "1"]) == 0
    assert "note:" not in capsys.readouterr().out
