"""Decoding: cached equals uncached, beam search and sampling against greedy, eos, the context limit, O(n) cost."""

import pytest
import torch
from torch import Tensor

from zoo.backbone import Transformer
from zoo.errors import ZooError
from zoo.frontends.text import TokenEmbed
from zoo.generation import beam_search, generate, greedy, sample
from zoo.heads.lm import LMHead
from zoo.models.language import CausalLM

V, CONTEXT = 50, 64


def make_model(eos_id: int | None = None, mixer: str = "attention") -> CausalLM:
    """A random GPT with peaked but not one-hot next-token distributions (about 2 nats of entropy).

    Random tied weights only repeat the last token, so the head is untied and scaled up. With
    ``eos_id``, that token's output bias is made so large that it always comes next. ``mixer``
    "retention" makes it a RetNet (positions from retention's rotation, none embedded).
    """
    torch.manual_seed(0)
    positions = "none" if mixer == "retention" else "sinusoidal"
    frontend = TokenEmbed(vocab_size=V, embed_dim=32, max_len=CONTEXT, pad_id=None, pos_embed=positions)
    backbone = Transformer(32, depth=2, num_heads=2, mixer=mixer)
    model = CausalLM(frontend, backbone, LMHead(32, V, tie_weights=False)).eval()
    with torch.no_grad():
        model.head.decoder.weight.mul_(20)
        if eos_id is not None:
            model.head.decoder.bias[eos_id] = 1e4
    return model


@pytest.fixture(scope="module", params=["attention", "retention"])
def model(request) -> CausalLM:
    """The GPT, and the RetNet: one decoding protocol, a KV cache or a recurrent state."""
    return make_model(mixer=request.param)


class BigramLM:
    """Next-token logits ``table[id]``, a (V, V) table: no context limit and no decoding state."""

    max_len = None

    def __init__(self, table: Tensor) -> None:
        self.table = table

    def __call__(self, ids: Tensor) -> Tensor:
        return self.table[ids]

    def init_state(self, batch_size: int, max_len: int) -> None:
        return None

    def decode_step(self, ids: Tensor, state: None) -> Tensor:
        return self.table[ids]

    def reorder_state(self, state: None, index: Tensor) -> None:
        pass


def counting_lm(vocab_size: int = 10) -> BigramLM:
    """Predicts id + 1 (mod V) with probability ~1 - 1e-3."""
    return BigramLM(10.0 * torch.eye(vocab_size).roll(1, dims=1))


def prompts(batch_size: int, length: int, seed: int = 0) -> Tensor:
    return torch.randint(0, V, (batch_size, length), generator=torch.Generator().manual_seed(seed))


def record_lengths(model: CausalLM, monkeypatch) -> list[int]:
    """The number of positions of every call to the model's token embedding, appended as they happen."""
    lengths = []
    embed = model.frontend.forward

    def recording_embed(ids: Tensor, offset: int = 0) -> Tensor:
        lengths.append(ids.shape[1])
        return embed(ids, offset)

    monkeypatch.setattr(model.frontend, "forward", recording_embed)
    return lengths


@torch.no_grad()
def generated_log_prob(model: CausalLM, ids: Tensor, prompt_len: int) -> Tensor:
    """(B, N) ids -> (B,) summed log-probability of ids[:, prompt_len:] under the model."""
    log_probs = model(ids[:, :-1]).log_softmax(dim=-1)  # (B, N - 1, V)
    return log_probs.gather(-1, ids[:, 1:, None])[:, prompt_len - 1 :, 0].sum(dim=-1)


@pytest.mark.parametrize("prompt_len", [1, 4, 9])
def test_cached_greedy_equals_uncached_and_the_full_forward_argmax(model, prompt_len):
    prompt = prompts(3, prompt_len, seed=prompt_len)
    cached = greedy(model, prompt, 12)
    assert cached.shape == (3, prompt_len + 12)
    assert torch.equal(cached[:, :prompt_len], prompt)
    assert torch.equal(cached, greedy(model, prompt, 12, use_cache=False))
    with torch.no_grad():
        argmax = model(cached[:, :-1]).argmax(dim=-1)  # the most likely next token everywhere, in one pass
    assert torch.equal(cached[:, prompt_len:], argmax[:, prompt_len - 1 :])


