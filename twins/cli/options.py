"""The command line's shared pieces: option parsers of a model, one-line errors.

A leaf module: the commands import it; it imports no command.
"""

from __future__ import annotations

import difflib
import re
import typing
from argparse import SUPPRESS

from jsonargparse import ActionConfigFile, ArgumentError, ArgumentParser, Namespace
from jsonargparse.typing import NonNegativeInt

from configs import load_config
from twins.errors import BadInput

EXIT_BAD_INPUT = 2
USAGE = """    twins list [--json]
    twins summary MODEL [--json]
    twins train MODEL --framework lightning|keras [--seed N] [--json PATH] [--out DIR [--resume]]
        [--logger tensorboard|csv] [--trainer.* ...]   (--trainer.*: the Lightning twin)
    twins compare MODEL [--epochs N] [--seed N] [--json PATH] [--out DIR] [--quiet]
        [--logger tensorboard|csv] [--trainer.logger ...] [--trainer.callbacks+=...]
    twins cluster [--seed N] [--batch-size N] [--scale none|standard] [--json PATH] [--out DIR] [--quiet]
        (Day 2: K-Means twins, DBSCAN, PCA on Iris)
    twins pictures MODEL --out DIR [--epochs N] [--seed N] [--resume] [--codes N]
        (Day 3: autoencoders, DCGAN)
    twins featuremaps MODEL --out DIR [--train keras|lightning] [--epochs N] [--images N] [--layers N]
        (CNN feature maps)
    twins predict MODEL --image PHOTO [--checkpoint CKPT | --epochs N] [--json PATH] [--show-input PNG]
        (classify your own photo)
    twins bench [--models a,b] [--epochs N] [--offline] [--steps N] [--threads N] [--json PATH] [--out DIR]
        [--accelerator gpu ...]   (speed)"""


class UsageError(BadInput, ValueError):
    """A command line that cannot be carried out."""


def one_line(error: BaseException) -> str:
    """A one-line message for ``error`` (jsonargparse's multi-line type errors condensed)."""
    text = str(error).strip()
    key = re.search(r'Parser key "([^"]+)"', text)
    given = re.search(r"Given value: (.*)", text)
    needs = re.search(r"class_path '([^']+)':\s*the following arguments are required: ([\w, ]+)", text)
    if key and needs:  # --trainer.logger CSVLogger without its save_dir
        missing = ", ".join(f"--{key.group(1)}.{name.strip()}" for name in needs.group(2).split(","))
        return f"--{key.group(1)} {needs.group(1).rpartition('.')[2]} needs {missing}"
    if key and given:
        return f"invalid value for --{key.group(1)}: {given.group(1).strip()!r}"
    if (
        re.search(r"Connection (closed|reset) by peer|Broken pipe", text) and "gloo" in text
    ):  # a DDP peer died
        return (
            "another process of this distributed run stopped (connection closed by peer); the run was ended"
        )
    required = re.match(r"the following arguments are required: (.*)", text)
    if required:
        return "missing required option " + ", ".join(
            f"--{name.strip()}" for name in required.group(1).split(",")
        )
    return text.splitlines()[0] if text else type(error).__name__


# --- parsers -------------------------------------------------------------------------------------


def command_parser(prog: str, **kwargs) -> ArgumentParser:
    """The parser of one command: errors raised (``main`` prints them in one line), and no
    abbreviations: ``--epoch 1`` is refused with "did you mean --epochs?" instead of being taken
    silently for the option it starts (argparse's ``allow_abbrev``)."""
    return ArgumentParser(prog=prog, exit_on_error=False, allow_abbrev=False, **kwargs)


def model_parser(command: str, model_id: str | None, with_trainer=False) -> ArgumentParser:
    """Options of ``command MODEL``: the model's config sections as ``--model.*``/``--data.*``
    (``with_trainer``: ``--trainer.*``, every ``lightning.Trainer`` argument, or a tuple of names).

    Those sections come from the model's classes and are added by ``parse`` for a real parse
    only: ``--help`` reads them from the source (``twins.cli.usage``), without importing torch.
    ``model_id`` is None for ``twins COMMAND --help`` without a model.
    """
    prog = " ".join(["twins", command, *([model_id] if model_id else [])])
    parser = command_parser(prog, description=USAGE)
    parser.add_argument(
        "--config", action=ActionConfigFile, help="a YAML file with model/data/trainer sections"
    )
    # a model's own configs/<id>.yaml also holds its registration; read as it is, never changed here
    parser.add_argument("--twins", type=dict | None, default=None, help=SUPPRESS)
    parser.add_argument("--parity", type=dict | None, default=None, help=SUPPRESS)
    parser.add_argument(
        "--seed", type=NonNegativeInt, default=0, help="seed of initialisation and batch shuffling"
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars or banners; the result and the files written are still printed",
    )
    parser.model_id = model_id  # for check_config_registration and the help
    parser.takes_model, parser.trainer_options = True, with_trainer
    return parser


