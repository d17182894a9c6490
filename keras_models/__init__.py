"""The Keras 3 twins. ``REGISTRY`` maps each course model id to the function that builds and
compiles its model; ``lit_models.REGISTRY`` must hold the same ids (a parity test checks it)."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# torch (and torchvision) must be imported before TensorFlow: the reverse order segfaults.
import torch  # noqa: E402,F401
import torchvision  # noqa: E402,F401  - likewise

from .tabular_mlp import TabularMLP  # noqa: E402
from .sequence_regressor import SequenceLinear, SequenceRNN  # noqa: E402
from .imdb_bilstm import BiLSTMClassifier  # noqa: E402
from .kmeans import KMeans  # noqa: E402
from .autoencoders import DenoisingAutoencoder, DenseAutoencoder  # noqa: E402
from .dcgan import DCGAN  # noqa: E402
from .image_classifiers import ConvClassifier, ImageMLP  # noqa: E402
from .mobilenet_transfer import MobileNetV2Transfer  # noqa: E402

REGISTRY = {
    "mpg_regression": TabularMLP,
    "mpg_classification": TabularMLP,
    "iris_mlp": TabularMLP,
    "csv_regression": TabularMLP,
    "series_linear": SequenceLinear,
    "series_simple_rnn": SequenceRNN,
    "series_lstm": SequenceRNN,
    "jena_lstm": SequenceRNN,
    "imdb_bilstm": BiLSTMClassifier,
    "imdb_bilstm_stacked": BiLSTMClassifier,
    "iris_kmeans": KMeans,
    "fashion_autoencoder": DenseAutoencoder,
    "fashion_denoising_ae": DenoisingAutoencoder,
    "mnist_dcgan": DCGAN,
    "fashion_mlp": ImageMLP,
    "fashion_cnn": ConvClassifier,
    "mnist_cnn": ConvClassifier,
    "cats_dogs_transfer": MobileNetV2Transfer,
}

__all__ = ["REGISTRY", "TabularMLP"]
