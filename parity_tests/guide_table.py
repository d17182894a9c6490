"""A small reader for the tables of ``docs/GUIDE.md``, built so that the guide and its tests cannot drift.

Every table of the guide has the columns ``Keras 3 | PyTorch / Lightning | notes | check``. The
``check`` cell names the row: a local check id (``batchnorm``), optionally followed by references to
other tests (``test_optim.py::test_name``). ``parity_tests/test_guide.py`` registers one function per
local id; the function receives the parsed ``Row`` and reads the row's numbers from the markdown:

- ``row.claim(column, pattern)``: a number the row *states* (a default, a bound, a result). The check
  compares it with what the libraries do; ``mutations()`` edits each claim in turn, and the check
  must then fail.
- ``row.given(column, pattern)``: a number the check *uses* (a layer size, a stride, a patience).

Patterns are regular expressions over the cell's text without backticks; ``{n}`` stands for one
number. Each pattern must match exactly once. After a check has run, ``row.unread()`` lists the
numbers of the row it neither claimed nor used: the suite requires none, so a number added to a
row without its check reading it fails the suite.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

HEADER = ["Keras 3", "PyTorch / Lightning", "notes", "check"]
COLUMNS = ("keras", "torch", "notes")

_NUMBER = r"\d+(?:\.\d+)?(?:[eE][-−+]?\d+)?"
#: A number standing on its own: not part of a name like ``Conv2D``, ``float32``, ``h5`` or ``l0``.
NUMBER = re.compile(rf"(?<![A-Za-z_\d.]){_NUMBER}")
LOCAL_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
REFERENCE = re.compile(r"^(test_\w+\.py)::(test_\w+)$")
_QUOTED = re.compile(r'"[^"]*"')  # string values ("16-mixed", "val_loss") are names, not numbers


class GuideError(ValueError):
    """The guide's markdown does not have the shape the checks rely on."""


class Stated(float):
    """A number read from the guide, remembering how it was written (``0.99``, ``1e-7``)."""

    def __new__(cls, token: str):
        value = super().__new__(cls, float(token.replace("−", "-")))
        value.token = token
        return value


def agrees(stated: Stated, actual: float) -> bool:
    """``actual`` written with the precision of ``stated`` is ``stated``: 16.118 agrees with 16.12."""
    token = stated.token.replace("−", "-")
    if not math.isfinite(float(actual)):
        return False
    mantissa = token.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    style = "e" if "e" in token.lower() else "f"
    return float(f"{float(actual):.{decimals}{style}}") == float(token)


def mutate(token: str) -> str:
    """Changes a number's last mantissa digit (9 → 8, any other d → d + 1): 0.99 → 0.98, 1e-7 → 2e-7."""
    mantissa_end = next((i for i, c in enumerate(token) if c in "eE"), len(token))
    last = max(i for i in range(mantissa_end) if token[i].isdigit())
    digit = token[last]
    return token[:last] + ("8" if digit == "9" else str(int(digit) + 1)) + token[last + 1 :]


@dataclass
class Cell:
    """One cell: its markdown (``raw``) and its text without backticks (``plain``), with the map
    between them."""

    raw: str
    plain: str = field(init=False)
    raw_index: list[int] = field(init=False)  # plain position -> raw position

    def __post_init__(self):
        kept = [(i, c) for i, c in enumerate(self.raw) if c != "`"]
        self.plain = "".join(c for _, c in kept)
        self.raw_index = [i for i, _ in kept]

    def numbers(self) -> dict[int, str]:
        """Start (in ``plain``) -> token of every number standing on its own outside quoted strings."""
        blanked = _QUOTED.sub(lambda m: " " * len(m.group()), self.plain)
        return {m.start(): m.group() for m in NUMBER.finditer(blanked)}

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        return self.raw_index[start], self.raw_index[end - 1] + 1


