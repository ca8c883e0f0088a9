"""Every model class the zoo defines keeps the declared contracts (``zoo.contracts``), as timm's
tests/test_models.py sweeps its models: forward shape, backward, ``reset_classifier``, a zoo
checkpoint round trip, ``forward_intermediates`` and padding invariance.

Each case is a micro model written as a checkpoint stores it (class_path / init_args). A model
class under ``zoo.models`` or ``zoo.baselines`` without a case fails
``test_every_model_class_has_a_case``: add one when you add a class.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from functools import cache

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor, nn

import zoo
import zoo.baselines
import zoo.models
from zoo.baselines.seq2seq import Attention
from zoo.baselines.video_cnn import Conv2Plus1D
from zoo.contracts import (
    AutoregressiveModel,
    FrontEnd,
    Head,
    Model,
    Seq2SeqModel,
    TransformerModel,
    classifier_name,
    is_classifier,
)
from zoo.hub.build import build, resolve_class
from zoo.hub.export import export_checkpoint
from zoo.models.unimodal import UnimodalModel
from zoo.models.word2vec import WordEmbeddings

B, C, V, D, MAX_LEN = 2, 3, 30, 16, 12
RATE, SECONDS = 16_000, 0.5


def part(class_path: str, **init_args) -> dict:
    return {"class_path": class_path, "init_args": init_args}


BACKBONE = part("zoo.backbone.transformer.Transformer", embed_dim=D, depth=2, num_heads=2)
IMAGE = part("zoo.frontends.image.PatchEmbed", img_size=8, patch_size=4, in_chans=1, embed_dim=D)
AUDIO = part(
    "zoo.frontends.audio.SpectrogramPatchEmbed",
    sample_rate=RATE,
    max_seconds=SECONDS,
    n_mels=16,
    patch_size=8,
    patch_stride=[8, 4],
    embed_dim=D,
)
TEXT = part("zoo.frontends.text.TokenEmbed", vocab_size=V, embed_dim=D, max_len=MAX_LEN)


def with_args(config: dict, **init_args) -> dict:
    return {**config, "init_args": {**config["init_args"], **init_args}}


def transformer(frontend: dict, head: dict, class_path: str = "zoo.models.unimodal.UnimodalModel") -> dict:
    return part(class_path, frontend=frontend, backbone=BACKBONE, head=head)


def classifier_head(pool: str = "cls") -> dict:
    return part("zoo.heads.classifier.ClassifierHead", embed_dim=D, num_classes=C, pool=pool)


def images(batch: int, length: int, generator: torch.Generator) -> Tensor:
    return torch.randn(batch, 1, 8, 8, generator=generator)


def ids(batch: int, length: int, generator: torch.Generator) -> Tensor:
    return torch.randint(1, V, (batch, length), generator=generator)  # 0 is the pad id


def waveforms(batch: int, length: int, generator: torch.Generator) -> Tensor:
    return 0.1 * torch.randn(batch, length, generator=generator)  # no exact zeros: no padding


def pairs(batch: int, length: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """(source ids, target ids) of a translation model, the target ``length`` long."""
    return ids(batch, length + 2, generator), ids(batch, length, generator)


# modality -> (raw input maker, a short and a long length within the micro models' limits)
INPUTS = {"image": (images, 0, 0), "text": (ids, 7, 10), "audio": (waveforms, 4000, 8000), "pair": (pairs, 7, 10)}


def call(model: nn.Module, x: Tensor | tuple[Tensor, ...]) -> Tensor:
    """``model(x)``, or ``model(*x)`` for a model of several inputs (a translation's pair)."""
    return model(*x) if isinstance(x, tuple) else model(x)


@dataclass(frozen=True)
class Case:
    """A micro model and what it reads.

    Attributes:
        config: the model as a checkpoint's config stores it.
        task: the checkpoint task (``*-classification``, ``text-causal-lm``, ``text-masked-lm``);
            its modality picks the input from ``INPUTS``.
        padding: right zeros on the last axis are padding (pad id 0, silence after a clip), so a
            padded row gives the output of the row alone.
    """

    config: dict
    task: str
    padding: bool

    @property
    def modality(self) -> str:
        return "pair" if self.task == "text-translation" else self.task.split("-", 1)[0]

    @property
    def short(self) -> int:
        return INPUTS[self.modality][1]

    @property
    def long(self) -> int:
        return INPUTS[self.modality][2]

    def build(self, seed: int = 0) -> nn.Module:
        torch.manual_seed(seed)
        return build(self.config)

    def input(self, batch: int = B, length: int | None = None, seed: int = 0) -> Tensor:
        """(batch, ...) raw input of ``length`` tokens or samples (images: their one size)."""
        make = INPUTS[self.modality][0]
        return make(batch, length or self.short, torch.Generator().manual_seed(seed))

    def padded_batch(self) -> tuple[Tensor, Tensor]:
        """A (1, short) row alone, and a batch of it right-padded with zeros beside a (1, long) row."""
        alone = self.input(1, self.short, seed=1)
        return alone, torch.cat([F.pad(alone, (0, self.long - self.short)), self.input(1, self.long, seed=2)])


def rnn_classifier(cell: str, bidirectional: bool = False) -> dict:
    return part(
        "zoo.baselines.rnn.RNNClassifier",
        vocab_size=V,
        num_classes=C,
        embed_dim=8,
        hidden_size=6,
        cell=cell,
        bidirectional=bidirectional,
    )


LM_HEAD = part("zoo.heads.lm.LMHead", embed_dim=D, vocab_size=V)
CASES = {
    "vit-cls": Case(transformer(IMAGE, classifier_head()), "image-classification", False),
    "vit-mean": Case(
        transformer(with_args(IMAGE, cls_token=False), classifier_head("mean")), "image-classification", False
    ),
    "text-cls": Case(transformer(with_args(TEXT, cls_token=True), classifier_head()), "text-classification", True),
    "text-mean": Case(transformer(TEXT, classifier_head("mean")), "text-classification", True),
    "ast-cls": Case(transformer(AUDIO, classifier_head()), "audio-classification", True),
    "ast-mean": Case(
        transformer(with_args(AUDIO, cls_token=False), classifier_head("mean")), "audio-classification", True
    ),
    "masked-lm": Case(
        transformer(with_args(TEXT, cls_token=True), with_args(LM_HEAD, transform=True)), "text-masked-lm", True
    ),
    "causal-lm": Case(
        transformer(with_args(TEXT, pad_id=None, pos_embed="learned"), LM_HEAD, "zoo.models.language.CausalLM"),
        "text-causal-lm",
        False,
    ),
    "retention-lm": Case(  # RetNet: the same blocks with retention as the token mixer
        part(
            "zoo.models.language.CausalLM",
            frontend=with_args(TEXT, pad_id=None, pos_embed="none"),
            backbone=with_args(BACKBONE, mixer="retention"),
            head=LM_HEAD,
        ),
        "text-causal-lm",
        False,
    ),
    "resnet": Case(
        part("zoo.baselines.resnet.CifarResNet", num_classes=C, in_chans=1, widths=[4, 8], depths=[1, 1]),
        "image-classification",
        False,
    ),
    # Its convolutions see the log-mel of the silence beside a clip's last frames, so padding
    # changes its logits a little (the pool leaves the padded time steps out): not padding-invariant.
    "logmel-resnet": Case(
        part("zoo.baselines.audio_cnn.LogMelResNet", num_classes=C, n_mels=16, widths=[4, 8], depths=[1, 1]),
        "audio-classification",
        False,
    ),
    "lstm": Case(rnn_classifier("lstm"), "text-classification", True),
    "gru": Case(rnn_classifier("gru"), "text-classification", True),
    "bilstm": Case(rnn_classifier("lstm", bidirectional=True), "text-classification", True),
    "encoder-decoder": Case(
        part(
            "zoo.models.encoder_decoder.EncoderDecoderModel",
            source_frontend=TEXT,
            encoder=BACKBONE,
            target_frontend=TEXT,
            decoder=part("zoo.backbone.decoder.TransformerDecoder", embed_dim=D, depth=2, num_heads=2),
            generator=LM_HEAD,
            share_embeddings=True,
        ),
        "text-translation",
        False,
    ),
    "lstm-attention": Case(
        part("zoo.baselines.seq2seq.RNNEncoderDecoder", vocab_size=V, embed_dim=8, hidden_size=8, num_layers=1),
        "text-translation",
        False,
    ),
    "lstm-lm": Case(
        part("zoo.baselines.rnn.RNNLanguageModel", vocab_size=V, embed_dim=8, hidden_size=12, num_layers=1),
        "text-causal-lm",
        False,
    ),
}
NAMES = list(CASES)
CLASSIFIERS = [name for name in NAMES if CASES[name].task.endswith("classification")]
TRANSFORMERS = [name for name in NAMES if issubclass(resolve_class(CASES[name].config["class_path"]), UnimodalModel)]
PADDED = [name for name in NAMES if CASES[name].padding]


PARTS = {Attention, Conv2Plus1D, WordEmbeddings}  # the LSTM decoder's attention, the video CNN's convolution,
# the tables skip-gram and CBOW share: not models


def model_classes() -> set[type]:
    """Every ``nn.Module`` subclass defined in a module under ``zoo.models`` or ``zoo.baselines``,
    but for ``PARTS``, covered through the models they are in."""
    found = set()
    for package in (zoo.models, zoo.baselines):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            members = inspect.getmembers(module, inspect.isclass)
            found |= {
                cls
                for _, cls in members
                if issubclass(cls, nn.Module) and cls.__module__ == module.__name__ and cls not in PARTS
            }
    return found


def multimodal(backbone: dict | dict[str, dict]) -> dict:
    """A micro VATT: video, audio and text into the fine (va) and coarse (vt) spaces."""
    return part(
        "zoo.models.multimodal.MultimodalModel",
        frontends={
            "video": part("zoo.frontends.video.TubeletEmbed", num_frames=4, img_size=8, tubelet_frames=2, patch_size=4, embed_dim=D),
            "audio": with_args(AUDIO, cls_token=True),
            "text": with_args(TEXT, cls_token=True),
        },
        backbone=backbone,
        heads={
            "video": part("zoo.heads.projection.FineToCoarseHead", embed_dim=D, fine_dim=8, coarse_dim=4),
            "audio": part("zoo.heads.projection.ProjectionHead", embed_dim=D, space="va", dim=8),
            "text": part("zoo.heads.projection.ProjectionHead", embed_dim=D, space="vt", dim=4, batch_norm=True),
        },
        token_keep={"video": 0.5, "audio": 0.5},
    )


# Models of several inputs ({modality: input} -> {modality: {space: (B, d)}}), swept apart.
MULTIMODAL_CASES = {
    "vatt-shared": multimodal(BACKBONE),
    "vatt-specific": multimodal({m: BACKBONE for m in ("video", "audio", "text")}),
    "cnn-lstm-twin": part(
        "zoo.models.multimodal.MultimodalEncoders",
        encoders={
            "video": part("zoo.baselines.video_cnn.R2Plus1DNet", num_classes=D, widths=[4, 8], depths=[1, 1]),
            "audio": part(
                "zoo.baselines.audio_cnn.LogMelResNet", num_classes=D, sample_rate=RATE, n_mels=16, widths=[4, 8], depths=[1, 1]
            ),
            "text": with_args(rnn_classifier("lstm"), num_classes=D),
        },
        heads=multimodal(BACKBONE)["init_args"]["heads"],
    ),
}


def class_paths(config) -> list[str]:
    """Every class_path in a nested config: a model and the parts it is built of."""
    if isinstance(config, dict):
        own = [config["class_path"]] if "class_path" in config else []
        return own + [path for value in config.values() for path in class_paths(value)]
    if isinstance(config, list):
        return [path for value in config for path in class_paths(value)]
    return []


def multimodal_inputs(batch: int = B, text_length: int = 7, seed: int = 0) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"video": torch.randn(batch, 3, 4, 8, 8, generator=g), "audio": waveforms(batch, 4000, g), "text": ids(batch, text_length, g)}


