"""``--help`` of every command without importing torch or TensorFlow.

A model's ``--model.*``/``--data.*`` options (and ``--trainer.*``, Lightning's ``Trainer``) are
the constructor arguments of its registered classes. The real parse hands those classes to
jsonargparse, which imports them (torch, Lightning: seconds); help reads the same signatures
and ``Args:`` docstrings from the SOURCE files instead (``ast``, nothing executed), so
``twins train MODEL --help`` answers at once. A test compares what this module finds with the
real parser's options and defaults, for every registered model.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import inspect
import re
import shutil
import textwrap
from argparse import SUPPRESS
from dataclasses import dataclass
from pathlib import Path

#: Marks a constructor argument without a default (the option is required).
REQUIRED = "required"
#: The class whose arguments ``--trainer.*`` takes (jsonargparse is given ``lightning.Trainer``).
TRAINER = "lightning.pytorch.trainer.trainer.Trainer"


class SourceNotFound(LookupError):
    """A module or a name that the source files do not define."""


@dataclass(frozen=True)
class Parameter:
    """One constructor argument, as the help prints it."""

    name: str
    type: str  # the annotation as written; a Literal as {a,b}
    default: object  # REQUIRED when the signature gives none
    doc: str  # the first sentence of its ``Args:`` entry


# --- reading the source --------------------------------------------------------------------------


def module_file(module: str) -> Path:
    """The source file of ``module``, found without importing it or its packages: ``find_spec``
    of the top-level package only (which runs nothing), then its search path."""
    top, *rest = module.split(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise SourceNotFound(f"no module named {top!r}")
    if not rest:
        return Path(spec.origin)
    for location in spec.submodule_search_locations or ():
        base = Path(location).joinpath(*rest)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    raise SourceNotFound(f"no source file for module {module!r}")


@functools.cache
def module_tree(module: str) -> ast.Module:
    return ast.parse(module_file(module).read_text(encoding="utf-8"))


def absolute_module(module: str, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` in ``module`` names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    package = module if module_file(module).name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def definition(module: str, name: str, depth: int = 0) -> tuple[str, ast.AST]:
    """``(module, node)``: the class or assignment ``name`` is in ``module``, following
    ``from X import name`` (re-exports such as ``lightning.Trainer``)."""
    if depth > 8:
        raise SourceNotFound(f"{module}.{name}: too many re-exports")
    for node in module_tree(module).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return module, node
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return module, node
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return definition(absolute_module(module, node), alias.name, depth + 1)
    raise SourceNotFound(f"{module} defines no {name!r}")


def base_classes(module: str, node: ast.ClassDef) -> list[tuple[str, ast.ClassDef]]:
    """The bases of ``node`` defined in the same top-level package (the project's own classes;
    a framework's base classes take no option of ours)."""
    found = []
    for base in node.bases:
        if not isinstance(base, ast.Name):
            continue
        try:
            where, target = definition(module, base.id)
        except SourceNotFound:
            continue
        if isinstance(target, ast.ClassDef) and where.split(".")[0] == module.split(".")[0]:
            found.append((where, target))
    return found


# --- docstrings ----------------------------------------------------------------------------------


def plain(text: str) -> str:
    """reST markup removed: ``code`` and :class:`~a.B` become code and B."""
    text = re.sub(r":\w+:`~?([^`]+)`", lambda m: m.group(1).rpartition(".")[2], text)
    return text.replace("``", "").replace("**", "")


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text.strip(), maxsplit=1)[0]


def argument_docs(docstring: str | None) -> dict[str, str]:
    """``{name: text}`` of the Google-style ``Args:`` section of ``docstring``; an entry
    ``a / b: text`` documents both ``a`` and ``b``."""
    docs: dict[str, str] = {}
    names: list[str] = []
    indent = None
    inside = False
    for line in inspect.cleandoc(docstring or "").splitlines():
        stripped, level = line.strip(), len(line) - len(line.lstrip())
        if stripped in ("Args:", "Arguments:", "Parameters:"):
            inside, indent, names = True, None, []
            continue
        if not inside or not stripped:
            continue
        if level == 0:  # the next section (Returns:, Example:, ...)
            inside = False
            continue
        indent = level if indent is None else indent
        entry = re.match(r"([\w*]+(?:\s*/\s*[\w*]+)*)\s*(?:\([^)]*\))?:\s*(.*)", stripped)
        if level == indent and entry:
            names = [name.strip().lstrip("*") for name in entry.group(1).split("/")]
            for name in names:
                docs[name] = entry.group(2)
        elif level > indent:
            for name in names:
                docs[name] = f"{docs[name]} {stripped}".strip()
    return {name: first_sentence(plain(text)) for name, text in docs.items()}


