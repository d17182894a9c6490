"""A participant's plain-style solution passes, and each of its natural mistakes gets a hint.

``plain_solutions/<id>.py`` are written as a PyTorch (or Keras) user writes them — a plain
``L.LightningModule`` with ``torch.optim``, ``self.log("train_loss", ...)``, logits from
``forward``; a plain ``keras.Sequential`` — not as copies of the reference twins. Each mistake is
the solution with one natural slip planted back (torch's default init, torch's Adam, a softmax at
the end of forward, symmetric strided padding, ...): it must fail with a hint naming the Keras
reason, and the first failure of a first draft names everything that is still to change.
"""

from pathlib import Path

import pytest

from . import test_exercises
from .test_exercises import failing_step

check = test_exercises.check  # the fixture: ``check(id, *flags) -> (exit status, JSON record, stdout)``

PLAIN = Path(__file__).parent / "plain_solutions"
PASSING = ["cnn", "tabular_mlp", "autoencoder", "transfer", "lstm", "kmeans", "dcgan"]

TORCH_INIT = (
    "        for module in self.modules():\n"
    "            if isinstance(module, (nn.Conv2d, nn.Linear)):\n"
    "                nn.init.xavier_uniform_(module.weight)\n"
    "                nn.init.zeros_(module.bias)\n",
    "",
)
NO_TEST_STEP = (
    "    def test_step(self, batch, batch_idx):\n",
    "    def unused_test_step(self, batch, batch_idx):\n",
)


def planted(tmp_path, exercise_id: str, *substitutions) -> Path:
    """The plain solution with each ``(old, new)`` applied (each must occur)."""
    text = (PLAIN / f"{exercise_id}.py").read_text(encoding="utf-8")
    for old, new in substitutions:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{exercise_id}_mistake.py"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("exercise_id", PASSING)
def test_the_plain_solution_passes(exercise_id, check):
    status, record, _ = check(exercise_id, "--file", str(PLAIN / f"{exercise_id}.py"))
    assert status == 0 and record["passed"], [s for s in record["steps"] if not s["passed"]]


def test_cnn_logits_and_lightning_names_are_read_the_keras_way(check):
    _, record, _ = check("cnn", "--file", str(PLAIN / "cnn.py"))
    steps = {step["name"]: step["message"] for step in record["steps"]}
    assert (
        "your forward returns logits, so they were compared after the softmax"
        in steps["forward after weight transfer"]
    )
    trajectory = steps["trajectory (2 epochs)"]
    assert "train_loss as loss" in trajectory and "val_acc as val_accuracy" in trajectory
    assert "read as epoch means like Keras' history" in trajectory  # self.log's per-step default


def test_a_cnn_first_draft_names_everything_left_at_its_first_failure(tmp_path, check):
    """torch's default init and no test_step: the first failure names both (and the footer repeats
    the command that was run, --file included)."""
    draft = planted(tmp_path, "cnn", TORCH_INIT, NO_TEST_STEP)
    status, record, out = check("cnn", "--file", str(draft))
    step = failing_step(record)
    assert status == 1 and step["name"] == "initialisation"
    assert any("glorot-uniform" in h for h in step["hints"])
    assert any(h.startswith("later, trajectory: your ConvClassifier has no test_step") for h in step["hints"])
    assert f"run `exercise check cnn --file {draft} --json " in out


def test_a_cnn_without_test_step_fails_the_trajectory_saying_what_to_write(tmp_path, check):
    _, record, _ = check("cnn", "--file", str(planted(tmp_path, "cnn", NO_TEST_STEP)))
    step = failing_step(record)
    assert step["name"] == "trajectory (2 epochs)" and "has no test_step" in step["message"]


