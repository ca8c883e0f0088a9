"""``zoo.load``: a checkpoint name or directory -> a ready model with its labels and preprocessing."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo.contracts import classifier_name, is_classifier
from zoo.data.preprocessing import Preprocessing, preprocessing_from_dict
from zoo.data.preprocessing.fitting import fitted_to
from zoo.errors import ZooError
from zoo.hub.build import build
from zoo.hub.checkpoint import CheckpointFiles, LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve

DEFAULT_TASK = "image-classification"  # checkpoints written before the task was recorded


class Pretrained(nn.Module):
    """A model with what it needs at inference: ``labels`` and ``preprocessing``.

    ``forward`` is the model's own (inputs -> (B, num_classes) logits, or (B, N, V) for a
    language model); ``predict`` takes files (images, audio, video) or strings (text), ``generate``
    continues a prompt and ``translate`` translates sentences; a video + audio + text model
    embeds any modality (``embed``), classifies clips zero-shot (``zero_shot``) and ranks them by
    a caption or a sound (``retrieve``); a word-vector model gives ``word_vectors`` (neighbours,
    analogies), a GAN generates images (``sample``). ``model`` is the bare network, e.g. to fine-tune.

    Attributes:
        model: the network built from the checkpoint's config.
        labels: class names, index i -> labels[i] (empty for a language model).
        preprocessing: turns a file or a string into the model's input (``preprocessing.load``).
        config, metrics, card: the checkpoint's other files.
        report: which tensors were loaded and which kept a fresh init.
    """

    def __init__(
        self,
        model: nn.Module,
        labels: Sequence[str],
        preprocessing: Preprocessing,
        config: dict,
        metrics: dict | None = None,
        card: str = "",
        report: LoadReport | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.labels = list(labels)
        self.preprocessing = preprocessing
        self.config, self.metrics, self.card = config, metrics or {}, card
        self.report = report

    def forward(self, *inputs: Tensor) -> Tensor:
        """The model's output for its inputs: one tensor, or (source, target) ids of a translation model."""
        return self.model(*inputs)

    @property
    def task(self) -> str:
        """What the model does, e.g. ``image-classification``, ``text-causal-lm``."""
        return self.config.get("task", DEFAULT_TASK)

    @property
    def kind(self) -> str:
        """The task without its modality: ``classification``, ``causal-lm`` or ``masked-lm``."""
        return self.task.split("-", 1)[1]

    @torch.inference_mode()
    def predict(
        self, inputs: Sequence, topk: int = 5, batch_size: int = 64, labels: Sequence[str] | None = None
    ) -> list[dict]:
        """Inputs -> one dict each: ``{input, label, score, topk: [[label, prob], ...]}``.

        An input is what the model reads (see ``zoo.data.preprocessing``): an image file, a PIL
        image or an array / tensor of pixels ((H, W), (H, W, C) or (C, H, W)); an audio file or
        a ``(waveform, sample_rate)`` pair (resampled to the model's rate); a string of text;
        a video file for a video + audio + text model, which classifies zero-shot among
        ``labels`` (see :meth:`zero_shot`). ``input`` is a file's path or text, or for an
        in-memory input "<image 1>", "<array 2>", "<tensor 3>", "<waveform 4>" (its kind and
        number, counted from 1).

        Raises ZooError naming the first input that cannot be read.
        """
        from zoo.data.preprocessing import input_name

        if self.kind == "contrastive":
            if not labels:
                raise ZooError(
                    "this video + audio + text model classifies zero-shot: give labels, e.g. 'a bag,a sneaker'"
                )
            return self.zero_shot(inputs, labels, topk, batch_size)
        if labels is not None:
            raise ZooError(f"labels are for zero-shot models; this {self.task} model has its own {len(self.labels)}")
        if self.kind != "classification":
            raise ZooError(f"this checkpoint is a {self.task} model, not a classifier; use zoo generate")
        k = max(1, min(topk, len(self.labels)))
        device = next(self.model.parameters()).device
        results = []
        for start in range(0, len(inputs), batch_size):
            chunk = list(inputs[start : start + batch_size])
            x = self.preprocessing.batch(chunk, first=start + 1).to(device)
            probs = self(x).float().softmax(dim=-1)
            if probs.shape[-1] != len(self.labels):
                raise ZooError(f"the model has {probs.shape[-1]} outputs but {len(self.labels)} labels")
            top = probs.topk(k, dim=-1)
            for j, (values, indices) in enumerate(zip(top.values.tolist(), top.indices.tolist())):
                pairs = [[self.labels[i], round(p, 6)] for p, i in zip(values, indices)]
                name = input_name(chunk[j], start + j + 1)
                results.append({"input": name, "label": pairs[0][0], "score": pairs[0][1], "topk": pairs})
        return results

    @torch.inference_mode()
    def embed(self, inputs: Sequence, modality: str, batch_size: int = 64) -> dict[str, Tensor]:
        """Inputs of one modality -> ``{space: (B, d)}`` L2-normalised embeddings, for a video +
        audio + text model: ``video`` (video files) -> ``va`` and ``vt``; ``audio`` (video files'
        soundtracks, audio files or ``(waveform, sample_rate)`` pairs) -> ``va``; ``text``
        (strings) -> ``vt``. ``va`` is the space video shares with audio, ``vt`` with text.
        """
        p = self._multimodal_preprocessing()
        if isinstance(inputs, (str, Path)):
            raise ZooError(f"embed takes a list of {modality} inputs; wrap the one input in a list")
        if modality not in self.model.modalities:
            raise ZooError(f"this model reads {', '.join(self.model.modalities)}, not {modality!r}")
        device = next(self.model.parameters()).device
        chunks: list[dict[str, Tensor]] = []
        for start in range(0, len(inputs), batch_size):
            chunk = list(inputs[start : start + batch_size])
            x = p.load(chunk, modality, first=start + 1).to(device)
            chunks.append({space: F.normalize(e.float(), dim=-1) for space, e in self.model.embed(modality, x).items()})
        if not chunks:
            raise ZooError(f"no {modality} inputs to embed")
        return {space: torch.cat([c[space] for c in chunks]).cpu() for space in chunks[0]}

    @torch.inference_mode()
    def zero_shot(self, videos: Sequence, labels: Sequence[str], topk: int = 5, batch_size: int = 64) -> list[dict]:
        """Video files -> one dict each, as :meth:`predict`'s: which of ``labels`` ("a bag", "a
        sneaker", ...) each clip shows, by the nearest label in the video-text space, each
        label embedded as the mean of its prompts (the checkpoint's held-out templates, e.g.
        "a video of {}"); probabilities are the softmax of similarities over the training
        temperature."""
        p = self._multimodal_preprocessing()
        if isinstance(labels, str) or len(labels) < 2:
            raise ZooError(f"give at least two labels to choose among, got {labels!r}")
        prompts = p.label_prompts(labels).to(next(self.model.parameters()).device)  # (C, M, N)
        C, M, _ = prompts.shape
        texts = F.normalize(self.model.embed("text", prompts.flatten(0, 1))["vt"].float(), dim=-1)
        classes = F.normalize(texts.unflatten(0, (C, M)).mean(1), dim=-1).cpu()  # (C, d)
        clips = self.embed(videos, "video", batch_size)["vt"]
        temperature = float((self.config.get("objective") or {}).get("temperature", 0.07))
        probs = (clips @ classes.T / temperature).softmax(dim=-1)
        top = probs.topk(max(1, min(topk, C)), dim=-1)
        results = []
        for video, values, indices in zip(videos, top.values.tolist(), top.indices.tolist()):
            pairs = [[labels[i].strip(), round(v, 6)] for v, i in zip(values, indices)]
            results.append({"input": str(video), "label": pairs[0][0], "score": pairs[0][1], "topk": pairs})
        return results

    @torch.inference_mode()
    def retrieve(self, query: str | Path, gallery: Sequence[str | Path], topk: int = 10) -> list[dict]:
        """The gallery's video files nearest ``query``, best first: ``[{file, score}, ...]``
        (cosine similarity). A caption is matched in the video-text space (text -> video); a
        sound (an audio file, or a video file's soundtrack) in the video-audio space (audio -> video)."""
        from zoo.data.preprocessing.audio import AUDIO_SUFFIXES
        from zoo.data.preprocessing.video import is_video_file

        if not gallery:
            raise ZooError("the gallery holds no video files to rank")
        if topk < 1:
            raise ZooError(f"topk must be at least 1, got {topk}")
        sound = Path(query).suffix.lower() in AUDIO_SUFFIXES or is_video_file(query)
        if not sound and Path(query).is_file():
            raise ZooError(f"{query}: a file, but not a sound this reads ({', '.join(AUDIO_SUFFIXES)} or a video)")
        if sound:
            q, space = self.embed([query], "audio")["va"], "va"
        else:
            q, space = self.embed([query], "text")["vt"], "vt"
        scores = (self.embed(gallery, "video")[space] @ q[0]).tolist()
        order = sorted(range(len(gallery)), key=lambda i: -scores[i])[:topk]
        return [{"file": str(gallery[i]), "score": round(scores[i], 6)} for i in order]

    def _multimodal_preprocessing(self):
        if self.kind != "contrastive":
            raise ZooError(
                f"this checkpoint is a {self.task} model; embed, zero_shot and retrieve are for video + audio + text models"
            )
        return self.preprocessing

    @torch.inference_mode()
    def sample(self, num: int = 64, seed: int = 0, batch_size: int = 500) -> Tensor:
        """A GAN's ``num`` samples, (num, C, H, W) pixels in [0, 1], from noise seeded by ``seed``."""
        if self.kind != "gan":
            raise ZooError(f"this checkpoint is a {self.task} model; only a GAN samples images")
        if num < 1:
            raise ZooError(f"--num must be at least 1, got {num}")
        return self.model.sample(num, seed, batch_size).clamp(0, 1)

    @property
    def word_vectors(self):
        """A word-vector model's vectors by word (:class:`zoo.word_vectors.WordVectors`):
        ``neighbours``, ``analogy``, ``similarity``, ``evaluate``, ``save`` (word2vec text)."""
        from zoo.word_vectors import WordVectors

        if self.kind != "word-embedding":
            raise ZooError(f"this checkpoint is a {self.task} model; word vectors come from a word-embedding model")
        return WordVectors(self.preprocessing.words, self.model.vectors)

    @torch.inference_mode()
    def generate(self, prompt: str, max_new_tokens: int = 50, **options) -> str:
        """Continue ``prompt``; ``options`` go to :func:`zoo.generation.generate`
        (strategy, temperature, top_k, top_p, num_beams, ...). Returns the prompt and its continuation."""
        from zoo.generation import generate

        if self.kind != "causal-lm":
            raise ZooError(f"this checkpoint is a {self.task} model; only a causal language model generates text")
        p = self.preprocessing
        ids = p.encode_prompt(prompt)
        device = next(self.model.parameters()).device
        out = generate(self.model, ids[None].to(device), max_new_tokens, eos_id=p.eos_id, **options)
        return p.decode(out[0].tolist())

    @torch.inference_mode()
    def translate(
        self,
        texts: Sequence[str],
        *,
        strategy: str = "beam",
        num_beams: int | None = None,
        length_penalty: float | None = None,
        batch_size: int = 32,
        max_len_a: float = 1.5,
        max_len_b: int = 10,
        progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Source texts -> their translations, in order, by :func:`zoo.generation.translate`.

        Odd inputs have a defined result, never an error half-way: a blank text translates to
        "" without running the model (a file's lines and its translation's stay aligned); a
        text of more than the model's ``max_len`` tokens is cut there, with a
        :class:`TruncationWarning` naming it (only its start is translated); characters the
        training data never had are still encoded (byte-level BPE covers every byte).

        Args:
            texts: source sentences, e.g. a file's lines.
            strategy: "beam" or "greedy".
            num_beams, length_penalty: beam search's; None for the settings the checkpoint's
                BLEU was measured with (its ``objective``), else 4 and 1.0.
            batch_size: sources decoded together (sorted by length, so a batch pads little).
            max_len_a, max_len_b: at most ``a * source_tokens + b`` target tokens.
            progress: called with the number of texts each finished batch held.
        """
        p = self._translation_preprocessing()
        if batch_size < 1:
            raise ZooError(f"batch_size must be >= 1, got {batch_size}")
        options = self._decoding_options(strategy, num_beams, length_penalty, max_len_a, max_len_b)
        sources = self._source_ids(texts)
        order = sorted((i for i, ids in enumerate(sources) if ids is not None), key=lambda i: len(sources[i]))
        out = ["" for _ in texts]
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            for i, ids in zip(chunk, self._translate_ids([sources[i] for i in chunk], options)):
                out[i] = p.decode(ids)
            if progress is not None:
                progress(len(chunk))
        if progress is not None and len(order) < len(texts):
            progress(len(texts) - len(order))  # the blank ones
        return out

    @torch.inference_mode()
    def alignment(
        self,
        text: str,
        *,
        strategy: str = "beam",
        num_beams: int | None = None,
        length_penalty: float | None = None,
        max_len_a: float = 1.5,
        max_len_b: int = 10,
    ) -> tuple[list[str], list[str], Tensor]:
        """Translate ``text``; return its source tokens, the translation's tokens (ending in
        ``</s>``) and the (T, S) cross-attention weights between them: row t is what the
        decoder read of the source as it chose target token t. Options as :meth:`translate`'s.
        """
        p = self._translation_preprocessing()
        if not isinstance(text, str) or not text.strip():
            raise ZooError(f"the text to align is empty ({text!r}); give a sentence")
        source = self._source_ids([text])[0]
        options = self._decoding_options(strategy, num_beams, length_penalty, max_len_a, max_len_b)
        target = torch.tensor(self._translate_ids([source], options)[0])
        device = next(self.model.parameters()).device
        weights = self.model.alignment(source[None].to(device), target[None, :-1].to(device))[0].float().cpu()
        tokens = [p.tokenizer.decode([i], skip_special_tokens=False) for i in (*source.tolist(), *target[1:].tolist())]
        return tokens[: len(source)], tokens[len(source) :], weights

    def _decoding_options(
        self, strategy: str, num_beams: int | None, length_penalty: float | None, max_len_a: float, max_len_b: int
    ) -> dict:
        """``zoo.generation.translate``'s options; beam settings left None are the checkpoint's."""
        objective = self.config.get("objective") or {}
        return {
            "strategy": strategy,
            "num_beams": num_beams if num_beams is not None else objective.get("num_beams", 4),
            "length_penalty": length_penalty if length_penalty is not None else objective.get("length_penalty", 1.0),
            "max_len_a": max_len_a,
            "max_len_b": max_len_b,
        }

    def _translate_ids(self, sources: list[Tensor], options: dict) -> list[list[int]]:
        """(N_i,) source ids -> each translation's ids, ``<s> ... </s>``, cut after its ``</s>``."""
        from zoo.generation import translate

        p = self.preprocessing
        device = next(self.model.parameters()).device
        ids = translate(self.model, p.collate(sources).to(device), bos_id=p.bos_id, eos_id=p.eos_id, **options)
        rows = []
        for row in ids.tolist():
            end = row.index(p.eos_id, 1) + 1 if p.eos_id in row[1:] else len(row)
            rows.append(row[:end])
        return rows

    def _translation_preprocessing(self):
        if self.kind != "translation":
            raise ZooError(
                f"this checkpoint does not translate (its task: {self.task}); use zoo predict or zoo generate"
            )
        return self.preprocessing

    def _source_ids(self, texts: Sequence[str]) -> list[Tensor | None]:
        """Each text's (N,) source ids, cut at ``max_len`` with a warning; None for a blank one."""
        if isinstance(texts, str):
            raise ZooError("translate takes a list of texts; wrap the one text in a list")
        for i, text in enumerate(texts, start=1):
            if not isinstance(text, str):
                raise ZooError(f"text {i} is not a string ({text!r})")
        p = self.preprocessing
        numbers = [i for i, text in enumerate(texts, start=1) if text.strip()]
        framed, lengths = p.encode_counted([texts[i - 1] for i in numbers]) if numbers else ([], [])
        ids: list[Tensor | None] = [None] * len(texts)
        for i, source, n in zip(numbers, framed, lengths):
            if n + 1 > p.max_len:  # and </s>
                warnings.warn(TruncationWarning(i, n, p.max_len - 1), stacklevel=3)
            ids[i - 1] = source
        return ids


