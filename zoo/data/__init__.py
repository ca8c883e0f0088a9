"""LightningDataModules, datasets and transforms. Data only: no models, no training."""

from zoo.data.fashion_mnist import FashionMNISTDataModule

__all__ = ["FashionMNISTDataModule"]
