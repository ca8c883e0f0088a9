"""``zoo retrieve NAME_OR_DIR --query TEXT --gallery DIR``: the folder's video files ranked by how
well they match a caption (text -> video) or a sound file (audio -> video), best first.

    zoo retrieve vatt-tiny-moving-fashion --query "a bag slides left" --gallery clips/ --topk 5
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from zoo.commands.base import ArgumentParser
from zoo.errors import ZooError


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo retrieve")
    parser.add_argument(
        "model", help="a video + audio + text checkpoint: a name (zoo list), a folder, or hf://owner/repo"
    )
    parser.add_argument(
        "--query",
        required=True,
        help='a caption ("a bag slides left"), or a sound: an audio file or a video\'s soundtrack',
    )
    parser.add_argument("--gallery", required=True, type=Path, help="a folder of video files (searched recursively)")
    parser.add_argument("--topk", type=int, default=10, help="files to list")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    args = parser.parse_args(argv)
    files = gallery_files(args.gallery)
    from zoo.hub.pretrained import load

    for rank, hit in enumerate(load(args.model).retrieve(args.query, files, args.topk), start=1):
        print(json.dumps({"rank": rank, **hit}) if args.json else f"{rank:4d}  {hit['score']:+.4f}  {hit['file']}")


def gallery_files(folder: Path) -> list[Path]:
    """The video files under ``folder``, sorted; a ZooError when there are none."""
    from zoo.data.preprocessing.video import VIDEO_SUFFIXES, is_video_file

    if not folder.is_dir():
        raise ZooError(f"{folder}: no such folder; give the folder of video files to rank")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and is_video_file(p))
    if not files:
        raise ZooError(f"{folder} holds no video files ({', '.join(VIDEO_SUFFIXES)})")
    return files
