"""Plain nn.Modules composed from front-ends, the backbone and heads (no Lightning)."""

from zoo.models.language import CausalLM
from zoo.models.presets import SIZES, transformer, vision_transformer
from zoo.models.unimodal import UnimodalModel

__all__ = ["SIZES", "CausalLM", "UnimodalModel", "transformer", "vision_transformer"]
