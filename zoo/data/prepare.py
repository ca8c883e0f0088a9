"""``zoo data prepare NAME``: datasets whose full version is built into the local cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zoo.data import fashion_mnist, spoken_language, web_bible


def _fashion_mnist(source: str | None) -> Path:
    return fashion_mnist.prepare(Path(source) if source else None)


def _web_bible(source: str | None) -> Path:
    return web_bible.prepare(Path(source) if source else None)


def _spoken_language(source: str | None) -> Path:
    return spoken_language.prepare(Path(source) if source else None)


PREPARERS: dict[str, Callable[[str | None], Path]] = {
    "fashion-mnist": _fashion_mnist,
    "web-bible": _web_bible,
    "spoken-language": _spoken_language,
}
