"""Plain nn.Modules composed from front-ends, the backbone and heads (no Lightning)."""

from zoo.models.encoder_decoder import EncoderDecoderModel
from zoo.models.language import CausalLM
from zoo.models.presets import SIZES, audio_spectrogram_transformer, transformer, vision_transformer
from zoo.models.unimodal import UnimodalModel

__all__ = [
    "SIZES",
    "CausalLM",
    "EncoderDecoderModel",
    "UnimodalModel",
    "audio_spectrogram_transformer",
    "transformer",
    "vision_transformer",
]