# --- signatures ----------------------------------------------------------------------------------


def type_text(module: str, annotation: ast.expr | None) -> str:
    """The annotation as written; a ``Literal`` (or a name assigned one) as ``{a,b}``."""
    if annotation is None:
        return ""
    node = annotation
    if isinstance(node, ast.Name):
        try:
            _, target = definition(module, node.id)
            if isinstance(target, ast.Assign):
                node = target.value
        except SourceNotFound:
            pass
    if (
        isinstance(node, ast.Subscript)
        and getattr(node.value, "id", getattr(node.value, "attr", "")) == "Literal"
    ):
        values = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return "{" + ",".join(str(ast.literal_eval(v)) for v in values) + "}"
    return ast.unparse(annotation)


def default_value(module: str, node: ast.expr | None):
    """A default as its value: a literal, or a module constant assigned one (``url=URL``);
    anything else as its source text."""
    if node is None:
        return REQUIRED
    if isinstance(node, ast.Name):
        try:
            _, target = definition(module, node.id)
            node = target.value if isinstance(target, ast.Assign) else node
        except SourceNotFound:
            pass
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def init_signature(module: str, node: ast.ClassDef) -> list[Parameter]:
    """The constructor arguments of the class ``node`` (its own ``__init__`` or the first base
    class's), without docs; ``**kwargs`` passes the base class's arguments on."""
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        bases = base_classes(module, node)
        return init_signature(*bases[0]) if bases else []
    arguments = init.args
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    pairs = list(zip(positional, defaults))[1:] + list(zip(arguments.kwonlyargs, arguments.kw_defaults))
    found = [
        Parameter(a.arg, type_text(module, a.annotation), default_value(module, d), "") for a, d in pairs
    ]
    if arguments.kwarg is not None:
        own = {p.name for p in found}
        for base in base_classes(module, node)[:1]:
            found += [p for p in init_signature(*base) if p.name not in own]
    return found


def class_docs(module: str, node: ast.ClassDef) -> dict[str, str]:
    """``Args:`` entries of the class, its ``__init__`` and its own base classes (nearest first)."""
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    docs = {**argument_docs(ast.get_docstring(node)), **argument_docs(init and ast.get_docstring(init))}
    for base in base_classes(module, node):
        docs = {**class_docs(*base), **docs}
    return docs


@functools.cache
def class_parameters(path: str) -> tuple[Parameter, ...]:
    """The constructor arguments of the class at import path ``path``, read from its source."""
    module, _, name = path.rpartition(".")
    module, node = definition(module, name)
    if not isinstance(node, ast.ClassDef):
        raise SourceNotFound(f"{path} is not a class")
    docs = class_docs(module, node)
    return tuple(
        Parameter(p.name, p.type, p.default, docs.get(p.name, "")) for p in init_signature(module, node)
    )


def module_constant(module: str, name: str):
    """The literal value assigned to ``name`` in ``module``'s source (e.g. ``TRAINER_DEFAULTS``)."""
    _, node = definition(module, name)
    return ast.literal_eval(node.value)


# --- the option sections of a command ------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """The options of one group: ``--model.*`` from the Lightning twin, ``--data.*``, ``--trainer.*``."""

    prefix: str
    title: str
    parameters: tuple[Parameter, ...]


def model_sections(model_id: str, trainer=False) -> list[Section]:
    """The ``--model.*`` / ``--data.*`` (/ ``--trainer.*``) options of ``model_id`` with the
    defaults the real parse uses: the signature's, then ``configs/<id>.yaml``'s."""
    from configs import config_path, load_config
    from twins.registry import DATA_GIVEN_ARGUMENTS, spec

    model_spec, config = spec(model_id), load_config(model_id)
    where = config_path(model_id)
    sections = [
        Section(
            "model",
            f"--model.* : {model_spec.lightning} (its Keras twin {model_spec.keras} takes the same); "
            f"defaults from {where.name}; {', '.join(DATA_GIVEN_ARGUMENTS)} come from the data",
            with_defaults(class_parameters(model_spec.lightning), config["model"], DATA_GIVEN_ARGUMENTS),
        ),
        Section(
            "data",
            f"--data.* : {model_spec.datamodule}; the batches of both twins",
            with_defaults(class_parameters(model_spec.datamodule), config["data"], ("seed",)),
        ),
    ]
    if trainer:
        defaults = {
            **module_constant("twins.training.fit_lightning", "TRAINER_DEFAULTS"),
            **config["trainer"],
        }
        sections.append(trainer_section(defaults, trainer))
    return sections