@pytest.mark.parametrize("eos", [None, "common"])
def test_cached_beam_search_equals_uncached(model, eos):
    prompt = prompts(4, 4, seed=1)
    eos_id = None
    if eos == "common":  # the model's likeliest token as eos: hypotheses finish at different steps
        eos_id = int(beam_search(model, prompt, 15, num_beams=3)[:, 4:].flatten().mode().values)
    cached = beam_search(model, prompt, 15, num_beams=3, eos_id=eos_id)
    assert torch.equal(cached, beam_search(model, prompt, 15, num_beams=3, eos_id=eos_id, use_cache=False))
    if eos_id is not None:
        ended = (cached[:, 4:] == eos_id).any(dim=1)
        assert ended.any() and cached.shape[1] < 4 + 15


@pytest.mark.parametrize("eos_id", [None, 23])
def test_beam_search_of_one_beam_is_greedy(model, eos_id):
    prompt = prompts(4, 4, seed=1)
    expected = greedy(model, prompt, 15, eos_id=eos_id)
    assert torch.equal(beam_search(model, prompt, 15, num_beams=1, length_penalty=0.0, eos_id=eos_id), expected)


@torch.no_grad()
def reference_beam_search(model: CausalLM, prompt: list[int], steps: int, num_beams: int, eos_id: int) -> list[int]:
    """Beam search over one prompt written plainly, hypothesis by hypothesis, as Hugging Face's
    ``BeamSearchScorer`` does it (length penalty 1): the reference for the batched version."""
    beams, finished = [(0.0, prompt)], []  # (summed log-prob, ids), (log-prob / generated length, ids)
    for t in range(1, steps + 1):
        candidates = []
        for score, ids in beams:
            log_probs = model(torch.tensor([ids]))[0, -1].log_softmax(dim=-1).tolist()
            candidates += [(score + log_prob, ids + [token]) for token, log_prob in enumerate(log_probs)]
        candidates.sort(key=lambda c: -c[0])
        beams = [c for c in candidates if c[1][-1] != eos_id][:num_beams]
        finished += [(score / t, ids) for score, ids in candidates[:num_beams] if ids[-1] == eos_id]
        finished = sorted(finished, key=lambda c: -c[0])[:num_beams]
        if len(finished) == num_beams and beams[0][0] / t <= finished[-1][0]:
            return finished[0][1]
    return max(finished + [(score / steps, ids) for score, ids in beams], key=lambda c: c[0])[1]


@pytest.mark.parametrize("steps", [7, 12])  # at 7 steps some rows end with live and finished hypotheses
def test_beam_search_equals_a_plain_reference(model, steps):
    prompt = prompts(4, 4, seed=0)
    out = beam_search(model, prompt, steps, num_beams=3, eos_id=23)
    for row, ids in zip(prompt, out.tolist()):
        expected = reference_beam_search(model, row.tolist(), steps, 3, 23)
        assert ids == expected + [23] * (len(ids) - len(expected))


def test_beam_search_finishes_only_hypotheses_inside_the_beam():
    """From 0 the eos (3) is second: with one beam it is no hypothesis, though its 0.4 beats the path taken."""
    probs = torch.tensor([[0.0, 0.6, 0.0, 0.4], [0.55, 0.0, 0.45, 0.0], [0.0, 0.0, 0.9, 0.1], [0.0, 0.0, 0.0, 1.0]])
    lm, prompt = BigramLM((probs + 1e-9).log()), torch.tensor([[0]])
    assert beam_search(lm, prompt, 4, num_beams=1, length_penalty=0.0, eos_id=3).tolist() == [[0, 1, 0, 1, 0]]


