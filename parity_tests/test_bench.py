"""``twins bench`` runs and reports well-formed numbers (a smoke test on a tiny budget: speed
is measured by the benchmark itself, never asserted in a test)."""

import json
import math

from twins.cli import main


def test_bench_reports_all_three_ways_with_ratios(tmp_path, capsys):
    path = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "--models",
            "iris_mlp",
            "--epochs",
            "2",
            "--steps",
            "2",
            "--threads",
            "1",
            "--quiet",
            "--json",
            str(path),
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "iris_mlp" in out and "L/keras" in out
    report = json.loads(path.read_text())
    assert report["machine"]["cpu_count"] >= 1 and report["machine"]["torch"]
    record = report["models"]["iris_mlp"]
    for way in ("lightning", "keras", "torch"):
        numbers = record[way]
        assert numbers["seconds_per_epoch"] > 0 and numbers["peak_rss_mb"] > 0
        assert numbers["steps_per_epoch"] == 2  # --steps caps all three ways alike (iris has 3 batches)
        assert numbers["torch_threads"] == 1  # --threads reached every worker
        assert math.isclose(
            numbers["steps_per_second"], numbers["steps_per_epoch"] / numbers["seconds_per_epoch"]
        )
    assert math.isclose(
        record["lightning_over_keras"],
        record["lightning"]["seconds_per_epoch"] / record["keras"]["seconds_per_epoch"],
    )
    assert (tmp_path / "bench.png").stat().st_size > 1000


def test_bench_rejects_an_unknown_model(capsys):
    assert main(["bench", "--models", "iris_mlp,nope"]) == 2
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_offline_benchmarks_choose_each_download_datasets_named_substitute_and_nothing_else():
    from twins.bench.runner import data_overrides

    assert data_overrides("mnist_cnn", {"offline": True}) == {"source": "digits"}
    assert data_overrides("jena_lstm", {"offline": True}) == {"source": "synthetic"}
    assert data_overrides("cats_dogs_transfer", {"offline": True}) == {"source": "shapes"}
    assert data_overrides("mnist_cnn", {"offline": False}) == {}  # never substituted unless asked
    assert data_overrides("iris_mlp", {"offline": True}) == {}  # ships with scikit-learn


def test_bench_rejects_a_step_cap_or_thread_count_below_one(capsys):
    assert main(["bench", "--models", "iris_mlp", "--steps", "0"]) == 2
    assert "--steps must be at least 1" in capsys.readouterr().err
    assert main(["bench", "--models", "iris_mlp", "--threads", "0"]) == 2
    assert "--threads must be at least 1" in capsys.readouterr().err


def test_a_workers_peak_memory_is_its_own_not_the_parents():
    """Linux carries ``ru_maxrss`` over fork + exec: a worker started by a big parent would report
    the parent's peak. The worker reads its own ``VmHWM`` instead."""
    import subprocess
    import sys

    ballast = bytearray(1024**3)  # the parent holds 1 GiB more than any worker will touch
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    child = subprocess.run(
        [sys.executable, "-c", "from twins.bench.worker import peak_rss_mb; print(peak_rss_mb())"],
        capture_output=True,
        text=True,
        check=True,
    )
    with open("/proc/self/status") as status:
        parent_rss_kb = int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
    parent_rss_mb = parent_rss_kb / 1024
    assert 0 < float(child.stdout.split()[-1]) < parent_rss_mb - 512
    del ballast
