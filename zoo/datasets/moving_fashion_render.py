"""The seen half of Moving Fashion: garments moving over real photographs, and their captions.

A clip shows one Fashion-MNIST garment moving (sliding left, right, up or down, growing or
shrinking) over a crop of a real photograph; in half the clips a second garment enters halfway
and moves too. The same plan gives the clip's frames, its soundtrack (each garment's name
spoken as it appears, in one voice) and its captions ("a sneaker slides left, then a bag
enters and grows"). Test clips differ from training ones in every part a model could latch
onto: other photographs, voices, carrier phrase and caption templates, the official test
garments, and garment x motion pairs no training clip shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from PIL import Image

MOTIONS = ("left", "right", "up", "down", "grow", "shrink")
UNSEEN_PAIRS = frozenset((c, (c + 3) % len(MOTIONS)) for c in range(10))  # (class, motion) only in test
GARMENT_WORDS = (
    ("t-shirt", "top", "tee"),
    ("pair of trousers", "pair of pants"),
    ("pullover", "sweater", "jumper"),
    ("dress", "frock"),
    ("coat", "jacket"),
    ("sandal",),
    ("shirt", "blouse"),
    ("sneaker", "trainer", "running shoe"),
    ("bag", "handbag", "purse"),
    ("ankle boot", "boot"),
)
MOTION_WORDS = {
    "left": ("slides left", "moves to the left", "drifts leftwards"),
    "right": ("slides right", "moves to the right", "drifts rightwards"),
    "up": ("rises", "moves up", "floats upwards"),
    "down": ("falls", "moves down", "sinks"),
    "grow": ("grows", "gets bigger", "zooms in"),
    "shrink": ("shrinks", "gets smaller", "zooms out"),
}
TEMPLATES = {  # {g}: a garment word, {m}: a motion phrase; 2: the second garment
    "train": {
        1: ("a {g} {m}", "the {g} {m}", "a {g} that {m}", "here a {g} {m}"),
        2: (
            "a {g} {m}, then a {g2} enters and {m2}",
            "first a {g} {m}, then a {g2} {m2}",
            "a {g} {m} before a {g2} appears and {m2}",
        ),
    },
    "test": {
        1: ("we see a {g} as it {m}", "one {g} {m} across the picture"),
        2: ("a {g} {m}; later a {g2} shows up and {m2}",),
    },
}
PROMPTS = {  # zero-shot class prompts; the test ones are held out from every caption template
    "train": ("a {g}", "a clip of a {g}"),
    "test": ("a video of a {g}", "there is a {g} in this clip", "a {g} on screen"),
}


@dataclass(frozen=True)
class ClipSpec:
    """A clip's shape: ``num_frames`` square frames of ``frame_size`` pixels over ``seconds``."""

    num_frames: int = 8
    frame_size: int = 32
    seconds: float = 3.0
    garment_size: int = 16


@dataclass(frozen=True)
class Garment:
    """One garment of a clip: its class, image, motion, first frame, tint and path."""

    label: int
    image: int  # index into the split's garment images
    motion: str
    first_frame: int
    tint: tuple[float, float, float]
    start: tuple[float, float]  # top-left (x, y) in pixels at its first frame
    distance: float  # pixels travelled, or the size change


@dataclass(frozen=True)
class ClipPlan:
    """Everything one clip shows, says and is described by, drawn from one seeded generator."""

    garments: tuple[Garment, ...]
    background: int
    crop: tuple[int, int, int]  # (x, y, side) in the photograph
    captions: tuple[str, ...]


