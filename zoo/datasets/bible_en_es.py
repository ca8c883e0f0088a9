"""The Bible, English -> Spanish, verse by verse: the World English Bible against the Reina-Valera 1909.

Both are public domain, from Debian: ``sword-text-web`` (module ``engWEB2015eb``, NRSVA
versification) and ``sword-text-sparv`` (``spaRV1909eb``, KJV versification), read with
PyPI ``pysword`` and aligned on book, chapter and verse by ``zoo data prepare bible-en-es``
(about 1.5 min): 31,014 pairs; the WEB's deuterocanon has no Spanish and is left out.

Cleaning (pysword's own ``clean`` mode glues words, "Godcreated"): footnotes and section
titles are dropped with their text, every other tag becomes a space, and the spaces that
leaves inside punctuation are closed. Where the English verse opens with a title (a
Psalm's superscription, Psalm 119's stanza letters), RV1909 carries it as plain text in the
verse ("Salmo de David, cuando huía ... ¡OH Jehová"): it is cut at the chapter's capitalised
first word, or the stanza letter dropped. RV1909's chapter-initial capitals ("EN el
principio") become a capitalised word ("En el principio"). Pairs whose Spanish is under half
or over twice the English in characters (alignment errors, 63 pairs) are left out. The 1909
accents ("á su Hijo") are the text's own and kept.

Splits are whole books, never verses (neighbouring verses repeat each other):

- test: John, Ruth, Ecclesiastes, Philippians, Jonah (1,335 pairs: a gospel without a
  synoptic twin, narrative, wisdom, a letter, a prophet);
- val: Esther, Galatians, Song of Solomon, Habakkuk, Titus (534 pairs);
- train: the other 56 books (29,145 pairs).

The ``embedded`` variant ships in the package: Genesis to train, Ruth to validate, Jonah to
test (two of the full test books), so the quick recipe and tests run with nothing prepared.
:class:`BibleEnEsDataModule` serves either.
"""

from __future__ import annotations

import gzip
import html
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Literal

from zoo.data.cache import data_home, write_atomically
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.translation import Pair, TranslationDataModule
from zoo.errors import ZooError

ENGLISH, SPANISH = "engWEB2015eb", "spaRV1909eb"
PACKAGES = {ENGLISH: "sword-text-web", SPANISH: "sword-text-sparv"}
SWORD_ROOT = "/usr/share/sword"
TEST_BOOKS = ("John", "Ruth", "Ecclesiastes", "Philippians", "Jonah")
VAL_BOOKS = ("Esther", "Galatians", "Song of Solomon", "Habakkuk", "Titus")
EMBEDDED = "bible_en_es_genesis_ruth_jonah.tsv.gz"
EMBEDDED_BOOKS = {"Genesis": "train", "Ruth": "val", "Jonah": "test"}
RATIO = (0.5, 2.0)  # kept: Spanish characters / English characters within this range

DROPPED = re.compile(r"<(note|title)\b[^>]*>.*?</\1>", re.DOTALL)  # footnotes, headings: with their text
TITLE = re.compile(r"<title\b")
TAG = re.compile(r"<[^>]+>")
SPACE_BEFORE = re.compile(r"\s+([,.;:!?)\]’”»])")
SPACE_AFTER = re.compile(r"([¡¿(\[“‘«])\s+")
HEBREW_LETTERS = (
    "ALEPH BETH GIMEL DALETH HE VAU ZAIN CHETH TETH JOD CAPH LAMED MEM NUN SAMECH AIN PE TZADDI COPH RESH SIN TAU"
)
STANZA = re.compile(rf"^(?:{'|'.join(HEBREW_LETTERS.split())})\.?\s+")  # Psalm 119's "ALEPH. ", "BETH "
# a chapter's first word in capitals ("EN", "¡OH", "Y FUERON", "A JEHOVÁ"): an optional
# one-letter capital word before it belongs to it
CHAPTER_START = re.compile(r"(?:[¡¿(“]?[^\W\d_] )?[¡¿(“]?([^\W\d_]{2,})\b")
WORD = re.compile(r"[^\W\d_]+")
SENTENCE_END = re.compile(r"[.!?¡¿:;]")
Variant = Literal["embedded", "full"]
Verse = tuple[str, int, int]  # (book, chapter, verse)


def full_path() -> Path:
    return data_home() / "bible-en-es" / "pairs.tsv"