class TruncationWarning(UserWarning):
    """Text ``index`` (from 1) had ``tokens`` tokens, more than the ``kept`` the model reads: it was cut."""

    def __init__(self, index: int, tokens: int, kept: int) -> None:
        super().__init__(
            f"text {index} has {tokens} tokens; the model reads the first {kept} and translates only those"
        )
        self.index, self.tokens, self.kept = index, tokens, kept


def from_files(files: CheckpointFiles, num_classes: int | None = None) -> Pretrained:
    """Build the network from a read checkpoint and load its weights strictly.

    The ``model`` section is the architecture as trained; ``labels`` say how many classes its
    classifier has. When they differ from the section's (a fine-tuned checkpoint that keeps its
    base model's section), the classifier is reset to ``len(labels)`` outputs before loading.

    Args:
        files: the checkpoint, as read by ``read_checkpoint``.
        num_classes: a fresh classifier of this many outputs instead of the trained one, labelled
            "0" .. "N-1" (every other tensor still loads strictly); the checkpoint's own count
            keeps its trained classifier and labels, as timm's ``create_model`` does.
    """
    config = files.config
    labels = config.get("labels") or []
    if not isinstance(labels, list) or (not labels and config.get("task", DEFAULT_TASK).endswith("classification")):
        raise ZooError(f"{files.path}/config.yaml has no 'labels' list")
    if "preprocessing" not in config:
        raise ZooError(f"{files.path}/config.yaml has no 'preprocessing' section")
    model = build(config["model"])
    if not isinstance(model, nn.Module):
        raise ZooError(f"{files.path}/config.yaml: 'model' builds a {type(model).__name__}, not a torch module")
    if num_classes is not None and num_classes != len(labels):
        report = _load_with_new_classifier(model, files, num_classes)
        labels = [str(i) for i in range(num_classes)]
    else:
        if labels and is_classifier(model) and model.num_classes != len(labels):
            model.reset_classifier(len(labels))  # e.g. a fine-tuned checkpoint on its base model's section
        report = load_weights(model, files.state)
    preprocessing = fitted_to(model, preprocessing_from_dict(config["preprocessing"], files.extra))
    return Pretrained(model, labels, preprocessing, config, files.metrics, files.card, report).eval()


