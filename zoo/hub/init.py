"""Start training from a zoo checkpoint's weights (pretrain, then fine-tune), as a callback.

trainer:
  callbacks:
    - class_path: zoo.hub.init.InitFromCheckpoint
      init_args: {checkpoint: runs/bert_tiny_mlm_rotten_tomatoes/checkpoint}

``modules: [backbone]`` takes only the shared Transformer from a checkpoint of another
modality (an image ViT's backbone for an audio model, as AST starts from ImageNet), the
front-end and head keeping their fresh init.
"""

from __future__ import annotations

from collections.abc import Sequence

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities import rank_zero_info
from torch import nn

from zoo.contracts import classifier_name, is_classifier
from zoo.errors import ZooError
from zoo.hub.checkpoint import LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve


def init_from_checkpoint(model: nn.Module, name_or_path: str, modules: Sequence[str] | None = None) -> LoadReport:
    """Load a checkpoint's weights into ``model``.

    Without ``modules``, everything but a classifier's task head (:func:`task_head`, e.g.
    ``head``, which keeps its fresh init whatever the checkpoint holds there: an LM head) must load.
    With ``modules`` (top-level submodule names, e.g. ``["backbone"]``), exactly those load
    and every other submodule keeps its fresh init. The report names what was re-initialised.
    """
    path, sha256 = resolve(name_or_path)
    state = read_checkpoint(path, sha256).state
    if modules is not None:
        if not modules:
            raise ZooError("modules is empty; name the submodules to load (e.g. [backbone]) or leave it out")
        children = {name for name, _ in model.named_children()}
        unknown = sorted(set(modules) - children)
        if unknown:
            raise ZooError(f"modules {unknown} are not submodules of the model ({', '.join(sorted(children))})")
        keep = tuple(f"{name}." for name in modules)
        state = {k: v for k, v in state.items() if k.startswith(keep)}
        if not state:
            raise ZooError(f"{name_or_path} holds no weights under {', '.join(keep)}")
        return load_weights(model, state, tuple(f"{name}." for name in sorted(children - set(modules))))
    return load_weights(model, state, (f"{task_head(model)}.",) if is_classifier(model) else ())


def task_head(model: nn.Module) -> str:
    """The top-level submodule that holds the model's classifier: ``head`` of a Transformer
    (``head.fc``), ``fc`` of a baseline. It is task-specific, so initialising from another task's
    checkpoint (a masked-LM head) leaves it fresh."""
    return classifier_name(model).split(".")[0]


class InitFromCheckpoint(Callback):
    """Before fitting, load ``checkpoint`` (a name or folder) into the task's ``model``; only the
    submodules in ``modules`` when given (see :func:`init_from_checkpoint`).

    Only when fitting: testing or re-exporting a finished run does not need the pretraining
    checkpoint, and a resumed run restores its own weights over these afterwards.
    """

    def __init__(self, checkpoint: str, modules: list[str] | None = None) -> None:
        self.checkpoint, self.modules = checkpoint, modules

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit":
            report = init_from_checkpoint(pl_module.model, self.checkpoint, self.modules)
            rank_zero_info(f"initialised from {self.checkpoint}: {report}")
