"""Optimiser parameter groups: weight decay on weight matrices only (the timm / DeiT rule),
and optionally a learning rate that decays layer by layer from the head down (BEiT / MAE
fine-tuning)."""

from __future__ import annotations

from torch import nn
from torch.optim import Optimizer

from zoo.contracts import Model, NoWeightDecay
from zoo.errors import ZooError


def weight_decay_groups(model: nn.Module, layer_decay: float | None = None) -> list[dict]:
    """Split ``model``'s trainable parameters into a decayed and a non-decayed group.

    Biases, normalisation weights, and any parameter a module lists in its
    ``no_weight_decay()`` (position embeddings, the cls token) get ``weight_decay=0``;
    everything else keeps the optimiser's own weight decay.

    With ``layer_decay`` (e.g. 0.75), each of ``model.layer_groups()`` (front-end, blocks,
    final norm: input to output) also gets ``lr_scale = layer_decay ** k``, k counting groups
    down from the output: the final norm and the head 1, the last block ``layer_decay``, the
    front-end ``layer_decay ** (depth + 1)``. Layers near the input, which pretraining made
    most general, then move least (Bao et al. 2021, BEiT, Sec. 2.4; Clark et al. 2020).
    ``apply_lr_scale`` turns the scales into learning rates once the optimiser exists.

    Returns:
        ``[{"params": decayed}, {"params": not_decayed, "weight_decay": 0.0}]`` (a pair per
        layer group, with ``lr_scale``, under ``layer_decay``), ready for any ``torch.optim``
        optimiser.
    """
    skip: set[str] = set()
    for prefix, module in model.named_modules():
        if isinstance(module, NoWeightDecay):
            skip.update(f"{prefix}.{name}" if prefix else name for name in module.no_weight_decay())
    scale_of = layer_scales(model, layer_decay) if layer_decay is not None else {}
    groups: dict[tuple[float, bool], list] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            decayed = not (param.ndim <= 1 or name in skip)
            groups.setdefault((scale_of.get(id(param), 1.0), decayed), []).append(param)
    if layer_decay is None:
        return [{"params": groups.get((1.0, True), [])}, {"params": groups.get((1.0, False), []), "weight_decay": 0.0}]
    return [
        {"params": params, "lr_scale": scale, **({} if decayed else {"weight_decay": 0.0})}
        for (scale, decayed), params in sorted(groups.items(), key=lambda item: (item[0][0], not item[0][1]))
    ]


def layer_scales(model: nn.Module, layer_decay: float) -> dict[int, float]:
    """{id(parameter): lr scale} for the parameters of ``model.layer_groups()`` (see above)."""
    if not 0 < layer_decay <= 1:
        raise ZooError(f"layer_decay must be in (0, 1], got {layer_decay}")
    if not isinstance(model, Model):
        raise ZooError(f"{type(model).__name__} has no layer_groups(); layer-wise learning rates need them")
    groups = model.layer_groups()
    return {
        id(param): layer_decay ** (len(groups) - 1 - i)
        for i, group in enumerate(groups)
        for param in group.parameters()
    }


def apply_lr_scale(optimizer: Optimizer) -> None:
    """Multiply each parameter group's learning rate by its ``lr_scale`` (once, before a
    schedule records the groups' initial rates)."""
    for group in optimizer.param_groups:
        group["lr"] *= group.pop("lr_scale", 1.0)
