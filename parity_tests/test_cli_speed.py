"""A command line that answers at once: ``twins --help``, ``twins list`` and every
``twins COMMAND [MODEL] --help`` import neither torch nor TensorFlow (checked in a fresh
process, not timed), and the per-model help, read from the source, lists exactly the options
and defaults the real parser (which imports the classes) has.
"""

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from twins.cli import usage
from twins.cli.main import COMMANDS
from twins.cli.options import USAGE, add_model_sections, model_parser

from .conftest import MODEL_IDS

MODEL_COMMANDS = ("summary", "train", "compare", "pictures", "featuremaps", "predict")
FRAMEWORKS = ("torch", "tensorflow", "lightning", "keras")

PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    from twins.cli import main
    found = []
    for args in json.loads(sys.argv[1]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                code = main(args)
            except SystemExit as stop:
                code = stop.code
        loaded = [m for m in FRAMEWORKS if m in sys.modules]
        found.append({"args": args, "code": code, "out": out.getvalue(), "loaded": loaded})
    print(json.dumps(found))
    """
).replace("FRAMEWORKS", repr(FRAMEWORKS))


def probe(invocations: list[list[str]]) -> list[dict]:
    """Run ``twins`` with each argument list in ONE fresh interpreter, noting after each which
    frameworks are in ``sys.modules``."""
    process = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(invocations)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},  # the help's width: a terminal's, fixed here
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)


@pytest.fixture(scope="module")
def answers() -> dict[str, dict]:
    invocations = [["--help"], ["list"], ["list", "--json"]]
    invocations += [[command, "--help"] for command in COMMANDS]
    invocations += [[command, "iris_mlp", "--help"] for command in MODEL_COMMANDS]
    invocations += [["train", "mnist_dcgan", "-h"], ["featuremaps", "fashion_cnn", "--help"]]
    return {" ".join(found["args"]): found for found in probe(invocations)}


def test_help_and_list_import_no_framework(answers):
    """Before: main.py imported torch at the top (~10 s for 'twins --help' and 'twins list')."""
    for args, found in answers.items():
        assert found["loaded"] == [], f"'twins {args}' imported {found['loaded']}"
        assert found["code"] == 0, f"'twins {args}' exited {found['code']}"


def test_list_answers_without_frameworks(answers):
    assert json.loads(answers["list --json"]["out"]) == {"models": MODEL_IDS}
    assert answers["list"]["out"].split() == MODEL_IDS


@pytest.mark.parametrize("command", ["train", "compare"])
def test_command_help_without_a_model_lists_the_model_ids(answers, command):
    """Before: "twins: error: 'train' needs a model id (see 'twins list')", exit 2."""
    out = answers[f"{command} --help"]["out"]
    assert out.startswith(f"usage: twins {command} [options]")
    assert all(model_id in out for model_id in MODEL_IDS)
    assert f"'twins {command} MODEL --help' lists that model's options" in out


def test_per_model_help_lists_the_options_one_per_line(answers):
    out = answers["train iris_mlp --help"]["out"]
    cells = [re.split(r"\s{2,}", line.strip()) for line in out.splitlines() if line.startswith("  --")]
    rows = {cell[0]: cell[1:] for cell in cells}  # name: [type, default, doc]
    assert rows["--model.hidden_units"] == [
        "list[PositiveInt]",  # the range the parse checks (test_bad_values.py)
        "[4, 4]",
        "width of each hidden ReLU layer, e.g. [10, 10].",
    ]
    assert rows["--model.init"][:2] == ["{keras,torch}", "keras"]
    assert rows["--data.batch_size"][:2] == ["PositiveInt", "32"]
    assert rows["--framework"] == ["{lightning,keras}", "required", "the twin to train"]
    assert rows["--trainer.max_epochs"][:2] == ["Optional[int]", "30"]  # the config's, over Lightning's None
    assert "--trainer.logger" in rows and "--logger" in rows
    assert "(required," not in out  # Before: jsonargparse's "(required, type: ..., default: ...)"


def test_the_overview_of_all_commands_stays_a_block(answers):
    """Before: argparse re-flowed the overview into one paragraph."""
    for args in ("train iris_mlp --help", "compare --help", "cluster --help"):
        assert f"all commands:\n{USAGE}\n" in answers[args]["out"]


def test_compare_help_takes_the_lightning_twins_loggers_and_callbacks_only(answers):
    lines = answers["compare iris_mlp --help"]["out"].splitlines()
    rows = [line.split()[0] for line in lines if line.startswith("  --trainer.")]
    assert rows == ["--trainer.logger", "--trainer.callbacks"]


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_source_help_matches_the_real_parser(model_id):
    """The options and defaults ``usage`` reads from the source are the ones jsonargparse builds
    from the imported classes (the real parse), section by section."""
    parser = model_parser("train", model_id, with_trainer=True)
    add_model_sections(parser)
    real = parser.get_defaults()
    for section in usage.model_sections(model_id, trainer=True):
        defaults = {p.name: p.default for p in section.parameters}
        expected = vars(real[section.prefix])
        assert set(defaults) == set(expected), section.prefix
        for name, value in defaults.items():
            if value is usage.REQUIRED:
                continue
            wanted = expected[name]
            assert value == wanted or str(value) == str(wanted), (section.prefix, name, value, wanted)


def test_source_reader_follows_inheritance_aliases_and_args_docs(tmp_path, monkeypatch):
    """A package the reader has never seen: the constructor inherited from a base in another
    module, a Literal alias, ``a / b:`` docs, a required argument; nothing of it is imported."""
    package = tmp_path / "probe_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('the help must not import this package')\n")
    (package / "base.py").write_text(
        textwrap.dedent(
            '''
            from typing import Literal

            Mode = Literal["fast", "slow"]


            class Base:
                """A base.

                Args:
                    units: how many units; each one
                        is a unit.
                    rate / momentum: the optimizer's.
                """

                def __init__(self, units: int, mode: Mode = "fast", rate: float = 0.1, momentum=0.9):
                    pass
            '''
        )
    )
    (package / "child.py").write_text("from .base import Base\n\n\nclass Child(Base):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = usage.class_parameters("probe_pkg.child.Child")
    assert [(p.name, p.type, p.default, p.doc) for p in found] == [
        ("units", "int", usage.REQUIRED, "how many units; each one is a unit."),
        ("mode", "{fast,slow}", "fast", ""),
        ("rate", "float", 0.1, "the optimizer's."),
        ("momentum", "", 0.9, "the optimizer's."),
    ]
    assert "probe_pkg" not in sys.modules
