"""The self-checking exercises (exercises/, docs/EXERCISES.md) grade with the parity harness.

Every skeleton fails naming its TODO, every reference solution passes, and a planted mistake
(the reference twin with one thing changed, as participants change it) fails at the step that
catches it, with the hint that names the trap. The command line gives one-line errors and exit
status 2 for bad input, and ``start`` never overwrites a participant's file.
"""

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exercises.catalogue import BY_ID, EXERCISES, KERAS, skeleton_path
from exercises.cli import main
from exercises.steps import tolerance
from twins.registry import spec

from .conftest import tolerance as suite_tolerance

IDS = [exercise.id for exercise in EXERCISES]


@pytest.fixture
def check(tmp_path, capsys):
    """``check(id, *flags) -> (exit status, JSON record, stdout)`` of ``exercise check``."""

    def run(exercise_id, *flags):
        record = tmp_path / f"{exercise_id}.json"
        status = main(["check", exercise_id, *flags, "--json", str(record)])
        return status, json.loads(record.read_text(encoding="utf-8")), capsys.readouterr().out

    return run


def failing_step(record: dict) -> dict:
    ran = [step for step in record["steps"] if step["passed"] is not None]
    assert ran[-1]["passed"] is False and all(step["passed"] for step in ran[:-1])
    assert ran[-1]["hints"], ran[-1]  # every failing step gets at least one hint
    assert all(step["passed"] is None for step in record["steps"][len(ran) :])  # grading stopped there
    return ran[-1]


def reference_copy(tmp_path, exercise_id: str, *substitutions) -> Path:
    """The reference solution's file with its relative imports made absolute and each
    ``(old, new)`` substitution applied (each must occur: the planted mistake is really planted)."""
    exercise = BY_ID[exercise_id]
    text = Path(importlib.import_module(exercise.module).__file__).read_text(encoding="utf-8")
    package = exercise.module.split(".")[0]
    text = re.sub(r"^from \.", f"from {package}.", text, flags=re.MULTILINE)
    for old, new in substitutions:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{exercise_id}_planted.py"
    path.write_text(text, encoding="utf-8")
    return path


def subclass_of_reference(tmp_path, exercise_id: str, body: str) -> Path:
    """A participant's file that subclasses the reference solution and changes one method."""
    exercise = BY_ID[exercise_id]
    path = tmp_path / f"{exercise_id}_subclass.py"
    path.write_text(f"from {exercise.module} import {exercise.name} as Reference\n{body}", encoding="utf-8")
    return path


# --- the catalogue and the command line ----------------------------------------------------------


def test_list_json_is_well_formed_and_names_real_twins(capsys):
    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in listed] == IDS and len(set(IDS)) == 7
    for entry in listed:
        assert set(entry) == {"id", "day", "topic", "reference", "write"}
        assert entry["day"] in (1, 2, 3) and entry["write"] in ("lightning", "keras") and entry["topic"]
        exercise = BY_ID[entry["id"]]
        solution = getattr(importlib.import_module(exercise.module), exercise.name)
        model_spec = spec(entry["reference"])
        registered = model_spec.keras_builder() if exercise.write == KERAS else model_spec.lightning_class()
        assert solution is registered  # the reference solution is the project's own twin
        assert skeleton_path(entry["id"]).is_file()
    assert [entry["day"] for entry in listed] == sorted(entry["day"] for entry in listed)  # course order


def test_grading_tolerances_are_the_parity_suites():
    """One source of truth: the grader reads the reference model's registration, as the suite does."""
    for exercise in EXERCISES:
        for check in ("forward", "step", "trajectory"):
            assert tolerance(exercise, check) == suite_tolerance(exercise.reference, check), (
                exercise.id,
                check,
            )
    assert tolerance(BY_ID["transfer"], "forward") == 1e-4 and tolerance(BY_ID["cnn"], "forward") == 1e-5


