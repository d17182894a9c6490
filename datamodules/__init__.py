"""Datamodules shared by both twins: a numpy core, a torch adapter and a Keras adapter.

``REGISTRY`` maps each model id to the datamodule class its twins read.
"""
from .auto_mpg import AutoMPGClassification, AutoMPGRegression
from .base import ArrayDataModule
from .core import ArraySplits, BatchOrder, keras_validation_split
from .csv_table import CSVDataModule
from .errors import DataError
from .iris import IrisDataModule
from .series import SeriesDataModule
from .jena import JenaDataModule
from .imdb import IMDBDataModule
from .iris_clusters import IrisClusters
from .fashion_autoencoder import FashionAutoencoderData, FashionDenoisingData
from .mnist_gan import MNISTGANData
from .mnist import FashionMNISTDataModule, MNISTDataModule
from .cats_dogs import CatsDogsDataModule
from .image_folder import ImageFolderDataModule

REGISTRY: dict[str, type[ArrayDataModule]] = {
    "mpg_regression": AutoMPGRegression,
    "mpg_classification": AutoMPGClassification,
    "iris_mlp": IrisDataModule,
    "csv_regression": CSVDataModule,
    "series_linear": SeriesDataModule,
    "series_simple_rnn": SeriesDataModule,
    "series_lstm": SeriesDataModule,
    "jena_lstm": JenaDataModule,
    "imdb_bilstm": IMDBDataModule,
    "imdb_bilstm_stacked": IMDBDataModule,
    "iris_kmeans": IrisClusters,
    "fashion_autoencoder": FashionAutoencoderData,
    "fashion_denoising_ae": FashionDenoisingData,
    "mnist_dcgan": MNISTGANData,
    "fashion_mlp": FashionMNISTDataModule,
    "fashion_cnn": FashionMNISTDataModule,
    "mnist_cnn": MNISTDataModule,
    "cats_dogs_transfer": CatsDogsDataModule,
}

__all__ = [
    "REGISTRY", "ArrayDataModule", "ArraySplits", "BatchOrder", "DataError", "keras_validation_split",
    "AutoMPGRegression", "AutoMPGClassification", "IrisDataModule", "CSVDataModule",
    "FashionMNISTDataModule", "MNISTDataModule",
]
