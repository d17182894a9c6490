"""Weight transfer of the K-Means centroids (``iris_kmeans``): the same arrays on both sides.

Keras ``Centroids`` weights [centroids (k, d), sums (k, d), counts (k,), initialised (1,)] ↔
torch ``Centroids`` tensors [centroids parameter, then the sums, counts, initialised buffers].
"""

from __future__ import annotations

import keras_models.kmeans
import lit_models.kmeans
from twins.transfer.converter import Converter, same_arrays

CONVERTERS = [Converter(keras_models.kmeans.Centroids, lit_models.kmeans.Centroids, same_arrays, same_arrays)]
