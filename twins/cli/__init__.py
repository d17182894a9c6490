"""``twins``: the command line of the course twins (``main.main``; one module per command group)."""

from twins.cli.main import main

__all__ = ["main"]
