"""Datamodules shared by both twins: a numpy core, a torch adapter and a Keras adapter.

Which datamodule each model id reads is registered in ``configs/<id>.yaml`` (``twins.registry``).
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

__all__ = [
    "ArrayDataModule", "ArraySplits", "BatchOrder", "DataError", "keras_validation_split",
    "AutoMPGRegression", "AutoMPGClassification", "IrisDataModule", "CSVDataModule",
    "FashionMNISTDataModule", "MNISTDataModule",
]
