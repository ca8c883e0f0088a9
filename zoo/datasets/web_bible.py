"""The World English Bible (public domain): an English corpus for language modelling.

Exported from the Debian package ``sword-text-web`` with ``diatheke`` (package ``diatheke``)
by ``zoo data prepare web-bible``: 37,322 verses in 79 books (the deuterocanon included),
about 1.2 M words. The export is OSIS: words are ``<w>`` elements, some with no space
between them (``<w>God</w><w>created</w>``, which diatheke's plain format prints as
"Godcreated"), so words are separated and the markup and section titles dropped here.

Held-out text is whole chapters: counting chapters from Genesis 1, chapter i is validation
when i % 20 == 18 and test when i % 20 == 19 (5 % each, spread over every part of the
Bible). The ``embedded`` variant ships Genesis alone (50 chapters, 1,533 verses) in the
package, with the same rule, so tests run offline. :class:`WebBibleDataModule` serves it for
language modelling, a verse a text, and :class:`WebBibleWordsDataModule` for word vectors, a
verse a sentence.
"""

from __future__ import annotations

import gzip
import html
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Literal

from zoo.data.cache import data_home, write_atomically
from zoo.data.language_modeling import LanguageModelDataModule, Objective
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.words import WordPreprocessing
from zoo.data.word_windows import WordWindowDataModule
from zoo.errors import ZooError

MODULE = "engWEB2015eb"
MODULE_LINE = re.compile(r"\(\w+\)")  # diatheke ends its export with "(engWEB2015eb)"
PACKAGES = {MODULE: "sword-text-web", "engKJV2006eb": "sword-text-kjv"}  # SWORD module -> Debian package
EMBEDDED = "web_genesis.tsv.gz"
# "Book C:V: text", at the start of a line or after a section title and two spaces (OSIS)
VERSE = re.compile(r"(?:^|\s{2})\s*((?:I{1,3} |IV )?[A-Z][A-Za-z]*(?: [A-Za-z]+)*) (\d+):(\d+): ?(.*)$")
KEY = re.compile(r"\s\S+ \d+:\d+:(\s|$)")  # a verse key inside a text: verses the module lacks follow
GLOSSARY = "The following words used in the World English Bible"  # appended to Revelation 22:21
TITLE = re.compile(r"<title\b[^>]*>.*?</title>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")
Variant = Literal["embedded", "full"]
Verse = tuple[str, int, int, str]  # (book, chapter, verse, text)


def full_path() -> Path:
    return data_home() / "web-bible" / "verses.tsv"


def export_with_diatheke(module: str = MODULE) -> str:
    """The whole Bible as diatheke's OSIS export, from the installed SWORD ``module``
    (``engWEB2015eb`` from package sword-text-web, ``engKJV2006eb`` from sword-text-kjv)."""
    package = PACKAGES.get(module, "the package of SWORD module " + module)
    if shutil.which("diatheke") is None:
        raise ZooError(f"diatheke is not installed; run: apt-get install diatheke {package}")
    command = ["diatheke", "-b", module, "-f", "OSIS", "-k", "Gen 1:1 - Rev 22:21"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not VERSE.search(result.stdout.lstrip().split("\n", 1)[0]):
        raise ZooError(f"diatheke found no {module} module; run: apt-get install {package}")
    return result.stdout


def plain_words(markup: str) -> str:
    """One verse's OSIS markup -> its words: titles dropped, adjacent words separated, tags
    removed; cut before the glossary or a run of keys of verses the module lacks."""
    markup = TITLE.sub(" ", markup).replace("</w><w", "</w> <w")
    text = " ".join(html.unescape(TAG.sub("", markup)).split())
    text = text.split(GLOSSARY, 1)[0]
    if key := KEY.search(text):
        text = text[: key.start()]
    return text.strip()


def parse_export(text: str) -> list[Verse]:
    """diatheke's export (OSIS or plain) -> verses; continuation lines (poetry) join their verse."""
    verses: list[Verse] = []
    for line in text.splitlines():
        if match := VERSE.search(line):
            book, chapter, verse, words = match.groups()
            verses.append((book, int(chapter), int(verse), words.strip()))
        elif verses and line.strip() and not line.startswith("   ") and not MODULE_LINE.fullmatch(line.strip()):
            # not the trailing glossary, nor the line naming the module
            book, chapter, verse, words = verses[-1]
            verses[-1] = (book, chapter, verse, f"{words} {line.strip()}")
    verses = [(b, c, v, plain_words(t)) for b, c, v, t in verses]
    return [verse for verse in verses if verse[3]]


def to_tsv(verses: list[Verse]) -> str:
    return "".join(f"{b}\t{c}\t{v}\t{t}\n" for b, c, v, t in verses)


def from_tsv(text: str, source: Path) -> list[Verse]:
    verses = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 4 or not (parts[1].isdigit() and parts[2].isdigit()):
            raise ZooError(f"{source}:{number} is not book<TAB>chapter<TAB>verse<TAB>text; prepare it again")
        verses.append((parts[0], int(parts[1]), int(parts[2]), parts[3]))
    return verses


def prepare(source: Path | None = None) -> Path:
    """Write the verse table to the cache from diatheke, or from ``source`` (a saved export)."""
    text = Path(source).read_text(encoding="utf-8") if source else export_with_diatheke()
    verses = parse_export(text)
    if len(verses) < 1000:
        raise ZooError(f"found only {len(verses)} verses in the export; is it diatheke's plain output?")
    out = full_path()
    write_atomically(out, lambda f: f.write(to_tsv(verses).encode()))
    return out


def make_embedded_subset(out: Path) -> None:
    """Write Genesis, the subset that ships in the package (run once by a maintainer)."""
    genesis = [verse for verse in read_verses("full") if verse[0] == "Genesis"]
    data = gzip.compress(to_tsv(genesis).encode(), mtime=0)
    write_atomically(out, lambda f: f.write(data))


def read_verses(variant: Variant) -> list[Verse]:
    if variant == "embedded":
        with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED) as path:
            return from_tsv(gzip.decompress(path.read_bytes()).decode(), path)
    if variant != "full":
        raise ZooError(f"web-bible variant must be 'embedded' or 'full', got {variant!r}")
    path = full_path()
    if not path.is_file():
        raise ZooError(f"the World English Bible is not prepared at {path}; run: zoo data prepare web-bible")
    return from_tsv(path.read_text(encoding="utf-8"), path)


