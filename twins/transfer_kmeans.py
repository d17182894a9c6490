"""Weight transfer of the K-Means centroids (``iris_kmeans``): the same arrays on both sides.

Keras ``Centroids`` weights [centroids (k, d), sums (k, d), counts (k,), initialised (1,)] ↔
torch ``Centroids`` tensors [centroids parameter, then the sums, counts, initialised buffers].
"""
from __future__ import annotations

import keras_models.kmeans
import lit_models.kmeans

def _same(arrays):
    return list(arrays)


def converters() -> list:
    """The ``Converter`` of the centroids (built on call: ``twins.transfer`` imports this module)."""
    from .transfer import Converter

    return [Converter(keras_models.kmeans.Centroids, lit_models.kmeans.Centroids, _same, _same)]
