"""Bad values are bad input (issue 17): every numeric and list option is checked when the command
line is parsed, by the range its type carries in the signature (jsonargparse.typing's
``PositiveInt``, ``PositiveFloat``, ``NonNegativeInt``, ``ClosedUnitInterval``, ...), and ends in
one line ``twins: error: ...`` naming the option and what it takes, exit status 2, before any work:
``train_twin`` is replaced by a stub that records a call, so no case can start training."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

import twins.cli.commands
from lit_models.base import TORCH_ONLY_ARGS
from twins.cli import usage
from twins.cli.main import main
from twins.cli.options import model_parser, parse
from twins.registry import DATA_GIVEN_ARGUMENTS, model_ids, spec

LIGHTNING = ["train", "iris_mlp", "--framework", "lightning"]
#: The bad values of issue 17: (command line, what the one line must say).
CASES = {
    "epochs_negative": ([*LIGHTNING, "--epochs", "-1"], ["--epochs", "> 0"]),
    "epochs_zero": ([*LIGHTNING, "--epochs", "0"], ["--epochs", "> 0"]),
    "compare_epochs_zero": (["compare", "iris_mlp", "--epochs", "0"], ["--epochs", "> 0"]),
    "zero_width_layer": ([*LIGHTNING, "--model.hidden_units", "[0]"], ["--model.hidden_units", "> 0"]),
    "negative_learning_rate": ([*LIGHTNING, "--model.learning_rate", "-1"], ["--model.learning_rate", "> 0"]),
    "zero_batch_size": ([*LIGHTNING, "--data.batch_size", "0"], ["--data.batch_size", "> 0"]),
    "validation_split_over_one": (
        [*LIGHTNING, "--data.validation_split", "1.5"],
        ["--data.validation_split", ">= 0 and < 1"],
    ),
    "dropout_over_one": (
        ["train", "mnist_cnn", "--framework", "keras", "--model.dropout", "2"],
        ["--model.dropout", ">= 0 and <= 1"],
    ),
    "fractional_seed": ([*LIGHTNING, "--seed", "1.5"], ["--seed", "'1.5'", ">= 0"]),
    "negative_seed": ([*LIGHTNING, "--seed", "-3"], ["--seed", ">= 0"]),
    "trainer_flag_for_keras_at_its_default": (
        ["train", "iris_mlp", "--framework", "keras", "--trainer.deterministic", "true"],
        ["--trainer.deterministic", "--framework lightning only"],
    ),
    "abbreviated_option": ([*LIGHTNING, "--epoch", "1"], ["--epoch;", "did you mean --epochs?"]),
    "abbreviated_trainer_option": (
        [*LIGHTNING, "--trainer.max_epoch", "2"],
        ["--trainer.max_epoch;", "did you mean --trainer.max_epochs?"],
    ),
    "cluster_batch_size": (["cluster", "--batch-size", "0"], ["--batch-size", "> 0"]),
    "bench_steps": (["bench", "--steps", "0"], ["--steps", "> 0"]),
    "trainer_max_epochs_unlimited": (
        [*LIGHTNING, "--trainer.max_epochs", "-1"],
        ["--trainer.max_epochs", "1"],
    ),
    "trainer_max_epochs_zero": ([*LIGHTNING, "--trainer.max_epochs", "0"], ["--trainer.max_epochs", "1"]),
    "featuremaps_no_images": (
        ["featuremaps", "mnist_cnn", "--out", "unused", "--images", "0"],
        ["--images", "> 0"],
    ),
    "predict_epochs_zero": (
        ["predict", "mnist_cnn", "--image", "unused.png", "--epochs", "0"],
        ["--epochs", "> 0"],
    ),
}
#: CSV files of the CSV exercise that are refused when the data is read, before the twins are built.
CSV_CASES = {
    "all_features_constant": (
        "a,b,sales\n" + "".join(f"1,x,{i}\n" for i in range(20)),
        ["constant", "--data.features"],
    ),
    "duplicated_feature_name": (
        "a,a,sales\n" + "".join(f"{i},{2 * i},{i}\n" for i in range(20)),
        ["duplicated", "'a'"],
    ),
    "duplicated_target_name": (
        "a,sales,sales\n" + "".join(f"{i},{2 * i},{i}\n" for i in range(20)),
        ["duplicated", "'sales'"],
    ),
}


@pytest.fixture
def no_training(monkeypatch):
    """``train_twin`` replaced: the calls it got (none, for bad input)."""
    calls = []
    monkeypatch.setattr(twins.cli.commands, "train_twin", lambda *a, **k: calls.append(a))
    monkeypatch.setattr("twins.bench.runner.bench", lambda *a, **k: calls.append(a))
    monkeypatch.setattr("twins.cli.cluster.run", lambda *a, **k: calls.append(a))
    return calls


def refused(args, capsys, calls) -> str:
    """The one line ``main(args)`` prints, after checking its exit status (2) and that nothing ran."""
    status = main(args)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert (status, len(lines), calls) == (2, 1, []), f"{status}: {err}"
    assert lines[0].startswith("twins: error: ")
    assert out == ""
    return lines[0]


@pytest.mark.parametrize("case", [*CASES, *CSV_CASES])
def test_a_bad_value_is_one_line_naming_the_option_and_exit_2_before_any_work(
    case, tmp_path, capsys, no_training
):
    if case in CSV_CASES:
        text, says = CSV_CASES[case]
        (tmp_path / "table.csv").write_text(text)
        args = [
            "train",
            "csv_regression",
            "--framework",
            "lightning",
            "--data.path",
            str(tmp_path / "table.csv"),
        ]
    else:
        args, says = CASES[case]
    line = refused(args, capsys, no_training)
    for part in says:
        assert part in line, line


def test_a_good_value_reaches_the_training(capsys, no_training):
    """The stub is reached with good values (the cases above are refused, not skipped), and the
    values arrive as plain int/float (saved hyperparameters and checkpoints hold builtins only)."""
    main([*LIGHTNING, "--epochs", "1", "--model.hidden_units", "[3]", "--data.validation_split", "0"])
    capsys.readouterr()  # the stub returns no result: an error line, not a bad-input one
    (framework, _, datamodule, arguments, seed, epochs, *_), *more = no_training
    assert (framework, arguments["hidden_units"], epochs, datamodule.validation_split, more) == (
        "lightning",
        [3],
        1,
        0,
        [],
    )
    assert [type(v) for v in (arguments["hidden_units"][0], epochs, seed, datamodule.validation_split)] == [
        int,
        int,
        int,
        float,
    ]


def test_parsed_values_are_builtins_not_jsonargparse_types():
    options = parse(model_parser("train", "iris_mlp", with_trainer=True), ["--model.hidden_units", "[3, 2]"])
    values = [*options.model.hidden_units, options.model.learning_rate, options.data.batch_size, options.seed]
    assert [type(v) for v in values] == [int, int, float, int, int]


def test_the_shell_sees_exit_2_and_one_line():
    """One real process (the rest run in this one): what a participant's shell gets."""
    done = subprocess.run(
        [sys.executable, "-m", "twins.cli", *LIGHTNING, "--epochs", "0"], capture_output=True, text=True
    )
    assert (done.returncode, done.stderr.strip().splitlines()) == (
        2,
        ["twins: error: invalid value for --epochs: '0'; it must be an integer > 0 (PositiveInt | None)"],
    )


