"""``zoo.load``: a checkpoint name or directory -> a ready model with its labels and preprocessing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from zoo.data.preprocessing import ImagePreprocessing, preprocessing_from_dict
from zoo.errors import ZooError
from zoo.hub.build import build
from zoo.hub.checkpoint import CheckpointFiles, LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve


class Pretrained(nn.Module):
    """A model with what it needs at inference: ``labels`` and ``preprocessing``.

    ``forward`` is the model's own (inputs -> (B, num_classes) logits); ``predict`` takes
    files. ``model`` is the bare network, e.g. to fine-tune.

    Attributes:
        model: the network built from the checkpoint's config.
        labels: class names, index i -> labels[i].
        preprocessing: turns a file into the model's input (``preprocessing.load(path)``).
        config, metrics, card: the checkpoint's other files.
        report: which tensors were loaded and which kept a fresh init.
    """

    def __init__(
        self,
        model: nn.Module,
        labels: Sequence[str],
        preprocessing: ImagePreprocessing,
        config: dict,
        metrics: dict | None = None,
        card: str = "",
        report: LoadReport | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.labels = list(labels)
        self.preprocessing = preprocessing
        self.config, self.metrics, self.card = config, metrics or {}, card
        self.report = report

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)

    @torch.inference_mode()
    def predict(self, inputs: Sequence[str | Path], topk: int = 5, batch_size: int = 64) -> list[dict]:
        """Files -> one dict each: ``{input, label, score, topk: [[label, prob], ...]}``.

        Raises ZooError naming the first file that cannot be read.
        """
        k = max(1, min(topk, len(self.labels)))
        device = next(self.model.parameters()).device
        results = []
        for start in range(0, len(inputs), batch_size):
            chunk = list(inputs[start : start + batch_size])
            x = torch.stack([self.preprocessing.load(path) for path in chunk]).to(device)
            probs = self(x).float().softmax(dim=-1)
            if probs.shape[-1] != len(self.labels):
                raise ZooError(f"the model has {probs.shape[-1]} outputs but {len(self.labels)} labels")
            top = probs.topk(k, dim=-1)
            for path, values, indices in zip(chunk, top.values.tolist(), top.indices.tolist()):
                pairs = [[self.labels[i], round(p, 6)] for p, i in zip(values, indices)]
                results.append({"input": str(path), "label": pairs[0][0], "score": pairs[0][1], "topk": pairs})
        return results


def from_files(files: CheckpointFiles) -> Pretrained:
    """Build the network from a read checkpoint and load its weights strictly."""
    config = files.config
    labels = config.get("labels")
    if not isinstance(labels, list) or not labels:
        raise ZooError(f"{files.path}/config.yaml has no 'labels' list")
    if "preprocessing" not in config:
        raise ZooError(f"{files.path}/config.yaml has no 'preprocessing' section")
    model = build(config["model"])
    if not isinstance(model, nn.Module):
        raise ZooError(f"{files.path}/config.yaml: 'model' builds a {type(model).__name__}, not a torch module")
    report = load_weights(model, files.state)
    preprocessing = preprocessing_from_dict(config["preprocessing"])
    return Pretrained(model, labels, preprocessing, config, files.metrics, files.card, report).eval()


def load(name_or_path: str | Path, device: str | torch.device = "cpu") -> Pretrained:
    """A named checkpoint (see ``zoo list``), a checkpoint directory, or ``hf://owner/repo``
    -> a :class:`Pretrained` model in eval mode on ``device``.

    Example:
        >>> model = zoo.load("vit-tiny-fashion-mnist")
        >>> model.predict(["shoe.png"])[0]["label"]
    """
    path, sha256 = resolve(name_or_path)
    return from_files(read_checkpoint(path, sha256)).to(device)
