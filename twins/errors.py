"""``BadInput``: the mark of errors caused by what the user asked for (the CLI exits with 2)."""


class BadInput(Exception):
    """Mixin for one-line user errors: unknown model, bad option, unusable file or output path."""


class DivergenceError(RuntimeError):
    """The training loss became NaN or infinite (one line naming the epoch and step)."""

    def __init__(self, framework: str, epoch: int, step: int, value: float):
        super().__init__(
            f"{framework} training diverged: the loss became {value} at epoch {epoch}, step {step}"
        )
        self.framework, self.epoch, self.step, self.value = framework, epoch, step, value


class CheckpointError(BadInput, ValueError):
    """A checkpoint that cannot be used for the model asked for (one line saying why)."""


class OutInUse(BadInput, RuntimeError):
    """Another run writes into the same ``--out`` folder (one line naming its process id)."""


class Stopped(Exception):
    """The run was stopped by a signal (SIGTERM) after ``epochs`` finished (and, with ``--out``, saved)
    epochs. ``twins.cli.main`` prints it as one line and exits with 128 + the signal's number (143)."""

    def __init__(self, signal_name: str, epochs: int, exit_status: int, resumable: bool = True):
        advice = "resume with --resume" if resumable else "nothing saved to resume from (no --out)"
        super().__init__(f"stopped by {signal_name} after epoch {epochs}; {advice}")
        self.signal_name, self.epochs, self.exit_status = signal_name, epochs, exit_status


class ForeignCheckpoint(CheckpointError):
    """A sound checkpoint of another model or architecture: refused, never fallen back from."""
