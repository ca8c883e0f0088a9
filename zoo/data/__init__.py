"""LightningDataModules, datasets and transforms. Data only: no models, no training."""

from zoo.data.fashion_mnist import FashionMNISTDataModule
from zoo.data.language_modeling import LanguageModelDataModule
from zoo.data.rotten_tomatoes import RottenTomatoesDataModule
from zoo.data.text_files import TextFileDataModule

__all__ = ["FashionMNISTDataModule", "LanguageModelDataModule", "RottenTomatoesDataModule", "TextFileDataModule"]
