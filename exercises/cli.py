"""``exercise``: start and check the framework-comparison exercises.

    exercise list [--json]
    exercise start ID [--dir DIR]
    exercise check ID [--file PATH | --solution | --skeleton] [--json PATH]

``check`` exits 0 when every step passes, 1 when a step fails; bad input (an unknown id, a
missing file) ends with one line ``exercise: error: ...`` and exit status 2.
``EXERCISE_DEBUG=1`` prints the traceback of a failing step.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

from .catalogue import BY_ID, EXERCISES, skeleton_path

EXIT_FAILED, EXIT_BAD_INPUT = 1, 2
DEFAULT_DIR = "my_exercises"


class ExerciseError(ValueError):
    """Bad input: one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing its usage: every error is one line."""

    def error(self, message):
        raise ExerciseError(message)


def make_parser() -> Parser:
    parser = Parser(prog="exercise", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,start,check}")
    listing = commands.add_parser("list", help="the exercises in course order")
    listing.add_argument(
        "--json", action="store_true", help="a JSON list of {id, day, topic, reference, write}"
    )
    start = commands.add_parser("start", help="copy an exercise's skeleton to DIR/ID.py (never overwrites)")
    start.add_argument("id")
    start.add_argument("--dir", default=DEFAULT_DIR, help=f"where to put it (default {DEFAULT_DIR}/)")
    check = commands.add_parser("check", help="grade your twin against the reference twin")
    check.add_argument("id")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--file", type=Path, help=f"your file (default {DEFAULT_DIR}/ID.py)")
    source.add_argument(
        "--solution", action="store_true", help="grade the project's reference solution (passes)"
    )
    source.add_argument("--skeleton", action="store_true", help="grade the pristine skeleton (fails)")
    check.add_argument("--json", type=Path, metavar="PATH", help="also write the steps as JSON to PATH")
    return parser


def exercise_of(exercise_id: str):
    if exercise_id not in BY_ID:
        raise ExerciseError(f"unknown exercise {exercise_id!r}; valid ids: {', '.join(BY_ID)}")
    return BY_ID[exercise_id]


# --- commands ------------------------------------------------------------------------------------


def cmd_list(args) -> int:
    if args.json:
        print(json.dumps([exercise.record() for exercise in EXERCISES], indent=2, ensure_ascii=False))
        return 0
    print(f"{'day':<4} {'id':<12} {'you write':<10} {'reference':<21} topic: what it teaches")
    for e in EXERCISES:
        print(f"{e.day:<4} {e.id:<12} {e.write:<10} {e.reference:<21} {e.topic}: {e.teaches}")
    return 0


def cmd_start(args) -> int:
    exercise = exercise_of(args.id)
    target = Path(args.dir) / f"{exercise.id}.py"
    if target.exists():
        raise ExerciseError(
            f"{target} exists already and is never overwritten: check it with "
            f"`exercise check {exercise.id}{_file_flag(target)}`, or move it away to start afresh"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with resources.as_file(skeleton_path(exercise.id)) as skeleton:
        shutil.copyfile(skeleton, target)
    print(
        f"copied the {exercise.id} skeleton to {target}: "
        "replace each TODO (`raise NotImplementedError(...)`) by your code,"
    )
    print(f"then run: exercise check {exercise.id}{_file_flag(target)}")
    return 0


def _file_flag(target: Path) -> str:
    return "" if target == Path(DEFAULT_DIR) / target.name else f" --file {target}"


def _source(args, exercise, stack) -> Path | None:
    """The file to grade (None: the reference solution)."""
    if args.solution:
        return None
    if args.skeleton:
        return stack.enter_context(resources.as_file(skeleton_path(exercise.id)))
    path = args.file or Path(DEFAULT_DIR) / f"{exercise.id}.py"
    if not path.is_file():
        hint = f"run `exercise start {exercise.id}` first" if args.file is None else "check the path"
        raise ExerciseError(f"{path} does not exist: {hint}")
    return path


def again(args) -> str:
    """The command to run once a step is fixed: the one that was run (its --file, --json)."""
    import shlex

    flags = [f"--file {shlex.quote(str(args.file))}"] if args.file else []
    flags += ["--solution"] if args.solution else []
    flags += ["--skeleton"] if args.skeleton else []
    flags += [f"--json {shlex.quote(str(args.json))}"] if args.json else []
    return " ".join(["exercise check", args.id, *flags])


def cmd_check(args) -> int:
    import contextlib

    exercise = exercise_of(args.id)
    if args.json and not args.json.parent.is_dir():
        raise ExerciseError(f"cannot write {args.json}: the folder {args.json.parent} does not exist")
    with contextlib.ExitStack() as stack:
        path = _source(args, exercise, stack)
        # torch and torchvision first, then TF with its start-up lines muted
        from twins.frameworks import import_tensorflow_quietly

        import_tensorflow_quietly()
        from .grading import grade
        from .report import header, step_lines, summary, write_json

        print(header(exercise, path), flush=True)
        result = grade(exercise, path, on_step=lambda step: print("\n".join(step_lines(step)), flush=True))
        print(summary(result, exercise, again(args)))
    if args.json:
        write_json(result, args.json)
    return 0 if result.passed else EXIT_FAILED


COMMANDS = {"list": cmd_list, "start": cmd_start, "check": cmd_check}


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (the console script exits with it)."""
    try:
        args = make_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except ExerciseError as error:
        print(f"exercise: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        if os.environ.get("EXERCISE_DEBUG"):
            raise
        from twins.errors import BadInput

        print(
            "exercise: error: "
            f"{str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT if isinstance(error, BadInput) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