class Row:
    """One table row: ``cells`` by column (``keras``, ``torch``, ``notes``), its ``check`` id and
    ``references``."""

    def __init__(self, section: str, line: int, cells: list[str], check_cell: str):
        self.section, self.line = section, line
        self.raw_cells = list(cells)
        self.cells = {column: Cell(text) for column, text in zip(COLUMNS, cells)}
        self.check_cell = check_cell
        tokens = re.findall(r"`([^`]*)`", check_cell)
        if re.sub(r"`[^`]*`", "", check_cell).strip(" ,·"):
            raise GuideError(f"line {line}: the check cell holds text outside backticks: {check_cell!r}")
        local = [t for t in tokens if LOCAL_ID.match(t)]
        self.references = [t for t in tokens if REFERENCE.match(t)]
        unknown = [t for t in tokens if t not in local and t not in self.references]
        if unknown or len(local) > 1:
            raise GuideError(
                f"line {line}: a check cell holds at most one id and test references, got {check_cell!r}"
            )
        self.check = local[0] if local else None
        self.read: set[tuple[str, int]] = set()
        self.claims: list[tuple[str, int, int]] = []

    def __repr__(self):
        return f"Row({self.check or self.references}, line {self.line})"

    def text(self, column: str) -> str:
        return self.cells[column].plain

    def has_digit(self) -> bool:
        return any(self.cells[c].numbers() for c in COLUMNS)

    # -- reading numbers ------------------------------------------------------------------------
    def _read(self, column: str, pattern: str, claim: bool):
        cell = self.cells[column]
        count = pattern.count("{n}")
        regex = pattern
        for i in range(count):
            regex = regex.replace("{n}", f"(?P<n{i}>{_NUMBER})", 1)
        matches = list(re.finditer(regex, cell.plain))
        if len(matches) != 1:
            raise GuideError(
                f"row `{self.check}` (line {self.line}): {pattern!r} matches {len(matches)} times "
                f"in the {column} column: {cell.plain!r}"
            )
        numbers = cell.numbers()
        values = []
        for i in range(count):
            start, end = matches[0].span(f"n{i}")
            if numbers.get(start) != cell.plain[start:end]:
                raise GuideError(
                    f"row `{self.check}`: {pattern!r} reads {cell.plain[start:end]!r}, not a whole number"
                )
            self.read.add((column, start))
            if claim:
                self.claims.append((column, start, end))
            values.append(Stated(cell.plain[start:end]))
        return values[0] if count == 1 else tuple(values)

    def claim(self, column: str, pattern: str):
        """The number(s) ``{n}`` of ``pattern`` in ``column``, which the check compares with the libraries."""
        return self._read(column, pattern, claim=True)

    def given(self, column: str, pattern: str):
        """The number(s) ``{n}`` of ``pattern`` in ``column``, which the check uses as inputs."""
        return self._read(column, pattern, claim=False)

    def mentions(self, column: str, text: str) -> str:
        """``text`` as written in ``column`` (a name the check then looks up); fails when absent."""
        if text not in self.cells[column].plain:
            raise GuideError(
                f"row `{self.check}` (line {self.line}): {text!r} is missing from the {column} column"
            )
        return text

    def unread(self) -> list[tuple[str, str]]:
        """``(column, number)`` of every number of the row that the check has not read."""
        return [
            (column, token)
            for column in COLUMNS
            for start, token in self.cells[column].numbers().items()
            if (column, start) not in self.read
        ]

    # -- mutations ------------------------------------------------------------------------------
    def mutations(self):
        """``(description, row)`` for each claim read so far: a fresh row whose number is changed."""
        for column, start, end in self.claims:
            cell = self.cells[column]
            raw_start, raw_end = cell.raw_span(start, end)
            token = cell.raw[raw_start:raw_end]
            cells = list(self.raw_cells)
            index = COLUMNS.index(column)
            cells[index] = cell.raw[:raw_start] + mutate(token) + cell.raw[raw_end:]
            yield (
                f"{column}: {token} -> {mutate(token)}",
                Row(self.section, self.line, cells, self.check_cell),
            )


def split_cells(line: str) -> list[str]:
    """``| a | b \\| c |`` -> ``["a", "b | c"]``."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", body)]


def read_guide(text: str) -> list[Row]:
    """Every body row of every table in ``text``, with the ``##`` section it stands in."""
    rows, section = [], ""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        if not line.lstrip().startswith("|"):
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].lstrip().startswith("|"):
            index += 1
        block = lines[start:index]
        header = split_cells(block[0])
        if header != HEADER:
            raise GuideError(f"line {start + 1}: a table's columns must be {HEADER}, got {header}")
        if len(block) < 2 or not re.fullmatch(r"\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*", block[1].strip()):
            raise GuideError(f"line {start + 2}: the header must be followed by a |---| line")
        for offset, body in enumerate(block[2:]):
            cells = split_cells(body)
            if len(cells) != len(HEADER):
                raise GuideError(f"line {start + 3 + offset}: {len(cells)} cells, expected {len(HEADER)}")
            rows.append(Row(section, start + 3 + offset, cells[:3], cells[3]))
    return rows