def split_of(chapter_index: int) -> str:
    return {18: "val", 19: "test"}.get(chapter_index % 20, "train")


def load_splits(variant: Variant) -> dict[str, list[list[str]]]:
    """{"train" | "val" | "test": chapters, each a list of verse texts}, in canonical order."""
    splits: dict[str, list[list[str]]] = {"train": [], "val": [], "test": []}
    previous, index = None, -1
    for book, chapter, _, text in read_verses(variant):
        if (book, chapter) != previous:
            previous, index = (book, chapter), index + 1
            splits[split_of(index)].append([])
        splits[split_of(index)][-1].append(text)
    return splits


class WebBibleDataModule(LanguageModelDataModule):
    """The World English Bible for language modelling, a verse a text (see the module docstring).

    Args:
        variant: "embedded" (Genesis, ships in the package) or "full" (the whole Bible, prepared).
        Others: see :class:`~zoo.data.language_modeling.LanguageModelDataModule`.
    """

    def __init__(
        self,
        variant: Variant = "embedded",
        objective: Objective = "causal",
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        seq_len: int = 128,
        lowercase: bool = False,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(objective, tokenizer, vocab_size, seq_len, lowercase, batch_size, num_workers)
        if variant not in ("embedded", "full"):
            raise ZooError(f"web-bible variant must be 'embedded' or 'full', got {variant!r}")
        self.variant = variant

    @property
    def description(self) -> str:
        return (
            f"World English Bible ({self.variant} variant), {self.objective} language modelling, "
            f"{self.seq_len}-token context"
        )

    def load_texts(self) -> dict[str, list[str]]:
        splits = load_splits(self.variant)
        return {name: [verse for chapter in chapters for verse in chapter] for name, chapters in splits.items()}


class WebBibleWordsDataModule(WordWindowDataModule):
    """The World English Bible as skip-gram / CBOW examples, a verse a sentence (about 1.2 M
    words in full; see :class:`~zoo.data.word_windows.WordWindowDataModule` for the arguments).

    Args:
        variant: "embedded" (Genesis) or "full" (the whole Bible, prepared).
    """

    def __init__(self, variant: Variant = "embedded", **options) -> None:
        super().__init__(**options)
        if variant not in ("embedded", "full"):
            raise ZooError(f"web-bible variant must be 'embedded' or 'full', got {variant!r}")
        self.variant = variant

    @property
    def description(self) -> str:
        return f"World English Bible ({self.variant} variant), words in verses, window {self.window}"

    def load_sentences(self) -> dict[str, list[str]]:
        splits = load_splits(self.variant)
        return {name: [verse for chapter in chapters for verse in chapter] for name, chapters in splits.items()}


def held_out(
    task: str, preprocessing: TextPreprocessing | WordPreprocessing, variant: str
) -> WebBibleDataModule | WebBibleWordsDataModule:
    """The test chapters (Genesis 20 and 40 embedded; every 20th chapter of the Bible in full):
    in windows of the checkpoint's context for a language model, as context windows over the
    checkpoint's vocabulary (then the word benchmarks) for word vectors."""
    if task == "words-word-embedding":
        data = WebBibleWordsDataModule(variant)
        data.preprocessing = preprocessing
        return data
    return WebBibleDataModule(variant, "causal", seq_len=preprocessing.max_len)
