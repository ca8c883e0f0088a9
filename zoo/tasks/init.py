"""Initialise a model from a zoo checkpoint before training (pretrain, then fine-tune)."""

from __future__ import annotations

from torch import nn

from zoo.hub.checkpoint import LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve


def init_from_checkpoint(model: nn.Module, name_or_path: str) -> LoadReport:
    """Load a checkpoint's weights into ``model``; the model's ``classifier`` submodule
    (e.g. ``head``) keeps its fresh init, whatever the checkpoint holds there (an LM head).

    Every other tensor must load; the report (printed) names what was re-initialised.
    """
    path, sha256 = resolve(name_or_path)
    classifier = getattr(model, "classifier", None)
    reinit = (f"{classifier}.",) if classifier else ()
    report = load_weights(model, read_checkpoint(path, sha256).state, reinit)
    print(f"initialised from {name_or_path}: {report}")
    return report
