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
