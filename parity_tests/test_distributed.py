"""Many processes with ordinary Lightning flags: DDP on two CPU processes (gloo) gives the
metrics of one process on the same global batches; two "nodes" started by torchrun on
localhost; a worker that dies ends the run quickly with one line."""

import json
import socket
import subprocess
import sys
import time

import numpy as np

from twins.models import make_datamodule, model_arguments
from twins.training.run import train_twin

MODEL, EPOCHS, SEED = "mpg_regression", 3, 2
TWINS = [sys.executable, "-m", "twins.cli"]
#: Measured: DDP vs one process differ by ≤ 3e-7 relative (float32 reduction order).
DDP_RTOL = 1e-5


def train_args(json_path, *extra):
    return [
        "train",
        MODEL,
        "--framework",
        "lightning",
        "--epochs",
        str(EPOCHS),
        "--seed",
        str(SEED),
        "--quiet",
        "--trainer.accelerator",
        "cpu",
        "--json",
        str(json_path),
        *extra,
    ]


def single_process_metrics():
    datamodule = make_datamodule(MODEL, SEED)
    result = train_twin(
        "lightning",
        MODEL,
        datamodule,
        model_arguments(MODEL, datamodule),
        SEED,
        EPOCHS,
        {"enable_progress_bar": False, "enable_model_summary": False},
        quiet=True,
    )
    return result.final()


def assert_close_metrics(record, expected):
    for stage in ("train", "val", "test"):
        for name, value in expected[stage].items():
            np.testing.assert_allclose(record[stage][name], value, rtol=DDP_RTOL, err_msg=f"{stage} {name}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ddp_on_two_cpu_processes_matches_one_process(tmp_path):
    out = tmp_path / "ddp.json"
    run = subprocess.run(
        [*TWINS, *train_args(out, "--trainer.strategy", "ddp", "--trainer.devices", "2")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-800:]
    assert_close_metrics(json.loads(out.read_text()), single_process_metrics())


def test_two_nodes_started_by_torchrun(tmp_path):
    port = free_port()
    nodes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--nnodes",
                "2",
                "--nproc_per_node",
                "1",
                "--node_rank",
                str(rank),
                "--master_addr",
                "127.0.0.1",
                "--master_port",
                str(port),
                "-m",
                "twins.cli",
                *train_args(
                    tmp_path / f"node{rank}.json",
                    "--trainer.strategy",
                    "ddp",
                    "--trainer.num_nodes",
                    "2",
                    "--trainer.devices",
                    "1",
                ),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    for node in nodes:
        node.wait(timeout=600)
        assert node.returncode == 0, node.stderr.read()[-800:]
    assert not (tmp_path / "node1.json").exists()  # only global rank 0 reports
    assert_close_metrics(json.loads((tmp_path / "node0.json").read_text()), single_process_metrics())


def test_a_worker_that_dies_ends_the_run_with_one_line(tmp_path):
    main = subprocess.Popen(
        [
            *TWINS,
            *train_args(
                tmp_path / "never.json",
                "--trainer.strategy",
                "ddp",
                "--trainer.devices",
                "2",
                "--epochs",
                "100000",
            ),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    worker = None
    deadline = time.monotonic() + 300
    while worker is None:
        assert main.poll() is None and time.monotonic() < deadline, "the DDP worker never started"
        children = subprocess.run(
            ["pgrep", "-P", str(main.pid), "-f", "cli"], capture_output=True, text=True
        ).stdout.split()
        worker = int(children[0]) if children else None
        time.sleep(0.5)
    time.sleep(15)  # let both processes get into training
    subprocess.run(["kill", "-9", str(worker)], check=True)
    started = time.monotonic()
    main.wait(timeout=120)
    assert time.monotonic() - started < 120
    stderr = main.stderr.read().strip()
    assert main.returncode != 0
    assert stderr.splitlines()[-1] == (
        "twins: error: another process of this distributed run stopped "
        "(connection closed by peer); the run was ended"
    ), stderr[-1500:]
    assert not (tmp_path / "never.json").exists()


def test_keras_twin_trains_under_mirrored_strategy():
    """``--keras_strategy mirrored``: on this machine one replica (the CPU), same result as without."""
    datamodule = make_datamodule(MODEL, SEED)
    arguments = model_arguments(MODEL, datamodule)
    plain = train_twin("keras", MODEL, datamodule, arguments, SEED, 2, quiet=True)
    mirrored = train_twin(
        "keras", MODEL, datamodule, arguments, SEED, 2, quiet=True, keras_strategy="mirrored"
    )
    assert_close_metrics(mirrored.final(), plain.final())
