"""The import graph of the product packages, read from the source (ast, nothing executed): no
cycles, no product module importing the tests, and ``twins list``'s modules free of the frameworks.

Every import statement counts, at module level or inside a function (a lazy import still ties
two modules together); ``from package import name`` is an edge to ``package.name`` when that
is a module, else to ``package``.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("twins", "lit_models", "keras_models", "datamodules", "configs", "exercises")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PRODUCT for path in (ROOT / package).rglob("*.py")}


def imports_of(name: str, path: Path, known) -> set[str]:
    """The modules ``name`` (at ``path``) imports, resolved to absolute dotted names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = product_modules()
    return {
        name: {m for m in imports_of(name, path, modules) if m in modules and m != name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, ..., a]``, or ``None`` (depth-first search)."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_product_packages_have_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = import_graph()
    graph["twins.io"] = graph["twins.io"] | {"twins.cli.main"}  # cli.main imports twins.io (indirectly)
    assert find_cycle(graph) is not None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_product_module_imports_the_tests_or_a_script():
    for name, path in product_modules().items():
        forbidden = {
            m
            for m in imports_of(name, path, {})
            if m.split(".")[0] in ("parity_tests", "scripts", "notebooks")
        }
        assert not forbidden, f"{name} imports {sorted(forbidden)}"