def trainer_section(defaults: dict, which) -> Section:
    """``--trainer.*``: every ``lightning.Trainer`` argument (``which=True``) or the named ones."""
    parameters = class_parameters(TRAINER)
    if which is not True:
        parameters = tuple(p for p in parameters if p.name in which)
    what = "lightning.Trainer" if which is True else f"lightning.Trainer's {', '.join(which)}"
    title = (
        f"--trainer.* : {what}, for the Lightning twin; classes by name with their arguments, as in "
        "LightningCLI (--trainer.logger TensorBoardLogger --trainer.logger.save_dir DIR, "
        "--trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss)"
    )
    return Section("trainer", title, with_defaults(parameters, defaults, ()))


def with_defaults(parameters, overrides: dict, skip) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(p.name, p.type, overrides.get(p.name, p.default), p.doc)
        for p in parameters
        if p.name not in skip
    )


# --- printing ------------------------------------------------------------------------------------


def shown(value) -> str:
    if value is REQUIRED:
        return REQUIRED
    return "null" if value is None else str(value)


def table(rows: list[tuple[str, str, str, str]], width: int) -> list[str]:
    """``--name  type  default  doc`` rows, the first three aligned in columns; the doc wraps in
    its column, or goes on the lines below, indented, where the columns leave it too little room."""
    column = [min(max((len(r[i]) for r in rows), default=0), cap) for i, cap in enumerate((36, 20, 14))]
    lines = []
    for name, kind, default, doc in rows:
        head = f"  {name:<{column[0]}}  {kind:<{column[1]}}  {default:<{column[2]}}  "
        room = width - len(head)
        if room >= 40 or len(doc) <= room:
            wrapped = textwrap.wrap(doc, max(room, 40)) or [""]
            lines.append((head + wrapped[0]).rstrip())
            lines += [" " * len(head) + more for more in wrapped[1:]]
        else:
            lines.append(head.rstrip())
            lines += textwrap.wrap(doc, width, initial_indent=" " * 8, subsequent_indent=" " * 8)
    return lines


def action_rows(parser) -> list[tuple[str, str, str, str]]:
    """The command's own options (a jsonargparse/argparse parser's actions), as table rows."""
    rows = []
    for action in parser._actions:  # argparse has no public list of a parser's options
        if not action.option_strings or action.help == SUPPRESS or "." in action.dest:
            continue
        if action.choices:
            kind = "{" + ",".join(map(str, action.choices)) + "}"
        elif action.nargs == 0:
            kind = "flag"
        else:
            hint = getattr(action, "_typehint", None) or action.type
            kind = getattr(hint, "__name__", None) or str(hint or "str").replace("typing.", "")
        if action.required:
            default = REQUIRED
        else:
            default = "" if action.nargs == 0 or action.default == SUPPRESS else shown(action.default)
        rows.append(
            (", ".join(action.option_strings), kind, default, first_sentence(plain(action.help or "")))
        )
    return rows


def section_rows(section: Section) -> list[tuple[str, str, str, str]]:
    return [(f"--{section.prefix}.{p.name}", p.type, shown(p.default), p.doc) for p in section.parameters]


def usage_lines(usage: str, command: str) -> list[str]:
    """The lines of ``command`` in the overview ``usage`` (its first line and continuations)."""
    lines, ours = [], False
    for line in usage.splitlines():
        if line.strip().startswith("twins "):
            ours = line.split()[1] == command
        if ours:
            lines.append(line)
    return lines


def format_help(parser, overview: str) -> str:
    """What ``twins COMMAND [MODEL] --help`` prints: ``parser``'s own options (the command's), the
    model's sections read from the source, and ``overview``, the usage lines of all commands."""
    width = max(shutil.get_terminal_size((110, 24)).columns, 80)
    command, model_id = parser.prog, getattr(parser, "model_id", None)
    lines = [f"usage: {command} [options]", ""]
    lines += [*usage_lines(overview, command.split()[1]), ""]
    lines += [f"options of {' '.join(command.split()[:2])}:", *table(action_rows(parser), width)]
    trainer = getattr(parser, "trainer_options", False)
    if model_id:
        for section in model_sections(model_id, trainer):
            lines += ["", *textwrap.wrap(section.title, width), *table(section_rows(section), width)]
    elif getattr(parser, "takes_model", False):
        from twins.registry import model_ids

        lines += [
            "",
            "MODEL, one of:",
            *textwrap.wrap(", ".join(model_ids()), width, initial_indent="  ", subsequent_indent="  "),
        ]
        sections = "--model.*, --data.*" + (", --trainer.*" if trainer else "")
        lines.append(f"'{command} MODEL --help' lists that model's options ({sections}).")
    lines += ["", "all commands:", overview, ""]
    return "\n".join(lines)
