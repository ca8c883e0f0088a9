"""zoo's AST against Hugging Face's ``ASTForAudioClassification`` at identical sizes, in one process.

One training step each (forward, cross-entropy, backward, AdamW step), random weights, the
same patch grid: ``n_mels`` x frames log-mel input cut into 16 x 16 patches every
(frequency, time) stride. The sides do not do the same work, and the difference favours HF:

* zoo's model takes the (B, T) waveform and computes its log-mel spectrogram (STFT and
  filterbank) inside the step; HF's takes the (B, frames, n_mels) filterbank features that
  its feature extractor computes outside the model, so that cost is not timed for HF.
* HF's AST prepends two tokens (class and distillation) and adds a LayerNorm before its
  classifier; zoo's has one class token and a linear head (frequency + time position
  tables instead of one 2-D table). Token counts differ by one.

Steps alternate zoo, hf, zoo, hf, ...; the ratio is the median over step pairs of hf's time
/ zoo's (> 1 means zoo is faster); see ``timing.py``.

    python benchmarks/audio_vs_hf.py                       # the recipe's size, CPU or the GPU
    python benchmarks/audio_vs_hf.py --cases ast_base --device cuda   # AST's own size (10 s, 128 mels)
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from functools import partial

import torch
import torch.nn.functional as F
import transformers
from timing import add_timing_args, apply_timing_args, paired_seconds, summarize, train_step
from transformers import ASTConfig, ASTForAudioClassification

from zoo.backbone.transformer import Transformer
from zoo.frontends.audio import SpectrogramPatchEmbed
from zoo.heads.classifier import ClassifierHead
from zoo.models.unimodal import UnimodalModel

SAMPLE_RATE, HOP, WINDOW = 16_000, 160, 400
NUM_CLASSES = 9


@dataclass(frozen=True)
class Case:
    embed_dim: int
    depth: int
    num_heads: int
    n_mels: int
    frames: int
    stride: tuple[int, int]  # (frequency, time)
    batch_size: int

    @property
    def samples(self) -> int:
        """Waveform samples whose uncentred STFT gives exactly ``frames`` frames."""
        return (self.frames - 1) * HOP + WINDOW


CASES = {
    # the spoken-language recipe: 3 s, 64 mels, 4 x 36 patches
    "ast_tiny": Case(192, 6, 3, n_mels=64, frames=298, stride=(16, 8), batch_size=32),
    # AST (Gong et al. 2021): 10.24 s, 128 mels, patches every 10 x 10 (12 x 101)
    "ast_base": Case(768, 12, 12, n_mels=128, frames=1024, stride=(10, 10), batch_size=12),
}


def build(case: Case) -> dict[str, torch.nn.Module]:
    frontend = SpectrogramPatchEmbed(
        SAMPLE_RATE,
        max_seconds=case.samples / SAMPLE_RATE,
        n_mels=case.n_mels,
        patch_size=16,
        patch_stride=case.stride,
        embed_dim=case.embed_dim,
    )
    zoo = UnimodalModel(
        frontend, Transformer(case.embed_dim, case.depth, case.num_heads), ClassifierHead(case.embed_dim, NUM_CLASSES)
    )
    config = ASTConfig(
        hidden_size=case.embed_dim,
        num_hidden_layers=case.depth,
        num_attention_heads=case.num_heads,
        intermediate_size=4 * case.embed_dim,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
        patch_size=16,
        frequency_stride=case.stride[0],
        time_stride=case.stride[1],
        max_length=case.frames,
        num_mel_bins=case.n_mels,
        num_labels=NUM_CLASSES,
        attn_implementation="sdpa",
    )
    return {"zoo": zoo, "hf": ASTForAudioClassification(config)}


def run_case(name: str, case: Case, precisions: list[bool], steps: int, warmup: int, device: torch.device) -> None:
    torch.manual_seed(0)
    models = {side: model.to(device).train() for side, model in build(case).items()}
    waveform = torch.randn(case.batch_size, case.samples, device=device)
    features = torch.randn(case.batch_size, case.frames, case.n_mels, device=device)
    labels = torch.randint(0, NUM_CLASSES, (case.batch_size,), device=device)
    with torch.no_grad():
        tokens = (
            models["zoo"].frontend(waveform).shape[1],
            models["hf"].audio_spectrogram_transformer.embeddings(features).shape[1],
        )
    losses = {
        "zoo": lambda: F.cross_entropy(models["zoo"](waveform), labels),
        "hf": lambda: F.cross_entropy(models["hf"](features).logits, labels),
    }
    for bf16 in precisions:
        optimizers = {side: torch.optim.AdamW(m.parameters(), lr=1e-4) for side, m in models.items()}
        calls = {side: partial(train_step, losses[side], optimizers[side], bf16, device.type) for side in models}
        result = summarize(paired_seconds(calls, steps, warmup, device), case.batch_size)
        params = " / ".join(f"{sum(p.numel() for p in m.parameters()) / 1e6:.3f}M" for m in models.values())
        print(
            f"| {name} | {'bf16 autocast' if bf16 else 'fp32'} | {tokens[0]} / {tokens[1]} | "
            f"{result['zoo']:.1f} | {result['hf']:.1f} | {result['ratio']:.3f} | {params} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=["ast_tiny"])
    add_timing_args(parser)
    args = parser.parse_args()
    device, precisions = apply_timing_args(args, f"transformers {transformers.__version__}")
    print("| case | precision | tokens zoo / hf | zoo samples/s | hf samples/s | ratio zoo/hf | params zoo / hf |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in args.cases:
        run_case(name, CASES[name], precisions, args.steps, args.warmup, device)


if __name__ == "__main__":
    main()
