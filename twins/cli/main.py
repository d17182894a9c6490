"""``twins``: the command line of the course twins.

(the commands: ``twins.cli.options.USAGE``, printed by ``twins --help`` above this text)

``--model.*`` and ``--data.*`` override the config (``configs/MODEL.yaml``) for both twins;
``--trainer.*`` takes every ``lightning.Trainer`` argument (jsonargparse, LightningCLI style:
``--trainer.logger CSVLogger --trainer.logger.save_dir DIR``, ``--trainer.callbacks+=EarlyStopping
--trainer.callbacks.monitor val/loss``). ``--logger tensorboard|csv`` writes both twins' epoch
curves under ``--out DIR/logs`` with the same tags. ``--quiet`` (every command): no progress bars
or banners, the result and the files written still printed; ``--json`` for machines.
``twins COMMAND [MODEL] --help`` lists a command's options (and the model's).
Bad input ends with one line ``twins: error: ...`` and exit status 2 (``TWINS_DEBUG=1`` shows
the traceback).
"""

from __future__ import annotations

import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

# Nothing here imports torch or TensorFlow: ``--help`` and ``list`` answer at once; ``main`` loads
# the frameworks (torch first) for the commands that need them.
from jsonargparse.typing import NonNegativeInt, PositiveInt

from twins.cli.options import (
    EXIT_BAD_INPUT,
    USAGE,
    UsageError,
    builtin_values,
    check_keras_options,
    command_parser,
    model_parser,
    one_line,
    parse,
    split_model_id,
)
from twins.errors import BadInput, Stopped
from twins.frameworks import import_tensorflow_quietly, import_torch

# --- commands ------------------------------------------------------------------------------------


def cmd_list(args: list[str]) -> int:
    parser = command_parser("twins list")
    parser.add_argument("--json", action="store_true", help='print {"models": [...]} as JSON')
    parser.add_argument(
        "--quiet", action="store_true", help="accepted by every command; the list is the result"
    )
    options = parse(parser, args)
    from twins.registry import model_ids

    ids = model_ids()
    if options.json:
        import json

        print(json.dumps({"models": ids}))
    else:
        print("\n".join(ids))
    return 0


def cmd_summary(args: list[str]) -> int:
    model_id, rest = split_model_id("summary", args)
    parser = model_parser("summary", model_id)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    options = parse(parser, rest)
    from twins.cli.commands import summary

    summary(model_id, options)
    return 0


def cmd_train(args: list[str]) -> int:
    model_id, rest = split_model_id("train", args)
    parser = model_parser("train", model_id, with_trainer=True)
    parser.add_argument(
        "--framework", choices=["lightning", "keras"], required=True, help="the twin to train"
    )
    parser.add_argument("--json", type=str | None, default=None, help="write the result as JSON to this path")
    parser.add_argument(
        "--epochs", type=PositiveInt | None, default=None, help="shorthand for --trainer.max_epochs"
    )
    parser.add_argument(
        "--out", type=str | None, default=None, help="folder for checkpoints (saved every epoch)"
    )
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    parser.add_argument(
        "--keras_strategy",
        choices=["none", "mirrored"],
        default="none",
        help="Keras only: train under tf.distribute.MirroredStrategy",
    )
    add_logger_option(parser)
    options = parse(parser, rest)
    if options.resume and not options.out:
        raise UsageError("--resume needs --out, the folder of the checkpoints to resume from")
    if options.framework == "keras":
        check_keras_options(parser, options)
    elif options.keras_strategy != "none":
        raise UsageError("--keras_strategy applies to --framework keras only")
    check_logger_option(options)
    if options.trainer.max_epochs is not None and options.trainer.max_epochs < 1:
        # Lightning reads -1 as "no limit" and 0 as "no training": neither is a course run.
        raise UsageError("--trainer.max_epochs must be at least 1 (use --epochs N); -1 would train forever")
    from twins.cli.commands import train

    train(model_id, built(parser, options))
    return 0


