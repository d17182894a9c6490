"""docs/TENSOR_BASICS.md, executed: NumPy, TensorFlow and PyTorch give the same ``result``.

The markdown is the only source of the examples, so the page and its tests cannot drift apart.
Its format: each ``### topic`` (inside a ``## section``) has a line
``**Result dtype:** numpy `float64` · tensorflow `float32` · pytorch `float32``` (comma-separated
dtypes when ``result`` is a tuple) and three fenced ``python`` blocks whose first lines are
``# numpy``, ``# tensorflow``, ``# pytorch``. One ``# setup`` block before the sections holds the
imports. Each block runs in a fresh namespace that holds only what the setup block defines.
"""

import torch  # noqa: I001  - before TensorFlow, always (the reverse order segfaults)

import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import tensorflow as tf

# the page parser lives beside its notebook
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "notebooks"))
from tensor_basics_page import DOC, FRAMEWORKS, NOTEBOOK, Page, Topic, parse_page

#: The course's tensor topics (issue 8) that the page must cover, as its ``##`` headings.
REQUIRED_SECTIONS = (
    "Creation",
    "dtype",
    "Shape",
    "Indexing and slicing",
    "Arithmetic",
    "Conversion to and from NumPy",
    "Matrix multiplication",
    "Reductions",
    "Broadcasting",
    "Gradients (bonus)",
)
#: float32 (TensorFlow, PyTorch) against float64 (NumPy) on these small examples: measured ≤ 5.7e-8
#: relative (Standardising columns); a wrong example is off by far more.
RTOL, ATOL = 1e-6, 1e-6
NATIVE_TYPES = {
    "numpy": (np.ndarray, np.generic),
    "tensorflow": (tf.Tensor, tf.Variable),
    "pytorch": (torch.Tensor,),
}


def structure_problems(page: Page) -> list[str]:
    """Everything that keeps a topic from being checked: missing blocks, labels or dtype lines."""
    problems = []
    if [label for label, _ in page.blocks] != ["setup"]:
        problems.append(
            "before the first section: expected one '# setup' block, "
            f"found {[label for label, _ in page.blocks]}"
        )
    missing = [title for title in REQUIRED_SECTIONS if title not in [s.title for s in page.sections]]
    if missing:
        problems.append(f"sections missing: {missing}")
    for section in page.sections:
        if section.blocks:
            problems.append(f"## {section.title}: code outside a ### topic")
        if not section.topics:
            problems.append(f"## {section.title}: no ### topic")
    for topic in page.topics:
        labels = tuple(label for label, _ in topic.blocks)
        if labels != FRAMEWORKS:
            problems.append(
                f"### {topic.title}: blocks labelled {labels}, expected {FRAMEWORKS} in that order"
            )
        dtypes = topic.dtypes
        if sorted(dtypes) != sorted(FRAMEWORKS):
            problems.append(
                f"### {topic.title}: no readable '**Result dtype:**' line for all of {FRAMEWORKS}"
            )
        elif len({len(names) for names in dtypes.values()}) != 1:
            problems.append(
                f"### {topic.title}: the dtype line lists different numbers of results per framework"
            )
        for label, code in topic.blocks:
            if not re.search(r"^result = ", code, re.MULTILINE):
                problems.append(f"### {topic.title} [{label}]: never assigns `result`")
    return problems


def run_block(page: Page, topic: Topic, label: str):
    """``result`` of one block, run after the setup block in a namespace of its own."""
    namespace: dict = {"__name__": "tensor_basics"}
    exec(compile(page.setup, f"{DOC.name} [setup]", "exec"), namespace)
    try:
        exec(compile(topic.code(label), f"{DOC.name} / {topic.title} [{label}]", "exec"), namespace)
    except Exception as error:  # a failing example is a failed check, with the topic in the message
        raise AssertionError(f"{topic.title} [{label}]: the block raised {error!r}") from error
    if "result" not in namespace:
        raise AssertionError(f"{topic.title} [{label}]: the block does not define `result`")
    return namespace["result"]


def dtype_name(value, label: str) -> str:
    """'float32' for np.float32, tf.float32 and torch.float32 alike."""
    return str(value.dtype).removeprefix("torch.") if label == "pytorch" else value.dtype.name


def as_numpy(value, label: str) -> np.ndarray:
    return value.detach().cpu().numpy() if label == "pytorch" else np.asarray(value)


def check_topic(page: Page, topic: Topic) -> None:
    """Each framework's ``result`` has the promised dtypes and its own tensor type; all three have
    NumPy's shapes and values."""
    promised = topic.dtypes
    arrays = {}
    for label in FRAMEWORKS:
        result = run_block(page, topic, label)
        parts = list(result) if isinstance(result, tuple) else [result]
        where = f"{topic.title} [{label}]"
        assert len(parts) == len(promised[label]), (
            f"{where}: {len(parts)} results, the dtype line lists {len(promised[label])}"
        )
        for part in parts:
            assert isinstance(part, NATIVE_TYPES[label]), (
                f"{where}: result is a {type(part).__name__}, not a {label} tensor"
            )
        dtypes = tuple(dtype_name(part, label) for part in parts)
        assert dtypes == promised[label], f"{where}: dtype {dtypes}, the text promises {promised[label]}"
        arrays[label] = [as_numpy(part, label) for part in parts]
    for label in FRAMEWORKS[1:]:
        for index, (expected, actual) in enumerate(zip(arrays["numpy"], arrays[label])):
            where = f"{topic.title} [{label}] result {index}"
            assert actual.shape == expected.shape, (
                f"{where}: shape {actual.shape}, numpy's is {expected.shape}"
            )
            assert np.allclose(
                actual.astype(np.float64), expected.astype(np.float64), rtol=RTOL, atol=ATOL
            ), f"{where}: values {actual.tolist()} differ from numpy's {expected.tolist()}"


