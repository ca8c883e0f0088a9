"""Heads: turn backbone tokens into a task's output. They know nothing of training."""

from zoo.heads.classifier import ClassifierHead

__all__ = ["ClassifierHead"]
