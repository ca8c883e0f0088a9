"""A folder of videos with a captions CSV: grouping, examples, and a one-line error for each bad CSV."""

from pathlib import Path

import numpy as np
import pytest
import torch

from tests.data.test_video_io import FPS, moving_square, tone
from zoo.data.video_captions import VideoCaptionFolder
from zoo.data.video_io import read_clip, write_video
from zoo.errors import ZooError

OPTIONS = {"num_frames": 4, "frame_size": 32, "sample_rate": 16_000, "seconds": 1.0}
CAPTIONS = """file,caption
clips/square.mp4,a white square moves right
clips/grey.mp4,  a grey screen\x20
clips/square.mp4,a square on black
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """clips/square.mp4 (a moving square, a 440 Hz tone) and clips/grey.mp4 (grey, silent)."""
    (tmp_path / "clips").mkdir()
    write_video(tmp_path / "clips" / "square.mp4", moving_square(), fps=FPS, audio=np.stack([tone(2.0, 44_100)] * 2))
    write_video(tmp_path / "clips" / "grey.mp4", np.full((12, 48, 64, 3), 128, np.uint8), fps=FPS)
    (tmp_path / "captions.csv").write_text(CAPTIONS)
    return tmp_path


def test_captions_are_grouped_by_file_in_order_of_first_appearance(folder):
    data = VideoCaptionFolder(folder, **OPTIONS)
    assert len(data) == 2
    assert data.files == ["clips/square.mp4", "clips/grey.mp4"]
    assert data.captions == [["a white square moves right", "a square on black"], ["a grey screen"]]


def test_an_example_is_its_files_clip_with_all_its_captions(folder):
    data = VideoCaptionFolder(folder, **OPTIONS)
    square, grey = data[0], data[1]
    assert set(square) == {"video", "audio", "audio_present", "captions", "file"}
    assert square["file"] == "clips/square.mp4" and square["captions"] == data.captions[0]
    assert square["video"].shape == (3, 4, 32, 32) and square["video"].dtype == torch.float32
    expected = read_clip(folder / "clips" / "square.mp4", **OPTIONS)
    assert torch.equal(square["video"], expected.video) and torch.equal(square["audio"], expected.audio)
    assert square["audio"].shape == (16_000,) and square["audio"].abs().max() > 0.3
    assert square["audio_present"].dtype == torch.bool and square["audio_present"].item()
    assert grey["video"].shape == (3, 4, 32, 32) and grey["video"].mean().item() == pytest.approx(128 / 255, abs=0.02)
    assert grey["audio"].shape == (16_000,) and not grey["audio"].any() and not grey["audio_present"].item()


def test_a_spreadsheets_csv_with_a_byte_order_mark_and_extra_columns_reads(folder):
    (folder / "captions.csv").write_text("\ufefffile,caption,author\nclips/grey.mp4,grey,me\n", encoding="utf-8")
    data = VideoCaptionFolder(folder, **OPTIONS)
    assert data.files == ["clips/grey.mp4"] and data.captions == [["grey"]]


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("", r"captions.csv: the file is empty; write the header 'file,caption' and a row per caption$"),
        ("file,caption\n", r"captions.csv: no captions below the header; add rows 'file,caption'$"),
        (
            "path,text\nclips/grey.mp4,grey\n",
            r"captions.csv: the header must name the columns file and caption, found 'path,text'$",
        ),
        (
            "file,caption\nclips/grey.mp4,grey\n\nclips/square.mp4,\n",
            r"captions.csv line 4: the caption of clips/square.mp4 is empty; write one or delete the row$",
        ),
        ("file,caption\nclips/grey.mp4,   \n", r"captions.csv line 2: the caption of clips/grey.mp4 is empty"),
        (
            "file,caption\nclips/grey.mp4,grey\nclips/dog.mp4,a dog\n",
            r"captions.csv line 3: clips/dog.mp4 is not in .*; fix the name or add the video$",
        ),
        (
            "file,caption\n,a caption for nothing\n",
            r"captions.csv line 2: no file named; give the video's path relative to",
        ),
    ],
)
def test_each_bad_csv_is_one_line_naming_the_problem(folder, csv_text, message):
    (folder / "captions.csv").write_text(csv_text)
    with pytest.raises(ZooError, match=message) as error:
        VideoCaptionFolder(folder, **OPTIONS)
    assert "\n" not in str(error.value)


def test_a_missing_folder_or_csv_is_one_line(tmp_path, folder):
    with pytest.raises(
        ZooError, match=r"nowhere: no such folder; give the folder holding the videos and captions.csv$"
    ):
        VideoCaptionFolder(tmp_path / "nowhere", **OPTIONS)
    with pytest.raises(
        ZooError, match=r"labels.csv: no captions file; write a CSV with the header 'file,caption' there$"
    ):
        VideoCaptionFolder(folder, captions="labels.csv", **OPTIONS)


def test_bad_options_fail_before_any_video_is_read(folder):
    with pytest.raises(ZooError, match=r"^num_frames must be at least 1, got 0$"):
        VideoCaptionFolder(folder, **(OPTIONS | {"num_frames": 0}))


@pytest.fixture(scope="module")
def moving_fashion_files(tmp_path_factory) -> Path:
    """24 Moving Fashion test clips written as mp4 files with their captions, and a silent clip."""
    from zoo.datasets.moving_fashion_files import write_files

    root = write_files(tmp_path_factory.mktemp("mf") / "clips", "test", 24)
    write_video(root / "clips" / "silent.mp4", moving_square(num_frames=8, height=32, width=32), fps=FPS)
    with (root / "captions.csv").open("a") as f:
        f.write("clips/silent.mp4,a white square slides right\n")
    return root


def test_a_folder_of_captioned_videos_trains_and_tests_a_contrastive_model(moving_fashion_files, tmp_path):
    """One epoch of a micro VATT on the folder's clips: batches of K captions a clip, a silent
    file kept for video and text, retrieval measured on the held-out files."""
    import lightning as L

    from tests.hub.test_multimodal_inference import micro_vatt
    from zoo.data.video_captions import VideoCaptionDataModule
    from zoo.hub.build import build
    from zoo.tasks.contrastive import ContrastiveTask

    data = VideoCaptionDataModule(moving_fashion_files, batch_size=8, val_fraction=0.2, test_fraction=0.4)
    data.setup()
    assert {k: len(v) for k, v in data.splits.items()} == {"val": 5, "test": 10, "train": 10}
    batch = next(iter(data.train_dataloader()))
    assert batch["video"].shape == (8, 3, 8, 32, 32) and batch["audio"].shape == (8, 24_000)
    assert batch["text"].shape[:2] == (8, 2) and batch["text"].dtype == torch.int64
    three = {
        "captions": ["one", "two", "three"],
        **{k: v for k, v in data.splits["train"][0].items() if k != "captions"},
    }
    decode = data.preprocessing.text.decode
    drawn = {decode(data._collate([three], train=True)["text"][0, k].tolist()) for _ in range(20) for k in range(2)}
    assert drawn == {"one", "two", "three"}  # training draws K of a clip's captions; evaluation keeps its first K
    assert [decode(ids.tolist()) for ids in data._collate([three])["text"][0]] == ["one", "two"]
    everything = data._collate([data.splits["train"].dataset[i] for i in range(25)])
    assert everything["audio_present"].tolist() == [True] * 24 + [False]  # the silent file: video and text only
    torch.manual_seed(0)
    task = ContrastiveTask(build(micro_vatt(data.preprocessing.text.vocab_size)))
    trainer = L.Trainer(max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=tmp_path)  # fmt: skip
    trainer.fit(task, datamodule=data)
    tested = trainer.test(task, datamodule=data, verbose=False)[0]
    assert {"test/t2v_r1", "test/v2t_r10", "test/a2v_median_rank"} <= set(tested)
    assert task.chance["t2v"]["r1"] == pytest.approx(100 / 10)  # ranked among the 10 test files


def test_given_split_folders_are_used_as_they_are(moving_fashion_files, tmp_path):
    import shutil

    from zoo.data.video_captions import VideoCaptionDataModule

    for split in ("train", "val"):
        shutil.copytree(moving_fashion_files, tmp_path / split)
    data = VideoCaptionDataModule(tmp_path)
    data.setup()
    assert set(data.splits) == {"train", "val"} and len(data.splits["val"]) == 25
    with pytest.raises(ZooError, match="has no test clips"):
        data.test_dataloader()
    shutil.rmtree(tmp_path / "val")
    with pytest.raises(ZooError, match="give train/ and val/ folders"):
        VideoCaptionDataModule(tmp_path).setup()