def test_beam_search_of_a_row_ignores_its_batch_mates(model):
    """A row that is done stops competing, so its result does not depend on how long the others run."""
    prompt = prompts(4, 4, seed=0)
    together = beam_search(model, prompt, 20, num_beams=3, eos_id=23, length_penalty=2.0)
    for row, ids in zip(prompt, together):
        alone = beam_search(model, row[None], 20, num_beams=3, eos_id=23, length_penalty=2.0)[0]
        assert torch.equal(ids[: len(alone)], alone) and (ids[len(alone) :] == 23).all()


def test_beam_search_finds_likelier_sequences_than_greedy(model):
    """Not a theorem (a beam can drop the greedy prefix), but it holds on this model, and strictly on some rows."""
    prompt = prompts(4, 4, seed=1)
    beam = generated_log_prob(model, beam_search(model, prompt, 15, num_beams=4, length_penalty=0.0), 4)
    greedy_ = generated_log_prob(model, greedy(model, prompt, 15), 4)
    assert (beam >= greedy_ - 1e-5).all()
    assert (beam > greedy_ + 0.1).any()


def test_beam_search_keeps_each_rows_beams_apart():
    prompt = torch.tensor([[1, 2], [5, 6]])
    out = beam_search(counting_lm(), prompt, 20, num_beams=2, eos_id=9)
    assert out.tolist() == [[1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 6, 7, 8, 9, 9, 9, 9, 9]]


def test_eos_ends_rows_which_then_repeat_it():
    prompt = torch.tensor([[1, 2], [5, 6]])
    expected = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [5, 6, 7, 8, 9, 9, 9, 9, 9]]
    assert greedy(counting_lm(), prompt, 20, eos_id=9).tolist() == expected
    assert sample(counting_lm(), prompt, 20, eos_id=9, top_k=1).tolist() == expected
    assert greedy(counting_lm(), prompt, 20).shape == (2, 22)  # without eos it runs to the limit


@pytest.mark.parametrize(("strategy", "model_calls"), [("greedy", 1), ("sample", 1), ("beam", 2)])
def test_an_eos_the_model_always_chooses_stops_at_once(strategy, model_calls, monkeypatch):
    """Beam search needs a second step: its 2 beams must both have finished."""
    eos_model = make_model(eos_id=7)
    lengths = record_lengths(eos_model, monkeypatch)
    prompt = prompts(3, 4)
    out = generate(eos_model, prompt, 10, strategy=strategy, num_beams=2, eos_id=7)
    assert torch.equal(out, torch.cat([prompt, torch.full((3, 1), 7)], dim=1))
    assert len(lengths) == model_calls


def test_sampling_is_reproducible_with_a_seeded_generator(model):
    prompt = prompts(4, 3)

    def draw(seed: int, use_cache: bool = True) -> Tensor:
        generator = torch.Generator().manual_seed(seed)
        return sample(model, prompt, 20, generator=generator, use_cache=use_cache)

    assert torch.equal(draw(0), draw(0))
    assert torch.equal(draw(0), draw(0, use_cache=False))
    assert not torch.equal(draw(0), draw(1))


def test_top_k_of_one_and_a_tiny_nucleus_are_greedy(model):
    prompt = prompts(3, 4, seed=3)
    expected = greedy(model, prompt, 15)
    generator = torch.Generator().manual_seed(0)
    assert torch.equal(sample(model, prompt, 15, top_k=1, generator=generator), expected)
    assert torch.equal(sample(model, prompt, 15, top_p=1e-6, generator=generator), expected)


def test_low_temperature_is_greedy_and_high_temperature_near_uniform(model):
    prompt = prompts(1, 4).expand(300, 4)  # 300 draws of the first new token
    generator = torch.Generator().manual_seed(0)
    cold = sample(model, prompt, 1, temperature=1e-3, generator=generator)[:, -1]
    hot = sample(model, prompt, 1, temperature=100.0, generator=generator)[:, -1]
    assert torch.equal(cold, greedy(model, prompt, 1)[:, -1])
    assert len(hot.unique()) > 0.8 * V


