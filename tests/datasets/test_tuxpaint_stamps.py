"""Tux Paint's stamps as picture + speech + text triples: read from Debian's real files (a few
folders of them), split by stamp, each recording once, batched as a video + audio + text task reads."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from zoo.datasets import tuxpaint_stamps
from zoo.datasets.spoken_language import split_of
from zoo.errors import ZooError

STAMPS = Path("/usr/share/tuxpaint/stamps")
pytestmark = pytest.mark.skipif(not STAMPS.is_dir(), reason="apt install tuxpaint-stamps-default")


def test_a_stamps_description_file_gives_each_languages_text():
    texts = tuxpaint_stamps.read_texts(STAMPS / "animals" / "mammals" / "badger.txt")
    assert texts["en"] == "A badger." and texts["fr"] == "Un blaireau."
    assert set(texts) <= set(tuxpaint_stamps.LANGUAGES)


def test_a_picture_is_drawn_on_white_keeping_its_shape():
    image = tuxpaint_stamps.stamp_image(STAMPS / "animals" / "mammals" / "badger.png")  # 191 x 75, transparent
    assert image.shape == (64, 64, 3) and image.dtype == np.uint8
    assert (image[:8] == 255).all() and (image[-8:] == 255).all()  # above and below the wide picture: white
    assert image[28:36].std() > 20  # the badger


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The bears, cats and a copy of the cats under a second folder (the same recordings twice)."""
    source = tmp_path_factory.mktemp("stamps")
    for folder in ("bears", "cats"):
        shutil.copytree(STAMPS / "animals" / "mammals" / folder, source / folder)
    shutil.copytree(STAMPS / "animals" / "mammals" / "cats", source / "copies")
    home = tmp_path_factory.mktemp("data")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("ZOO_DATA", str(home))
        tuxpaint_stamps.prepare(source)
    return source, home


def test_prepare_keeps_every_recording_once_in_its_stamps_split(prepared):
    source, home = prepared
    rows = json.loads((home / "tuxpaint-stamps" / "stamps.json").read_text())
    originals = {p.relative_to(source).with_suffix("").as_posix() for p in source.rglob("*.png")}
    assert {r["stamp"] for r in rows} <= originals and len(rows) > 5
    assert not any(r["stamp"].startswith("copies/") for r in rows)  # the copies' recordings were all seen
    assert {"cats/lion", "cats/cartoon/lion"} <= {r["stamp"] for r in rows}  # two stamps of one name
    assert all(r["split"] == split_of(Path(r["stamp"]).name) for r in rows)
    arrays = np.load(home / "tuxpaint-stamps" / "stamps.npz")
    assert arrays["images"].shape == (len(rows), 64, 64, 3)
    spans = [span for r in rows for span in r["speech"]]
    assert spans[-1][2] == len(arrays["speech"]) and all(lang in r["texts"] for r in rows for lang, _, _ in r["speech"])


def test_a_batch_is_a_still_clip_a_recording_and_three_descriptions(prepared, monkeypatch):
    _, home = prepared
    monkeypatch.setenv("ZOO_DATA", str(home))
    data = tuxpaint_stamps.TuxPaintStampsDataModule(batch_size=4, vocab_size=300)
    data.setup()
    example = data.splits["train"][0]
    assert example["video"].shape == (3, 8, 32, 32) and torch.equal(example["video"][:, 0], example["video"][:, 7])
    assert example["audio"].shape == (24_000,) and example["audio"].abs().max() > 0.05
    row = data.splits["train"].rows[0]
    decoded = [data.preprocessing.text.decode(ids.tolist()) for ids in example["text"]]
    first = [lang for lang in tuxpaint_stamps.LANGUAGES if lang in row["texts"]][:3]
    assert decoded == [row["texts"][lang].lower() for lang in first]
    batch = next(iter(data.train_dataloader()))
    assert batch["video"].shape == (4, 3, 8, 32, 32) and batch["text"].shape[:2] == (4, 3)


def test_unprepared_data_says_how_to_prepare_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    with pytest.raises(ZooError, match="zoo data prepare tuxpaint-stamps"):
        tuxpaint_stamps.TuxPaintStampsDataModule().setup()