def test_help_shows_the_ranges(capsys):
    with pytest.raises(SystemExit):
        main(["train", "iris_mlp", "--help"])
    out = capsys.readouterr().out
    for shown in ("list[PositiveInt]", "PositiveFloat", "ClosedOpenUnitInterval", "NonNegativeInt"):
        assert shown in out


# --- the signatures ------------------------------------------------------------------------------

#: Annotations that carry no range: a number or list of numbers typed with one of these is not
#: checked when parsed.
UNCHECKED = {"int", "float", "list[int]", "list[float]", "int | None", "float | None"}


@pytest.mark.parametrize("model_id", model_ids())
def test_every_numeric_option_of_a_model_carries_its_range(model_id):
    registered = spec(model_id)
    unchecked = [
        f"{path}: {p.name}: {p.type}"
        for path in (registered.lightning, registered.datamodule)
        for p in usage.class_parameters(path)
        if p.type.replace(" ", "") in {u.replace(" ", "") for u in UNCHECKED}
        and p.name not in DATA_GIVEN_ARGUMENTS
    ]
    assert unchecked == []


def builder_annotations(path: str) -> dict[str, str]:
    """``{argument: annotation}`` of the Keras builder function at import path ``path``, from its source."""
    module, _, name = path.rpartition(".")
    tree = usage.module_tree(module)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return {a.arg: ast.unparse(a.annotation) for a in function.args.args if a.annotation is not None}


@pytest.mark.parametrize("model_id", model_ids())
def test_both_twins_take_the_same_types(model_id):
    """The Keras builder takes every option of the Lightning twin under the same name and type
    (the Lightning-only ones, ``init``, aside), so one range check covers both."""
    registered = spec(model_id)
    lightning = {
        p.name: p.type for p in usage.class_parameters(registered.lightning) if p.name not in TORCH_ONLY_ARGS
    }
    keras = builder_annotations(registered.keras)
    assert {name: keras.get(name) for name in lightning} == lightning
