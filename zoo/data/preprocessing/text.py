"""Text preprocessing: a string -> token ids, with the tokenizer the checkpoint stores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer
from torch import Tensor

from zoo.data.tokenizer import TOKENIZER, Style, load_tokenizer, tokenizer_style, train_bpe
from zoo.errors import ZooError


class TextPreprocessing:
    """A string -> (N,) int64 token ids for the model, N <= ``max_len``.

    Encoder tokenizers give ``[CLS] tokens [SEP]``, causal ones the bare tokens, translation
    ones ``tokens </s>`` for a source (:meth:`encode_targets`: ``<s> tokens </s>``; see
    ``zoo.data.tokenizer``); longer texts are cut to ``max_len`` (keeping the end token). The
    tokenizer travels in the checkpoint as ``tokenizer.json``.

    Args:
        tokenizer: a trained ``tokenizers.Tokenizer``.
        max_len: the longest id sequence the model takes.
    """

    kind = "text"

    def __init__(self, tokenizer: Tokenizer, max_len: int) -> None:
        self.tokenizer, self.max_len = tokenizer, max_len
        self.style = tokenizer_style(tokenizer)
        special = {
            "encoder": ("[PAD]", "[CLS]", "[SEP]", None, None),
            "causal": ("<pad>", None, None, None, "<|endoftext|>"),
            "translation": ("<pad>", None, None, "<s>", "</s>"),
        }
        ids = (tokenizer.token_to_id(t) if t else None for t in special[self.style])
        self.pad_id, self.cls_id, self.sep_id, self.bos_id, self.eos_id = ids
        self.vocab_size = tokenizer.get_vocab_size()

    @classmethod
    def from_path(cls, path: str | Path, max_len: int) -> TextPreprocessing:
        """From a ``tokenizer.json`` file or a text checkpoint folder."""
        return cls(load_tokenizer(path), max_len)

    @classmethod
    def load_or_train(
        cls,
        tokenizer: str | None,
        texts: Sequence[str],
        vocab_size: int,
        style: Style,
        lowercase: bool,
        max_len: int,
        accepts: Sequence[Style] | None = None,
    ) -> TextPreprocessing:
        """The tokenizer at ``tokenizer`` (a file or checkpoint folder), which must be of one of
        the ``accepts`` styles (default: ``style`` only), or a BPE of ``vocab_size`` ids and
        ``style`` trained on ``texts``."""
        if tokenizer is None:
            return cls(train_bpe(texts, vocab_size, style, lowercase), max_len)
        loaded = cls.from_path(tokenizer, max_len)
        if loaded.style not in (accepts or (style,)):
            raise ZooError(f"{tokenizer} holds an {loaded.style!r} tokenizer; this data needs a {style!r} one")
        return loaded

    def to_dict(self) -> dict:
        return {"kind": self.kind, "max_len": self.max_len}

    def files(self) -> dict[str, str]:
        return {TOKENIZER: self.tokenizer.to_str()}

    def encode_batch(self, texts: Sequence[str], first: int = 1) -> list[Tensor]:
        """Strings -> (N_i,) int64 ids each, framed and cut to ``max_len``; an empty text is an
        error naming its position (counted from ``first``)."""
        return self.encode_counted(texts, first)[0]

    def encode_counted(self, texts: Sequence[str], first: int = 1) -> tuple[list[Tensor], list[int]]:
        """As :meth:`encode_batch`, and how many tokens each text had before framing and cutting
        (to tell which were cut)."""
        _check_texts(texts, first)
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [self._frame(e.ids) for e in encoded], [len(e.ids) for e in encoded]

    def encode_prompt(self, text: str) -> Tensor:
        """A prompt -> all its (N,) ids, no special tokens and no cut (the generator checks the context)."""
        _check_texts([text])
        return torch.tensor(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=torch.long)

    def encode_targets(self, texts: Sequence[str], first: int = 1) -> list[Tensor]:
        """A translation tokenizer's target strings -> (N_i,) ids ``<s> tokens </s>`` each, cut to
        ``max_len`` (keeping ``</s>``); an empty text is an error naming its position."""
        if self.style != "translation":
            raise ZooError(f"targets are framed by a translation tokenizer; this one is {self.style!r}")
        _check_texts(texts, first)
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [torch.tensor([self.bos_id, *e.ids[: self.max_len - 2], self.eos_id]) for e in encoded]

    def _frame(self, ids: list[int]) -> Tensor:
        if self.style == "encoder":
            ids = [self.cls_id, *ids[: self.max_len - 2], self.sep_id]
        elif self.style == "translation":
            ids = [*ids[: self.max_len - 1], self.eos_id]
        return torch.tensor(ids[: self.max_len], dtype=torch.long)

    def load(self, text: str) -> Tensor:
        """One string -> (N,) int64 ids."""
        return self.encode_batch([text])[0]

    def batch(self, texts: Sequence[str], first: int = 1) -> Tensor:
        """Strings (numbered from ``first`` in errors) -> the model's (B, N) right-padded ids."""
        return self.collate(self.encode_batch(texts, first))

    def collate(self, inputs: Sequence[Tensor]) -> Tensor:
        """(N_i,) id sequences -> (B, max N_i) right-padded with the pad id."""
        return torch.nn.utils.rnn.pad_sequence(list(inputs), batch_first=True, padding_value=self.pad_id)

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text, special tokens dropped."""
        return self.tokenizer.decode(list(ids), skip_special_tokens=True).strip()


def _check_texts(texts: Sequence[str], first: int = 1) -> None:
    for i, text in enumerate(texts, start=first):
        if not isinstance(text, str):
            raise ZooError(f"text {i} is not a string ({text!r}); quote it")
        if not text.strip():
            raise ZooError(f"text {i} is empty ({text!r}); give at least one word")


def from_dict(args: dict, files: dict[str, str]) -> TextPreprocessing:
    """From the config's ``{max_len}`` and the checkpoint's ``tokenizer.json``."""
    if TOKENIZER not in files:
        raise ZooError(f"a text checkpoint needs {TOKENIZER} beside config.yaml; it is missing")
    try:
        tokenizer = Tokenizer.from_str(files[TOKENIZER])
    except Exception as err:  # noqa: BLE001 -- the Rust library raises a bare Exception
        raise ZooError(f"the checkpoint's {TOKENIZER} cannot be read ({err})") from None
    return TextPreprocessing(tokenizer, **args)
