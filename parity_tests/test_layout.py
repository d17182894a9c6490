"""The layout a newcomer reads at a glance: lit_models/ ↔ keras_models/ mirror each other file by
file (only twins), the torch-only Keras-compatibility pieces sit in lit_models/keras_compat/ with a
README that says why each exists, and no Keras twin imports the project's torch code."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPAT = ROOT / "lit_models" / "keras_compat"


def twin_files(side: str) -> set[str]:
    return {p.name for p in (ROOT / side).glob("*.py")} - {"__init__.py"}


def test_lit_models_and_keras_models_hold_only_twins():
    assert twin_files("lit_models") == twin_files("keras_models")


def test_every_keras_compat_module_is_explained_in_its_readme():
    listed = set(re.findall(r"^\| `(\w+\.py)` \|", (COMPAT / "README.md").read_text(), flags=re.MULTILINE))
    assert listed == {p.name for p in COMPAT.glob("*.py")} - {"__init__.py"}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def test_no_keras_twin_imports_the_projects_torch_code():
    for path in (ROOT / "keras_models").glob("*.py"):
        torch_side = {m for m in imported_modules(path) if m.split(".")[0] in ("lit_models", "twins")}
        assert not torch_side, f"{path.name} imports {sorted(torch_side)}"


#: Helpers one framework needs and the other has built in (every other public name of a twin file
#: must exist, under the same name, in its mirror).
FRAMEWORK_ONLY = {
    "lit_models": {
        "dcgan.py": {"ChannelsLastReshape"},  # Keras: layers.Reshape((h, w, c)) is channels-last already
        # Keras pads 'same' for any kernel; torch's k//2 only for odd k
        "image_classifiers.py": {"check_odd_kernels"},
    },
    "keras_models": {
        "dcgan.py": {"DCGANModel"},  # the keras.Model subclass the builder DCGAN returns
        "kmeans.py": {"KMeansModel", "LloydEpochEnd"},  # Lightning: the module itself and on_train_epoch_end
        "mobilenet_transfer.py": {"FineTuning"},  # Lightning keeps the recipe in save_hyperparameters
    },
}


def public_names(side: str, name: str) -> tuple[set[str], set[str]]:
    """``(top-level functions and classes, their methods)`` of a twin file, public ones only."""
    tree = ast.parse((ROOT / side / name).read_text())
    top = [
        n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")
    ]
    methods = {
        m.name for n in top if isinstance(n, ast.ClassDef) for m in n.body if isinstance(m, ast.FunctionDef)
    }
    return {n.name for n in top} - FRAMEWORK_ONLY[side].get(name, set()), methods


def test_twin_files_define_the_same_names():
    """``dense_head`` on both sides, not ``dense_head``/``add_dense_head``; a module function of one
    side may be a method of the other (Keras' ``start_fine_tuning(model)`` ↔ ``model.start_fine_tuning()``);
    the exceptions are listed above."""
    for name in sorted(twin_files("lit_models") - {"base.py"}):
        lightning, lightning_methods = public_names("lit_models", name)
        keras, keras_methods = public_names("keras_models", name)
        assert lightning <= keras | keras_methods, (
            f"{name}: only in lit_models: {sorted(lightning - keras - keras_methods)}"
        )
        assert keras <= lightning | lightning_methods, (
            f"{name}: only in keras_models: {sorted(keras - lightning - lightning_methods)}"
        )
