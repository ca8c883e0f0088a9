"""Optimiser parameter groups: weight decay on weight matrices only (the timm / DeiT rule)."""

from __future__ import annotations

from torch import nn

from zoo.contracts import NoWeightDecay


def weight_decay_groups(model: nn.Module) -> list[dict]:
    """Split ``model``'s trainable parameters into a decayed and a non-decayed group.

    Biases, normalisation weights, and any parameter a module lists in its
    ``no_weight_decay()`` (position embeddings, the cls token) get ``weight_decay=0``;
    everything else keeps the optimiser's own weight decay.

    Returns:
        ``[{"params": decayed}, {"params": not_decayed, "weight_decay": 0.0}]``, ready for
        any ``torch.optim`` optimiser.
    """
    skip: set[str] = set()
    for prefix, module in model.named_modules():
        if isinstance(module, NoWeightDecay):
            skip.update(f"{prefix}.{name}" if prefix else name for name in module.no_weight_decay())
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if param.ndim <= 1 or name in skip else decay).append(param)
    return [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
