"""LightningModules: loss, metrics, optimiser and schedule. They receive a model."""

from zoo.tasks.classification import ClassificationTask
from zoo.tasks.distillation import DistillationTask
from zoo.tasks.language_modeling import LanguageModelTask, MaskedLMTask
from zoo.tasks.masked_autoencoder import MaskedAutoencoderTask
from zoo.tasks.schedules import InverseSqrtLR, WarmupCosineLR

__all__ = ["ClassificationTask", "DistillationTask", "InverseSqrtLR", "LanguageModelTask", "MaskedAutoencoderTask", "MaskedLMTask", "WarmupCosineLR"]