def test_start_copies_the_skeleton_and_never_overwrites(tmp_path, capsys):
    target = tmp_path / "mine" / "cnn.py"
    assert main(["start", "cnn", "--dir", str(tmp_path / "mine")]) == 0
    assert target.read_text(encoding="utf-8") == skeleton_path("cnn").read_text(encoding="utf-8")
    assert f"--file {target}" in capsys.readouterr().out  # not the default folder: check needs --file
    target.write_text("# my work\n", encoding="utf-8")
    assert main(["start", "cnn", "--dir", str(tmp_path / "mine")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("exercise: error: ") and error.count("\n") == 1 and "never overwritten" in error
    assert target.read_text(encoding="utf-8") == "# my work\n"


@pytest.mark.parametrize(
    "argv, words",
    [
        (["check", "rnn"], "unknown exercise 'rnn'; valid ids: tabular_mlp"),
        (["start", "rnn"], "unknown exercise 'rnn'"),
        (["check", "cnn"], "my_exercises/cnn.py does not exist: run `exercise start cnn` first"),
        (["check", "cnn", "--file", "nowhere/cnn.py"], "nowhere/cnn.py does not exist"),
        (
            ["check", "cnn", "--solution", "--json", "no/such/folder/out.json"],
            "the folder no/such/folder does not exist",
        ),
        (["check", "cnn", "--solution", "--skeleton"], "not allowed with argument"),
        (["grade", "cnn"], "invalid choice: 'grade'"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no my_exercises/ here
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("exercise: error: ") and captured.err.count("\n") == 1, captured.err
    assert words in captured.err and not captured.out


def test_the_console_script_lists_the_exercises():
    script = shutil.which("exercise")
    assert script, "the `exercise` console script is missing: pip install -e ."
    done = subprocess.run([script, "list", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and [entry["id"] for entry in json.loads(done.stdout)] == IDS


# --- skeletons fail, solutions pass --------------------------------------------------------------


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_skeleton_fails_naming_its_todo(exercise_id, check):
    status, record, out = check(exercise_id, "--skeleton")
    step = failing_step(record)
    assert status == 1 and record == {**record, "exercise": exercise_id, "passed": False}
    assert step["name"] == "builds" and re.search(r"TODO \d+ \(\w+", step["message"]), step["message"]
    assert any("raise NotImplementedError" in text for text in step["hints"])
    assert "✗ builds" in out and "TODO" in out


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_solution_passes(exercise_id, check):
    status, record, out = check(exercise_id, "--solution")
    assert status == 0 and record["passed"], [s for s in record["steps"] if not s["passed"]]
    names = [step["name"] for step in record["steps"]]
    assert names[:3] == ["loads", "builds", names[2]] and names[-1] == "trajectory (2 epochs)"
    assert any(name.endswith("forward after weight transfer") for name in names)
    assert any(name.endswith("parameter counts") for name in names)
    assert all(step["passed"] is True and not step["hints"] for step in record["steps"])
    assert out.count("✓") == len(names) + 1 and "✗" not in out  # one line per step + the summary
    # the GAN: each network graded on its own, then one GAN step
    for part in BY_ID[exercise_id].spec.components:
        assert [n for n in names if n.startswith(part)] == [
            f"{part}: output shapes",
            f"{part}: parameter counts",
            f"{part}: initialisation",
            f"{part}: forward after weight transfer",
        ]
        assert "one GAN step (both optimizers)" in names


# --- planted mistakes fail at the right step with the specific hint -------------------------------

KERAS_ADAM_BODY = """import torch

class TabularMLP(Reference):
    def configure_optimizers(self):
        if self.hparams.optimizer == "adam":  # "Keras' epsilon, torch's Adam"
            return torch.optim.Adam(self.parameters(), lr=self.hparams.learning_rate, eps=1e-7)
        return super().configure_optimizers()
"""
NHWC_BODY = """class ConvClassifier(Reference):
    def forward(self, x):
        return self.classifier(self.features(x).permute(0, 2, 3, 1))  # "flatten like Keras, channels last"
"""
BATCHNORM_MOMENTUM_BODY = """from torch import nn

class DCGAN(Reference):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for module in self.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = 0.99  # Keras' number, copied as is
"""


def test_plain_torch_adam_fails_the_adam_step(tmp_path, check):
    status, record, out = check(
        "tabular_mlp", "--file", str(subclass_of_reference(tmp_path, "tabular_mlp", KERAS_ADAM_BODY))
    )
    step = failing_step(record)
    assert status == 1 and step["name"] == "one Adam step" and "updates differ" in step["message"]
    assert any(
        "Adam epsilon: Keras 1e-7" in h and "use lit_models.keras_compat.optim.KerasAdam" in h
        for h in step["hints"]
    )
    assert "✓ one optimizer step (sgd)" in out and "✗ one Adam step" in out and "hint: Adam epsilon" in out


def test_a_wrong_layer_width_fails_the_counts_naming_layer_and_difference(tmp_path, check):
    planted = reference_copy(
        tmp_path, "tabular_mlp", ("for units in hidden_units:", "for units in [64, *hidden_units[1:]]:")
    )
    _, record, _ = check("tabular_mlp", "--file", str(planted))
    step = failing_step(record)
    assert (
        step["name"] == "parameter counts"
        and "the torch side (yours) has 1,080 more parameters" in step["message"]
    )
    assert "Linear layer 1 ('net.0') has 64 units, reference 10" in step["hints"]


def test_torch_default_init_fails_the_initialisation(tmp_path, check):
    _, record, _ = check(
        "tabular_mlp",
        "--file",
        str(reference_copy(tmp_path, "tabular_mlp", ("apply_init_(self.net, init)", "pass"))),
    )
    step = failing_step(record)
    assert step["name"] == "initialisation" and "Linear 'net.0' weight: std" in step["message"]
    assert any("glorot-uniform" in h and "apply_init_" in h for h in step["hints"])


def test_nhwc_flatten_order_fails_the_forward(tmp_path, check):
    _, record, _ = check("cnn", "--file", str(subclass_of_reference(tmp_path, "cnn", NHWC_BODY)))
    step = failing_step(record)
    assert step["name"] == "forward after weight transfer"
    assert any(
        "holds the reference's values in another order" in h and "Linear 'classifier.1'" in h
        for h in step["hints"]
    )
    assert any(
        h.startswith("Flatten order: torch's nn.Flatten on an NCHW tensor gives (C, H, W)")
        for h in step["hints"]
    )


def test_conv_transpose_without_output_padding_fails_the_shapes(tmp_path, check):
    planted = reference_copy(
        tmp_path,
        "autoencoder",
        ("SameConvTranspose2d(8, 8, 3, stride=2)", "nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1)"),
        ("SameConvTranspose2d(8, 16, 3, stride=2)", "nn.ConvTranspose2d(8, 16, 3, stride=2, padding=1)"),
    )
    _, record, _ = check("autoencoder", "--file", str(planted))
    step = failing_step(record)
    assert (
        step["name"] == "output shapes"
        and "keras (16, 28, 28, 1), lightning (16, 25, 25, 1)" in step["message"]
    )
    assert any("layer 3 (ConvTranspose2d 'decoder.0')" in h and "(16, 8, 13, 13)" in h for h in step["hints"])
    assert any(
        h.startswith("Conv2DTranspose same, stride 2:")
        and "output_padding=1" in h
        and "SameConvTranspose2d" in h
        for h in step["hints"]
    )


def test_batchnorm_momentum_099_fails_the_gan_step(tmp_path, check):
    _, record, _ = check(
        "dcgan", "--file", str(subclass_of_reference(tmp_path, "dcgan", BATCHNORM_MOMENTUM_BODY))
    )
    step = failing_step(record)
    assert step["name"] == "one GAN step (both optimizers)" and "updates differ" in step["message"]
    assert any(
        h.startswith("BatchNorm momentum: Keras 0.99 corresponds to torch 0.01") for h in step["hints"]
    )


def test_torch_default_leaky_relu_slope_fails_the_generator_forward(tmp_path, check):
    planted = reference_copy(tmp_path, "dcgan", ("LEAKY_SLOPE = 0.3", "LEAKY_SLOPE = 0.01"))
    _, record, _ = check("dcgan", "--file", str(planted))
    step = failing_step(record)
    assert step["name"] == "generator: forward after weight transfer"
    assert any(
        h.startswith("LeakyReLU slope: Keras default 0.3, torch default 0.01 — pass negative_slope=0.3")
        for h in step["hints"]
    )
    assert any("the reference applies LeakyReLU(0.3)" in h for h in step["hints"])


def test_lstm_without_unit_forget_bias_fails_the_initialisation(tmp_path, check):
    planted = reference_copy(
        tmp_path,
        "lstm",
        (
            "return_sequences=index < len(units) - 1)",
            "return_sequences=index < len(units) - 1, unit_forget_bias=False)",
        ),
    )
    _, record, _ = check("lstm", "--file", str(planted))
    step = failing_step(record)
    assert step["name"] == "initialisation" and "the reference as 0 except 1 at [20:40]" in step["message"]
    assert any(
        h.startswith("unit forget bias: Keras' LSTM starts the forget gate's bias at 1")
        for h in step["hints"]
    )


# --- a skeleton completed another way passes: the frame it gives is right ------------------------


def complete(skeleton: Path, target: Path, code: dict[int, str]) -> Path:
    """The skeleton with each ``raise NotImplementedError("TODO n ...")`` replaced by ``code[n]``."""
    import ast

    text = skeleton.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    todos = []
    for node in ast.walk(ast.parse(text)):
        if (
            isinstance(node, ast.Raise)
            and isinstance(node.exc, ast.Call)
            and getattr(node.exc.func, "id", "") == "NotImplementedError"
        ):
            message = "".join(
                c.value
                for c in ast.walk(node.exc)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            )
            todos.append(
                (node.lineno, node.end_lineno, node.col_offset, int(message.split("TODO ")[1].split()[0]))
            )
    assert sorted(n for *_, n in todos) == sorted(code)  # every TODO, once
    for start, end, indent, number in sorted(todos, reverse=True):
        lines[start - 1 : end] = [" " * indent + line + "\n" for line in code[number].splitlines()]
    target.write_text("".join(lines), encoding="utf-8")
    return target


COMPLETIONS = {
    "tabular_mlp": {
        1: "sizes = [input_dim, *hidden_units]\n"
        "hidden = [m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b), nn.ReLU())]\n"
        "self.net = nn.Sequential(*hidden, nn.Linear(sizes[-1], output_units))",
        2: "if init == 'keras':\n"
        "    for layer in self.net[::2]:\n"
        "        nn.init.xavier_uniform_(layer.weight)\n"
        "        nn.init.zeros_(layer.bias)",
        3: "return self.net(x)",
        4: "from lit_models.keras_compat.optim import KerasAdam\nimport torch\n"
        "if self.hparams.optimizer == 'adam':\n"
        "    return KerasAdam(self.parameters(), lr=self.hparams.learning_rate)\n"
        "return torch.optim.SGD(self.parameters(), lr=self.hparams.learning_rate)",
    },
    # torch's own layers: explicit bottom/right padding, and transposed convolutions cropped to n·s
    "autoencoder": {
        1: "from torch.nn import functional as F\n"
        "class KerasSameStride2(nn.Conv2d):\n"
        "    def forward(self, x):\n"
        "        return super().forward(F.pad(x, (0, 1, 0, 1)))\n"
        "self.encoder = nn.Sequential(KerasSameStride2(channels, 16, 3, stride=2), nn.ReLU(), "
        "KerasSameStride2(16, 8, 3, stride=2), nn.ReLU())",
        2: "class Cropped(nn.ConvTranspose2d):\n"
        "    def forward(self, x):\n"
        "        return super().forward(x)[..., : 2 * x.shape[-2], : 2 * x.shape[-1]]\n"
        "self.decoder = nn.Sequential(Cropped(8, 8, 3, stride=2), nn.ReLU(), "
        "Cropped(8, 16, 3, stride=2), nn.ReLU(),\n"
        "                             nn.Conv2d(16, channels, 3, padding='same'), nn.Sigmoid())",
        3: "apply_init_(self, init)",
        4: "return self.decoder(self.encode(x))",
    },
    "kmeans": {
        1: "k, d = self.n_clusters, input_shape[-1]\n"
        "self.centroids = self.add_weight(shape=(k, d), initializer='zeros', name='centroids')\n"
        "self.sums = self.add_weight(shape=(k, d), initializer='zeros', trainable=False, name='sums')\n"
        "self.counts = self.add_weight(shape=(k,), initializer='zeros', trainable=False, name='counts')\n"
        "self.initialised = "
        "self.add_weight(shape=(1,), initializer='zeros', trainable=False, name='initialised')",
        2: "one_hot = ops.one_hot(nearest, self.n_clusters, dtype=points.dtype)\n"
        "self.sums.assign_add(ops.matmul(ops.transpose(one_hot), points))\n"
        "self.counts.assign_add(ops.sum(one_hot, axis=0))",
        3: "has_points = ops.cast(self.counts > 0, self.sums.dtype)[:, None]\n"
        "means = self.sums / ops.maximum(self.counts, 1.0)[:, None]\n"
        "self.centroids.assign(self.centroids + learning_rate * has_points * (means - self.centroids))\n"
        "self.sums.assign(ops.zeros_like(self.sums))\nself.counts.assign(ops.zeros_like(self.counts))",
        4: "self.model.lloyd_update()",
        5: "self.centroid_layer.initialise_from(x)\nloss, nearest = self._distances(x)\n"
        "self.centroid_layer.accumulate(x, nearest)\nreturn loss, nearest",
        6: "x = data[0] if isinstance(data, (tuple, list)) else data\n"
        "return self._track(x, self.lloyd_batch(x)[0])",
        7: "return super().fit(*args, callbacks=[LloydEpochEnd(), *(callbacks or [])], **kwargs)",
        8: "model = KMeansModel(input_dim, n_clusters, learning_rate, name='kmeans')\n"
        "model.compile(optimizer=None, jit_compile=False)\nreturn model",
    },
}


@pytest.mark.parametrize("exercise_id", sorted(COMPLETIONS))
def test_a_skeleton_completed_another_way_passes(exercise_id, tmp_path, check):
    mine = complete(
        Path(skeleton_path(exercise_id)), tmp_path / f"{exercise_id}.py", COMPLETIONS[exercise_id]
    )
    status, record, _ = check(exercise_id, "--file", str(mine))
    assert status == 0 and record["passed"], [s for s in record["steps"] if not s["passed"]]