def test_a_cnn_logging_no_training_accuracy_is_told_the_name_to_log(tmp_path, check):
    mistake = planted(tmp_path, "cnn", ('        self.log("train_acc", acc)\n', ""))
    _, record, _ = check("cnn", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "trajectory (2 epochs)"
    assert "Keras' history has accuracy" in step["message"] and "self.log('train_acc'" in step["message"]


def test_a_softmax_before_cross_entropy_fails_the_step_with_the_logits_hint(tmp_path, check):
    mistake = planted(
        tmp_path,
        "cnn",
        ("return self.classifier(self.features(x))", "return self.classifier(self.features(x)).softmax(-1)"),
    )
    _, record, _ = check("cnn", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "one optimizer step (sgd)" and "loss differ" in step["message"]
    assert any(h.startswith("your forward ends with softmax") for h in step["hints"])


def test_torch_adam_fails_the_adam_step_of_the_plain_mlp(tmp_path, check):
    mistake = planted(
        tmp_path,
        "tabular_mlp",
        ("return KerasAdam(self.parameters()", "return torch.optim.Adam(self.parameters()"),
    )
    _, record, _ = check("tabular_mlp", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "one Adam step"
    assert any("use lit_models.keras_compat.optim.KerasAdam" in h for h in step["hints"])


def test_an_autoencoder_first_draft_names_padding_and_adam_at_the_init_failure(tmp_path, check):
    draft = planted(
        tmp_path,
        "autoencoder",
        ("SameConv2d(channels, 16, 3, stride=2)", "nn.Conv2d(channels, 16, 3, stride=2, padding=1)"),
        ("SameConv2d(16, 8, 3, stride=2)", "nn.Conv2d(16, 8, 3, stride=2, padding=1)"),
        ("SameConvTranspose2d(8, 8, 3, stride=2)", "nn.ConvTranspose2d(8, 8, 3, 2, 1, output_padding=1)"),
        ("SameConvTranspose2d(8, 16, 3, stride=2)", "nn.ConvTranspose2d(8, 16, 3, 2, 1, output_padding=1)"),
        ("return KerasAdam(", "import torch\n        return torch.optim.Adam("),
        (TORCH_INIT[0].replace("(nn.Conv2d, nn.Linear)", "(nn.Conv2d, nn.ConvTranspose2d)"), ""),
    )
    _, record, _ = check("autoencoder", "--file", str(draft))
    step = failing_step(record)
    assert step["name"] == "initialisation"
    hints = " | ".join(step["hints"])
    assert "later, forward after weight transfer: Conv2d 'encoder.0', 'encoder.2' (stride 2" in hints
    assert "later, forward after weight transfer: Conv2DTranspose same, stride 2" in hints
    assert "later, one step: Adam epsilon" in hints


def test_a_transfer_base_left_trainable_fails_the_counts(tmp_path, check):
    mistake = planted(tmp_path, "transfer", ("        self.base.requires_grad_(False)\n", ""))
    _, record, _ = check("transfer", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "parameter counts"
    assert any("freeze it" in h and "requires_grad_(False)" in h for h in step["hints"])


def test_an_lstm_without_return_sequences_fails_the_build_with_the_hint(tmp_path, check):
    mistake = planted(
        tmp_path, "lstm", ("recurrent(width, return_sequences=index < len(units) - 1)", "recurrent(width)")
    )
    _, record, _ = check("lstm", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "builds" and any("return_sequences=True" in h for h in step["hints"])


def test_a_kmeans_fit_without_its_epoch_callback_fails_the_trajectory_with_the_lloyd_hint(tmp_path, check):
    mistake = planted(
        tmp_path, "kmeans", ("callbacks=[MoveCentroids(), *(callbacks or [])]", "callbacks=callbacks")
    )
    _, record, _ = check("kmeans", "--file", str(mistake))
    step = failing_step(record)
    assert step["name"] == "trajectory (2 epochs)"
    assert any("fit adds the LloydEpochEnd callback" in h for h in step["hints"])


def test_a_dcgan_first_draft_with_torch_defaults_names_them_all_at_its_first_failure(tmp_path, check):
    """torch's BatchNorm, one Dropout module used twice (and F.leaky_relu's default slope: a function,
    not a module, so only the layer trace finds it — at the check after the BatchNorm is fixed)."""
    draft = planted(
        tmp_path,
        "dcgan",
        (", 0.3)", ")"),
        ("KerasBatchNorm1d(7 * 7 * 256)", "nn.BatchNorm1d(7 * 7 * 256)"),
        ("KerasBatchNorm2d(128)", "nn.BatchNorm2d(128)"),
        ("KerasBatchNorm2d(64)", "nn.BatchNorm2d(64)"),
        (
            "self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)",
            "self.dropout1 = nn.Dropout(dropout)",
        ),
        ("self.dropout2(", "self.dropout1("),
    )
    _, record, _ = check("dcgan", "--file", str(draft))
    step = failing_step(record)
    assert step["name"] == "generator: forward after weight transfer"
    hints = " | ".join(step["hints"])
    assert "layer 2 (BatchNorm1d 'norm0') computes differently" in hints
    assert "BatchNorm epsilon: Keras 0.001" in hints
    assert "later, one step: BatchNorm momentum: Keras 0.99 corresponds to torch 0.01" in hints
    assert "later, dropout rates: your Dropout modules [0.3], the reference's [0.3, 0.3]" in hints
