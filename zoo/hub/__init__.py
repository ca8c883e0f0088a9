"""Zoo checkpoints: export, the table of named checkpoints, loading by name."""

from zoo.hub.pretrained import Pretrained, load
from zoo.hub.registry import list_models

__all__ = ["Pretrained", "list_models", "load"]