PAGE = parse_page(DOC.read_text(encoding="utf-8"))


def test_the_page_has_every_topic_with_three_blocks_and_a_dtype_line():
    assert structure_problems(PAGE) == []
    assert len(PAGE.topics) >= 30
    setup = PAGE.setup
    assert setup.index("import torch") < setup.index("import tensorflow"), (
        "the setup block must import torch first"
    )


@pytest.mark.parametrize("topic", PAGE.topics, ids=[f"{t.section}/{t.title}" for t in PAGE.topics])
def test_numpy_tensorflow_and_pytorch_agree(topic):
    check_topic(PAGE, topic)


def topic_span(text: str, title: str) -> tuple[int, int]:
    """Character range of topic ``title``: from its heading to the next heading outside code."""
    start = text.index(f"\n### {title}\n") + 1
    offset, in_code = start, False
    for line in text[start:].splitlines(keepends=True):
        in_code ^= line.startswith("```")
        if offset > start and not in_code and line.startswith("#"):
            return start, offset
        offset += len(line)
    return start, len(text)


def edited_page(title: str, old: str, new: str, label: str | None = None) -> Page:
    """The page with ``old`` replaced once inside topic ``title`` (only in its ``label`` block if given)."""
    text = DOC.read_text(encoding="utf-8")
    start, end = topic_span(text, title)
    if label is not None:
        start = text.index(f"```python\n# {label}\n", start, end)
        end = text.index("\n```", start + 1)
    span = text[start:end]
    assert span.count(old) == 1, f"the edit expects {old!r} once in {title} [{label}]"
    return parse_page(text[:start] + span.replace(old, new) + text[end:])


WRONG_EXAMPLES = {
    # id: (topic, block or None for the prose, old, new, what the check must report)
    "wrong value": ("From Python lists", "pytorch", "4.0]]", "4.5]]", "values"),
    "wrong shape": (
        "Add an axis: expand_dims and unsqueeze",
        "pytorch",
        "unsqueeze(-1)",
        "unsqueeze(0)",
        "shape",
    ),
    "wrong dtype in code": ("Casting", "numpy", "astype(np.int32)", "astype(np.int64)", "dtype"),
    "text promises the wrong dtype": (
        "Defaults from Python numbers",
        None,
        "tensorflow `float32`, `int32`",
        "tensorflow `float32`, `int64`",
        "dtype",
    ),
    "a NumPy array from the TensorFlow block": (
        "Tensor to NumPy and back",
        "tensorflow",
        "tf.convert_to_tensor(arr * 2)",
        "arr * 2",
        "not a tensorflow tensor",
    ),
    "an inline assert stops holding": (
        "Shared memory",
        "pytorch",
        "shared = torch.from_numpy(arr)",
        "shared = torch.tensor(arr)",
        "raised AssertionError",
    ),
}


@pytest.mark.parametrize("case", WRONG_EXAMPLES, ids=list(WRONG_EXAMPLES))
def test_a_wrong_example_fails_the_check(case):
    title, label, old, new, message = WRONG_EXAMPLES[case]
    check_topic(PAGE, next(t for t in PAGE.topics if t.title == title))  # the original passes
    page = edited_page(title, old, new, label)
    with pytest.raises(AssertionError, match=message):
        check_topic(page, next(t for t in page.topics if t.title == title))


def test_a_missing_block_or_dtype_line_is_reported():
    without_block = edited_page(
        "Identity matrix: eye", "```python\n# tensorflow\nresult = tf.eye(3)\n```\n", ""
    )
    assert any("Identity matrix" in p and "expected" in p for p in structure_problems(without_block))
    without_dtypes = edited_page("Identity matrix: eye", "**Result dtype:**", "Result dtype:")
    assert any("Identity matrix" in p and "dtype" in p for p in structure_problems(without_dtypes))


def notebook_headings(notebook) -> list[str]:
    return [
        cell.source.splitlines()[0]
        for cell in notebook.cells
        if cell.cell_type == "markdown" and cell.source.startswith("#")
    ]


def test_the_notebook_holds_the_pages_examples_without_outputs():
    """notebooks/00_tensor_basics.ipynb is generated from the page (notebooks/make_00_tensor_basics.py):
    the same code in the same order, each cell ending by displaying ``result``."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    hint = "regenerate it: python notebooks/make_00_tensor_basics.py"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    expected = [PAGE.setup] + [
        f"{topic.code(label)}\nresult" for topic in PAGE.topics for label in FRAMEWORKS
    ]
    assert [cell.source for cell in code_cells] == expected, (
        f"the notebook's code differs from {DOC.name}: {hint}"
    )
    page_headings = [f"# {PAGE.title}"] + [
        heading for s in PAGE.sections for heading in [f"## {s.title}"] + [f"### {t.title}" for t in s.topics]
    ]
    assert notebook_headings(notebook) == page_headings, hint
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code_cells), (
        "outputs must be stripped"
    )
    assert notebook.metadata.kernelspec.name == "python3"