@pytest.mark.parametrize("name", list(MULTIMODAL_CASES))
def test_a_multimodal_model_embeds_each_modality_and_trains_every_part(name):
    torch.manual_seed(0)
    model = build(MULTIMODAL_CASES[name]).train()
    out = model(multimodal_inputs())
    assert {m: {s: tuple(e.shape) for s, e in spaces.items()} for m, spaces in out.items()} == {
        m: {s: (B, d) for s, d in spaces.items()} for m, spaces in model.spaces.items()
    }
    sum(e.float().square().mean() for spaces in out.values() for e in spaces.values()).backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reaches {missing}"


@pytest.mark.parametrize("name", list(MULTIMODAL_CASES))
@torch.no_grad()
def test_padding_leaves_a_captions_embedding_alone(name):
    torch.manual_seed(0)
    model = build(MULTIMODAL_CASES[name]).eval()
    alone = ids(1, 5, torch.Generator().manual_seed(1))
    batch = torch.cat([F.pad(alone, (0, 4)), ids(1, 9, torch.Generator().manual_seed(2))])
    torch.testing.assert_close(model.embed("text", batch)["vt"][:1], model.embed("text", alone)["vt"], atol=1e-5, rtol=1e-5)


# Models that read neither a modality's input nor give logits over labels or a vocabulary:
# word vectors ((centres, contexts, mask, negatives) -> (scores, mask)) and GANs (noise -> images).
WORD_CASES = {
    "skip-gram": (part("zoo.models.word2vec.SkipGram", vocab_size=V, embed_dim=8), 2 * 2),  # 2W scored rows
    "cbow": (part("zoo.models.word2vec.CBOW", vocab_size=V, embed_dim=8), 1),
}
GAN_CASES = {
    "dcgan": part(
        "zoo.models.gan.GAN",
        generator=part("zoo.models.gan.DCGANGenerator", latent_dim=4, width=4, img_size=8),
        discriminator=part("zoo.models.gan.DCGANDiscriminator", width=4, img_size=8),
    ),
    "transformer-gan": part(
        "zoo.models.gan.GAN",
        generator=part(
            "zoo.models.gan.TransformerGenerator", latent_dim=4, img_size=8, patch_size=4, embed_dim=D, depth=1, num_heads=2
        ),
        discriminator=part(
            "zoo.models.gan.TransformerDiscriminator", img_size=8, patch_size=4, embed_dim=D, depth=1, num_heads=2
        ),
    ),
}


