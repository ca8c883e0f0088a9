"""Moving Fashion: a CPU-sized video + audio + text benchmark built from real parts.

Each clip is 8 frames of 32 x 32 pixels over 3 s: Fashion-MNIST garments (official train/test
split) moving over crops of real photographs (Debian ``opencv-doc``'s sample images), each
garment's name spoken as it appears by a synthetic voice (``flite``, ``espeak-ng``; 8 kHz), and
captions that say what moves how and in which order. See
:mod:`zoo.datasets.moving_fashion_render` for what the test clips hold out.

- ``embedded``: 3,000 train / 500 val / 1,000 test clips rendered from parts that ship in the
  package (the embedded Fashion-MNIST subset, 20 photographs at 128 px, 4 + 2 voices x 2 + 1
  carrier phrases); nothing to prepare.
- ``full``: 12,000 / 1,000 / 2,000 clips from the 60k/10k Fashion-MNIST, the photographs at
  256 px and 8 + 3 voices x 4 + 1 phrases. ``zoo data prepare moving-fashion`` builds its parts
  (needs ``zoo data prepare fashion-mnist`` and ``apt-get install opencv-doc flite espeak-ng``).

Clips are rendered when read, each from a generator seeded by (split, index): the same clip
every epoch and on every machine. An example:

    {"video": (3, T, S, S) float, normalised; "audio": (T_a,) float; "text": (K, N) ids, padded;
     "label": class of the first garment; "num_garments": 1 or 2; "unseen_pair": bool}
"""

from __future__ import annotations

import io
import zipfile
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Literal

import lightning as L
import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from zoo.data.batch import TEXT, collate
from zoo.data.cache import data_home
from zoo.data.preprocessing.multimodal import MultimodalPreprocessing
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.video import VideoPreprocessing
from zoo.datasets import fashion_mnist
from zoo.datasets.moving_fashion_render import (
    GARMENT_WORDS,
    MOTIONS,
    PROMPTS,
    UNSEEN_PAIRS,
    ClipPlan,
    ClipSpec,
    plan_clip,
    render_frames,
    with_articles,
)
from zoo.datasets.moving_fashion_speech import SAMPLE_RATE, read_bank, soundtrack
from zoo.errors import ZooError

CLASSES = fashion_mnist.CLASSES
SIZES = {"embedded": {"train": 3000, "val": 500, "test": 1000}, "full": {"train": 12000, "val": 1000, "test": 2000}}
VIDEO_MEAN, VIDEO_STD = 0.45, 0.25
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}
BACKGROUNDS = {
    "train": (
        "aero1",
        "aloeL",
        "apple",
        "baboon",
        "Blender_Suzanne1",
        "building",
        "butterfly",
        "fruits",
        "home",
        "left",
        "leuvenA",
        "messi5",
        "orange",
        "pca_test1",
        "stuff",
    ),
    "test": ("ela_original", "HappyFish", "licenseplate_motion", "squirrel_cls", "starry_night"),
}
LABEL_PHRASES = [with_articles(f"a {words[0]}") for words in GARMENT_WORDS]  # "an ankle boot"
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
EMBEDDED_PARTS = {"speech": "moving_fashion_speech.zip", "backgrounds": "moving_fashion_backgrounds.zip"}


def parts_path(variant: str, part: str) -> Path:
    """Where ``variant``'s ``part`` ("speech", "backgrounds") lives; a ZooError naming the command
    that prepares the full one when it is missing."""
    if variant == "embedded":
        with resources.as_file(resources.files("zoo.datasets") / "embedded" / EMBEDDED_PARTS[part]) as path:
            return Path(path)
    path = data_home() / "moving-fashion" / f"{part}.zip"
    if not path.exists():
        raise ZooError(
            f"the full Moving Fashion parts are not prepared at {path}; run: zoo data prepare moving-fashion"
        )
    return path


