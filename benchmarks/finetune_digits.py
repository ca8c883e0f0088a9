"""Fine-tune a zoo checkpoint on digits it never saw: handwritten (images) or spoken (audio).

``--digits handwritten`` builds ``OUT/data/{train,test}/<digit>/*.png`` from the 5,000 20x20
MNIST-style digits in OpenCV's sample image (Debian package ``opencv-doc``; 500 per digit, in
order). ``--digits spoken`` writes the embedded spoken digits as ``OUT/data/{train,test}/<digit>/*.wav``
(its 930 training clips; its 270 test clips, by voices the training clips do not have).
Then runs ``zoo finetune`` with each --freeze mode, from the pretrained checkpoint and, as
a control, from the same network untrained, and prints held-out accuracy (chance: 10 %).

    apt-get install opencv-doc
    python benchmarks/finetune_digits.py [--model vit-tiny-fashion-mnist] [--per-digit 100]
    python benchmarks/finetune_digits.py --digits spoken --model ast-tiny-spoken-language
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

import zoo
from transfer import untrained_copy  # the from-scratch control of the transfer suite, beside this file
from zoo.datasets.spoken_digits import embedded_archive

DIGITS = Path("/usr/share/doc/opencv-doc/examples/data/digits.png")


def build_spoken_folder(root: Path) -> None:
    """The embedded spoken digits' train and test splits -> audio folders of 16 kHz wav files."""
    with zipfile.ZipFile(embedded_archive()) as archive:
        for name in archive.namelist():
            split, word, clip = name.split("/")
            if split in ("train", "test"):
                samples, rate = sf.read(io.BytesIO(archive.read(name)), dtype="float32")
                (root / split / word).mkdir(parents=True, exist_ok=True)
                sf.write(root / split / word / f"{Path(clip).stem}.wav", samples, rate)


def build_folder(root: Path, per_digit: int, test_per_digit: int) -> None:
    """OpenCV's 50x100 grid of 20x20 digits (rows 5d..5d+4 hold digit d) -> image folders."""
    grid = np.asarray(Image.open(DIGITS).convert("L"))
    cells = grid.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(10, 500, 20, 20)
    order = np.random.default_rng(0).permutation(500)
    for digit in range(10):
        for split, picked in (("train", order[:per_digit]), ("test", order[-test_per_digit:])):
            folder = root / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            for i in picked:
                Image.fromarray(cells[digit, i]).save(folder / f"{i}.png")


def accuracy(checkpoint: Path, test: Path) -> float:
    files = sorted(f for f in test.rglob("*") if f.suffix in (".png", ".wav"))
    predicted = [r["label"] for r in zoo.load(checkpoint).predict(files, batch_size=256)]
    return float(np.mean([p == f.parent.name for p, f in zip(predicted, files)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--digits", choices=["handwritten", "spoken"], default="handwritten")
    parser.add_argument("--model", default="vit-tiny-fashion-mnist")
    parser.add_argument("--per-digit", type=int, default=100, help="training images per digit")
    parser.add_argument("--test-per-digit", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", help="default: runs/finetune_digits (handwritten), runs/finetune_spoken_digits")
    args = parser.parse_args()
    out = Path(args.out or ("runs/finetune_digits" if args.digits == "handwritten" else "runs/finetune_spoken_digits"))
    data = out / "data"
    if not data.is_dir() and args.digits == "spoken":
        build_spoken_folder(data)
    elif not data.is_dir():
        if not DIGITS.is_file():
            sys.exit(f"{DIGITS} is missing; install it with: apt-get install opencv-doc")
        build_folder(data, args.per_digit, args.test_per_digit)
    bases = {"pretrained": args.model, "untrained": str(untrained_copy(args.model, out / "untrained"))}
    held_out = sum(1 for f in (data / "test").rglob("*") if f.is_file())
    print(f"| start | --freeze | held-out acc ({held_out} digits) | fine-tune time |")
    print("| --- | --- | ---: | ---: |")
    for start, base in bases.items():
        for freeze in ("none", "backbone", "gradual"):
            if start == "untrained" and freeze != "none":
                continue  # a frozen random backbone says nothing
            target = out / f"{start}-{freeze}"
            began = time.perf_counter()
            subprocess.run(
                [
                    "zoo",
                    "finetune",
                    base,
                    "--data",
                    str(data / "train"),
                    "--output",
                    str(target),
                    "--epochs",
                    str(args.epochs),
                    "--freeze",
                    freeze,
                    "--new-head",
                ],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - began
            print(f"| {start} | {freeze} | {accuracy(target, data / 'test'):.1%} | {seconds:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
