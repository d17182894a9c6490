"""The command line's shared pieces: option parsers of a model, one-line errors.

A leaf module: the commands import it; it imports no command.
"""
from __future__ import annotations

import re

from jsonargparse import ActionConfigFile, ArgumentParser

import lit_models
from configs import load_config
from twins.errors import BadInput

EXIT_BAD_INPUT = 2
USAGE = """    twins list [--json]
    twins summary MODEL [--json]
    twins train MODEL --framework lightning|keras [--seed N] [--json PATH] [--out DIR [--resume]] [--trainer.* ...]
    twins compare MODEL [--epochs N] [--seed N] [--json PATH] [--out DIR] [--quiet]
    twins cluster [--seed N] [--batch-size N] [--json PATH] [--out DIR]   (Day 2: K-Means twins, DBSCAN, PCA on Iris)
    twins pictures MODEL --out DIR [--epochs N] [--seed N] [--resume] [--codes N]   (Day 3: autoencoders, DCGAN)
    twins featuremaps MODEL --out DIR [--train keras|lightning] [--epochs N] [--images N] [--layers N]   (CNN feature maps)
    twins predict MODEL --image PHOTO [--checkpoint CKPT | --epochs N] [--json PATH]   (classify your own photo)
    twins bench [--models a,b] [--epochs N] [--offline] [--steps N] [--threads N] [--json PATH] [--out DIR] [--accelerator gpu ...]   (speed)"""


class UsageError(BadInput, ValueError):
    """A command line that cannot be carried out."""


def one_line(error: BaseException) -> str:
    """A one-line message for ``error`` (jsonargparse's multi-line type errors condensed)."""
    text = str(error).strip()
    key = re.search(r'Parser key "([^"]+)"', text)
    given = re.search(r"Given value: (.*)", text)
    if key and given:
        return f"invalid value for --{key.group(1)}: {given.group(1).strip()!r}"
    if re.search(r"Connection (closed|reset) by peer|Broken pipe", text) and "gloo" in text:  # a DDP peer died
        return "another process of this distributed run stopped (connection closed by peer); the run was ended"
    required = re.match(r"the following arguments are required: (.*)", text)
    if required:
        return "missing required option " + ", ".join(f"--{name.strip()}" for name in required.group(1).split(","))
    return text.splitlines()[0] if text else type(error).__name__


# --- parsers -------------------------------------------------------------------------------------

def model_parser(command: str, model_id: str, with_trainer: bool = False) -> ArgumentParser:
    """Options of ``command MODEL``: the model's config sections as ``--model.*``/``--data.*``."""
    import datamodules

    parser = ArgumentParser(prog=f"twins {command} {model_id}", exit_on_error=False, description=USAGE)
    parser.add_argument("--config", action=ActionConfigFile, help="a YAML file with model/data/trainer sections")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialisation and batch shuffling")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or banners (for scripts and CI)")
    parser.add_class_arguments(lit_models.REGISTRY[model_id], "model", skip={"input_dim", "input_shape", "vocab_size"})  # given by the datamodule
    parser.add_class_arguments(datamodules.REGISTRY[model_id], "data", skip={"seed"})
    config = load_config(model_id)
    defaults = {f"model.{k}": v for k, v in config["model"].items()}
    defaults |= {f"data.{k}": v for k, v in config["data"].items()}
    if with_trainer:
        from lightning import Trainer

        from twins.training.fit_lightning import TRAINER_DEFAULTS

        parser.add_class_arguments(Trainer, "trainer", instantiate=False)
        defaults |= {f"trainer.{k}": v for k, v in {**TRAINER_DEFAULTS, **config["trainer"]}.items()}
    parser.set_defaults(defaults)
    return parser


def parse(parser: ArgumentParser, args: list[str]):
    if any(a in ("-h", "--help") for a in args):
        parser.print_help()
        raise SystemExit(0)
    return parser.parse_args(args)


def split_model_id(command: str, args: list[str]) -> tuple[str, list[str]]:
    from twins.models import check_model_id

    if not args or args[0].startswith("-"):
        raise UsageError(f"'{command}' needs a model id (see 'twins list')")
    return check_model_id(args[0]), args[1:]


def check_keras_options(parser: ArgumentParser, options) -> None:
    """``--trainer.*`` (but ``max_epochs``) and torch-only model options belong to Lightning."""
    defaults = parser.get_defaults()
    for key, value in vars(options.trainer).items():
        if key != "max_epochs" and value != defaults.trainer[key]:
            raise UsageError(f"--trainer.{key} applies to --framework lightning only")
    for key in lit_models.TORCH_ONLY_ARGS:
        if options.model[key] != defaults.model[key]:
            raise UsageError(f"--model.{key} applies to --framework lightning only")


