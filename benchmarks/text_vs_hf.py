"""Text models of zoo against Hugging Face ``transformers`` at identical sizes, in one process.

Three comparisons, each with random weights on both sides (speed does not depend on them):

* ``encoder``: a BERT-style post-norm encoder with a linear classifier on the [CLS] token,
  one training step (forward, cross-entropy, backward, AdamW step) on right-padded inputs
  (lengths uniform in [N/2, N]); zoo masks the pad ids, BERT gets the ``attention_mask``.
  BERT has 4D more parameters: its token-type embeddings (2 x D) and the LayerNorm on the
  embeddings (2 x D) have no counterpart in zoo's ``TokenEmbed``. BERT's pooler is left out.
* ``causal_lm``: a GPT-2 style pre-norm decoder with a tied LM head, one training step of
  next-token cross-entropy on unpadded (B, N) chunks. Both models have the same parameters.
  GPT-2 is built with ``activation_function="gelu"`` (exact GELU, as zoo's ``Mlp``): its
  default ``gelu_new`` is the tanh approximation written as six element-wise ops, which
  would time a different MLP.
* ``generate``: greedy and beam-4 decoding with the key/value cache, in eval and inference
  mode: ``zoo.generation.generate`` against ``model.generate`` as users call it, per-step
  Python overhead (logits processors, stopping criteria) included. No end-of-sequence token
  exists, so both produce exactly ``new_tokens`` per row; tokens/s counts B x new tokens
  (beam search: per input row, not per beam).

Steps (or ``generate`` calls) alternate zoo, hf, zoo, hf, ... so that load on the machine
hits both alike; each throughput is the median over the timed steps, and the ratio is the
median over step pairs of hf's time / zoo's (a paired estimate, robust to drift; see ``timing.py``).

    python benchmarks/text_vs_hf.py                          # the tiny cases, CPU or the GPU
    python benchmarks/text_vs_hf.py --steps 5 --precision fp32
    python benchmarks/text_vs_hf.py --steps 10 --threads 1  # steadier while another job holds a core
    python benchmarks/text_vs_hf.py --cases bert_base_train gpt2_small_train --device cuda

Prints a Markdown table with samples/s (training) or tokens/s (generation) and
``ratio zoo/hf`` (> 1 means zoo is faster).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
import transformers
from timing import add_timing_args, apply_timing_args, paired_seconds, summarize, train_step
from torch import Tensor, nn
from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

from zoo.backbone.transformer import Transformer
from zoo.frontends.text import TokenEmbed
from zoo.generation import generate
from zoo.heads.classifier import ClassifierHead
from zoo.heads.lm import LMHead
from zoo.models.language import CausalLM
from zoo.models.unimodal import UnimodalModel

NUM_CLASSES = 2
CLS_ID, PAD_ID = 1, 0


@dataclass(frozen=True)
class Size:
    embed_dim: int
    depth: int
    num_heads: int
    vocab_size: int
    max_len: int


@dataclass(frozen=True)
class Case:
    task: Literal["encoder", "causal_lm", "generate"]
    size: Size
    batch_size: int
    seq_len: int  # tokens per training row, or prompt tokens when generating
    new_tokens: int = 0


TINY = Size(embed_dim=192, depth=4, num_heads=3, vocab_size=8000, max_len=128)
BERT_BASE = Size(embed_dim=768, depth=12, num_heads=12, vocab_size=30522, max_len=512)
GPT2_SMALL = Size(embed_dim=768, depth=12, num_heads=12, vocab_size=50257, max_len=1024)

CASES = {
    "bert_tiny_train": Case("encoder", TINY, batch_size=32, seq_len=128),
    "gpt_tiny_train": Case("causal_lm", TINY, batch_size=32, seq_len=128),
    "gpt_tiny_generate_b1": Case("generate", TINY, batch_size=1, seq_len=16, new_tokens=64),
    "gpt_tiny_generate_b8": Case("generate", TINY, batch_size=8, seq_len=16, new_tokens=64),
    # GPU sizes, not run by default
    "bert_base_train": Case("encoder", BERT_BASE, batch_size=32, seq_len=512),
    "gpt2_small_train": Case("causal_lm", GPT2_SMALL, batch_size=8, seq_len=1024),
    "gpt2_small_generate_b8": Case("generate", GPT2_SMALL, batch_size=8, seq_len=64, new_tokens=256),
}
DEFAULT_CASES = [name for name, case in CASES.items() if case.size == TINY]


class BertClassifier(nn.Module):
    """``BertModel`` and a linear layer on the [CLS] token: (B, N) ids, (B, N) mask -> (B, classes)."""

    def __init__(self, size: Size, num_classes: int) -> None:
        super().__init__()
        config = BertConfig(
            vocab_size=size.vocab_size,
            hidden_size=size.embed_dim,
            num_hidden_layers=size.depth,
            num_attention_heads=size.num_heads,
            intermediate_size=4 * size.embed_dim,
            max_position_embeddings=size.max_len,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            pad_token_id=PAD_ID,
            attn_implementation="sdpa",
        )
        self.bert = BertModel(config, add_pooling_layer=False)
        self.fc = nn.Linear(size.embed_dim, num_classes)

    def forward(self, ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.fc(self.bert(ids, attention_mask=attention_mask).last_hidden_state[:, 0])


def build_encoders(size: Size) -> tuple[nn.Module, nn.Module]:
    zoo_model = UnimodalModel(
        TokenEmbed(size.vocab_size, size.embed_dim, size.max_len, PAD_ID, "learned", scale=False, cls_token=True),
        Transformer(size.embed_dim, size.depth, size.num_heads, norm_first=False, norm_eps=1e-12),
        ClassifierHead(size.embed_dim, NUM_CLASSES, pool="cls"),
    )
    return zoo_model, BertClassifier(size, NUM_CLASSES)


def build_causal_lms(size: Size) -> tuple[CausalLM, GPT2LMHeadModel]:
    zoo_model = CausalLM(
        TokenEmbed(size.vocab_size, size.embed_dim, size.max_len, pad_id=None, pos_embed="learned", scale=False),
        Transformer(size.embed_dim, size.depth, size.num_heads),
        LMHead(size.embed_dim, size.vocab_size, bias=False),
    )
    config = GPT2Config(
        vocab_size=size.vocab_size,
        n_embd=size.embed_dim,
        n_layer=size.depth,
        n_head=size.num_heads,
        n_positions=size.max_len,
        activation_function="gelu",
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=None,
        eos_token_id=None,
        attn_implementation="sdpa",
    )
    return zoo_model, GPT2LMHeadModel(config)


def padded_ids(case: Case, device: torch.device) -> tuple[Tensor, Tensor]:
    """(B, N) ids that start with [CLS] and end in padding, and BERT's (B, N) mask (1 = token)."""
    B, N = case.batch_size, case.seq_len
    ids = torch.randint(2, case.size.vocab_size, (B, N))
    ids[:, 0] = CLS_ID
    lengths = torch.randint(N // 2, N + 1, (B, 1))
    keep = torch.arange(N)[None] < lengths  # (B, N)
    return ids.masked_fill(~keep, PAD_ID).to(device), keep.long().to(device)


def next_token_loss(logits: Tensor, ids: Tensor) -> Tensor:
    """(B, N, V) logits, (B, N) ids -> cross-entropy of predicting ids[:, 1:] from logits[:, :-1]."""
    return F.cross_entropy(logits[:, :-1].flatten(0, 1).float(), ids[:, 1:].flatten())


def training_steps(case: Case, models: dict[str, nn.Module], bf16: bool, device: torch.device) -> dict[str, Callable]:
    """One zero-argument training-step callable per model."""
    optimizers = {name: torch.optim.AdamW(m.train().parameters(), lr=1e-4) for name, m in models.items()}
    if case.task == "encoder":
        ids, attention_mask = padded_ids(case, device)
        labels = torch.randint(0, NUM_CLASSES, (case.batch_size,), device=device)
        loss_fns = {
            "zoo": lambda: F.cross_entropy(models["zoo"](ids), labels),
            "hf": lambda: F.cross_entropy(models["hf"](ids, attention_mask), labels),
        }
    else:
        ids = torch.randint(0, case.size.vocab_size, (case.batch_size, case.seq_len), device=device)
        loss_fns = {
            "zoo": lambda: next_token_loss(models["zoo"](ids), ids),
            "hf": lambda: next_token_loss(models["hf"](ids).logits, ids),
        }
    return {name: lambda name=name: train_step(loss_fns[name], optimizers[name], bf16, device.type) for name in models}


def generation_calls(case: Case, models: dict[str, nn.Module], num_beams: int) -> dict[str, Callable]:
    """One zero-argument callable per model that decodes ``case.new_tokens`` after a random prompt."""
    hf = models["hf"].eval()
    device = hf.device
    prompt = torch.randint(0, case.size.vocab_size, (case.batch_size, case.seq_len), device=device)
    strategy = "greedy" if num_beams == 1 else "beam"
    calls = {
        "hf": lambda: hf.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=case.new_tokens,
            min_new_tokens=case.new_tokens,
            do_sample=False,
            num_beams=num_beams,
            use_cache=True,
            pad_token_id=PAD_ID,
        ),
    }
    zoo_model = models["zoo"].eval()
    calls["zoo"] = lambda: generate(
        zoo_model, prompt, case.new_tokens, strategy=strategy, num_beams=num_beams, use_cache=True
    )
    expected = (case.batch_size, case.seq_len + case.new_tokens)
    for name, call in calls.items():
        shape = tuple(call().shape)
        if shape != expected:
            raise RuntimeError(f"{name} {strategy} returned ids of shape {shape}, expected {expected}")
    return {name: calls[name] for name in ("zoo", "hf") if name in calls}  # zoo first, as in training


