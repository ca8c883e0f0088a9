"""The modality-agnostic Transformer backbone: it knows (B, N, D) tokens and nothing else."""

from zoo.backbone.attention import KVCache, MultiHeadAttention
from zoo.backbone.block import EncoderBlock
from zoo.backbone.decoder import TransformerDecoder
from zoo.backbone.decoder_block import DecoderBlock
from zoo.backbone.drop_path import DropPath
from zoo.backbone.mlp import Mlp
from zoo.backbone.transformer import Transformer

__all__ = ["DecoderBlock", "DropPath", "EncoderBlock", "KVCache", "Mlp", "MultiHeadAttention", "Transformer", "TransformerDecoder"]
