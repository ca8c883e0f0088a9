"""Multimodal preprocessing: video files (their frames and soundtrack), audio and captions ->
what a video + audio + text model reads."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from zoo.data.preprocessing.text import TextPreprocessing
from zoo.data.preprocessing.text import from_dict as text_from_dict
from zoo.data.preprocessing.video import VideoPreprocessing
from zoo.errors import ZooError


class MultimodalPreprocessing:
    """Each modality's raw input -> its model input: video files through ``video``
    (:class:`~zoo.data.preprocessing.video.VideoPreprocessing`), sounds as its soundtracks,
    captions through ``text`` (the tokenizer the checkpoint stores). Zero-shot labels are put
    into ``prompts``, each with ``{}`` for the label, and their embeddings averaged (CLIP's
    prompt ensembling).

    Args:
        video: the clips' shape, span and normalisation.
        text: the captions' preprocessing.
        prompts: zero-shot prompt templates, e.g. ``["a video of {}"]``.
    """

    kind = "multimodal"

    def __init__(self, video: VideoPreprocessing, text: TextPreprocessing, prompts: Sequence[str] = ("{}",)) -> None:
        if not prompts or any(p.count("{}") != 1 for p in prompts):
            raise ZooError(f"each zero-shot prompt needs one '{{}}' where the label goes, got {list(prompts)}")
        self.video, self.text, self.prompts = video, text, list(prompts)

    def to_dict(self) -> dict:
        video = {k: v for k, v in self.video.to_dict().items() if k != "kind"}
        return {"kind": self.kind, "video": video, "max_len": self.text.max_len, "prompts": self.prompts}

    def files(self) -> dict[str, str]:
        return self.text.files()

    def load(self, inputs: Sequence, modality: str, first: int = 1) -> Tensor:
        """One modality's raw inputs -> its model input: ``video`` (B, 3, T, S, S) from video
        files; ``audio`` (B, S_a) from video files' soundtracks, audio files or ``(waveform,
        sample_rate)`` pairs; ``text`` (B, N) ids from strings."""
        if modality == "text":
            return self.text.batch(inputs, first)
        if modality == "video":
            return self.video.batch(inputs, first)
        if modality == "audio":
            return self.video.soundtracks(inputs, first)
        raise ZooError(f"modality must be video, audio or text, got {modality!r}")

    def batch(self, inputs: Sequence, first: int = 1) -> Tensor:
        """Video files -> the model's (B, 3, T, S, S) video input."""
        return self.video.batch(inputs, first)

    def label_prompts(self, labels: Sequence[str]) -> Tensor:
        """C labels -> (C, M, N) ids of each label in the M prompt templates, padded."""
        labels = [label.strip() if isinstance(label, str) else label for label in labels]
        for i, label in enumerate(labels, start=1):
            if not isinstance(label, str) or not label:
                raise ZooError(f"label {i} is empty ({label!r}); give each class a name, e.g. 'a bag'")
        ids = self.text.batch([p.format(label) for label in labels for p in self.prompts])
        return ids.unflatten(0, (len(labels), len(self.prompts)))


def from_dict(args: dict, files: dict[str, str]) -> MultimodalPreprocessing:
    """From the config's section and the checkpoint's ``tokenizer.json``."""
    video = VideoPreprocessing(**args["video"])
    return MultimodalPreprocessing(video, text_from_dict({"max_len": args["max_len"]}, files), args["prompts"])