@pytest.mark.parametrize("name", list(WORD_CASES))
def test_a_word_vector_model_scores_every_row_and_trains_both_tables(name):
    config, rows = WORD_CASES[name]
    torch.manual_seed(0)
    model = build(config)
    nn.init.normal_(model.out_embed.weight)  # word2vec starts the context table at zero: no gradient to the vectors
    g = torch.Generator().manual_seed(0)
    centres, contexts = torch.randint(V, (B,), generator=g), torch.randint(V, (B, 4), generator=g)
    mask, negatives = torch.tensor([[True, True, True, False]] * B), torch.randint(V, (B, 4, 3), generator=g)
    scores, kept = model(centres, contexts, mask, negatives)
    assert scores.shape == (B, rows, 1 + 3) and kept.shape == (B, rows) and model.vectors.shape == (V, 8)
    scores[kept].square().mean().backward()
    assert model.in_embed.weight.grad.abs().sum() > 0 and model.out_embed.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", list(GAN_CASES))
def test_a_gan_draws_images_in_tanh_range_that_its_discriminator_scores(name):
    torch.manual_seed(0)
    model = build(GAN_CASES[name]).train()
    images = model(model.noise(B))
    assert images.shape == (B, 1, 8, 8) and images.abs().max() <= 1
    model.discriminator(images).square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"no gradient reaches {missing}"


