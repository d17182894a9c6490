"""Datamodules shared by both twins: a numpy core, a torch adapter and a Keras adapter.

Which datamodule each model id reads is registered in ``configs/<id>.yaml`` (``twins.registry``).
"""

from .auto_mpg import AutoMPGClassification, AutoMPGRegression
from .base import ArrayDataModule
from .cats_dogs import CatsDogsDataModule
from .core import ArraySplits, BatchOrder, keras_validation_split
from .csv_table import CSVDataModule
from .errors import DataError
from .fashion_autoencoder import FashionAutoencoderData, FashionDenoisingData
from .image_folder import ImageFolderDataModule
from .imdb import IMDBDataModule
from .iris import IrisDataModule
from .iris_clusters import IrisClusters
from .jena import JenaDataModule
from .mnist import FashionMNISTDataModule, MNISTDataModule
from .mnist_gan import MNISTGANData
from .series import SeriesDataModule

__all__ = [
    "ArrayDataModule",
    "ArraySplits",
    "AutoMPGClassification",
    "AutoMPGRegression",
    "BatchOrder",
    "CSVDataModule",
    "CatsDogsDataModule",
    "DataError",
    "FashionAutoencoderData",
    "FashionDenoisingData",
    "FashionMNISTDataModule",
    "IMDBDataModule",
    "ImageFolderDataModule",
    "IrisClusters",
    "IrisDataModule",
    "JenaDataModule",
    "MNISTDataModule",
    "MNISTGANData",
    "SeriesDataModule",
    "keras_validation_split",
]