def plan_clip(
    rng: np.random.Generator,
    split: str,
    images_by_class: list[np.ndarray],
    backgrounds: list[np.ndarray],
    spec: ClipSpec,
    num_captions: int,
) -> ClipPlan:
    """Draw a clip: one or two garments (classes, images, motions), a crop, ``num_captions`` captions."""
    count = int(rng.integers(1, 3))
    garments = []
    for g in range(count):
        while True:
            label, motion = int(rng.integers(10)), str(rng.choice(MOTIONS))
            if split == "test" or (label, MOTIONS.index(motion)) not in UNSEEN_PAIRS:
                break
        first = 0 if g == 0 else spec.num_frames // 2
        image = int(rng.choice(images_by_class[label]))
        garments.append(_place(rng, label, image, motion, first, spec))
    background = int(rng.integers(len(backgrounds)))
    h, w = backgrounds[background].shape[:2]
    side = int(rng.integers(min(h, w) // 3, min(h, w) + 1))
    crop = (int(rng.integers(w - side + 1)), int(rng.integers(h - side + 1)), side)
    captions = tuple(caption(rng, split, garments) for _ in range(num_captions))
    return ClipPlan(tuple(garments), background, crop, captions)


def _place(rng: np.random.Generator, label: int, image: int, motion: str, first: int, spec: ClipSpec) -> Garment:
    """A garment's tint and path: a start that keeps it inside the frame all along."""
    S, s = spec.frame_size, spec.garment_size
    tint = tuple(float(v) for v in rng.uniform(0.6, 1.0, size=3))
    if motion in ("grow", "shrink"):
        distance = float(rng.uniform(0.35, 0.6)) * s  # size change either way around s
        margin = s + distance / 2
        start = (float(rng.uniform(0, S - margin)), float(rng.uniform(0, S - margin)))
        return Garment(label, image, motion, first, tint, start, distance)
    distance = float(rng.uniform(0.6, 1.0)) * (S - s)  # 11-18 px in a 32 px frame
    along = float(rng.uniform(distance, S - s)) if motion in ("left", "up") else float(rng.uniform(0, S - s - distance))
    across = float(rng.uniform(0, S - s))
    start = (along, across) if motion in ("left", "right") else (across, along)
    return Garment(label, image, motion, first, tint, start, distance)


def caption(rng: np.random.Generator, split: str, garments: list[Garment] | tuple[Garment, ...]) -> str:
    """One caption of the clip's garments, from ``split``'s templates and random synonyms."""
    template = str(rng.choice(TEMPLATES[split][len(garments)]))
    words = {}
    for g, suffix in zip(garments, ("", "2"), strict=False):
        words["g" + suffix] = str(rng.choice(GARMENT_WORDS[g.label]))
        words["m" + suffix] = str(rng.choice(MOTION_WORDS[g.motion]))
    return with_articles(template.format(**words))


def with_articles(text: str) -> str:
    """ "a ankle boot" -> "an ankle boot"."""
    return re.sub(r"\ba (?=[aeiou])", "an ", text)


def box(garment: Garment, frame: int, spec: ClipSpec) -> tuple[float, float, float] | None:
    """Where ``garment`` is in ``frame``: (x, y, size) in pixels, None before it enters."""
    if frame < garment.first_frame:
        return None
    steps = spec.num_frames - 1 - garment.first_frame
    t = (frame - garment.first_frame) / max(steps, 1)  # 0 -> 1 over the frames it is seen
    (x, y), d, s = garment.start, garment.distance, spec.garment_size
    sign = {"left": -1.0, "right": 1.0, "up": -1.0, "down": 1.0, "grow": 1.0, "shrink": -1.0}[garment.motion]
    if garment.motion in ("left", "right"):
        return x + sign * d * t, y, s
    if garment.motion in ("up", "down"):
        return x, y + sign * d * t, s
    size = s - sign * d / 2 + sign * d * t  # from s - d/2 to s + d/2 (grow), or back
    centre = s + d / 2
    return x + (centre - size) / 2, y + (centre - size) / 2, size


def render_frames(
    plan: ClipPlan, garment_images: np.ndarray, backgrounds: list[np.ndarray], spec: ClipSpec
) -> np.ndarray:
    """The clip's frames: (T, S, S, 3) uint8."""
    x0, y0, side = plan.crop
    crop = Image.fromarray(backgrounds[plan.background][y0 : y0 + side, x0 : x0 + side])
    background = np.asarray(crop.resize((spec.frame_size,) * 2, Image.BILINEAR), dtype=np.float32)
    background = (
        0.25 * background + 0.375 * background.mean()
    )  # a quarter of the contrast, darker: the garment stands out
    frames = np.repeat(background[None], spec.num_frames, axis=0)  # (T, S, S, 3)
    for garment in plan.garments:
        image = Image.fromarray(garment_images[garment.image])
        for f in range(spec.num_frames):
            placed = box(garment, f, spec)
            if placed is not None:
                _paste(frames[f], image, placed, np.asarray(garment.tint, dtype=np.float32))
    return frames.round().clip(0, 255).astype(np.uint8)


def _paste(frame: np.ndarray, image: Image.Image, placed: tuple[float, float, float], tint: np.ndarray) -> None:
    """Alpha-blend the garment (its intensity is its alpha) into ``frame`` (S, S, 3) in place."""
    x, y, size = placed
    n = max(round(size), 2)
    intensity = np.asarray(image.resize((n, n), Image.BILINEAR), dtype=np.float32)[..., None] / 255.0  # (n, n, 1)
    alpha = np.minimum(3.0 * intensity, 1.0)  # the silhouette opaque, its faint edge see-through
    colour = 255.0 * tint * (0.5 + 0.5 * intensity)  # the garment's own shading, tinted
    S = frame.shape[0]
    left, top = round(x), round(y)
    fx0, fy0, fx1, fy1 = max(left, 0), max(top, 0), min(left + n, S), min(top + n, S)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    a = alpha[fy0 - top : fy1 - top, fx0 - left : fx1 - left]
    c = colour[fy0 - top : fy1 - top, fx0 - left : fx1 - left]
    frame[fy0:fy1, fx0:fx1] = frame[fy0:fy1, fx0:fx1] * (1 - a) + c * a