def read_backgrounds(path: Path) -> dict[str, list[np.ndarray]]:
    """The photographs by split: [(H, W, 3) uint8]."""
    out: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                image = Image.open(io.BytesIO(archive.read(member))).convert("RGB")
                out[member.split("/")[0]].append(np.asarray(image))
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ZooError(
            f"{path} is not a readable background archive ({err}); run: zoo data prepare moving-fashion"
        ) from None
    return out


class MovingFashionClips(Dataset):
    """One split's clips, rendered on reading from its parts (see the module docstring).

    Args:
        split: "train", "val" or "test" (val uses training parts and held-out training garments).
        size: how many clips.
        garments: (N, 28, 28) uint8 images and (N,) labels this split draws from.
        backgrounds, bank: the split's photographs and utterances [(class, voice, samples)].
        preprocessing: normalises the frames and tokenizes the captions (None: plans only).
        spec: the clips' shape.
        num_captions: captions per clip (MIL-NCE's positives).
        frames: "all", "single" (the middle frame repeated: what one frame alone tells) or
            "shuffled" (the frames in a random order: what motion and order add).
        audio_missing: the share of clips whose soundtrack is absent (silence, ``audio_present``
            False), as in real footage without an audio track.
    """

    def __init__(
        self,
        split: str,
        size: int,
        garments: tuple[np.ndarray, np.ndarray],
        backgrounds: list[np.ndarray],
        bank: list[tuple[int, str, np.ndarray]],
        preprocessing: MultimodalPreprocessing | None,
        spec: ClipSpec,
        num_captions: int,
        frames: Literal["all", "single", "shuffled"] = "all",
        audio_missing: float = 0.0,
    ) -> None:
        self.split, self.size, self.spec, self.frames = split, size, spec, frames
        self.audio_missing = audio_missing
        self.images, labels = garments
        self.images_by_class = [np.flatnonzero(labels == c) for c in range(len(CLASSES))]
        self.backgrounds, self.bank, self.preprocessing = backgrounds, bank, preprocessing
        self.num_captions = num_captions

    def __len__(self) -> int:
        return self.size

    def plan(self, index: int) -> tuple[ClipPlan, np.random.Generator]:
        """Clip ``index``'s plan, and the generator that goes on to draw its soundtrack."""
        rng = np.random.default_rng([SPLIT_SEEDS[self.split], index])
        parts = "test" if self.split == "test" else "train"
        return plan_clip(rng, parts, self.images_by_class, self.backgrounds, self.spec, self.num_captions), rng

    def __getitem__(self, index: int) -> dict[str, Tensor]:
        plan, rng = self.plan(index)
        frames = render_frames(plan, self.images, self.backgrounds, self.spec)  # (T, S, S, 3) uint8
        if self.frames == "single":
            frames = np.repeat(frames[len(frames) // 2][None], len(frames), axis=0)
        elif self.frames == "shuffled":  # its own generator: the soundtrack stays the one "all" has
            frames = frames[np.random.default_rng([SPLIT_SEEDS[self.split], index, 1]).permutation(len(frames))]
        video = self.preprocessing.video.normalize(torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 255.0)
        audio = soundtrack(rng, plan, self.bank, self.spec, SAMPLE_RATE)
        has_audio = bool(rng.random() >= self.audio_missing)
        if not has_audio:
            audio = np.zeros_like(audio)
        g = plan.garments[0]
        return {
            "video": video,
            "audio": torch.from_numpy(audio),
            "audio_present": has_audio,
            "text": self.preprocessing.text.batch(plan.captions),  # (K, N) ids
            "label": g.label,
            "zero_shot_label": g.label if len(plan.garments) == 1 else -1,  # two garments: no single class
            "num_garments": len(plan.garments),
            "unseen_pair": any((x.label, MOTIONS.index(x.motion)) in UNSEEN_PAIRS for x in plan.garments),
        }


class MovingFashionDataModule(L.LightningDataModule):
    """Moving Fashion clips (video, audio, captions) for contrastive training and retrieval.

    Args:
        variant: "embedded" (ships in the package) or "full" (prepared; see the module docstring).
        num_captions: captions per training clip (MIL-NCE's positives); val and test clips get two.
        vocab_size, max_len: the byte-level BPE trained on training captions, and the longest caption.
        frames: "all", or a shortcut probe: "single" (one frame repeated), "shuffled" (frames in a
            random order); see :class:`MovingFashionClips`.
        batch_size: clips per batch on each device.
        num_workers: DataLoader worker processes.
        tokenizer: a tokenizer.json to use instead of training one (a checkpoint's).
        audio_missing: the share of training clips without a soundtrack (see :class:`MovingFashionClips`).
    """

    classes = CLASSES
    spec = ClipSpec()
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        variant: Literal["embedded", "full"] = "embedded",
        num_captions: int = 3,
        vocab_size: int = 600,
        max_len: int = 32,
        frames: Literal["all", "single", "shuffled"] = "all",
        batch_size: int = 64,
        num_workers: int = 0,
        tokenizer: str | None = None,
        audio_missing: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0.0 <= audio_missing <= 1.0:
            raise ZooError(f"audio_missing is a share in [0, 1], got {audio_missing}")
        self.audio_missing = audio_missing
        if variant not in SIZES:
            raise ZooError(f"variant must be 'embedded' or 'full', got {variant!r}")
        if frames not in ("all", "single", "shuffled"):
            raise ZooError(f"frames must be 'all', 'single' or 'shuffled', got {frames!r}")
        self.variant, self.num_captions, self.frames = variant, num_captions, frames
        self.vocab_size, self.max_len, self.tokenizer = vocab_size, max_len, tokenizer
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preprocessing: MultimodalPreprocessing | None = None  # a checkpoint's, when set before setup

    @property
    def description(self) -> str:
        """One line on the data, for checkpoint cards."""
        n = SIZES[self.variant]
        return (
            f"Moving Fashion ({self.variant}: {n['train']:,} train / {n['val']:,} val / {n['test']:,} test clips of "
            f"{self.spec.num_frames} frames of {self.spec.frame_size} px over {self.spec.seconds:g} s, speech at "
            f"{SAMPLE_RATE} Hz; test voices, photographs, phrasing and garment x motion pairs held out)"
        )

    def prepare_data(self) -> None:
        if self.variant == "full":
            parts_path("full", "speech")  # fails early, on one process, with the command that fixes it

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "splits"):
            return
        arrays = fashion_mnist.load_arrays(self.variant)
        bank = read_bank(parts_path(self.variant, "speech"))
        backgrounds = read_backgrounds(parts_path(self.variant, "backgrounds"))
        order = torch.randperm(len(arrays["train_labels"]), generator=torch.Generator().manual_seed(0)).numpy()
        sizes = SIZES[self.variant]
        val_size = sizes["val"]
        images, labels = arrays["train_images"], arrays["train_labels"]
        garments = {
            "train": (images[order[val_size:]], labels[order[val_size:]]),
            "val": (images[order[:val_size]], labels[order[:val_size]]),
            "test": (arrays["test_images"], arrays["test_labels"]),
        }
        if self.preprocessing is None:
            text = TextPreprocessing.load_or_train(
                self.tokenizer,
                self._training_captions(garments["train"], backgrounds["train"]),
                self.vocab_size,
                "encoder",
                True,
                self.max_len,
            )
            self.preprocessing = self.clip_preprocessing(text)
        parts = {"train": "train", "val": "train", "test": "test"}
        self.splits = {
            split: MovingFashionClips(
                split,
                sizes[split],
                garments[split],
                backgrounds[parts[split]],
                bank[parts[split]],
                self.preprocessing,
                self.spec,
                self.num_captions if split == "train" else 2,
                self.frames,
                self.audio_missing if split == "train" else 0.0,
            )
            for split in ("train", "val", "test")
        }

    def _training_captions(self, garments: tuple[np.ndarray, np.ndarray], backgrounds: list[np.ndarray]) -> list[str]:
        """The captions of the first 2,000 training clips: what the tokenizer learns from."""
        clips = MovingFashionClips("train", 2000, garments, backgrounds, [], None, self.spec, self.num_captions)
        return [text for i in range(len(clips)) for text in clips.plan(i)[0].captions]

    @classmethod
    def clip_preprocessing(cls, text: TextPreprocessing) -> MultimodalPreprocessing:
        """What a checkpoint trained on these clips needs to read a video file or a caption as
        they were read in training; its zero-shot prompts are the held-out test ones."""
        spec = cls.spec
        prompts = [p.replace("a {g}", "{}") for p in PROMPTS["test"]]
        video = VideoPreprocessing(spec.num_frames, spec.frame_size, spec.seconds, SAMPLE_RATE, VIDEO_MEAN, VIDEO_STD)
        return MultimodalPreprocessing(video, text, prompts)

    def class_prompt_ids(self) -> Tensor:
        """(C, M, N) ids of each class's M zero-shot prompts ("a video of a sneaker"), padded; the
        prompts are held out from every caption template."""
        return self.preprocessing.label_prompts(LABEL_PHRASES)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def _loader(self, split: str, shuffle: bool = False) -> DataLoader:
        pad = self.preprocessing.text.pad_id
        return DataLoader(
            self.splits[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            collate_fn=partial(collate, padding={TEXT: pad}),  # (B, K, max N) caption ids
            drop_last=shuffle,
            persistent_workers=self.num_workers > 0,
        )


def held_out(task: str, preprocessing: MultimodalPreprocessing, variant: str) -> MovingFashionDataModule:
    """The test clips (the embedded 1,000, or the full 2,000 the cards were measured on), their
    captions read by the checkpoint's tokenizer."""
    data = MovingFashionDataModule(variant=variant, max_len=preprocessing.text.max_len)
    data.preprocessing = preprocessing
    return data


def write_parts(out: Path, image_side: int, voices, carriers) -> None:
    """Build the speech bank and the background archive into ``out`` (a folder)."""
    from zoo.datasets.moving_fashion_speech import build_bank

    build_bank(out / "speech.zip", voices, carriers)
    partial = out / "backgrounds.partial"
    with zipfile.ZipFile(partial, "w") as archive:
        for split, names in BACKGROUNDS.items():
            for name in names:
                source = OPENCV_DATA / f"{name}.jpg"
                if not source.exists():
                    raise ZooError(f"{source} is missing; run: apt-get install opencv-doc")
                image = Image.open(source).convert("RGB")
                scale = image_side / min(image.size)
                image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=85)
                archive.writestr(f"{split}/{name}.jpg", buffer.getvalue())
    partial.replace(out / "backgrounds.zip")


def prepare(source: Path | None = None) -> Path:
    """``zoo data prepare moving-fashion``: synthesise the full speech bank and cut the photographs
    (the garments come from ``zoo data prepare fashion-mnist``)."""
    from zoo.datasets.moving_fashion_speech import CARRIERS, VOICES

    fashion_mnist.require_full()
    out = data_home() / "moving-fashion"
    out.mkdir(parents=True, exist_ok=True)
    write_parts(out, 256, VOICES, CARRIERS)
    return out


def make_embedded_parts(out: Path) -> None:
    """The parts that ship in the package (a maintainer's step; see the module docstring)."""
    from zoo.datasets.moving_fashion_speech import EMBEDDED_CARRIERS, EMBEDDED_VOICES

    write_parts(out, 128, EMBEDDED_VOICES, EMBEDDED_CARRIERS)
    for part, name in EMBEDDED_PARTS.items():
        (out / f"{part}.zip").replace(out / name)
