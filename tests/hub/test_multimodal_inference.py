"""A video + audio + text checkpoint in use: embed any modality from files, classify video files
zero-shot, rank a folder of clips by a caption or a sound, and one line for each bad input."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch
import torch.nn.functional as F

from tests.conftest import error_line
from zoo.commands import main
from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.tokenizer import train_bpe
from zoo.data.video_io import write_video
from zoo.datasets.moving_fashion import LABEL_PHRASES, MovingFashionDataModule
from zoo.datasets.moving_fashion_render import GARMENT_WORDS
from zoo.hub.build import build
from zoo.hub.export import export_checkpoint
from zoo.hub.pretrained import load

D = 16
RATE, SECONDS = 8000, 3.0


def part(class_path: str, **init_args) -> dict:
    return {"class_path": class_path, "init_args": init_args}


def micro_vatt(vocab_size: int) -> dict:
    """A micro VATT that reads Moving Fashion's clips: 8 frames of 32 px, 3 s of 8 kHz speech."""
    block = {"embed_dim": D, "depth": 1, "num_heads": 2}
    return part(
        "zoo.models.multimodal.MultimodalModel",
        frontends={
            "video": part("zoo.frontends.video.TubeletEmbed", num_frames=8, img_size=32, tubelet_frames=2, patch_size=8, embed_dim=D),
            "audio": part("zoo.frontends.audio.SpectrogramPatchEmbed", sample_rate=RATE, max_seconds=SECONDS, n_mels=16, patch_size=8, embed_dim=D),
            "text": part("zoo.frontends.text.TokenEmbed", vocab_size=vocab_size, embed_dim=D, max_len=32, cls_token=True),
        },
        backbone=part("zoo.backbone.transformer.Transformer", **block),
        heads={
            "video": part("zoo.heads.projection.FineToCoarseHead", embed_dim=D, fine_dim=8, coarse_dim=4),
            "audio": part("zoo.heads.projection.ProjectionHead", embed_dim=D, space="va", dim=8),
            "text": part("zoo.heads.projection.ProjectionHead", embed_dim=D, space="vt", dim=4),
        },
    )  # fmt: skip


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An untrained micro VATT exported with Moving Fashion's clip preprocessing."""
    words = [w for names in GARMENT_WORDS for w in names]
    captions = [f"a {w} slides {d}" for w in words for d in ("left", "right", "up", "down")]
    text = TextPreprocessing(train_bpe(captions * 4, 200, "encoder", lowercase=True), max_len=32)
    preprocessing = MovingFashionDataModule.clip_preprocessing(text)
    torch.manual_seed(0)
    config = micro_vatt(text.vocab_size)
    path = tmp_path_factory.mktemp("vatt") / "micro-vatt"
    objective = {"temperature": 0.07, "audio_weight": 1.0, "text_weight": 1.0}
    export_checkpoint(
        path, build(config), config, LABEL_PHRASES, preprocessing, {}, "-", "-", task="multimodal-contrastive", objective=objective
    )  # fmt: skip
    return path


def clip_frames(seed: int, num_frames: int = 8) -> np.ndarray:
    """(T, 48, 64, 3) uint8: a bright square on noise, moving right."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 100, (num_frames, 48, 64, 3), dtype=np.uint8)
    for t in range(num_frames):
        frames[t, 16:32, 4 + 5 * t : 20 + 5 * t] = (255, 200, 50)
    return frames


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """Three clips at another size, frame rate and sample rate than the model's; one silent."""
    folder = tmp_path_factory.mktemp("gallery")
    t = np.arange(int(2.5 * 22_050)) / 22_050
    for i in range(3):
        sound = None if i == 2 else np.stack([0.3 * np.sin(2 * np.pi * (300 + 200 * i) * t)] * 2).astype(np.float32)
        write_video(folder / f"clip{i}.mp4", clip_frames(i, 20), fps=8, audio=sound, sample_rate=22_050)
    return folder


def test_the_checkpoint_reads_video_files_as_training_read_its_clips(checkpoint, gallery):
    model = load(checkpoint)
    assert model.task == "multimodal-contrastive" and model.preprocessing.kind == "multimodal"
    clips = model.preprocessing.video.clips([gallery / "clip0.mp4", gallery / "clip2.mp4"])
    assert clips["video"].shape == (2, 3, 8, 32, 32) and clips["audio"].shape == (2, round(RATE * SECONDS))
    assert clips["audio_present"].tolist() == [True, False] and clips["audio"][1].abs().max() == 0
    ours = model.embed([gallery / "clip0.mp4"], "video")
    direct = model.model.embed("video", clips["video"][:1])
    for space in ("va", "vt"):
        torch.testing.assert_close(ours[space], F.normalize(direct[space], dim=-1))
        assert ours[space].norm(dim=-1).sub(1).abs().max() < 1e-5


