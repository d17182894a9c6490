"""The result of a grading: a checklist on the terminal, and the ``--json`` record.

exercise cnn · your Lightning twin (my_exercises/cnn.py) against the Keras twin of mnist_cnn
  ✓ loads                                ConvClassifier found in my_exercises/cnn.py
  ✗ output shapes                        output shapes differ: keras (16, 10), lightning (16, 12)
      hint: Linear layer 2 ('classifier.3') has 12 units, reference 10
  · parameter counts                      not run: an earlier step failed
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .catalogue import Exercise

MARKS = {True: "✓", False: "✗", None: "·"}
NAME_WIDTH = 41
NOT_RUN = "not run: an earlier step failed"


@dataclass
class StepResult:
    """One step: ``passed`` is None when it did not run (an earlier step failed)."""

    name: str
    passed: bool | None
    message: str
    hints: list[str] = field(default_factory=list)


@dataclass
class Grade:
    exercise: str
    passed: bool
    steps: list[StepResult]

    def record(self) -> dict:
        """``{"exercise", "passed", "steps": [{"name", "passed", "message", "hints"}]}``."""
        return {
            "exercise": self.exercise,
            "passed": self.passed,
            "steps": [asdict(step) for step in self.steps],
        }


def header(exercise: Exercise, path: Path | None) -> str:
    framework = {"lightning": "Lightning", "keras": "Keras"}
    source = (
        f"your {framework[exercise.write]} twin ({path})"
        if path
        else f"the reference solution ({exercise.module})"
    )
    return (
        f"exercise {exercise.id} · {source} against the "
        f"{framework[exercise.other]} twin of {exercise.reference}"
    )


def step_lines(step: StepResult) -> list[str]:
    lines = [f"  {MARKS[step.passed]} {step.name:<{NAME_WIDTH}} {step.message}"]
    return lines + [f"      hint: {text}" for text in step.hints]


def summary(grade: Grade, exercise: Exercise, command: str | None = None) -> str:
    """The last line; ``command``: the exact command that was run, repeated in the footer."""
    ran = [s for s in grade.steps if s.passed is not None]
    if grade.passed:
        return f"✓ all {len(grade.steps)} steps passed: your twin is the reference's twin."
    failed = next(s for s in ran if not s.passed)
    return (
        f"✗ step {len(ran)} of {len(grade.steps)} failed ({failed.name}). Fix it, then run "
        f"`{command or f'exercise check {exercise.id}'}` again."
    )


def write_json(grade: Grade, path: Path) -> None:
    """Write the record to a temporary name, then rename: never a half-written file."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(grade.record(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)
