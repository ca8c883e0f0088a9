"""Byte-level BPE tokenizers trained on a recipe's training text (Hugging Face ``tokenizers``).

Sennrich et al. 2016 (BPE), https://arxiv.org/abs/1508.07909; byte-level as in GPT-2, so
every string is encodable and no token is unknown. The special tokens depend on the task:

- ``encoder`` (BERT-style classification and masked-LM): [PAD] [UNK] [CLS] [SEP] [MASK];
  a text is encoded as ``[CLS] tokens [SEP]``.
- ``causal`` (GPT-style LM): <pad> <|endoftext|>; a text is its tokens. <|endoftext|> is
  the end-of-text id at which generation stops (the Bible stream separates verses with
  newlines and never emits it, so generation there runs to its token limit).
- ``translation`` (encoder-decoder, one joint vocabulary for both languages): <pad> <s>
  </s>; a source is ``tokens </s>``, a target ``<s> tokens </s>`` (fairseq's framing).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from zoo.errors import ZooError
from zoo.hub.files import TOKENIZER  # the checkpoint format names the file

SPECIAL_TOKENS = {
    "encoder": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    "causal": ["<pad>", "<|endoftext|>"],
    "translation": ["<pad>", "<s>", "</s>"],
}
Style = Literal["encoder", "causal", "translation"]


def train_bpe(texts: Iterable[str], vocab_size: int, style: Style = "encoder", lowercase: bool = False) -> Tokenizer:
    """A byte-level BPE tokenizer with ``vocab_size`` ids learned from ``texts``.

    The special tokens of ``style`` take ids 0, 1, ... (so the pad id is 0).
    """
    if style not in SPECIAL_TOKENS:
        raise ZooError(f"tokenizer style must be one of {', '.join(SPECIAL_TOKENS)}, got {style!r}")
    tokenizer = Tokenizer(models.BPE())
    steps = [normalizers.NFKC(), normalizers.Lowercase()] if lowercase else [normalizers.NFKC()]
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS[style],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def load_tokenizer(path: str | Path) -> Tokenizer:
    """A ``tokenizer.json`` file, or the one inside a zoo checkpoint folder."""
    path = Path(path)
    file = path / TOKENIZER if path.is_dir() else path
    if not file.is_file():
        raise ZooError(f"{file} does not exist; give a tokenizer.json or a text checkpoint folder holding one")
    try:
        return Tokenizer.from_file(str(file))
    except Exception as err:  # noqa: BLE001 -- the Rust library raises a bare Exception
        raise ZooError(f"{file} is not a tokenizers JSON file ({err})") from None


def tokenizer_style(tokenizer: Tokenizer) -> Style:
    """Which special-token set ``tokenizer`` was trained with."""
    for style, tokens in SPECIAL_TOKENS.items():
        if all(tokenizer.token_to_id(token) is not None for token in tokens):
            return style
    raise ZooError(f"tokenizer has none of the special-token sets {SPECIAL_TOKENS}; train it with zoo")
