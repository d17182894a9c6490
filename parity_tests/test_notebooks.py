"""The companion notebooks (``notebooks/``): executed top to bottom, stripped in git, in course order.

Each notebook runs in a fresh kernel of *this* interpreter (``sys.executable``, through a kernelspec
written for the test — not whichever ``python3`` kernelspec Jupyter would find, which on a CI
machine may belong to another Python), in a temporary working folder, with the test profile
(``TWINS_CONFIG_PROFILE=test``: ``configs/test/``, small data, few epochs), ``MPLBACKEND=Agg`` and one
thread per framework. A notebook of twins must show a picture, a table of both twins' metrics and
a forward max |Δ| within tolerance after copying the trained Keras weights into the Lightning twin.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from twins.registry import model_ids

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

#: The course's notebooks in the order of its three days: (file stem, day, model ids it trains as twins).
COURSE = [
    ("00_tensor_basics", 1, []),
    ("01_auto_mpg", 1, ["mpg_regression", "mpg_classification"]),
    ("02_iris_exercise", 1, ["iris_mlp"]),
    ("03_csv_exercise", 1, ["csv_regression"]),
    ("04_fashion_mlp_cnn", 1, ["fashion_mlp", "fashion_cnn"]),
    ("05_mnist_cnn_exercise", 1, ["mnist_cnn"]),
    ("06_clustering", 2, ["iris_kmeans"]),
    ("07_time_series", 2, ["series_linear", "series_simple_rnn", "series_lstm"]),
    ("08_jena_exercise", 2, ["jena_lstm"]),
    ("09_imdb", 2, ["imdb_bilstm", "imdb_bilstm_stacked"]),
    ("10_autoencoder", 3, ["fashion_autoencoder"]),
    ("11_denoising_exercise", 3, ["fashion_denoising_ae"]),
    ("12_dcgan", 3, ["mnist_dcgan"]),
    ("13_transfer_learning", 3, ["cats_dogs_transfer"]),
]
MODELS_OF = {stem: models for stem, _, models in COURSE}

#: Forward max |Δ| allowed after weight transfer (MobileNetV2's float32 round-off: 1e-4; the others 1e-5).
FORWARD_TOLERANCE = 1e-4
FORWARD_LINE = re.compile(r"forward max \|Δ\| after copying[^:]*: ([-+0-9.e]+|nan|inf)")
CELL_TIMEOUT_S = 180  # per cell; a notebook took 33–125 s (00: 18 s) on 2 cores shared with other tests
#: TensorFlow's C++ start-up and device lines and its Python warnings: none may reach a cell's output.
TENSORFLOW_NOISE = re.compile(
    r"cuInit|NodeDef mentions attribute|oneDNN|absl::InitializeLog|cuda drivers|WARNING:tensorflow"
)
#: Appended to each executed copy: which interpreter the kernel runs (the point of the kernelspec below).
PROBE = "import sys; print('kernel executable:', sys.executable)"


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def kernel_manager(folder: Path) -> KernelManager:
    """A kernel manager whose only ``python3`` kernelspec runs ``sys.executable``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3 (tests)", "language": "python"})
    )
    return KernelManager(
        kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)])
    )


def kernel_environment() -> dict[str, str]:
    return {
        **os.environ,
        "TWINS_CONFIG_PROFILE": "test",
        "MPLBACKEND": "Agg",
        "KERAS_BACKEND": "tensorflow",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # one thread per framework, as in the suite's parallel workers (conftest.py): small models on
        # a CPU shared with other test processes run fastest without a spinning thread pool
        "OMP_NUM_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def execute(path: Path, folder: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, executed in ``folder``; raises ``CellExecutionError`` naming the
    failing cell."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    manager = kernel_manager(folder)
    client = NotebookClient(
        notebook, km=manager, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(folder)}}
    )
    try:
        client.execute(env=kernel_environment())
    finally:  # nbclient leaves the kernel of a manager it was given running
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    return notebook


def outputs(notebook) -> list:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


def printed_text(notebook) -> str:
    return "".join(output.get("text", "") for output in outputs(notebook) if output.output_type == "stream")


