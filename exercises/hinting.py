"""The hint registry: ``@hint(categories)`` registers a function, ``collect`` runs those that apply.

The hint functions live in ``hints.py`` (traps of a Lightning twin) and ``hints_keras.py`` (traps
of a Keras twin, the reverse exercises); importing them registers them (``grading.py`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import Exercise

# (categories, framework of the participant's twin or "", function)
HINTS: list[tuple[frozenset, str, object]] = []


@dataclass
class Context:
    """What a hint may inspect. ``yours``/``reference``/``twin``: the models of the failing step
    (a component such as the generator when the step is about one); ``whole_*``: the full models."""

    category: str
    error: BaseException
    exercise: Exercise
    yours: object = None
    reference: object = None
    twin: object = None
    whole_yours: object = None
    whole_reference: object = None
    difference: object = None  # trace.Difference of the failing forward/shapes step, when found
    extra: dict = field(default_factory=dict)


def hint(*categories: str, framework: str = ""):
    """Register a hint function for steps of these categories (and one framework, if given)."""

    def register(function):
        HINTS.append((frozenset(categories), framework, function))
        return function

    return register


# category -> function: the hint when no specific one applies (every failing step gets one)
FALLBACKS: dict[str, object] = {}


def fallback(*categories: str):
    """Register the last-resort hint of these step categories."""

    def register(function):
        for category in categories:
            FALLBACKS[category] = function
        return function

    return register


def collect(context: Context) -> list[str]:
    """Every hint that applies to the failing step, each once, in registration order; the
    category's fallback when none does — no failing step goes without a hint."""
    found = []
    for categories, framework, function in HINTS:
        if context.category in categories and framework in ("", context.exercise.write):
            try:
                found += function(context) or []
            except Exception:
                continue
    if not found and context.category in FALLBACKS:
        found = FALLBACKS[context.category](context)
    return list(dict.fromkeys(found))