def param_count(model: nn.Module) -> str:
    return f"{sum(p.numel() for p in model.parameters()) / 1e6:.3f}M"  # tied weights counted once


def print_row(name: str, what: str, bf16: bool, result: dict[str, float | None], models: dict[str, nn.Module]) -> None:
    precision = "bf16 autocast" if bf16 else "fp32"
    zoo = f"{result['zoo']:.1f}"
    ratio = f"{result['ratio']:.3f}" if result["ratio"] is not None else "-"
    params = f"{param_count(models['zoo'])} / {param_count(models['hf'])}"
    print(f"| {name} | {what} | {precision} | {zoo} | {result['hf']:.1f} | {ratio} | {params} |", flush=True)


def run_case(name: str, case: Case, precisions: list[bool], steps: int, warmup: int, device: torch.device) -> None:
    torch.manual_seed(0)
    build = build_encoders if case.task == "encoder" else build_causal_lms
    models = {side: model.to(device) for side, model in zip(("zoo", "hf"), build(case.size))}
    for bf16 in precisions:
        if case.task != "generate":
            seconds = paired_seconds(training_steps(case, models, bf16, device), steps, warmup, device)
            print_row(name, "train step (samples/s)", bf16, summarize(seconds, case.batch_size), models)
            continue
        for num_beams, what in ((1, "greedy (tokens/s)"), (4, "beam-4 (tokens/s)")):
            with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                calls = generation_calls(case, models, num_beams)
                seconds = paired_seconds(calls, steps, warmup, device)
            print_row(name, what, bf16, summarize(seconds, case.batch_size * case.new_tokens), models)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=DEFAULT_CASES)
    add_timing_args(parser)
    args = parser.parse_args()
    device, precisions = apply_timing_args(args, f"transformers {transformers.__version__}")
    print("| case | what | precision | zoo | hf | ratio zoo/hf | params zoo / hf |")
    print("|---|---|---|---:|---:|---:|---:|")
    for name in args.cases:
        run_case(name, CASES[name], precisions, args.steps, args.warmup, device)


if __name__ == "__main__":
    main()
