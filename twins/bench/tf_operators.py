"""TensorFlow's top operators over some Keras training steps (``profilers.KerasStepProfiler``) — the
twin of ``torch.profiler``'s ``key_averages`` table that ``--profile-steps`` prints for the torch ways.

``tf.profiler.experimental`` records the steps into an XSpace file; TensorFlow's own profiler
tools (the ``framework_op_stats`` table TensorBoard's profile plugin shows) turn it into rows of
operator type, name, occurrences and self time. Summed by operator type (``_MklMatMul``,
``Conv2DBackpropFilter``, ...), the table reads beside torch's (``aten::mkldnn_convolution``, ...).
"""

from __future__ import annotations

import json
from collections import defaultdict

#: The profile rows that are no operator: the time the host waited.
NOT_OPERATORS = {"IDLE"}


def operator_rows(xspace_paths: list[str]) -> list[dict]:
    """``[{"type", "name", "occurrences", "self_us"}, ...]`` from TensorFlow's ``framework_op_stats``
    tool; ``[]`` where this TensorFlow does not ship its profiler tools."""
    try:
        from tensorflow.python.profiler.internal import _pywrap_profiler_plugin
    except ImportError:
        return []
    data, ok = _pywrap_profiler_plugin.xspace_to_tools_data(xspace_paths, "framework_op_stats", {})
    if not ok or not data:
        return []
    table = json.loads(data)[0]  # a Google DataTable: column ids, then rows of {"v": value} cells
    columns = [column["id"] for column in table["cols"]]
    rows = [dict(zip(columns, (cell["v"] for cell in row["c"]))) for row in table["rows"]]
    return [
        {
            "type": row["type"],
            "name": row["operation"],
            "occurrences": int(row["occurrences"]),
            "self_us": float(row["total_self_time"]),
        }
        for row in rows
        if row["type"] not in NOT_OPERATORS
    ]


def operator_table(rows: list[dict], top: int) -> str:
    """The ``top`` operator types by total self time: self ms, % of all operators' self time, calls."""
    by_type: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    for row in rows:
        by_type[row["type"]][0] += row["self_us"]
        by_type[row["type"]][1] += row["occurrences"]
    total = sum(self_us for self_us, _ in by_type.values()) or 1.0
    ranked = sorted(by_type.items(), key=lambda item: -item[1][0])[:top]
    width = max([len("TensorFlow operator type")] + [len(name) for name, _ in ranked])
    lines = [f"{'TensorFlow operator type':<{width}}  {'self CPU':>11}  {'self %':>7}  {'calls':>7}"]
    lines.append("-" * len(lines[0]))
    for name, (self_us, calls) in ranked:
        lines.append(f"{name:<{width}}  {self_us / 1e3:>8.3f} ms  {100 * self_us / total:>6.2f}%  {calls:>7}")
    lines.append(f"self CPU time total: {total / 1e3:.3f} ms")
    return "\n".join(lines)
