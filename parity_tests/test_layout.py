"""lit_models/ ↔ keras_models/ mirror each other file by file; the only exceptions are the
torch-only helpers listed, with their Keras built-in counterparts, in README.md's table."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def unmirrored(side: str, other: str) -> set[str]:
    names = {p.name for p in (ROOT / side).glob("*.py")} - {"__init__.py"}
    return {f"{side}/{name}" for name in names if not (ROOT / other / name).exists()}


def readme_torch_only_table() -> set[str]:
    section = (ROOT / "README.md").read_text().split("### Torch-only modules", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `(lit_models/[\w.]+\.py)` \|", section, flags=re.MULTILINE))


def test_every_twin_file_is_mirrored_or_explained_in_the_readme():
    assert unmirrored("keras_models", "lit_models") == set(), "a Keras file without its Lightning twin"
    assert unmirrored("lit_models", "keras_models") == readme_torch_only_table()
