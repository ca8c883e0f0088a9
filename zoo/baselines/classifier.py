"""timm's classifier surface for the baselines, whose output layer is a linear ``fc``."""

from __future__ import annotations

from torch import nn

from zoo.heads.classifier import new_linear


class FcClassifier:
    """Mixin for a model whose (num_classes, C) output layer is ``self.fc`` (keys ``fc.weight``,
    ``fc.bias``): ``num_classes``, ``get_classifier()`` and ``reset_classifier(num_classes)``,
    the ``zoo.contracts.Classifier`` surface. List it before ``nn.Module``."""

    fc: nn.Linear

    @property
    def num_classes(self) -> int:
        return self.fc.out_features

    def get_classifier(self) -> nn.Linear:
        """The output layer ``fc``."""
        return self.fc

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh ``fc`` of ``num_classes`` outputs in PyTorch's default init, as built; the rest is kept."""
        self.fc = new_linear(self.fc, num_classes)