def test_every_modality_embeds_into_its_spaces(checkpoint, gallery, tmp_path):
    model = load(checkpoint)
    wav = tmp_path / "tone.wav"
    sf.write(wav, 0.3 * np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000), 16_000)
    video = model.embed([gallery / "clip0.mp4", gallery / "clip1.mp4"], "video")
    assert {k: v.shape for k, v in video.items()} == {"va": (2, 8), "vt": (2, 4)}
    assert model.embed(["a bag slides left", "a coat"], "text")["vt"].shape == (2, 4)
    sounds = model.embed([wav, gallery / "clip0.mp4", (np.zeros(4000, np.float32), 8000)], "audio")["va"]
    assert sounds.shape == (3, 8)  # an audio file, a video's soundtrack, a waveform in memory


def test_zero_shot_picks_the_label_whose_prompts_are_nearest(checkpoint, gallery):
    model = load(checkpoint)
    labels = ["a bag", "a coat", "an ankle boot"]
    files = [gallery / f"clip{i}.mp4" for i in range(3)]
    results = model.predict(files, labels=labels, topk=3)
    p = model.preprocessing
    prompts = F.normalize(model.embed([q.format(label) for label in labels for q in p.prompts], "text")["vt"], dim=-1)
    classes = F.normalize(prompts.unflatten(0, (3, len(p.prompts))).mean(1), dim=-1)
    expected = (model.embed(files, "video")["vt"] @ classes.T).argmax(dim=1).tolist()
    assert [r["label"] for r in results] == [labels[i] for i in expected]
    for r in results:
        assert r["topk"][0] == [r["label"], r["score"]] and sum(prob for _, prob in r["topk"]) == pytest.approx(
            1, abs=1e-5
        )


def test_retrieve_ranks_the_gallery_by_cosine_similarity(checkpoint, gallery):
    model = load(checkpoint)
    files = sorted(gallery.glob("*.mp4"))
    ranked = model.retrieve("a bag slides left", files, topk=3)
    scores = (model.embed(files, "video")["vt"] @ model.embed(["a bag slides left"], "text")["vt"][0]).tolist()
    assert [r["file"] for r in ranked] == [str(files[i]) for i in np.argsort(scores)[::-1]]
    assert [r["score"] for r in ranked] == sorted((round(s, 6) for s in scores), reverse=True)