def plain_text(markup: str) -> str:
    """One verse's OSIS markup -> its text (see the module docstring)."""
    text = " ".join(html.unescape(TAG.sub(" ", DROPPED.sub(" ", markup))).split())
    return SPACE_AFTER.sub(r"\1", SPACE_BEFORE.sub(r"\1", text))


def chapter_start(text: str) -> re.Match | None:
    """Where a RV1909 chapter's capitalised first word (with a one-letter word before it) is."""
    return next((m for m in CHAPTER_START.finditer(text) if m.group(1).isupper()), None)


def usual_casing(texts: list[str]) -> dict[str, str]:
    """lowercased word -> its most frequent form inside a sentence ("jehová" -> "Jehová")."""
    counts: Counter[str] = Counter()
    for text in texts:
        for sentence in SENTENCE_END.split(text):
            counts.update(WORD.findall(sentence)[1:])  # not the sentence's first word
    casing: dict[str, str] = {}
    for word, _ in counts.most_common():
        casing.setdefault(word.lower(), word)
    return casing


def fix_spanish(text: str, verse: int, titled: bool, casing: dict[str, str]) -> str:
    """A RV1909 verse without the title that the English verse marks (``titled``) and, in a
    verse 1, with its chapter-initial capitals in the word's ``casing``, capitalised when it
    opens the verse ("EN el" -> "En el", "Y FUERON" -> "Y fueron", "A JEHOVÁ" -> "A Jehová")."""
    if titled and (stanza := STANZA.match(text)):
        text = text[stanza.end() :]
    if verse != 1 or (start := chapter_start(text)) is None:
        return text
    if titled:  # the superscription is what comes before the chapter's first word
        text = text[start.start() :]
        start = chapter_start(text)
    a, b = start.span(1)
    word = casing.get(text[a:b].lower(), text[a:b].lower())
    if not WORD.search(SENTENCE_END.split(text[:a])[-1]):  # a sentence's first word
        word = word[0].upper() + word[1:]
    return text[:a] + word + text[b:]


def read_module(module: str, root: str | Path = SWORD_ROOT) -> dict[Verse, str]:
    """Every verse of SWORD ``module`` installed under ``root``, as raw OSIS markup."""
    try:
        from pysword.modules import SwordModules
    except ImportError:
        raise ZooError("reading the SWORD Bibles needs pysword; run: pip install pysword") from None
    modules = SwordModules(str(root))
    found = modules.parse_modules() if Path(root, "mods.d").is_dir() else {}
    if module not in found:
        raise ZooError(f"SWORD module {module} is not installed; run: apt-get install {PACKAGES[module]}")
    bible = modules.get_bible_from_module(module)
    verses = {}
    for testament in bible.get_structure().get_books().values():
        for book in testament:
            for chapter, count in enumerate(book.chapter_lengths, 1):
                texts = bible.get(books=[book.name], chapters=[chapter], clean=False, join="\x1e").split("\x1e")
                if len(texts) != count:
                    raise ZooError(f"{module} {book.name} {chapter}: {len(texts)} verses read, {count} expected")
                verses.update({(book.name, chapter, v): t for v, t in enumerate(texts, 1)})
    return verses


def align(english: dict[Verse, str], spanish: dict[Verse, str]) -> list[tuple[Verse, str, str]]:
    """Raw verses of both Bibles -> (verse, English, Spanish) in Spanish (canonical) order,
    cleaned, empty and out-of-ratio pairs left out."""
    spanish_texts = {key: plain_text(markup) for key, markup in spanish.items()}
    casing = usual_casing(list(spanish_texts.values()))
    pairs = []
    for key in spanish:
        if key not in english:
            continue
        en = plain_text(english[key])
        es = fix_spanish(spanish_texts[key], key[2], bool(TITLE.search(english[key])), casing)
        if en and es and RATIO[0] <= len(es) / len(en) <= RATIO[1]:
            pairs.append((key, en, es))
    return pairs


def to_tsv(pairs: list[tuple[Verse, str, str]]) -> str:
    return "".join(f"{b}\t{c}\t{v}\t{en}\t{es}\n" for (b, c, v), en, es in pairs)


