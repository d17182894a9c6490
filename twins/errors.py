"""``BadInput``: the mark of errors caused by what the user asked for (the CLI exits with 2)."""


class BadInput(Exception):
    """Mixin for one-line user errors: unknown model, bad option, unusable file or output path."""
