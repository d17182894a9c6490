"""What ``twins summary|train|compare`` do once the command line is parsed (see ``cli.py``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from twins.io import ensure_folder, ensure_writable, write_json
from twins.models import (
    configured_datamodule,
    make_datamodule,
    make_keras,
    make_lightning,
    model_arguments,
    shapes_datamodule,
)
from twins.registry import spec
from twins.training.fit_lightning import log_place, requested_loggers, seed_lightning
from twins.training.run import train_twin

FRAMEWORKS = ("keras", "lightning")


def datamodule_from(model_id, options):
    return make_datamodule(model_id, options.seed, **vars(options.data))


def arguments_from(model_id, datamodule, options) -> dict:
    return model_arguments(model_id, datamodule, **vars(options.model))


def say(options, text: str = "") -> None:
    if not options.quiet:
        print(text, flush=True)


def say_substitute(options, datamodule) -> None:
    """Under the banner: what a run on the offline substitute shows (its steps an epoch against the
    course's; for the CNNs, that chance-level accuracy after a few epochs is expected)."""
    note = getattr(datamodule, "substitute_note", "")
    if note:
        say(options, f"note: {note}")


def data_report(options, datamodule) -> dict:
    """Print the datamodule's per-column report where it has one (``csv_regression``; its
    warnings go to stderr under ``--quiet``) and return ``{"data_report": {...}}`` for the JSON."""
    if not hasattr(datamodule, "report_text"):
        return {}
    say(options, datamodule.report_text())
    if options.quiet:
        for warning in datamodule.report["warnings"]:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    return {"data_report": datamodule.report}


# --- summary -------------------------------------------------------------------------------------


def summary(model_id, options) -> dict:
    from twins.parity.summary import summarize
    from twins.training.fit_keras import seed_keras

    # counts and shapes follow from the config: no data is read or downloaded (the shapes come
    # from the offline substitute of a downloaded dataset; the record names the shape assumed)
    configured = configured_datamodule(model_id, options.seed, **vars(options.data))
    shapes = shapes_datamodule(model_id, options.seed, **vars(options.data))
    arguments = arguments_from(model_id, shapes, options)
    seed_lightning(options.seed)
    seed_keras(options.seed)
    batch = shapes.splits.x_val[: shapes.batch_size]
    record = {
        "model": model_id,
        "data": configured.source,
        "input_shape": list(batch.shape[1:]),
        "input_shape_from": shapes.source,
    }
    record |= summarize(
        make_lightning(model_id, arguments),
        make_keras(model_id, arguments),
        batch,
        components=spec(model_id).components,
    )
    if options.json:
        print(json.dumps(record))
    else:
        print_summary(record)
    return record


def print_summary(record: dict) -> None:
    keras, lightning = record["keras"], record["lightning"]
    print(f"{record['model']}  (data: {record['data']})")
    if "input_shape" in record:  # `twins summary` builds from the config; a notebook passes a real batch
        print(f"  input shape assumed: {tuple(record['input_shape'])}, that of: {record['input_shape_from']}")
    print(f"  {'':24}{'keras':>14}{'lightning':>14}")
    print(f"  {'trainable':24}{keras['trainable']:>14,}{lightning['trainable']:>14,}")
    print(f"  {'non-trainable / buffers':24}{keras['non_trainable']:>14,}{lightning['buffers']:>14,}")
    print(f"  {'output shape':24}{keras['output_shape']!s:>14}{lightning['output_shape']!s:>14}")
    difference = record["explained_difference"]
    print(
        f"  explained difference: {difference['count']} — {difference['reason']}"
        if difference
        else "  no structural difference"
    )
    for name, part in record.get("components", {}).items():
        print(
            f"  {name}: trainable {part['keras']['trainable']:,} / {part['lightning']['trainable']:,}, "
            f"non-trainable / buffers {part['keras']['non_trainable']:,} / {part['lightning']['buffers']:,}, "
            f"output shape {part['keras']['output_shape']}"
        )


# --- train ---------------------------------------------------------------------------------------


def check_outputs(options) -> None:
    """``--json`` and ``--out`` can be written, checked before any work and creating nothing (a run
    that fails leaves no empty folder); ``--resume`` into an ``--out`` that does not exist says so."""
    ensure_writable(options.json, "--json")
    ensure_folder(options.out, "--out")
    if getattr(options, "resume", False) and not Path(options.out).exists():
        print(
            f"twins: notice: --resume: --out {options.out} does not exist, so there is nothing to resume; "
            "training from scratch",
            file=sys.stderr,
            flush=True,
        )


def train(model_id, options) -> dict:
    check_outputs(options)
    datamodule = datamodule_from(model_id, options)
    arguments = arguments_from(model_id, datamodule, options)
    trainer_args = dict(vars(options.trainer))
    epochs = options.epochs if options.epochs is not None else trainer_args.pop("max_epochs")
    trainer_args.pop("max_epochs", None)
    if options.quiet:
        trainer_args |= {"enable_progress_bar": False, "enable_model_summary": False}
    user = lightning_logging(trainer_args, options.out) if options.framework == "lightning" else {}
    trainer_args |= user
    say(
        options,
        f"{model_id} · {options.framework} · data: "
        f"{datamodule.source} · {epochs} epochs · seed {options.seed}",
    )
    say_substitute(options, datamodule)
    report = data_report(options, datamodule)
    result = train_twin(
        options.framework,
        model_id,
        datamodule,
        arguments,
        options.seed,
        epochs,
        trainer_args,
        options.quiet,
        checkpoint_dir=options.out,
        resume=options.resume,
        keras_strategy=options.keras_strategy,
        **twin_logs(options),
    )
    record = {
        "model": model_id,
        "framework": options.framework,
        "data": datamodule.source,
        "seed": options.seed,
        "epochs": epochs,
        **result.final(),
        "history": result.history,
        **report,
    }
    if result.is_global_zero:  # under DDP every process runs this; one reports
        print(format_metrics(record), flush=True)  # the result: printed under --quiet too
        for line in where_logs_went(user, options, [options.framework]):
            print(line, flush=True)
        if options.json:
            write_json(options.json, record)
    return record


def lightning_logging(trainer_args: dict, out) -> dict:
    """The user's ``--trainer.logger``/``--trainer.callbacks`` as Trainer arguments, under ``--out``:
    ``default_root_dir`` (where ``--trainer.logger true`` and a ``ModelCheckpoint`` write) is
    ``--out`` unless ``--trainer.default_root_dir`` says otherwise, and ``True`` becomes the
    logger it stands for, so the command can say where it wrote."""
    root = trainer_args.get("default_root_dir") or out
    user = {"logger": requested_loggers(trainer_args.get("logger"), root)}
    user["callbacks"] = list(trainer_args.get("callbacks") or [])
    return user | ({"default_root_dir": root} if root else {})


def twin_logs(options) -> dict:
    """``train_twin``'s arguments for ``--logger tensorboard|csv``: ``--out/logs``."""
    if not options.logger:
        return {}
    return {"log_format": options.logger, "log_dir": Path(options.out) / "logs"}


def where_logs_went(user: dict, options, frameworks) -> list[str]:
    """One line per place logs or checkpoints were written: the user's loggers and
    ModelCheckpoints (Lightning twin), then ``--logger``'s folder with the command that shows it."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    lines = [f"logs ({type(logger).__name__}): {log_place(logger)}" for logger in user.get("logger", [])]
    lines += [
        f"checkpoints (ModelCheckpoint): {callback.dirpath}"
        for callback in user.get("callbacks", [])
        if isinstance(callback, ModelCheckpoint)
    ]
    if options.logger:
        folder = Path(options.out) / "logs"
        if options.logger == "tensorboard":
            lines.append(f"logs (tensorboard): {folder}  — see them with: tensorboard --logdir {folder}")
        else:
            lines += [f"logs (csv): {folder / fw / 'metrics.csv'}" for fw in frameworks]
    return lines


def format_metrics(record: dict) -> str:
    parts = [
        f"{stage} " + ", ".join(f"{k} {v:.4g}" for k, v in record[stage].items())
        for stage in ("train", "val", "test")
    ]
    return " | ".join(parts) + f" | {record['seconds_per_epoch']:.3f} s/epoch"


# --- compare -------------------------------------------------------------------------------------


def transferred_forward_diff(model_id, keras_model, arguments, x: np.ndarray) -> float:
    """max |Δ| between the Keras twin and a fresh Lightning twin that received its weights."""
    from twins.parity import forward_max_abs_diff
    from twins.transfer import keras_to_torch

    twin = keras_to_torch(keras_model, make_lightning(model_id, arguments))
    return forward_max_abs_diff(twin, keras_model, x)


def compare(model_id, options) -> dict:
    check_outputs(options)
    datamodule = datamodule_from(model_id, options)
    arguments = arguments_from(model_id, datamodule, options)
    epochs = options.epochs or spec(model_id).config()["trainer"]["max_epochs"]
    say(options, f"{model_id} · data: {datamodule.source} · {epochs} epochs · seed {options.seed}")
    say_substitute(options, datamodule)
    report = data_report(options, datamodule)
    results = {}
    user = lightning_logging(vars(options.trainer), options.out)  # the Lightning twin's loggers and callbacks
    for framework in FRAMEWORKS:
        say(options, f"training the {framework} twin ...")
        trainer_args = {"enable_progress_bar": not options.quiet, "enable_model_summary": False}
        results[framework] = train_twin(
            framework,
            model_id,
            datamodule,
            arguments,
            options.seed,
            epochs,
            {**trainer_args, **user} if framework == "lightning" else trainer_args,
            options.quiet,
            **twin_logs(options),
        )
    diff = transferred_forward_diff(model_id, results["keras"].model, arguments, datamodule.splits.x_test)
    record = {
        "model": model_id,
        "data": datamodule.source,
        "seed": options.seed,
        "epochs": epochs,
        **{fw: {**results[fw].final(), "history": results[fw].history} for fw in FRAMEWORKS},
        "forward_max_abs_diff": diff,
        **report,
    }
    from twins.parity.summary import summarize

    counts = summarize(
        results["lightning"].model,
        results["keras"].model,
        datamodule.splits.x_val[:8],
        components=spec(model_id).components,
    )
    print(comparison_table(record, counts))
    if options.out:
        from twins.plots.curves import loss_curves

        png = loss_curves(
            results.values(), f"{model_id}: Keras vs Lightning", Path(options.out) / f"{model_id}_loss.png"
        )
        print(f"loss curves: {png}")  # the files written are named under --quiet too
    for line in where_logs_went(user, options, FRAMEWORKS):
        print(line)
    if options.json:
        write_json(options.json, record)
    return record


def comparison_table(record: dict, counts: dict) -> str:
    keras, lightning = record["keras"], record["lightning"]
    rows = [("trainable parameters", counts["keras"]["trainable"], counts["lightning"]["trainable"])]
    for stage in ("train", "val", "test"):
        rows += [
            (f"{stage} {metric}", keras[stage][metric], lightning[stage].get(metric))
            for metric in keras[stage]
        ]
    rows.append(("seconds per epoch", keras["seconds_per_epoch"], lightning["seconds_per_epoch"]))
    lines = [
        f"{record['model']} · {record['data']} · {record['epochs']} epochs · seed {record['seed']}",
        f"  {'':24}{'keras':>14}{'lightning':>14}",
    ]
    for name, k, t in rows:
        lines.append(
            f"  {name:24}{k:>14.6g}{t:>14.6g}" if isinstance(k, float) else f"  {name:24}{k:>14,}{t:>14,}"
        )
    lines.append(
        "  forward max |Δ| after copying the trained Keras weights "
        f"into the Lightning twin: {record['forward_max_abs_diff']:.3g}"
    )
    return "\n".join(lines)
