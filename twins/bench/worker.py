"""One benchmark measurement in a process of its own, so its peak memory is its own:

    python -m twins.bench.worker MODEL lightning|keras|torch --epochs N [--options JSON]

prints one JSON line ``{"seconds_per_epoch", "steps_per_second", "peak_rss_mb", ...}``.
The three ways train the same model (the Lightning twin's module for ``lightning`` and
``torch``) on the same batches of the model's datamodule at the course batch size, training
steps only (no validation), and time each epoch; the first epoch is the warm-up and dropped.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import torch

from twins.bench.profilers import KerasStepProfiler, TorchStepProfiler
from twins.bench.runner import data_overrides, steps_per_epoch
from twins.registry import spec


def peak_rss_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` of the fresh address space that exec gave
    this worker — not ``getrusage``'s ``ru_maxrss``, which Linux carries over from the parent
    across fork + exec (the ``twins bench`` process, itself over 1 GB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    # without /proc: ru_maxrss (kilobytes on Linux), the best left
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def summary(epoch_seconds: list[float], steps: int) -> dict:
    seconds = statistics.median(epoch_seconds[1:] or epoch_seconds)
    return {
        "seconds_per_epoch": seconds,
        "steps_per_second": steps / seconds,
        "peak_rss_mb": peak_rss_mb(),
        "epochs_timed": max(len(epoch_seconds) - 1, 1),
        "steps_per_epoch": steps,
    }


def device_for(options: dict) -> torch.device:
    return torch.device("cuda" if options.get("accelerator") == "gpu" else "cpu")


def prepared_module(model_id, datamodule, options):
    """The Lightning twin as training gets it: channels-last if it has convolutions (what
    ``fit_lightning``'s ``ChannelsLast`` does; ``--channels_last`` forces it), compiled when asked for
    by the caller."""
    from twins.models import make_lightning, model_arguments
    from twins.training.fit_lightning import prefer_channels_last, seed_lightning

    seed_lightning(0)
    model = prefer_channels_last(make_lightning(model_id, model_arguments(model_id, datamodule)))
    if options.get("channels_last"):
        model = model.to(memory_format=torch.channels_last)
    return model


def bench_lightning(model_id, datamodule, epochs, options) -> dict:
    """The twin trained as ``twins train`` trains it: ``fit_lightning``'s Trainer (its defaults,
    logger and callbacks), quiet, training batches only."""
    import lightning as L

    from twins.training.fit_lightning import quiet_lightning, twin_trainer

    quiet_lightning()
    model = prepared_module(model_id, datamodule, options)
    profiler = TorchStepProfiler(options.get("profile_steps") or 0)

    class Profiled(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == epochs - 1:  # the epochs before warm it up
                profiler.start()

        def on_train_batch_end(self, *args):
            profiler.step()

    trainer_args = {
        "max_epochs": epochs,
        "limit_val_batches": 0,
        "callbacks": [Profiled()],
        "accelerator": options.get("accelerator", "cpu"),
        "devices": options.get("devices", 1),
        "precision": options.get("precision", "32-true"),
        "limit_train_batches": steps_per_epoch(datamodule, options),
    }
    trainer, _, clock = twin_trainer(trainer_args, quiet=True)
    trainer.fit(torch.compile(model) if options.get("compile") else model, datamodule=datamodule)
    return summary(clock.epoch_seconds, steps_per_epoch(datamodule, options)) | {"profile": profiler.table()}


def bare_step(model, optimizers, batch, kind: str):
    """A plain PyTorch step — nothing logged — in the way the model trains (its registration's
    training kind)."""
    if kind == "gan":  # one generator and one discriminator step from the same forward
        real, noise = batch
        g_optimizer, d_optimizer = optimizers
        losses = model.adversarial_losses(real, noise)
        g_optimizer.zero_grad(set_to_none=True)
        d_optimizer.zero_grad(set_to_none=True)
        losses["g_loss"].backward(retain_graph=True, inputs=list(model.generator.parameters()))
        losses["d_loss"].backward(inputs=list(model.discriminator.parameters()))
        g_optimizer.step()
        d_optimizer.step()
    elif kind == "lloyd":  # accumulate; the centroids move at the epoch's end
        model.lloyd_batch(batch[0])
    else:
        x, y = batch
        optimizers.zero_grad(set_to_none=True)
        model.loss_fn(model(x), y).backward()
        optimizers.step()


def bench_torch(model_id, datamodule, epochs, options) -> dict:
    device = device_for(options)
    model = prepared_module(model_id, datamodule, options).to(device).train()
    optimizers = model.configure_optimizers()
    step_model = torch.compile(model) if options.get("compile") else model
    loader = datamodule.train_dataloader()
    autocast = torch.autocast(
        device.type, dtype=torch.bfloat16, enabled="bf16" in str(options.get("precision", ""))
    )
    times, steps = [], steps_per_epoch(datamodule, options)
    kind, profiler = spec(model_id).training, TorchStepProfiler(options.get("profile_steps") or 0)
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)
        if epoch == epochs - 1:  # the epochs before warm it up
            profiler.start()
        started = time.perf_counter()
        for batch in itertools.islice(loader, steps):
            batch = [t.to(device, non_blocking=True) for t in batch]
            with autocast:
                bare_step(step_model, optimizers, batch, kind)
            profiler.step()
        if kind == "lloyd":
            model.lloyd_update()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return summary(times, steps) | {"profile": profiler.table()}


def bench_keras(model_id, datamodule, epochs, options) -> dict:
    """The Keras twin under ``fit`` with the callbacks ``twins train`` gives it (``EpochTimer``,
    ``StopOnDivergence``); with ``profile_steps`` TensorFlow's top operators over that many steps
    of the last epoch and the median time of one step."""
    import keras

    from datamodules.keras_adapter import keras_train_data
    from twins.models import make_keras, model_arguments
    from twins.training.fit_keras import EpochTimer, StopOnDivergence, seed_keras

    seed_keras(0)
    model = make_keras(model_id, model_arguments(model_id, datamodule))
    data, _ = keras_train_data(datamodule)
    steps, timer = steps_per_epoch(datamodule, options), EpochTimer()

    class StepTimer(keras.callbacks.Callback):
        """With ``profile_steps``: the time of each step of the epoch before the last, and
        TensorFlow's profiler over the first ``profile_steps`` steps of the last epoch (the epochs
        before warm it up; the step times are taken without the profiler's own cost)."""

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if self.epoch == epochs - 1:
                profiler.start()
            self.started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            step_seconds.setdefault(self.epoch, []).append(time.perf_counter() - self.started)
            profiler.step()

    step_seconds: dict[int, list[float]] = {}
    profiler = KerasStepProfiler(options.get("profile_steps") or 0)
    callbacks = [timer, StopOnDivergence()] + ([StepTimer()] if options.get("profile_steps") else [])
    model.fit(data, steps_per_epoch=steps, epochs=epochs, verbose=0, callbacks=callbacks)
    record = summary(timer.epoch_seconds, steps)
    if step_seconds:
        timed = step_seconds.get(epochs - 2) or step_seconds[epochs - 1]
        operators = profiler.table() or "(this TensorFlow has no profiler tools)"
        median_ms = statistics.median(timed) * 1e3
        record["profile"] = f"{operators}\nKeras: median {median_ms:.3f} ms a step over {len(timed)} steps"
    return record


def limit_threads(framework: str, threads: int | None) -> None:
    """The same thread count for every way (``--threads``): torch's pools, and TensorFlow's
    intra-/inter-op pools for Keras — set before either framework runs anything."""
    if not threads:
        return
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(threads)
    if framework == "keras":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


RUNNERS = {"lightning": bench_lightning, "torch": bench_torch, "keras": bench_keras}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twins.bench.worker")
    parser.add_argument("model_id")
    parser.add_argument("framework", choices=list(RUNNERS))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument(
        "--options",
        default="{}",
        help="JSON: accelerator, devices, precision, channels_last, compile, offline, steps, threads, "
        "profile_steps",
    )
    args = parser.parse_args(argv)
    from twins.models import make_datamodule

    options = json.loads(args.options)
    limit_threads(args.framework, options.get("threads"))
    datamodule = make_datamodule(args.model_id, seed=0, **data_overrides(args.model_id, options))
    record = RUNNERS[args.framework](args.model_id, datamodule, args.epochs, options)
    print(json.dumps(record | {"torch_threads": torch.get_num_threads()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
