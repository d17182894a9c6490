"""Strip Jupyter notebooks before committing them (``parity_tests/test_notebooks.py`` checks it).

    python scripts/strip_notebooks.py [NOTEBOOK ...]          # default: notebooks/*.ipynb, in place
    python scripts/strip_notebooks.py --check [NOTEBOOK ...]  # change nothing; exit 1 naming unstripped ones

Removes every code cell's outputs and execution count, the timings nbclient/Jupyter store in cell
metadata, and widget state; the kernelspec becomes the plain ``python3`` one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def stripped(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` without outputs, execution counts, timings and widget state (changed in place)."""
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not stripped")
    options = parser.parse_args(argv)
    unstripped = []
    for path in options.notebooks or sorted(NOTEBOOKS.glob("*.ipynb")):
        before = path.read_text(encoding="utf-8")
        notebook = stripped(nbformat.reads(before, as_version=4))
        after = nbformat.writes(notebook) + "\n"
        if after != before:
            unstripped.append(path)
            if not options.check:
                path.write_text(after, encoding="utf-8")
    verb = "not stripped" if options.check else "stripped"
    for path in unstripped:
        print(f"{verb}: {path}")
    return 1 if options.check and unstripped else 0


if __name__ == "__main__":
    sys.exit(main())
