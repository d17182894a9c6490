"""README's benchmark table from two ``twins bench --json`` reports, one thread and default threads:

    python scripts/bench_readme_table.py ONE_THREAD.json DEFAULT_THREADS.json

prints a Markdown table (a row per model: seconds per epoch of the three ways and the ratios at
``--threads 1``, the ratios at the default threads, peak memory) and each run's target lines.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from twins.bench.runner import targets, targets_text


def row(model_id: str, one: dict, default: dict) -> str:
    seconds = " | ".join(f"{one[way]['seconds_per_epoch']:.4f}" for way in ("lightning", "keras", "torch"))
    ratios = [
        f"{run['lightning_over_keras']:.2f} | {run['lightning_over_torch']:.2f} | "
        f"{run['lightning_overhead_us_per_step']:,.0f}"
        for run in (one, default)
    ]
    memory = " / ".join(f"{one[way]['peak_rss_mb']:.0f}" for way in ("lightning", "keras", "torch"))
    sizes = f"{one['parameters']:,} | {one['batch_size']} | {one['lightning']['steps_per_epoch']}"
    return f"| `{model_id}` | {sizes} | {seconds} | {ratios[0]} | {ratios[1]} | {memory} |"


def main(one_thread_path: str, default_threads_path: str) -> None:
    one, default = (json.loads(Path(path).read_text()) for path in (one_thread_path, default_threads_path))
    print(
        "| model | params | batch | steps | L s/epoch | K s/epoch | T s/epoch "
        "| L/K 1 thread | L/T 1 thread | L extra µs/step 1 thread "
        "| L/K default | L/T default | L extra µs/step default | peak MB L / K / T |"
    )
    print("|---" * 14 + "|")
    for model_id, record in one["models"].items():
        if "error" not in record and "error" not in default["models"].get(model_id, {"error": ""}):
            print(row(model_id, record, default["models"][model_id]))
    for name, report in (("--threads 1", one), ("default threads", default)):
        print(f"\n{name}: " + targets_text(targets(report)))


if __name__ == "__main__":
    main(*sys.argv[1:3])
