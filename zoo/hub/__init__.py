"""Zoo checkpoints: export, the table of named checkpoints, loading by name.

``Pretrained`` and ``load`` import torch, so they are imported when first asked for:
``zoo.hub.registry`` (the table, ``zoo list``) stays torch-free.
"""

from zoo.hub.registry import list_models

__all__ = ["Pretrained", "list_models", "load"]


def __getattr__(name: str):
    if name in ("Pretrained", "load"):
        from zoo.hub import pretrained

        return getattr(pretrained, name)
    raise AttributeError(f"module 'zoo.hub' has no attribute {name!r}")