def test_retrieve_command_prints_ranked_files(checkpoint, gallery, capsys):
    main(
        [
            "retrieve",
            str(checkpoint),
            "--query",
            "a coat drifts upwards",
            "--gallery",
            str(gallery),
            "--json",
            "--topk",
            "2",
        ]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [line["rank"] for line in lines] == [1, 2] and lines[0]["score"] >= lines[1]["score"]
    assert all(line["file"].endswith(".mp4") for line in lines)


def test_predict_command_classifies_clips_zero_shot(checkpoint, gallery, capsys):
    main(["predict", str(checkpoint), str(gallery / "clip0.mp4"), "--labels", "a bag, a coat", "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["label"] in ("a bag", "a coat") and len(result["topk"]) == 2


def test_bad_input_is_one_line(checkpoint, gallery, tmp_path, capsys):
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    sf.write(tmp_path / "speech.wav", np.zeros(8000), 8000)
    write_video(tmp_path / "still.mp4", clip_frames(0, 1), fps=8)  # one frame: less than a 2-frame tubelet
    model, labels = str(checkpoint), "a bag,a coat"
    assert "the file is empty (0 bytes)" in error_line(
        ["predict", model, str(tmp_path / "empty.mp4"), "--labels", labels], capsys
    )
    assert "not a readable video file" in error_line(
        ["predict", model, str(tmp_path / "noise.mp4"), "--labels", labels], capsys
    )
    assert "no video stream" in error_line(["predict", model, str(tmp_path / "speech.wav"), "--labels", labels], capsys)
    assert "fewer than min_frames=2" in error_line(
        ["predict", model, str(tmp_path / "still.mp4"), "--labels", labels], capsys
    )
    assert "give labels" in error_line(["predict", model, str(gallery / "clip0.mp4")], capsys)
    assert "label 2 is empty" in error_line(
        ["predict", model, str(gallery / "clip0.mp4"), "--labels", "a bag,"], capsys
    )
    assert "text 1 is empty" in error_line(["retrieve", model, "--query", " ", "--gallery", str(gallery)], capsys)
    assert "x: no such folder" in error_line(
        ["retrieve", model, "--query", "a bag", "--gallery", str(tmp_path / "x")], capsys
    )
    (tmp_path / "none").mkdir()
    assert "holds no video files" in error_line(
        ["retrieve", model, "--query", "a bag", "--gallery", str(tmp_path / "none")], capsys
    )
    silent = ["retrieve", model, "--query", str(gallery / "clip2.mp4"), "--gallery", str(gallery)]
    assert "the video has no audio track" in error_line(silent, capsys)
    (tmp_path / "song.m4a").write_bytes(b"\0" * 64)  # a file: never read as the caption "song.m4a"
    song = ["retrieve", model, "--query", str(tmp_path / "song.m4a"), "--gallery", str(gallery)]
    assert "a file, but not a sound this reads" in error_line(song, capsys)


def test_a_classifier_refuses_zero_shot_labels_and_embed(micro_checkpoint, tmp_path):
    from zoo.errors import ZooError

    model = load(micro_checkpoint)
    with pytest.raises(ZooError, match="labels are for zero-shot models"):
        model.predict(["x.png"], labels=["a", "b"])
    with pytest.raises(ZooError, match="for video \\+ audio \\+ text models"):
        model.embed(["x.png"], "video")


def video_folder(root, per_label: int = 6):
    """``root/<left|right>/*.mp4``: a bright square moving left or right over noise, 8 frames."""
    for label, sign in (("left", -1), ("right", 1)):
        (root / label).mkdir(parents=True)
        for i in range(per_label):
            frames = clip_frames(100 + 10 * sign + i, 8)
            write_video(root / label / f"{i}.mp4", frames if sign > 0 else frames[::-1].copy(), fps=8)
    return root


def twin_checkpoint(path, text: TextPreprocessing):
    """An untrained micro CNN/LSTM twin exported as a contrastive checkpoint."""
    heads = micro_vatt(text.vocab_size)["init_args"]["heads"]
    config = part(
        "zoo.models.multimodal.MultimodalEncoders",
        encoders={
            "video": part("zoo.baselines.video_cnn.R2Plus1DNet", num_classes=D, widths=[4, 8], depths=[1, 1]),
            "audio": part("zoo.baselines.audio_cnn.LogMelResNet", num_classes=D, sample_rate=RATE, n_mels=16, widths=[4], depths=[1]),
            "text": part("zoo.baselines.rnn.RNNClassifier", vocab_size=text.vocab_size, num_classes=D, embed_dim=8, hidden_size=8),
        },
        heads=heads,
    )  # fmt: skip
    preprocessing = MovingFashionDataModule.clip_preprocessing(text)
    return export_checkpoint(
        path, build(config), config, LABEL_PHRASES, preprocessing, {}, "-", "-", task="multimodal-contrastive"
    )


def test_the_video_branch_fine_tunes_as_a_classifier_from_the_contrastive_weights(checkpoint, tmp_path):
    """zoo finetune on video folders: the video front-end and backbone start as the checkpoint's,
    the audio and text branches stay behind, and the result predicts video files."""
    import zoo
    from zoo.hub.init import branch_state

    data = video_folder(tmp_path / "clips")
    metrics = zoo.finetune(
        checkpoint, data, tmp_path / "tuned", epochs=1, min_steps=0, batch_size=4, precision="32-true"
    )
    assert metrics["reinitialised_tensors"] == ["head.fc.weight", "head.fc.bias"]
    tuned = zoo.load(tmp_path / "tuned")
    assert tuned.task == "video-classification" and tuned.labels == ["left", "right"]
    assert tuned.preprocessing.min_frames == 2  # one tubelet of its front-end
    assert tuned.predict([data / "left" / "0.mp4"], topk=2)[0]["label"] in ("left", "right")
    fresh = build(tuned.config["model"])
    state = branch_state(load(checkpoint).model.state_dict(), "video")
    assert set(fresh.state_dict()) - set(state) == {"head.fc.weight", "head.fc.bias"}
    assert not any(k.startswith(("frontends.", "heads.")) or "audio" in k or "text" in k for k in state)


def test_the_cnn_twins_video_encoder_fine_tunes_as_a_classifier(checkpoint, tmp_path):
    import zoo

    text = load(checkpoint).preprocessing.text
    base = twin_checkpoint(tmp_path / "twin", text)
    data = video_folder(tmp_path / "clips", per_label=4)
    metrics = zoo.finetune(base, data, tmp_path / "tuned", epochs=1, min_steps=0, batch_size=4, precision="32-true")
    assert metrics["reinitialised_tensors"] == ["fc.weight", "fc.bias"]
    tuned = zoo.load(tmp_path / "tuned")
    assert tuned.config["model"]["class_path"] == "zoo.baselines.video_cnn.R2Plus1DNet" and tuned.model.num_classes == 2
    assert tuned.preprocessing.min_frames == 1  # a CNN reads any number of frames


def test_a_checkpoint_without_the_branch_says_which_it_has():
    from zoo.errors import ZooError
    from zoo.hub.init import branch_state

    with pytest.raises(ZooError, match="has no video branch; its modalities: audio, text"):
        branch_state({"frontends.audio.proj.weight": torch.zeros(1), "frontends.text.pos": torch.zeros(1)}, "video")
