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
            "--profile-steps",
            "2",
            "--quiet",
            "--json",
            str(path),
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "iris_mlp" in out and "L/keras" in out
    # --profile-steps: torch.profiler's operator table for Lightning and the bare loop, TensorFlow's
    # operator types and the median step for Keras
    for way in ("lightning", "keras", "torch"):
        assert f"iris_mlp — {way}, top operators by self CPU time:\n2 steps in " in out
    assert out.count("Self CPU %") == 2 and "aten::addmm" in out
    assert "TensorFlow operator type" in out and "MatMul" in out and "Keras: median" in out
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
    assert "invalid value for --steps: '0'; it must be an integer > 0" in capsys.readouterr().err
    assert main(["bench", "--models", "iris_mlp", "--profile-steps", "0"]) == 2
    assert "invalid value for --profile-steps: '0'; it must be an integer > 0" in capsys.readouterr().err
    assert main(["bench", "--models", "iris_mlp,mpg_regression", "--profile-steps", "3"]) == 2
    assert "--profile-steps profiles one model; name it with --models" in capsys.readouterr().err
    assert main(["bench", "--models", "iris_mlp", "--threads", "0"]) == 2
    assert "invalid value for --threads: '0'; it must be an integer > 0" in capsys.readouterr().err


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


def test_images_reach_torch_as_a_channels_last_view_of_the_numpy_batch_not_a_copy():
    import torch

    import numpy as np

    from datamodules.torch_adapter import to_torch_layout

    nhwc = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    nchw = to_torch_layout(nhwc)
    assert nchw.shape == (2, 3, 4, 5) and torch.equal(nchw[1, 2], torch.from_numpy(nhwc[1, :, :, 2]))
    assert nchw.is_contiguous(memory_format=torch.channels_last)
    assert nchw.data_ptr() == torch.from_numpy(nhwc).data_ptr()  # the numpy memory itself


def test_the_trainer_of_twins_train_and_the_bench_switches_conv_twins_to_channels_last():
    import torch

    from lit_models.image_classifiers import ConvClassifier, ImageMLP
    from twins.training.fit_lightning import ChannelsLast, DeterministicWithoutFill, twin_trainer

    trainer, _, _ = twin_trainer({"max_epochs": 1}, quiet=True)
    assert {ChannelsLast, DeterministicWithoutFill} <= {type(c) for c in trainer.callbacks}
    cnn = ConvClassifier()
    ChannelsLast().setup(trainer, cnn, "fit")
    convs = [m.weight for m in cnn.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) and w.ndim == 4 for w in convs)
    mlp = ImageMLP(input_shape=[4, 4, 1], hidden_units=[3], output_units=2)
    before = [p.stride() for p in mlp.parameters()]
    ChannelsLast().setup(trainer, mlp, "fit")
    assert [p.stride() for p in mlp.parameters()] == before  # no convolution: left as it is


def test_deterministic_training_skips_the_nan_fill_of_new_tensors_and_restores_it():
    import torch.utils.deterministic

    from twins.training.fit_lightning import DeterministicWithoutFill

    callback, before = DeterministicWithoutFill(), torch.utils.deterministic.fill_uninitialized_memory
    callback.setup(None, None, "fit")
    assert torch.utils.deterministic.fill_uninitialized_memory is False
    callback.teardown(None, None, "fit")
    assert torch.utils.deterministic.fill_uninitialized_memory is before


def test_tensorflow_operator_rows_are_summed_by_type_and_ranked():
    from twins.bench.tf_operators import operator_table

    rows = [
        {"type": "_MklMatMul", "name": "dense/MatMul", "occurrences": 2, "self_us": 300.0},
        {"type": "AddV2", "name": "dense/Add", "occurrences": 2, "self_us": 100.0},
        {"type": "_MklMatMul", "name": "dense_1/MatMul", "occurrences": 2, "self_us": 600.0},
    ]
    lines = operator_table(rows, top=5).splitlines()
    assert lines[2].split() == ["_MklMatMul", "0.900", "ms", "90.00%", "4"]
    assert lines[3].split() == ["AddV2", "0.100", "ms", "10.00%", "2"]
    assert lines[-1] == "self CPU time total: 1.000 ms"
    assert len(operator_table(rows, top=1).splitlines()) == 4, "only the top operator type"


def measured(lightning: float, keras: float, torch: float, steps: int = 10) -> dict:
    """A bench record: seconds per epoch of each way, and the ratios the runner derives."""
    from twins.bench.runner import ratios

    seconds = {"lightning": lightning, "keras": keras, "torch": torch}
    record = {way: {"seconds_per_epoch": s, "steps_per_epoch": steps} for way, s in seconds.items()}
    return record | ratios(record)


def test_the_targets_are_read_from_the_run_and_name_the_models_that_miss():
    from twins.bench.runner import targets, targets_text

    report = {
        "models": {
            "tiny": measured(lightning=0.0054, keras=0.01, torch=0.004),  # 0.4 ms bare steps, 140 µs extra
            "conv": measured(lightning=0.12, keras=0.1, torch=0.1),  # 10 ms bare steps, 1.2 × bare and Keras
            "broken": {"error": "bench of broken with keras failed"},
        }
    }
    verdicts = targets(report)
    assert verdicts["lightning/keras <= 1.0"] == {"holds": False, "detail": "conv 1.20"}
    fast = verdicts["lightning/keras <= 0.6 for 9 models"]
    assert fast == {"holds": False, "detail": "1 of 2 at or under 0.6"}
    assert verdicts["lightning/bare <= 1.05 where a bare step >= 5 ms"]["detail"] == "conv 1.20"
    tiny = verdicts["lightning extra <= 150 µs a step on tiny models (bare step < 1 ms)"]
    assert tiny == {"holds": True, "detail": ""}, "140 µs is within the target"
    report["models"]["tiny"] = measured(lightning=0.0056, keras=0.01, torch=0.004)
    assert "tiny 160 µs" in targets_text(targets(report))