def tensorflow_noise(notebook) -> list[str]:
    """The lines of TensorFlow's logging that reached the cells' outputs (stdout and stderr)."""
    return [line for line in printed_text(notebook).splitlines() if TENSORFLOW_NOISE.search(line)]


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    notebook = execute(path, tmp_path)
    assert f"kernel executable: {sys.executable}" in printed_text(notebook), (
        "the kernel ran another interpreter"
    )
    noise = tensorflow_noise(notebook)
    assert not noise, f"{path.name}: TensorFlow's log lines in the outputs: {noise[:3]}"
    if not MODELS_OF.get(path.stem):
        return  # e.g. the tensor basics: no twins to compare, running without an error is the check
    pictures = [o for o in outputs(notebook) if "image/png" in o.get("data", {})]
    assert pictures, f"{path.name} showed no picture"
    tables = [o["data"]["text/html"] for o in outputs(notebook) if "text/html" in o.get("data", {})]
    assert any("<table" in t and "keras" in t and "lightning" in t for t in tables), (
        f"{path.name} showed no keras/lightning table"
    )
    differences = [float(value) for value in FORWARD_LINE.findall(printed_text(notebook))]
    assert len(differences) >= len(MODELS_OF[path.stem]), (
        f"{path.name} printed {len(differences)} forward |Δ| lines"
    )
    assert all(d <= FORWARD_TOLERANCE for d in differences), (
        f"{path.name}: forward max |Δ| {differences} > {FORWARD_TOLERANCE}"
    )


def tracked_notebooks() -> list[Path]:
    """The notebooks git tracks (all of ``notebooks/`` when this is not a git checkout)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--", "notebooks/*.ipynb"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return notebook_paths()
    return [ROOT / name for name in listed] or notebook_paths()


def test_notebooks_in_git_are_stripped():
    unstripped = []
    for path in tracked_notebooks():
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        if any(cell.outputs or cell.execution_count is not None for cell in code):
            unstripped.append(f"{path.name}: outputs or execution counts")
        if any("execution" in cell.metadata for cell in notebook.cells):
            unstripped.append(f"{path.name}: execution timings in cell metadata")
        if "widgets" in notebook.metadata:
            unstripped.append(f"{path.name}: widget state")
        if notebook.metadata.get("kernelspec", {}).get("name") != "python3":
            unstripped.append(f"{path.name}: kernelspec {notebook.metadata.get('kernelspec')}, not python3")
    assert not unstripped, "run `python scripts/strip_notebooks.py`: " + "; ".join(unstripped)


def test_notebooks_are_numbered_in_course_order_and_cover_every_model():
    on_disk = [path.stem for path in notebook_paths()]
    assert on_disk == [stem for stem, _, _ in COURSE], f"notebooks {on_disk} differ from the course's order"
    assert [stem[:2] for stem in on_disk] == [f"{n:02d}" for n in range(len(on_disk))], (
        "numbers must run 00, 01, ... without gaps"
    )
    for stem, _, models in COURSE:
        code = "\n".join(
            c.source
            for c in nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4).cells
            if c.cell_type == "code"
        )
        missing = [model for model in models if f'"{model}"' not in code]
        assert not missing, f"{stem} does not train {missing}"
    covered = {model for _, _, models in COURSE for model in models}
    assert covered == set(model_ids()), f"models without a notebook: {sorted(set(model_ids()) - covered)}"


def test_readme_lists_the_notebooks_by_day():
    day, listed = None, []
    for line in (NOTEBOOKS / "README.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#+ .*\bDay (\d)\b", line)
        if heading:
            day = int(heading.group(1))
        # dict.fromkeys: a link names a notebook twice
        listed += [(stem, day) for stem in dict.fromkeys(re.findall(r"\b(\d\d_\w+)\.ipynb", line))]
    expected = [(stem, day) for stem, day, _ in COURSE]
    assert listed == expected, (
        f"notebooks/README.md lists {listed}, expected each notebook once under its day: {expected}"
    )
