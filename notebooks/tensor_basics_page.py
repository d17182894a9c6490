"""The parser of docs/TENSOR_BASICS.md: sections, topics, prose and labelled ``python`` blocks.

Used by ``make_00_tensor_basics.py`` (the notebook generated from the page) and by
``parity_tests/test_tensor_basics.py`` (which executes every block). Standard library only.

The page's format: each ``### topic`` (inside a ``## section``) has a line
``**Result dtype:** numpy `float64` · tensorflow `float32` · pytorch `float32``` and three fenced
``python`` blocks whose first lines are ``# numpy``, ``# tensorflow``, ``# pytorch``; one
``# setup`` block before the sections holds the imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "TENSOR_BASICS.md"
NOTEBOOK = ROOT / "notebooks" / "00_tensor_basics.ipynb"
PAGE_NAME = DOC.name
FRAMEWORKS = ("numpy", "tensorflow", "pytorch")
DTYPE_LINE = re.compile(r"^\*\*Result dtype:\*\* (.+)$")
DTYPE_PART = re.compile(r"^(\w+) (`[\w]+`(?:, `[\w]+`)*)$")


@dataclass
class Topic:
    """One ``###`` example: its prose (markdown without the code), promised dtypes and code blocks."""

    section: str
    title: str
    prose: list[str] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (label, code), in page order

    @property
    def dtypes(self) -> dict[str, tuple[str, ...]]:
        """framework -> dtype names, read from the ``**Result dtype:**`` line (empty when absent)."""
        for line in self.prose:
            match = DTYPE_LINE.match(line)
            if match:
                parts = [DTYPE_PART.match(part.strip()) for part in match.group(1).split("·")]
                return {p.group(1): tuple(re.findall(r"`(\w+)`", p.group(2))) for p in parts if p}
        return {}

    def code(self, label: str) -> str:
        return next(code for block_label, code in self.blocks if block_label == label)

    @property
    def markdown(self) -> str:
        return join_prose(self.prose)


@dataclass
class Section:
    title: str
    prose: list[str] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # must stay empty: code belongs to topics
    topics: list[Topic] = field(default_factory=list)


@dataclass
class Page:
    title: str = ""
    prose: list[str] = field(default_factory=list)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # the setup block
    sections: list[Section] = field(default_factory=list)

    @property
    def setup(self) -> str:
        return "\n".join(code for label, code in self.blocks if label == "setup")

    @property
    def topics(self) -> list[Topic]:
        return [topic for section in self.sections for topic in section.topics]


def join_prose(lines: list[str]) -> str:
    """Markdown text with the code blocks cut out: runs of blank lines collapsed, ends stripped."""
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def parse_page(text: str) -> Page:
    """Split the page into sections, topics, prose and labelled ``python`` blocks."""
    page = Page()
    container = page  # what receives the next prose line or block
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("```"):
            if line.strip() != "```python":
                raise ValueError(f"{PAGE_NAME}: only ```python fences are supported, found {line!r}")
            code_lines = []
            for inner in lines:
                if inner.startswith("```"):
                    break
                code_lines.append(inner)
            else:
                raise ValueError(
                    f"{PAGE_NAME}: a code block under {getattr(container, 'title', '')!r} is never closed"
                )
            label = (
                code_lines[0].removeprefix("#").strip()
                if code_lines and code_lines[0].startswith("#")
                else ""
            )
            container.blocks.append((label, "\n".join(code_lines)))
        elif line.startswith("### "):
            container = Topic(section=page.sections[-1].title, title=line[4:].strip())
            page.sections[-1].topics.append(container)
        elif line.startswith("## "):
            container = Section(title=line[3:].strip())
            page.sections.append(container)
        elif line.startswith("# "):
            page.title = line[2:].strip()
        else:
            container.prose.append(line)
    return page
