"""The file names of a zoo checkpoint and the digest of its weights.

Torch-free (standard library only), so the table of named checkpoints (``zoo list``) is
read without importing torch or tokenizers.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

WEIGHTS, CONFIG, METRICS, CARD = "model.safetensors", "config.yaml", "metrics.json", "card.md"
TOKENIZER = "tokenizer.json"  # beside config.yaml in a checkpoint of a model that reads text
VOCABULARY = "vocab.txt"  # beside config.yaml in a word-vector checkpoint: "word count" lines
FILES = (WEIGHTS, CONFIG, METRICS, CARD)
REQUIRED = (WEIGHTS, CONFIG)  # the rest may be absent
EXTRA_FILES = (TOKENIZER, VOCABULARY)  # written by the preprocessing that needs them
WEIGHT_DTYPES = ("float32", "float16", "bfloat16")  # how model.safetensors may store floating weights


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks; the table identifies weights by it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
