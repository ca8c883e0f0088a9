"""Translation speed: zoo's encoder-decoder against Hugging Face ``MarianMTModel`` (and
CTranslate2 on the same Marian model, where it installs), at identical sizes, in one process.

Both models are built with random weights (speed does not depend on them) at the size of
``recipes/translation/transformer_tiny_bible_en_es.yaml`` (D=192, 3 + 3 blocks, 3 heads, MLP
768, one 8,000-id vocabulary shared by source, target and output projection, sinusoidal
positions, exact GELU), both post-norm as Marian is (the recipe's model is pre-norm: one
LayerNorm more a stack, the same speed otherwise) or Marian's base size (``--cases marian_base``: D=512, 6 + 6
blocks, 8 heads, MLP 2048, 32,000 ids). The sources are the token ids of real English verses
(the embedded Ruth and Jonah, tokenized by a BPE trained on the embedded Genesis).

Each decodes exactly ``int(1.2 * S) + 5`` tokens a row, S the longest source of the batch
(no end-of-sequence token can stop a row early: zoo's ``eos_id=None``, Hugging Face's
``min_new_tokens``, CTranslate2's ``min_decoding_length``), so all do the same work:

* zoo: ``zoo.generation.translate`` (encoder once, cross-attention keys/values once per
  source, the self-attention KV cache);
* hf: ``model.generate`` as users call it, with the cache, greedy or beam search;
* ct2: ``ctranslate2.Translator.translate_batch`` on the Marian model converted by
  ``ctranslate2.converters.TransformersConverter``, one thread pool of ``--threads``.

A call translates 16 sentences: one at a time (batch 1) or as one batch (batch 16). Calls
alternate zoo, hf, ct2, zoo, ... (``timing.py``); throughput is the median, the ratios are the
medians over call pairs of the anchor's time over zoo's (> 1: zoo is faster). bf16 is
autocast for zoo and Hugging Face, ``compute_type="bfloat16"`` for CTranslate2.

    python benchmarks/translation_vs_hf.py                      # tiny: batch 1 and 16, greedy and beam 4
    python benchmarks/translation_vs_hf.py --precision fp32 --steps 3
    python benchmarks/translation_vs_hf.py --cases marian_base --device cuda
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass

import torch
import transformers
from timing import add_timing_args, apply_timing_args, paired_seconds
from torch import Tensor
from transformers import MarianConfig, MarianMTModel

from zoo.backbone import Transformer, TransformerDecoder
from zoo.data.tokenizer import train_bpe
from zoo.datasets.bible_en_es import read_rows
from zoo.frontends.text import TokenEmbed
from zoo.generation import translate
from zoo.heads.lm import LMHead
from zoo.models.encoder_decoder import EncoderDecoderModel

PAD, BOS, EOS = 0, 1, 2  # the translation tokenizer's ids
SENTENCES = 16


@dataclass(frozen=True)
class Size:
    embed_dim: int
    depth: int
    num_heads: int
    mlp_dim: int
    vocab_size: int
    max_len: int = 256


CASES = {
    "tiny": Size(192, 3, 3, 768, 8000),
    "marian_base": Size(512, 6, 8, 2048, 32000),
}


def build_zoo(size: Size) -> EncoderDecoderModel:
    def embed() -> TokenEmbed:
        return TokenEmbed(size.vocab_size, size.embed_dim, max_len=size.max_len, pad_id=PAD,
                          pos_embed="sinusoidal", scale=True)  # fmt: skip

    stack = {"embed_dim": size.embed_dim, "depth": size.depth, "num_heads": size.num_heads,
             "mlp_ratio": size.mlp_dim / size.embed_dim, "norm_first": False}  # fmt: skip
    return EncoderDecoderModel(embed(), Transformer(**stack), embed(), TransformerDecoder(**stack),
                               LMHead(size.embed_dim, size.vocab_size, bias=False), share_embeddings=True)  # fmt: skip


def build_marian(size: Size) -> MarianMTModel:
    config = MarianConfig(
        vocab_size=size.vocab_size, d_model=size.embed_dim, encoder_layers=size.depth, decoder_layers=size.depth,
        encoder_attention_heads=size.num_heads, decoder_attention_heads=size.num_heads,
        encoder_ffn_dim=size.mlp_dim, decoder_ffn_dim=size.mlp_dim, max_position_embeddings=size.max_len,
        activation_function="gelu", dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, scale_embedding=True,
        share_encoder_decoder_embeddings=True, tie_word_embeddings=True, pad_token_id=PAD, eos_token_id=EOS,
        bos_token_id=BOS, decoder_start_token_id=BOS, forced_eos_token_id=None,
    )  # fmt: skip
    return MarianMTModel(config)


def source_batches(vocab_size: int) -> tuple[list[Tensor], object]:
    """16 real English verses as (S_i,) ids ``tokens </s>``, and the tokenizer."""
    rows = read_rows("embedded")
    tokenizer = train_bpe([en for (book, _, _), en, _ in rows if book == "Genesis"], vocab_size, "translation", False)
    if tokenizer.get_vocab_size() < vocab_size:  # Genesis has fewer words than Marian-base's 32,000 ids
        tokenizer.add_tokens([f"<unused{i}>" for i in range(vocab_size - tokenizer.get_vocab_size())])
    held_out = [en for (book, _, _), en, _ in rows if book in ("Ruth", "Jonah")][:SENTENCES]
    ids = [torch.tensor([*tokenizer.encode(t, add_special_tokens=False).ids, EOS]) for t in held_out]
    return ids, tokenizer


def new_tokens(sources: list[Tensor]) -> int:
    return int(1.2 * max(len(s) for s in sources)) + 5


def padded(sources: list[Tensor]) -> Tensor:
    return torch.nn.utils.rnn.pad_sequence(sources, batch_first=True, padding_value=PAD)


def ct2_translator(hf: MarianMTModel, tokenizer, compute_type: str, threads: int, folder: str):
    """The Marian model converted to CTranslate2 in ``folder``; None where ctranslate2 is not
    installed or does not compute ``compute_type`` on this CPU."""
    try:
        import ctranslate2
        from ctranslate2.converters.transformers import MarianMTLoader
    except ImportError:
        return None
    if compute_type not in ctranslate2.get_supported_compute_types("cpu"):
        return None
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="</s>", unk_token="<pad>", pad_token="<pad>")
    hf.save_pretrained(f"{folder}/hf")
    fast.save_pretrained(f"{folder}/hf")
    # The converter drops the last embedding row, where Hugging Face's Marian keeps its own
    # <pad>; ours is id 0 and the last row a real token, so keep every row.
    remove_pad = MarianMTLoader._remove_pad_weights
    MarianMTLoader._remove_pad_weights = lambda self, spec: None
    try:
        ctranslate2.converters.TransformersConverter(f"{folder}/hf").convert(f"{folder}/ct2", force=True)
    finally:
        MarianMTLoader._remove_pad_weights = remove_pad
    return ctranslate2.Translator(f"{folder}/ct2", device="cpu", compute_type=compute_type, inter_threads=1,
                                  intra_threads=threads)  # fmt: skip


def calls(models: dict, sources: list[Tensor], tokens: list[list[str]], batch: int, beams: int) -> tuple[dict, int]:
    """One zero-argument callable per side that translates all ``sources``, ``batch`` at a
    time; and the target tokens a call decodes."""
    chunks = [list(range(i, i + batch)) for i in range(0, len(sources), batch)]
    strategy = "greedy" if beams == 1 else "beam"

    def zoo() -> None:
        for chunk in chunks:
            src = padded([sources[i] for i in chunk])
            out = translate(models["zoo"], src, bos_id=BOS, eos_id=None, strategy=strategy, num_beams=beams,
                            max_len_a=1.2, max_len_b=5)  # fmt: skip
            assert out.shape[1] == 1 + new_tokens([sources[i] for i in chunk]), out.shape

    def hf() -> None:
        for chunk in chunks:
            src, n = padded([sources[i] for i in chunk]), new_tokens([sources[i] for i in chunk])
            out = models["hf"].generate(input_ids=src, attention_mask=src != PAD, max_new_tokens=n, min_new_tokens=n,
                                        num_beams=beams, do_sample=False, use_cache=True)  # fmt: skip
            assert out.shape[1] == 1 + n, out.shape

    def ct2() -> None:
        for chunk in chunks:
            n = new_tokens([sources[i] for i in chunk])
            out = models["ct2"].translate_batch([tokens[i] for i in chunk], beam_size=beams, max_decoding_length=n,
                                                min_decoding_length=n, max_batch_size=batch)  # fmt: skip
            assert all(len(result.hypotheses[0]) == n for result in out), n

    sides = {"zoo": zoo, "hf": hf} | ({"ct2": ct2} if models.get("ct2") is not None else {})
    decoded = sum(len(chunk) * new_tokens([sources[i] for i in chunk]) for chunk in chunks)
    return sides, decoded


def row(case: str, batch: int, beams: int, bf16: bool, seconds: dict[str, list[float]], decoded: int) -> str:
    medians = {name: statistics.median(times) for name, times in seconds.items()}
    ratio = {
        name: statistics.median(a / z for z, a in zip(seconds["zoo"], seconds[name]))
        for name in seconds
        if name != "zoo"
    }
    cells = [case, str(batch), "greedy" if beams == 1 else f"beam {beams}", "bf16" if bf16 else "fp32"]
    cells += [f"{SENTENCES / medians[name]:.1f} / {decoded / medians[name]:.0f}" for name in ("zoo", "hf")]
    cells += [f"{ratio['hf']:.2f}"]
    if "ct2" in seconds:
        cells += [f"{SENTENCES / medians['ct2']:.1f} / {decoded / medians['ct2']:.0f}", f"{ratio['ct2']:.2f}"]
    else:
        cells += ["-", "-"]
    return "| " + " | ".join(cells) + " |"


def run_case(name: str, size: Size, precisions: list[bool], args: argparse.Namespace, device: torch.device) -> None:
    torch.manual_seed(0)
    sources, tokenizer = source_batches(size.vocab_size)
    tokens = [[tokenizer.id_to_token(int(i)) for i in s] for s in sources]
    zoo_model, hf_model = build_zoo(size).eval().to(device), build_marian(size).eval().to(device)
    params = [sum(p.numel() for p in m.parameters()) / 1e6 for m in (zoo_model, hf_model)]
    print(f"{name}: {params[0]:.2f} M parameters (zoo), {params[1]:.2f} M (Marian); sources of "
          f"{min(map(len, sources))}-{max(map(len, sources))} tokens\n")  # fmt: skip
    print(
        "| case | batch | search | precision | zoo sent/s / tok/s | hf sent/s / tok/s | zoo/hf | ct2 sent/s / tok/s | zoo/ct2 |"
    )
    print("|---|---:|---|---|---:|---:|---:|---:|---:|")
    for bf16 in precisions:
        ct2, folder = None, tempfile.TemporaryDirectory(prefix="zoo-ct2-")
        if device.type == "cpu" and not args.no_ct2:
            compute = "bfloat16" if bf16 else "float32"
            ct2 = ct2_translator(hf_model, tokenizer, compute, torch.get_num_threads(), folder.name)
            if ct2 is None:
                print(f"ct2 left out: ctranslate2 is not installed or has no {compute} on this CPU\n")
        models = {"zoo": zoo_model, "hf": hf_model, "ct2": ct2}
        for batch in (1, SENTENCES):
            for beams in (1, 4):
                with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    sides, decoded = calls(models, [s.to(device) for s in sources], tokens, batch, beams)
                    seconds = paired_seconds(sides, args.steps, args.warmup, device)
                print(row(name, batch, beams, bf16, seconds, decoded), flush=True)
        folder.cleanup()
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=["tiny"])
    parser.add_argument("--no-ct2", action="store_true", help="leave CTranslate2 out")
    add_timing_args(parser, steps=5, warmup=1)
    args = parser.parse_args()
    try:
        import ctranslate2

        ct2_version = f", ctranslate2 {ctranslate2.__version__}"
    except ImportError:
        ct2_version = ", ctranslate2 not installed (pip install ctranslate2)"
    device, precisions = apply_timing_args(args, f"transformers {transformers.__version__}{ct2_version}")
    for name in args.cases:
        run_case(name, CASES[name], precisions, args, device)


if __name__ == "__main__":
    main()
