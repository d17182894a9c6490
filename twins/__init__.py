"""Glue shared by both frameworks: model setup from the configs, weight transfer, parameter
counts, the training runners and the ``twins`` command line."""