def add_model_sections(parser: ArgumentParser) -> None:
    """``--model.*``, ``--data.*`` (and ``--trainer.*``) of ``parser.model_id``, from its classes
    (imported: torch, Lightning). Not instantiated by ``parser.instantiate_classes``: the twins are
    built from them later; only the classes given inside ``--trainer.*`` (loggers, callbacks) are."""
    from twins.registry import DATA_GIVEN_ARGUMENTS, spec

    model_id, with_trainer = parser.model_id, parser.trainer_options
    model_spec = spec(model_id)
    # input_dim/input_shape/vocab_size are given by the datamodule
    parser.add_class_arguments(
        model_spec.lightning_class(), "model", skip=set(DATA_GIVEN_ARGUMENTS), instantiate=False
    )
    parser.add_class_arguments(model_spec.datamodule_class(), "data", skip={"seed"}, instantiate=False)
    config = load_config(model_id)
    defaults = {f"model.{k}": v for k, v in config["model"].items()}
    defaults |= {f"data.{k}": v for k, v in config["data"].items()}
    if with_trainer:
        import inspect

        from lightning import Trainer

        from twins.training.fit_lightning import TRAINER_DEFAULTS

        names = set(inspect.signature(Trainer.__init__).parameters) - {"self"}
        skip = set() if with_trainer is True else names - set(with_trainer)
        parser.add_class_arguments(Trainer, "trainer", instantiate=False, skip=skip)
        trainer_defaults = {**TRAINER_DEFAULTS, **config["trainer"]}
        defaults |= {f"trainer.{k}": v for k, v in trainer_defaults.items() if k not in skip}
    parser.set_defaults(defaults)


def parse(parser: ArgumentParser, args: list[str]):
    if any(a in ("-h", "--help") for a in args):
        from twins.cli.usage import format_help

        print(format_help(parser, USAGE))
        raise SystemExit(0)
    if getattr(parser, "model_id", None):
        add_model_sections(parser)
    parser.command_line = list(args)  # the options given (check_keras_options)
    try:
        options = parser.parse_args(args)
    except ArgumentError as error:
        raise UsageError(bad_value_message(parser, args, error)) from None
    check_config_registration(parser, options)
    return builtin_values(options)


