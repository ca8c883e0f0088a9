"""A checkpoint's preprocessing fitted to its model: what the weights alone say about inputs."""

from __future__ import annotations

import dataclasses

from torch import nn

from zoo.data.preprocessing import Preprocessing


def fitted_to(model: nn.Module, preprocessing: Preprocessing) -> Preprocessing:
    """``preprocessing`` with video clips needing at least one tubelet's frames of ``model``'s
    video front-end (a clip with fewer decodable frames has no motion it can read)."""
    if preprocessing.kind not in ("video", "multimodal"):
        return preprocessing  # imports nothing more: an image model loads without the text libraries
    from zoo.data.preprocessing.multimodal import MultimodalPreprocessing
    from zoo.data.preprocessing.video import VideoPreprocessing
    from zoo.frontends.video import TubeletEmbed

    frames = max((m.tubelet[0] for m in model.modules() if isinstance(m, TubeletEmbed)), default=1)
    if isinstance(preprocessing, VideoPreprocessing) and preprocessing.min_frames < frames:
        return dataclasses.replace(preprocessing, min_frames=frames)
    if isinstance(preprocessing, MultimodalPreprocessing) and preprocessing.video.min_frames < frames:
        video = dataclasses.replace(preprocessing.video, min_frames=frames)
        return MultimodalPreprocessing(video, preprocessing.text, preprocessing.prompts)
    return preprocessing
