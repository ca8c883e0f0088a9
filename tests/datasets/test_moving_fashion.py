"""Moving Fashion: the same clip on every read, test clips built from held-out parts, and captions,
speech and frames that say what the plan says."""

import numpy as np
import pytest
import torch

from zoo.datasets.moving_fashion import BACKGROUNDS, MovingFashionDataModule
from zoo.datasets.moving_fashion_render import MOTIONS, PROMPTS, TEMPLATES, UNSEEN_PAIRS, ClipSpec, box
from zoo.datasets.moving_fashion_speech import CARRIERS, VOICES


@pytest.fixture(scope="module")
def data() -> MovingFashionDataModule:
    dm = MovingFashionDataModule(batch_size=8)
    dm.setup()
    return dm


def test_a_clip_is_rendered_the_same_on_every_read(data):
    first, again = data.splits["test"][7], data.splits["test"][7]
    assert all(
        torch.equal(first[k], again[k]) if isinstance(first[k], torch.Tensor) else first[k] == again[k] for k in first
    )
    assert not torch.equal(first["video"], data.splits["test"][8]["video"])


def test_a_batch_has_the_multimodal_fields(data):
    batch = next(iter(data.train_dataloader()))
    T, S = ClipSpec.num_frames, ClipSpec.frame_size
    assert batch["video"].shape == (8, 3, T, S, S) and batch["audio"].shape == (8, round(ClipSpec.seconds * 8000))
    assert batch["text"].shape[:2] == (8, 3) and batch["text"].dtype == torch.int64
    assert ((batch["zero_shot_label"] == -1) == (batch["num_garments"] == 2)).all()


def test_the_test_split_holds_out_voices_carriers_photographs_templates_and_prompts():
    assert not {v.key for v in VOICES["train"]} & {v.key for v in VOICES["test"]}
    assert not set(CARRIERS["train"]) & set(CARRIERS["test"])
    assert not set(BACKGROUNDS["train"]) & set(BACKGROUNDS["test"])
    for n in (1, 2):
        assert not set(TEMPLATES["train"][n]) & set(TEMPLATES["test"][n])
    assert not set(PROMPTS["test"]) & {t for n in (1, 2) for t in TEMPLATES["train"][n] + TEMPLATES["test"][n]}


def test_unseen_garment_motion_pairs_appear_in_test_clips_only(data):
    def pairs(split: str, n: int) -> set:
        clips = data.splits[split]
        return {(g.label, MOTIONS.index(g.motion)) for i in range(n) for g in clips.plan(i)[0].garments}

    assert not pairs("train", 500) & UNSEEN_PAIRS
    assert pairs("test", 500) & UNSEEN_PAIRS


def test_the_frames_move_the_way_the_caption_says(data):
    clips = data.splits["test"]
    for i in range(40):
        plan = clips.plan(i)[0]
        g = plan.garments[0]
        first, last = box(g, 0, clips.spec), box(g, clips.spec.num_frames - 1, clips.spec)
        dx, dy, grow = last[0] - first[0], last[1] - first[1], last[2] - first[2]
        moved = {"left": -dx, "right": dx, "up": -dy, "down": dy, "grow": grow, "shrink": -grow}[g.motion]
        assert moved > 4, (g.motion, first, last)
        assert any(
            word in plan.captions[0]
            for word in ("left", "right", "up", "rises", "falls", "down", "sinks", "gets", "grows", "shrinks", "zooms")
        )


def test_the_second_garment_is_spoken_after_the_first(data):
    clips = data.splits["test"]
    index = next(i for i in range(50) if len(clips.plan(i)[0].garments) == 2)
    audio = clips[index]["audio"].numpy()
    loud = np.flatnonzero(np.abs(audio) > 0.05)
    half = round(clips.spec.seconds / 2 * 8000)
    assert loud.min() < 0.3 * 8000 and loud.max() > half  # speech near the start and after the entry


@pytest.mark.parametrize("frames", ["single", "shuffled"])
def test_the_shortcut_probes_keep_the_pixels_and_drop_the_order(data, frames):
    probe = MovingFashionDataModule(frames=frames)
    probe.setup()
    clip, original = probe.splits["test"][3]["video"], data.splits["test"][3]["video"]
    if frames == "single":
        assert all(torch.equal(clip[:, t], original[:, len(original[0]) // 2]) for t in range(clip.shape[1]))
    else:
        assert sorted(clip.sum(dim=(0, 2, 3)).tolist()) == pytest.approx(sorted(original.sum(dim=(0, 2, 3)).tolist()))


def test_zero_shot_prompts_are_one_row_per_class(data):
    ids = data.class_prompt_ids()
    assert ids.shape[:2] == (10, len(PROMPTS["test"]))
    assert data.preprocessing.text.tokenizer.decode(ids[9, 0].tolist()).strip() == "a video of an ankle boot"


def test_clips_written_as_files_read_back_as_the_model_saw_them(data, tmp_path):
    """mp4 (MPEG-4, yuv420p) and AAC are lossy: the frames come back within 2 % of the pixel
    range on average, the speech with a correlation above 0.99."""
    from zoo.data.video_captions import VideoCaptionFolder
    from zoo.datasets.moving_fashion import LABEL_PHRASES
    from zoo.datasets.moving_fashion_files import write_files
    from zoo.errors import ZooError

    out = write_files(tmp_path / "clips", "test", 4)
    folder = VideoCaptionFolder(out, num_frames=8, frame_size=32, sample_rate=8000, seconds=3.0)
    assert folder.files == [f"clips/test_{i:04d}.mp4" for i in range(4)]
    clips = data.preprocessing.video.clips([out / f for f in folder.files])
    for i in range(4):
        example, plan = data.splits["test"][i], data.splits["test"].plan(i)[0]
        assert folder.captions[i] == list(dict.fromkeys(plan.captions))
        assert (clips["video"][i] - example["video"]).abs().mean() * 0.25 < 0.02  # normalised by std 0.25
        assert torch.corrcoef(torch.stack([clips["audio"][i], example["audio"]]))[0, 1] > 0.99
    labels = {row.split(",")[0]: row.rsplit(",", 1)[1] for row in (out / "captions.csv").read_text().splitlines()[1:]}
    first = data.splits["test"].plan(1)[0].garments
    assert labels["clips/test_0001.mp4"] == (LABEL_PHRASES[first[0].label] if len(first) == 1 else "")
    with pytest.raises(ZooError, match="exists; give a new folder"):
        write_files(out, "test", 1)