def _load_with_new_classifier(model: nn.Module, files: CheckpointFiles, num_classes: int) -> LoadReport:
    """Reset ``model``'s classifier to ``num_classes`` outputs, then load every other tensor."""
    if not is_classifier(model):
        task = files.config.get("task", DEFAULT_TASK)
        raise ZooError(f"{files.path} is a {task} model, which has no classes; load it without num_classes")
    model.reset_classifier(num_classes)
    return load_weights(model, files.state, reinit=(f"{classifier_name(model)}.",))


def load(name_or_path: str | Path, device: str | torch.device = "cpu", num_classes: int | None = None) -> Pretrained:
    """A named checkpoint (see ``zoo list``), a checkpoint directory, or ``hf://owner/repo``
    -> a :class:`Pretrained` model in eval mode on ``device``.

    ``num_classes`` gives a classifier a fresh head of that many outputs, labelled "0" .. "N-1",
    to fine-tune (see :func:`from_files`).

    Example:
        >>> model = zoo.load("vit-tiny-fashion-mnist")
        >>> model.predict(["shoe.png"])[0]["label"]
        >>> backbone_and_new_head = zoo.load("vit-tiny-fashion-mnist", num_classes=3).model
    """
    path, sha256 = resolve(name_or_path)
    return from_files(read_checkpoint(path, sha256), num_classes).to(device)
