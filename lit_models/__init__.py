"""The Lightning twins. ``REGISTRY`` maps each course model id to its LightningModule class;
``keras_models.REGISTRY`` must hold the same ids (a parity test checks it)."""
from .base import CourseModule, TORCH_ONLY_ARGS
from .tabular_mlp import TabularMLP
from .sequence_regressor import SequenceLinear, SequenceRNN
from .imdb_bilstm import BiLSTMClassifier
from .kmeans import KMeans
from .autoencoders import DenoisingAutoencoder, DenseAutoencoder
from .dcgan import DCGAN
from .image_classifiers import ConvClassifier, ImageMLP
from .mobilenet_transfer import MobileNetV2Transfer

REGISTRY: dict[str, type[CourseModule]] = {
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

__all__ = ["REGISTRY", "CourseModule", "TORCH_ONLY_ARGS", "TabularMLP"]