def builtin_values(value):
    """``value`` with jsonargparse's range-checked numbers (``PositiveInt(3)``, subclasses of
    int and float) as plain ``int``/``float``: the twins, their saved hyperparameters and the
    checkpoints (which ``torch.load(weights_only=True)`` reads back) hold builtins only."""
    if isinstance(value, Namespace):
        for key, item in value.items():
            value[key] = builtin_values(item)
        return value
    if isinstance(value, list | tuple):
        return type(value)(builtin_values(item) for item in value)
    if isinstance(value, dict):
        return {key: builtin_values(item) for key, item in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
        return int(value)
    if isinstance(value, float) and type(value) is not float:
        return float(value)
    return value


# --- bad values ----------------------------------------------------------------------------------


def bad_value_message(parser: ArgumentParser, args: list[str], error: ArgumentError) -> str:
    """One line for jsonargparse's (multi-line) ``error``: an unknown or abbreviated option with
    the option it resembles; a value out of its type's range with the range; else ``one_line``."""
    text = str(error)
    unknown = re.match(r"unrecognized arguments: (.*)", text)
    if unknown:
        return unknown_option_message(parser, unknown.group(1).split())
    key = re.match(r'Parser key "([^"]+)"', text)
    if not key:
        return one_line(error)
    # argparse has no public list of a parser's options; the key is the dest (--batch-size: batch_size)
    action = next((a for a in parser._actions if a.dest == key.group(1)), None)
    option = action.option_strings[0] if action and action.option_strings else f"--{key.group(1)}"
    hint = getattr(action, "_typehint", None)
    restricted = restricted_type(hint)
    if restricted is None:
        return one_line(error)
    given = given_value(args, option) or error_value(text)
    kind = "an integer" if issubclass(restricted, int) else "a number"
    each = "each value" if "list[" in type_name(hint) else "it"
    return (
        f"invalid value for {option}: {given!r}; {each} must be {kind} "
        f"{range_text(restricted)} ({type_name(hint)})"
    )


def unknown_option_message(parser: ArgumentParser, tokens: list[str]) -> str:
    """``--epoch 1`` -> "unrecognized option --epoch; did you mean --epochs?" (the option it abbreviates
    or the closest spelling)."""
    options = [o for o in parser._option_string_actions if o.startswith("--")]
    names = [token.split("=", 1)[0] for token in tokens if token.startswith("-")]
    if not names:
        return f"unexpected argument {tokens[0]!r}; see '{parser.prog} --help'"
    name = names[0]
    resembles = [o for o in options if o.startswith(name)] or difflib.get_close_matches(
        name, options, n=3, cutoff=0.75
    )
    if resembles:
        return f"unrecognized option {name}; did you mean {' or '.join(sorted(resembles)[:3])}?"
    return f"unrecognized arguments: {' '.join(tokens)}; see '{parser.prog} --help' for the options"


def restricted_type(hint):
    """The jsonargparse range-restricted number type inside ``hint`` (``list[PositiveInt]``,
    ``PositiveInt | None``), or None."""
    if hint is None:
        return None
    if isinstance(hint, type) and hasattr(hint, "_restrictions"):
        return hint
    for argument in typing.get_args(hint):
        found = restricted_type(argument)
        if found is not None:
            return found
    return None


def range_text(restricted) -> str:
    """``PositiveInt`` -> ``> 0``; ``ClosedOpenUnitInterval`` -> ``>= 0 and < 1``."""
    return re.sub(r"v(>=|<=|>|<|==|!=)", r"\1 ", restricted._expression)


def type_name(hint) -> str:
    """``list[jsonargparse.typing.PositiveInt] | None`` -> ``list[PositiveInt] | None``."""
    text = hint.__name__ if isinstance(hint, type) else str(hint)
    return re.sub(r"(?:\w+\.)+(\w+)", r"\1", text)


def given_value(args: list[str], option: str) -> str | None:
    """The text given on the command line for ``option`` (``--key V`` or ``--key=V``)."""
    for position, token in enumerate(args):
        if token == option and position + 1 < len(args):
            return args[position + 1]
        if token.startswith(f"{option}="):
            return token.partition("=")[2]
    return None


def error_value(text: str) -> str:
    """The value a jsonargparse error quotes (given in a --config file, not on the command line)."""
    found = re.search(r"Given value: (.*)", text) or re.search(r"Not of type \w+: (\S+) does not", text)
    return found.group(1).strip() if found else "?"


def check_config_registration(parser: ArgumentParser, options) -> None:
    """A ``--config`` file with a ``twins:`` section must register the model being run (the file
    of another model would silently apply that model's settings)."""
    model_id = getattr(parser, "model_id", None)
    given = getattr(options, "twins", None)
    if model_id is None or not given:
        return
    from twins.registry import spec

    registered = spec(model_id)
    if given.get("lightning") != registered.lightning or given.get("datamodule") != registered.datamodule:
        raise UsageError(
            f"--config registers {given.get('lightning')} on {given.get('datamodule')}, "
            f"but {model_id} is {registered.lightning} on {registered.datamodule}: "
            "use that model's config (or drop its twins: section)"
        )


def split_model_id(command: str, args: list[str]) -> tuple[str | None, list[str]]:
    """``(model id, the rest)``; ``(None, args)`` for ``twins COMMAND --help`` without a model."""
    from twins.registry import check_model_id

    if not args or args[0].startswith("-"):
        if any(a in ("-h", "--help") for a in args):
            return None, args
        raise UsageError(f"'{command}' needs a model id (see 'twins list')")
    return check_model_id(args[0]), args[1:]


def check_keras_options(parser: ArgumentParser, options) -> None:
    """``--trainer.*`` (but ``max_epochs``) and torch-only model options belong to Lightning:
    refused when given on the command line (even at their default: ``--trainer.deterministic
    true`` would not make Keras deterministic) or changed by a ``--config`` file."""
    defaults = parser.get_defaults()
    given = {
        token[len("--trainer.") :].split("=", 1)[0].split(".", 1)[0].rstrip("+")
        for token in getattr(parser, "command_line", ())
        if token.startswith("--trainer.")
    }
    changed = {key for key, value in vars(options.trainer).items() if value != defaults.trainer[key]}
    lightning_only = sorted((given | changed) - {"max_epochs"})
    if lightning_only:
        raise UsageError(
            f"--trainer.{lightning_only[0]} applies to --framework lightning only; leave it out for Keras "
            "(--epochs sets the epochs of both twins)"
        )
    from lit_models.base import TORCH_ONLY_ARGS

    for key in TORCH_ONLY_ARGS:
        if options.model[key] != defaults.model[key]:
            raise UsageError(f"--model.{key} applies to --framework lightning only")
