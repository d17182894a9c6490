"""One registration per model: ``configs/<id>.yaml`` names the twins, the datamodule and the
parity settings, and a model added by a config file alone is covered by checks a–f."""

import json
from pathlib import Path

import pytest

import configs
from twins import registry
from twins.cli import main
from twins.models import make_twins
from twins.training.fit_keras import seed_keras
from twins.training.fit_lightning import seed_lightning

from . import parity_suite

#: A model the course does not have: the Auto MPG regression with one hidden layer of 3 units,
#: made of existing classes — nothing but this file registers it.
TINY_MPG = """\
twins:
  lightning: lit_models.tabular_mlp.TabularMLP
  keras: keras_models.tabular_mlp.TabularMLP
  datamodule: datamodules.auto_mpg.AutoMPGRegression
  day: 1
  order: 50
parity:
  converged: {seeds: 2, band: 0.5}
model:
  hidden_units: [3]
  output_units: 1
  output_activation: linear
  loss: mse
  metrics: [mae]
  optimizer: sgd
  learning_rate: 0.001
data:
  batch_size: 32
  validation_split: 0.2
  test_size: 0.2
  split_seed: 42
trainer:
  max_epochs: 3
"""


@pytest.fixture
def tiny_mpg(tmp_path, monkeypatch):
    (tmp_path / "tiny_mpg.yaml").write_text(TINY_MPG)
    monkeypatch.setenv(configs.PATH_ENV, str(tmp_path))
    return "tiny_mpg"


def test_every_config_is_a_registration_in_course_order():
    ids = registry.model_ids()
    assert set(ids) == set(configs.config_files()) and len(ids) == 18
    days = [registry.spec(model_id).day for model_id in ids]
    assert days == sorted(days) and ids[0] == "mpg_regression" and ids[-1] == "cats_dogs_transfer"


def test_a_model_added_by_a_config_file_alone_gets_checks_a_to_f(tiny_mpg, capsys):
    assert tiny_mpg in registry.model_ids()
    assert parity_suite.check_a_registration(tiny_mpg).lightning == "lit_models.tabular_mlp.TabularMLP"
    for check in (
        parity_suite.check_b_output_shapes,
        parity_suite.check_c_parameter_counts,
        parity_suite.check_d_forward,
        parity_suite.check_e_one_step,
        parity_suite.check_e_trajectory,
    ):
        seed_lightning(0)
        seed_keras(0)
        twins = make_twins(tiny_mpg)
        check(tiny_mpg, twins)
    counts = parity_suite.check_c_parameter_counts(tiny_mpg, make_twins(tiny_mpg))
    assert counts["keras"]["trainable"] == 19 * 3 + 3 + 3 + 1  # its own size, not the course model's
    assert parity_suite.check_f_converged(tiny_mpg)["relative_gap"] <= 0.5
    assert main(["list", "--json"]) == 0
    assert tiny_mpg in json.loads(capsys.readouterr().out)["models"]


def test_a_registration_lacking_a_twin_is_refused_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "half.yaml").write_text(
        TINY_MPG.replace("  keras: keras_models.tabular_mlp.TabularMLP\n", "")
    )
    monkeypatch.setenv(configs.PATH_ENV, str(tmp_path))
    with pytest.raises(registry.RegistrationError, match=r"half\.yaml: the twins: section lacks keras"):
        registry.spec("half")


def test_an_unknown_training_kind_or_tolerance_is_refused(tmp_path, monkeypatch):
    (tmp_path / "odd.yaml").write_text(
        TINY_MPG.replace("  order: 50\n", "  order: 50\n  training: evolution\n")
    )
    (tmp_path / "loose.yaml").write_text(
        TINY_MPG.replace("parity:\n", "parity:\n  tolerances: {fwd: 1.0e-3}\n")
    )
    monkeypatch.setenv(configs.PATH_ENV, str(tmp_path))
    with pytest.raises(
        registry.RegistrationError, match="training 'evolution' is none of gradient, lloyd, gan"
    ):
        registry.spec("odd")
    with pytest.raises(registry.RegistrationError, match=r"unknown tolerance \['fwd'\]"):
        registry.spec("loose")


def test_a_config_argument_a_twin_does_not_take_is_caught_by_check_a(tmp_path, monkeypatch):
    (tmp_path / "typo.yaml").write_text(TINY_MPG.replace("  hidden_units: [3]\n", "  hiden_units: [3]\n"))
    monkeypatch.setenv(configs.PATH_ENV, str(tmp_path))
    with pytest.raises(registry.RegistrationError, match="takes no argument hiden_units"):
        registry.check_registration(registry.spec("typo"))


def test_an_extra_folder_cannot_shadow_a_course_model(tmp_path, monkeypatch):
    (tmp_path / "mpg_regression.yaml").write_text(TINY_MPG)
    monkeypatch.setenv(configs.PATH_ENV, str(tmp_path))
    assert configs.config_path("mpg_regression").parent == Path(configs.__file__).parent
    assert registry.spec("mpg_regression").converged["seeds"] == 5


def test_an_unknown_model_id_names_the_valid_ones():
    with pytest.raises(registry.UnknownModel, match="valid ids: mpg_regression, mpg_classification"):
        registry.spec("mpg_regresion")
