"""The window of training steps ``--profile-steps`` profiles, with each framework's own profiler:
``torch.profiler`` for Lightning and the bare loop, TensorFlow's for Keras (its operator table:
``twins.bench.tf_operators``)."""

from __future__ import annotations

import glob
import shutil
import tempfile
import time

#: Operators listed by ``--profile-steps``, by self CPU time.
TOP_OPERATORS = 15


class StepWindow:
    """A profiler over ``steps`` training steps: ``start()`` before a step (the first call opens
    the window; later ones do nothing), ``step()`` after each, ``table()`` the report — the steps,
    their wall time under the profiler, the operators — closing a window still open; None if it
    never opened or the profiler gave no table. Subclasses open and close their framework's profiler."""

    def __init__(self, steps: int):
        self.steps, self.counted = steps, 0
        self.opened, self.closed, self.report = False, False, None

    def start(self) -> None:
        if self.steps and not self.opened:
            self.opened = True
            self._open()
            self.started = time.perf_counter()

    def step(self) -> None:
        if self.opened and not self.closed:
            self.counted += 1
            if self.counted == self.steps:
                self._finish()

    def table(self) -> str | None:
        if self.opened and not self.closed:
            self._finish()
        return self.report

    def _finish(self) -> None:
        seconds = time.perf_counter() - self.started
        self.closed = True
        operators = self._close()
        if operators:
            self.report = f"{self.counted} steps in {seconds * 1e3:.1f} ms, profiled\n{operators}"

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> str | None:
        raise NotImplementedError


class TorchStepProfiler(StepWindow):
    """``torch.profiler``'s ``key_averages`` table, top operators by self CPU time."""

    def _open(self) -> None:
        from torch.profiler import ProfilerActivity, profile

        self.profile = profile(activities=[ProfilerActivity.CPU])
        self.profile.__enter__()

    def _close(self) -> str:
        self.profile.__exit__(None, None, None)
        return self.profile.key_averages().table(sort_by="self_cpu_time_total", row_limit=TOP_OPERATORS)


class KerasStepProfiler(StepWindow):
    """TensorFlow's profiler, recorded into a temporary folder (removed once read), as TensorFlow's
    operator types by self time (``tf_operators.operator_table``)."""

    def _open(self) -> None:
        import tensorflow as tf

        self.folder = tempfile.mkdtemp(prefix="twins-tf-profile-")
        tf.profiler.experimental.start(self.folder)

    def _close(self) -> str | None:
        import tensorflow as tf

        from twins.bench.tf_operators import operator_rows, operator_table

        tf.profiler.experimental.stop()
        rows = operator_rows(glob.glob(f"{self.folder}/**/*.xplane.pb", recursive=True))
        shutil.rmtree(self.folder, ignore_errors=True)
        return operator_table(rows, TOP_OPERATORS) if rows else None