def cmd_compare(args: list[str]) -> int:
    model_id, rest = split_model_id("compare", args)
    parser = model_parser("compare", model_id, with_trainer=COMPARE_TRAINER_OPTIONS)
    parser.add_argument(
        "--epochs",
        type=PositiveInt | None,
        default=None,
        help="epochs for both twins (default: the config's)",
    )
    parser.add_argument(
        "--out", type=str | None, default=None, help="folder for the loss-curve PNG (and --logger's logs)"
    )
    parser.add_argument("--json", type=str | None, default=None, help="write the result as JSON to this path")
    add_logger_option(parser)
    options = parse(parser, rest)
    check_logger_option(options)
    from twins.cli.commands import compare

    compare(model_id, built(parser, options))
    return 0


#: The ``--trainer.*`` options of ``compare`` (its Lightning twin's loggers and callbacks; the epochs
#: are ``--epochs``, the same for both twins).
COMPARE_TRAINER_OPTIONS = ("logger", "callbacks")


def add_logger_option(parser) -> None:
    parser.add_argument(
        "--logger",
        choices=["tensorboard", "csv"],
        default=None,
        help="write the epoch curves of the twins to --out/logs/<framework>/ under the same tags "
        "(train/loss, val/accuracy, ...): 'tensorboard --logdir OUT/logs' overlays them",
    )


def check_logger_option(options) -> None:
    if options.logger and not options.out:
        raise UsageError(f"--logger {options.logger} needs --out DIR, the folder the logs are written under")


def built(parser, options):
    """``options`` with every class given by name (``--trainer.logger TensorBoardLogger``,
    ``--trainer.callbacks+=EarlyStopping``, ...) instantiated from its class_path/init_args, as
    LightningCLI does; ``--model.*``/``--data.*`` stay values (the twins are built from them)."""
    instantiate = getattr(parser, "instantiate", None) or parser.instantiate_classes
    return builtin_values(instantiate(options))  # instantiate_classes types the values again