def from_tsv(text: str, source: Path) -> list[tuple[Verse, str, str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 5 or not (parts[1].isdigit() and parts[2].isdigit()):
            raise ZooError(f"{source}:{number} is not book, chapter, verse, English, Spanish; prepare it again")
        pairs.append(((parts[0], int(parts[1]), int(parts[2])), parts[3], parts[4]))
    return pairs


def prepare(source: Path | None = None) -> Path:
    """Align the installed Bibles into the cache (``source``: a SWORD root other than /usr/share/sword)."""
    root = source or SWORD_ROOT
    pairs = align(read_module(ENGLISH, root), read_module(SPANISH, root))
    if len(pairs) < 1000:
        raise ZooError(f"only {len(pairs)} verses aligned; are both {ENGLISH} and {SPANISH} complete?")
    out = full_path()
    write_atomically(out, lambda f: f.write(to_tsv(pairs).encode()))
    return out


def make_embedded_subset(out: Path) -> None:
    """Write the books that ship in the package (run once by a maintainer)."""
    pairs = [pair for pair in read_rows("full") if pair[0][0] in EMBEDDED_BOOKS]
    data = gzip.compress(to_tsv(pairs).encode(), mtime=0)
    write_atomically(out, lambda f: f.write(data))


def read_rows(variant: Variant) -> list[tuple[Verse, str, str]]:
    if variant == "embedded":
        with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED) as path:
            return from_tsv(gzip.decompress(path.read_bytes()).decode(), path)
    if variant != "full":
        raise ZooError(f"bible-en-es variant must be 'embedded' or 'full', got {variant!r}")
    path = full_path()
    if not path.is_file():
        raise ZooError(f"the English-Spanish Bible is not prepared at {path}; run: zoo data prepare bible-en-es")
    return from_tsv(path.read_text(encoding="utf-8"), path)


def split_of(book: str, variant: Variant) -> str:
    if variant == "embedded":
        return EMBEDDED_BOOKS[book]
    return "test" if book in TEST_BOOKS else "val" if book in VAL_BOOKS else "train"


def load_splits(variant: Variant, reverse: bool = False) -> dict[str, list[Pair]]:
    """{"train" | "val" | "test": (English, Spanish) pairs in canonical order; Spanish first with ``reverse``}."""
    splits: dict[str, list[Pair]] = {"train": [], "val": [], "test": []}
    for (book, _, _), en, es in read_rows(variant):
        splits[split_of(book, variant)].append((es, en) if reverse else (en, es))
    return splits


class BibleEnEsDataModule(TranslationDataModule):
    """The World English Bible -> Reina-Valera 1909, a verse a pair (see the module docstring).

    Args:
        variant: "embedded" (Genesis / Ruth / Jonah, ships in the package) or "full" (prepared).
        reverse: translate Spanish -> English instead.
        Others: see :class:`~zoo.data.translation.TranslationDataModule`.
    """

    def __init__(
        self,
        variant: Variant = "embedded",
        reverse: bool = False,
        tokenizer: str | None = None,
        vocab_size: int = 8000,
        max_len: int = 256,
        max_train_len: int | None = None,
        batch_size: int = 32,
        num_workers: int = 0,
        seed: int = 0,
    ) -> None:
        super().__init__(tokenizer, vocab_size, max_len, max_train_len, batch_size, num_workers, seed)
        if variant not in ("embedded", "full"):
            raise ZooError(f"bible-en-es variant must be 'embedded' or 'full', got {variant!r}")
        self.variant, self.reverse = variant, reverse

    @property
    def description(self) -> str:
        books = "Jonah" if self.variant == "embedded" else ", ".join(TEST_BOOKS)
        direction = "Spanish -> English" if self.reverse else "English -> Spanish"
        return f"Bible {direction}, WEB / RV1909 ({self.variant} variant; test books: {books})"

    def load_pairs(self) -> dict[str, list[Pair]]:
        return load_splits(self.variant, self.reverse)


def held_out(task: str, preprocessing: TextPreprocessing, variant: str) -> BibleEnEsDataModule:
    """The test books (Jonah embedded; John, Ruth, Ecclesiastes, Philippians, Jonah in full),
    in the translation recipes' batches of 64: under bf16 a batch's shape moves the rounding,
    and beam search turns that into other words (the LSTM twin: 14.60 BLEU in batches of 32
    against the 14.58 its card measured in 64)."""
    data = BibleEnEsDataModule(variant, max_len=preprocessing.max_len, batch_size=64)
    data.preprocessing = preprocessing
    return data
