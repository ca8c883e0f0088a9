"""CausalLM as GPT-2: logits equal Hugging Face's GPT2LMHeadModel with the same weights.

Radford et al. 2019. GPT-2 is the pre-norm decoder that ``CausalLM`` with learned positions,
an unscaled embedding and a tied bias-free ``LMHead`` is; its ``Conv1D`` layers store weights
as (in, out), so they are transposed into ``nn.Linear``'s (out, in).
"""

import pytest
import torch

from zoo.backbone import Transformer
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.models.language import CausalLM

transformers = pytest.importorskip("transformers", reason="the GPT-2 reference is in the dev extra")

V, D, DEPTH, HEADS, CONTEXT = 97, 48, 2, 4, 32


def gpt2_to_zoo(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """GPT2LMHeadModel keys -> CausalLM keys (the tied lm_head.weight is wte.weight)."""
    out = {
        "frontend.embedding.weight": state["transformer.wte.weight"],
        "frontend.pos_embed": state["transformer.wpe.weight"][None],
        "backbone.norm.weight": state["transformer.ln_f.weight"],
        "backbone.norm.bias": state["transformer.ln_f.bias"],
    }
    names = {"ln_1": "norm1", "ln_2": "norm2", "attn.c_attn": "attn.qkv", "attn.c_proj": "attn.proj",
             "mlp.c_fc": "mlp.fc1", "mlp.c_proj": "mlp.fc2"}  # fmt: skip
    for i in range(DEPTH):
        for theirs, ours in names.items():
            weight = state[f"transformer.h.{i}.{theirs}.weight"]
            out[f"backbone.blocks.{i}.{ours}.weight"] = weight if theirs.startswith("ln") else weight.T
            out[f"backbone.blocks.{i}.{ours}.bias"] = state[f"transformer.h.{i}.{theirs}.bias"]
    return out


def test_causal_lm_logits_match_gpt2_with_copied_weights():
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=V, n_embd=D, n_layer=DEPTH, n_head=HEADS, n_positions=CONTEXT, activation_function="gelu",
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5,
    )  # fmt: skip
    reference = transformers.GPT2LMHeadModel(config).eval()
    model = CausalLM(
        TokenEmbed(V, D, CONTEXT, pad_id=None, pos_embed="learned", scale=False),
        Transformer(D, DEPTH, HEADS),
        LMHead(D, V, bias=False),
    ).eval()
    missing, unexpected = model.load_state_dict(gpt2_to_zoo(reference.state_dict()), strict=False)
    assert missing == ["head.decoder.weight"] and unexpected == []  # tied: loaded through the embedding
    ids = torch.randint(0, V, (3, 20))
    with torch.no_grad():
        expected = reference(ids).logits
        assert torch.allclose(model(ids), expected, atol=1e-5)
        state = model.init_state(3)
        cached = torch.cat([model.decode_step(ids[:, :7], state), model.decode_step(ids[:, 7:], state)], dim=1)
    assert torch.allclose(cached, expected, atol=1e-5)