def test_every_model_class_has_a_case():
    covered = {resolve_class(case.config["class_path"]) for case in CASES.values()}
    covered |= {resolve_class(path) for config in MULTIMODAL_CASES.values() for path in class_paths(config)}
    covered |= {resolve_class(config["class_path"]) for config, _ in WORD_CASES.values()}
    covered |= {resolve_class(path) for config in GAN_CASES.values() for path in class_paths(config)}
    missing = sorted(cls.__qualname__ for cls in model_classes() - covered)
    assert not missing, f"model classes without a case in tests/test_contracts.py: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_the_model_offers_its_declared_surfaces(name):
    case, model = CASES[name], CASES[name].build()
    assert isinstance(model, Model)
    assert is_classifier(model) == (name in CLASSIFIERS)
    assert isinstance(model, AutoregressiveModel) == (case.task == "text-causal-lm")
    assert isinstance(model, Seq2SeqModel) == (case.task == "text-translation")
    assert isinstance(model, TransformerModel) == (name in TRANSFORMERS)
    if name in TRANSFORMERS:
        assert isinstance(model.frontend, FrontEnd) and isinstance(model.head, Head)
        if case.long:  # the front-end declares the padding it sees: right zeros where they are padding
            assert (model.padding_mask(case.padded_batch()[1]) is not None) == case.padding