def test_top_k_and_top_p_keep_the_likeliest_tokens():
    """Nucleus of probabilities (0.5, 0.3, 0.15, 0.05) at p=0.7 is {0, 1}: 0.5 < 0.7 <= 0.8."""
    lm = BigramLM(torch.tensor([0.5, 0.3, 0.15, 0.05]).log().expand(4, 4))
    prompt = torch.zeros(4000, 1, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    nucleus = sample(lm, prompt, 1, top_p=0.7, generator=generator)[:, -1]
    assert set(nucleus.tolist()) == {0, 1}
    assert (nucleus == 0).float().mean() == pytest.approx(0.5 / 0.8, abs=0.03)
    top3 = sample(lm, prompt, 1, top_k=3, generator=generator)[:, -1]
    assert set(top3.tolist()) == {0, 1, 2}
    assert (top3 == 2).float().mean() == pytest.approx(0.15 / 0.95, abs=0.03)


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
def test_a_prompt_longer_than_the_context_is_refused(model, strategy):
    with pytest.raises(ZooError, match="prompt of 65 tokens is longer than the model's context of 64 tokens"):
        generate(model, prompts(1, CONTEXT + 1), 5, strategy=strategy)


@pytest.mark.parametrize("strategy", ["greedy", "sample", "beam"])
@pytest.mark.parametrize("use_cache", [True, False])
def test_generation_stops_when_the_context_is_full(model, strategy, use_cache):
    out = generate(model, prompts(2, CONTEXT - 3), 10, strategy=strategy, use_cache=use_cache)
    assert out.shape == (2, CONTEXT)
    assert generate(model, out, 10, strategy=strategy).shape == (2, CONTEXT)


@pytest.mark.parametrize(
    ("prompt", "kwargs", "message"),
    [
        (prompts(1, 3), {"max_new_tokens": -1}, "max_new_tokens must be >= 0"),
        (prompts(1, 3), {"strategy": "sample", "temperature": 0.0}, "temperature must be > 0"),
        (prompts(1, 3), {"strategy": "sample", "top_p": 0.0}, r"top_p must be in \(0, 1\]"),
        (prompts(1, 3), {"strategy": "sample", "top_p": 1.5}, r"top_p must be in \(0, 1\]"),
        (prompts(1, 3), {"strategy": "sample", "top_k": 0}, "top_k must be >= 1"),
        (prompts(1, 3), {"strategy": "beam", "num_beams": 0}, "num_beams must be >= 1"),
        (prompts(1, 3), {"strategy": "beam", "num_beams": 26}, "needs a vocabulary of at least 52 tokens"),
        (prompts(1, 3), {"strategy": "nucleus"}, "strategy must be 'greedy', 'sample' or 'beam'"),
        (prompts(1, 0), {}, r"prompt must be \(B, P\) token ids"),
        (prompts(1, 3)[0], {}, r"prompt must be \(B, P\) token ids"),
        (prompts(1, 3).int(), {}, "prompt must hold int64 token ids"),
    ],
)
def test_bad_arguments_raise_one_line_errors(model, prompt, kwargs, message):
    kwargs = {"max_new_tokens": 5} | kwargs
    with pytest.raises(ZooError, match=message) as error:
        generate(model, prompt, **kwargs)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_the_cache_feeds_each_token_once(model, strategy, monkeypatch):
    """Cached: the prompt, then one position a step (O(n) a token); uncached: the whole sequence each step."""
    lengths = record_lengths(model, monkeypatch)
    generate(model, prompts(2, 5), 6, strategy=strategy, num_beams=2)
    assert lengths == [5, 1, 1, 1, 1, 1]
    lengths.clear()
    generate(model, prompts(2, 5), 6, strategy=strategy, num_beams=2, use_cache=False)
    assert lengths == [5, 6, 7, 8, 9, 10]