def cmd_cluster(args: list[str]) -> int:
    parser = command_parser("twins cluster", description="the course's clustering workflow on Iris")
    parser.add_argument(
        "--seed", type=NonNegativeInt, default=0, help="seed of the K-Means initial centroids"
    )
    parser.add_argument(
        "--batch-size", type=PositiveInt, default=32, help="points per Lloyd batch of the K-Means twins"
    )
    parser.add_argument("--out", type=str | None, default=None, help="folder for the PNG pictures")
    parser.add_argument("--json", type=str | None, default=None, help="write the scores as JSON to this path")
    parser.add_argument(
        "--scale",
        choices=["none", "standard"],
        default="none",
        help="none: the raw measurements in cm, as the course clusters them; standard: standard-scaled",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines; the results are printed")
    options = parse(parser, args)
    from twins.cli.cluster import run

    run(options)
    return 0


def cmd_bench(args: list[str]) -> int:
    parser = command_parser(
        "twins bench",
        description="Lightning vs Keras vs a bare PyTorch loop, seconds per training epoch",
    )
    parser.add_argument("--models", type=str | None, default=None, help="comma-separated ids (default: all)")
    parser.add_argument("--epochs", type=int, default=4, help="epochs per measurement; the first is warm-up")
    parser.add_argument("--json", type=str | None, default=None, help="write the report as JSON to this path")
    parser.add_argument("--out", type=str | None, default=None, help="folder for the bar chart PNG")
    parser.add_argument("--accelerator", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--devices", type=PositiveInt, default=1)
    parser.add_argument(
        "--precision", type=str, default="32-true", help="e.g. bf16-mixed (Lightning and bare torch)"
    )
    parser.add_argument("--channels_last", action="store_true", help="channels-last memory format (torch)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the module (torch)")
    parser.add_argument(
        "--profile",
        choices=["default", "test"],
        default="default",
        help="test: the offline, reduced-size configs of configs/test/ (substitute data)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="download datasets use their labelled offline substitute (digits, synthetic, shapes); "
        "course architecture and batch size",
    )
    parser.add_argument(
        "--steps", type=PositiveInt | None, default=None, help="at most this many training steps per epoch"
    )
    parser.add_argument(
        "--threads",
        type=PositiveInt | None,
        default=None,
        help="CPU threads of every way (torch and TensorFlow alike; default: the frameworks' own)",
    )
    parser.add_argument(
        "--profile-steps",
        type=PositiveInt | None,
        default=None,
        help="print each way's top operators over this many steps of the last epoch (one model)",
    )
    parser.add_argument("--quiet", action="store_true")
    options = parse(parser, args)
    if options.profile_steps and (not options.models or "," in options.models):
        raise UsageError("--profile-steps profiles one model; name it with --models")
    if options.epochs < 2:
        raise UsageError("--epochs must be at least 2: the first epoch is the warm-up")
    from twins.bench.runner import bench

    bench(options)
    return 0


def cmd_pictures(args: list[str]) -> int:
    model_id, rest = split_model_id("pictures", args)
    parser = model_parser("pictures", model_id)
    parser.add_argument(
        "--out", type=str, required=True, help="folder for the pictures (and the DCGAN's checkpoints)"
    )
    parser.add_argument(
        "--epochs",
        type=PositiveInt | None,
        default=None,
        help="epochs for both twins (default: the config's)",
    )
    parser.add_argument("--resume", action="store_true", help="DCGAN: continue from the checkpoints in --out")
    parser.add_argument(
        "--codes",
        type=PositiveInt,
        default=2000,
        help="autoencoders: test images whose codes are mapped to 2-D",
    )
    options = parse(parser, rest)
    from twins.cli.pictures import run

    run(model_id, options)
    return 0


def cmd_featuremaps(args: list[str]) -> int:
    from twins.cli.featuremaps import command

    return command(args)


def cmd_predict(args: list[str]) -> int:
    from twins.cli.predict import command

    return command(args)


COMMANDS = {
    "list": cmd_list,
    "summary": cmd_summary,
    "train": cmd_train,
    "compare": cmd_compare,
    "bench": cmd_bench,
    "cluster": cmd_cluster,
    "pictures": cmd_pictures,
    "featuremaps": cmd_featuremaps,
    "predict": cmd_predict,
}


def needs_tensorflow(args: list[str]) -> bool:
    """Everything but ``list``, help and Lightning-only training touches a Keras twin."""
    lightning_only = args[0] == "train" and "keras" not in args
    return needs_torch(args) and not lightning_only


def needs_torch(args: list[str]) -> bool:
    """``list`` and every ``--help`` read the configs and the source only (no framework)."""
    return args[0] != "list" and not any(a in ("-h", "--help") for a in args[1:])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        title, _pointer, rest = __doc__.strip().split("\n\n", 2)  # the overview lives in options.USAGE
        print(f"{title}\n\n{USAGE}\n\n{rest}")
        return 0 if args else EXIT_BAD_INPUT
    try:
        if args[0] not in COMMANDS:
            raise UsageError(f"unknown command {args[0]!r}; use one of: {', '.join(COMMANDS)}")
        if needs_torch(args):
            import_torch()  # before TensorFlow, always (the reverse order segfaults)
        if needs_tensorflow(args):
            import_tensorflow_quietly()
        return COMMANDS[args[0]](args[1:])
    except KeyboardInterrupt:
        print("twins: interrupted", file=sys.stderr)
        return 130
    except Stopped as stopped:  # SIGTERM (a scheduler's or timeout's kill): a failure, said in one line
        print(f"twins: {stopped}", file=sys.stderr)
        return stopped.exit_status
    except SystemExit as exit_request:
        if not is_sigterm_exception(exit_request):
            raise
        print("twins: stopped by SIGTERM", file=sys.stderr)  # Lightning's, outside twins train
        return 128 + signal.SIGTERM
    except Exception as error:  # every failure ends in one line; TWINS_DEBUG=1 shows the traceback
        if os.environ.get("TWINS_DEBUG"):
            raise
        print(f"twins: error: {one_line(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT if is_bad_input(error) else 1


def is_sigterm_exception(exit_request: SystemExit) -> bool:
    """Lightning's ``SIGTERMException``: a ``SystemExit`` that would end the process with status 0."""
    exceptions = sys.modules.get("lightning.pytorch.utilities.exceptions")
    return exceptions is not None and isinstance(exit_request, exceptions.SIGTERMException)


def is_bad_input(error: BaseException) -> bool:
    """Errors caused by the user's input (exit 2), as opposed to internal failures (exit 1)."""
    from jsonargparse import ArgumentError

    from datamodules.errors import DataError

    return isinstance(error, (BadInput, ArgumentError, DataError))