@pytest.mark.parametrize("name", NAMES)
@torch.no_grad()
def test_forward_shape(name):
    case, model = CASES[name], CASES[name].build().eval()
    x = case.input()
    out = call(model, x)
    if name in CLASSIFIERS:
        assert out.shape == (B, C)
    else:
        assert out.shape == (B, case.short, V)  # a logit over the vocabulary at every position
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_backward_reaches_every_trainable_parameter(name):
    case, model = CASES[name], CASES[name].build().train()
    call(model, case.input()).float().square().mean().backward()  # no parameter is exempt today
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reaches {missing}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_reset_classifier_changes_the_classifier_alone(name):
    case, model = CASES[name], CASES[name].build().eval().double()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    prefix = f"{classifier_name(model)}."
    model.reset_classifier(5)
    after = model.state_dict()
    assert model.num_classes == 5 and list(after) == list(before)  # same keys, same order
    x = case.input()
    assert model(x.double() if x.is_floating_point() else x).shape == (B, 5)
    classifier = model.get_classifier()
    assert isinstance(classifier, nn.Linear) and classifier.out_features == 5
    assert classifier.weight.dtype == torch.float64  # the model's dtype
    for key, value in after.items():
        if key.startswith(prefix):
            assert value.shape[0] == 5 and value.shape[1:] == before[key].shape[1:]
        else:
            assert torch.equal(value, before[key]), key


@cache
def preprocessing(modality: str):
    from zoo.data.preprocessing.audio import AudioPreprocessing
    from zoo.data.preprocessing.image import ImagePreprocessing
    from zoo.data.preprocessing.text import TextPreprocessing
    from zoo.data.tokenizer import train_bpe

    if modality == "image":
        return ImagePreprocessing(size=8, channels=1, mean=[0.5], std=[0.5])
    if modality == "audio":
        return AudioPreprocessing(sample_rate=RATE, max_seconds=SECONDS)
    # The checkpoint carries a tokenizer; the micro models' V ids are the test's own.
    return TextPreprocessing(train_bpe(["a text to learn a few merges from"], 280, "encoder"), MAX_LEN)


def export(case: Case, model: nn.Module, labels: list[str] | None, path) -> None:
    data = f"{case.modality} micro model of tests/test_contracts.py"
    export_checkpoint(path, model, case.config, labels, preprocessing(case.modality), {}, data, "-", task=case.task)


@pytest.mark.parametrize("name", NAMES)
@torch.no_grad()
def test_a_checkpoint_round_trip_gives_identical_outputs(name, tmp_path):
    case, model = CASES[name], CASES[name].build(seed=1).eval()
    labels = [f"class {i}" for i in range(C)] if name in CLASSIFIERS else None
    export(case, model, labels, tmp_path / "ck")
    loaded = zoo.load(tmp_path / "ck")
    x = case.input()
    assert torch.equal(call(loaded, x), call(model, x))
    assert loaded.report.reinitialised == [] and loaded.labels == (labels or [])


@pytest.mark.parametrize("name", CLASSIFIERS)
@torch.no_grad()
def test_a_reset_classifier_round_trips_under_its_base_models_config(name, tmp_path):
    """A fine-tuned checkpoint: the base model's config, its own labels (format 2)."""
    case, model = CASES[name], CASES[name].build(seed=1).eval()
    model.reset_classifier(5)
    export(case, model, list("abcde"), tmp_path / "ck")
    loaded = zoo.load(tmp_path / "ck")
    x = case.input()
    assert loaded.model.num_classes == 5 and torch.equal(loaded(x), model(x))


@pytest.mark.parametrize("name", TRANSFORMERS)
@torch.no_grad()
def test_forward_intermediates_are_every_block_and_end_in_the_heads_input(name):
    case, model = CASES[name], CASES[name].build().eval()
    x = case.input()
    final, hidden, maps = model.forward_intermediates(x, return_attention=True)
    N, heads = final.shape[1], model.backbone.blocks[0].attn.num_heads
    assert len(hidden) == len(maps) == len(model.backbone.blocks)
    assert all(h.shape == (B, N, D) for h in hidden) and all(m.shape == (B, heads, N, N) for m in maps)
    torch.testing.assert_close(maps[-1].sum(-1), torch.ones(B, heads, N))
    torch.testing.assert_close(model.forward_head(final, model.padding_mask(x)), model(x), atol=1e-5, rtol=1e-5)
    grid = model.frontend.patch_grid(x)
    if case.modality == "text":
        assert grid is None  # a sequence, not a grid
    else:
        assert model.frontend.num_prefix_tokens + grid[0] * grid[1] == N


@pytest.mark.parametrize("name", PADDED)
@torch.no_grad()
def test_padding_leaves_a_rows_output_alone(name):
    case, model = CASES[name], CASES[name].build().eval()
    alone, batch = case.padded_batch()
    padded = model(batch)[:1]
    if padded.ndim == 3:  # per-position logits: those of the row's own positions
        padded = padded[:, : case.short]
    torch.testing.assert_close(padded, model(alone), atol=1e-5, rtol=1e-5)
