"""The one exception type of the data layer: a one-line message that names the problem."""


class DataError(ValueError):
    """Bad or unusable input data (missing column, non-numeric value, empty file, ...)."""
