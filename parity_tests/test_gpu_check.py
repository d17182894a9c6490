"""``scripts/gpu_check.sh`` parses, and without a usable GPU stops at once with one line, exit 2
(no GPU here: a fake ``nvidia-smi`` on ``PATH`` stands for the two ways a GPU can be missing)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.sh"


def test_the_script_parses():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)


def fake_nvidia_smi(folder: Path, lists: str) -> None:
    """An ``nvidia-smi`` that prints ``lists`` (empty: no GPU, exit status 9 as on a driverless box)."""
    tool = folder / "nvidia-smi"
    tool.write_text(f"#!/bin/sh\nprintf '{lists}'\n" + ("exit 0\n" if lists else "exit 9\n"))
    tool.chmod(0o755)


@pytest.mark.parametrize(
    "listed, message",
    [
        ("", "gpu_check: error: no GPU visible (nvidia-smi lists none)"),
        ("NVIDIA Fake 80GB\\n", "nvidia-smi sees NVIDIA Fake 80GB but torch.cuda.is_available() is False"),
    ],
)
def test_without_a_gpu_it_stops_with_one_line_and_exit_2(tmp_path, listed, message):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_nvidia_smi(bin_dir, listed)
    out = tmp_path / "out"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "CUDA_VISIBLE_DEVICES": "",  # torch sees no GPU even on a machine that has one
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), str(out)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and message in done.stderr
    assert done.stdout == "" and not out.exists()  # stopped before any work
