"""Language-modelling tasks: BERT's 80/10/10 masking, token-weighted perplexity, a loss that falls."""

import math

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from zoo.backbone import Transformer
from zoo.data.arrays import FieldsDataset
from zoo.datasets.web_bible import WebBibleDataModule
from zoo.errors import ZooError
from zoo.frontends.text import TokenEmbed
from zoo.heads.lm import LMHead
from zoo.models import UnimodalModel
from zoo.models.language import CausalLM
from zoo.tasks.language_modeling import IGNORE, LanguageModelTask, MaskedLMTask, mask_tokens

MASK_ID, NUM_SPECIAL, V = 4, 5, 8000


def trainer(**kwargs) -> L.Trainer:
    return L.Trainer(
        accelerator="cpu",
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        **kwargs,
    )


def causal_lm(vocab_size: int, embed_dim: int = 16, context: int = 32) -> CausalLM:
    torch.manual_seed(0)
    frontend = TokenEmbed(vocab_size, embed_dim, context, pad_id=None)
    return CausalLM(frontend, Transformer(embed_dim, depth=1, num_heads=2), LMHead(embed_dim, vocab_size))


# --- masking ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def masked() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """64 x 512 ids in [5, 8000) with the first 8 columns special (ids 0..4), and their masking."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(NUM_SPECIAL, V, (64, 512), generator=generator)
    ids[:, :8] = torch.randint(0, NUM_SPECIAL, (64, 8), generator=generator)
    inputs, targets = mask_tokens(ids, MASK_ID, NUM_SPECIAL, V, generator=torch.Generator().manual_seed(1))
    return ids, inputs, targets


def test_fifteen_percent_of_ordinary_tokens_are_chosen(masked):
    """Devlin et al. 2018, 3.1: 15 % of the token positions are chosen for prediction."""
    ids, _, targets = masked
    chosen = targets != IGNORE
    assert not chosen[:, :8].any()  # special ids never
    assert abs(chosen[:, 8:].float().mean().item() - 0.15) < 0.01
    assert torch.equal(targets[chosen], ids[chosen])


def test_chosen_tokens_are_eighty_ten_ten(masked):
    """Of the chosen: 80 % [MASK], 10 % a random (non-special) token, 10 % unchanged."""
    ids, inputs, targets = masked
    chosen = targets != IGNORE
    assert torch.equal(inputs[~chosen], ids[~chosen])
    was, now = ids[chosen], inputs[chosen]
    masked_share = (now == MASK_ID).float().mean().item()
    random_share = ((now != MASK_ID) & (now != was)).float().mean().item()
    kept_share = (now == was).float().mean().item()
    assert abs(masked_share - 0.8) < 0.02
    assert abs(random_share - 0.1) < 0.02
    assert abs(kept_share - 0.1) < 0.02
    assert (now[now != MASK_ID] >= NUM_SPECIAL).all()


def test_a_seeded_generator_reproduces_the_mask(masked):
    ids, inputs, targets = masked
    again = mask_tokens(ids, MASK_ID, NUM_SPECIAL, V, generator=torch.Generator().manual_seed(1))
    other = mask_tokens(ids, MASK_ID, NUM_SPECIAL, V, generator=torch.Generator().manual_seed(2))
    assert torch.equal(again[0], inputs) and torch.equal(again[1], targets)
    assert not torch.equal(other[1], targets)


# --- perplexity ---------------------------------------------------------------------------------


def test_perplexity_is_weighted_by_tokens_not_batches():
    """ppl = exp(total NLL / total target tokens), whatever the batches' sizes."""
    vocab, n = 30, 8
    model = causal_lm(vocab, context=n)
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, vocab, (4, n), generator=generator)
    targets = torch.randint(0, vocab, (4, n), generator=generator)
    targets[2:, 3:] = IGNORE  # batch 1: 16 targets, batch 2: 6 targets
    loader = DataLoader(FieldsDataset({"input_ids": inputs, "target_ids": targets}), batch_size=2)

    (result,) = trainer().test(LanguageModelTask(model), dataloaders=loader, verbose=False)

    with torch.no_grad():
        model.eval()
        nll = [
            F.cross_entropy(model(b["input_ids"]).flatten(0, 1), b["target_ids"].flatten(), reduction="sum")
            for b in loader
        ]
    tokens = [16, 6]
    expected = math.exp(sum(nll).item() / sum(tokens))
    per_batch = math.exp(sum(s.item() / t for s, t in zip(nll, tokens)) / 2)
    assert result["test/ppl"] == pytest.approx(expected, rel=1e-5)
    assert result["test/loss"] == pytest.approx(math.log(expected), rel=1e-5)
    assert per_batch != pytest.approx(expected, rel=1e-3)  # the weighting matters on this data


def test_a_short_run_lowers_validation_perplexity():
    """A micro GPT (D=32, depth 1) on embedded Genesis: 30 steps bring val/ppl well below the start."""
    data = WebBibleDataModule("embedded", "causal", vocab_size=300, seq_len=32, batch_size=16)
    data.setup("fit")
    model = causal_lm(data.preprocessing.vocab_size, embed_dim=32, context=32)
    task = LanguageModelTask(model, optimizer=lambda params: torch.optim.AdamW(params, lr=3e-3))
    (before,) = trainer(limit_val_batches=8).validate(task, datamodule=data, verbose=False)
    trainer(max_steps=30, limit_val_batches=0, num_sanity_val_steps=0).fit(task, datamodule=data)
    (after,) = trainer(limit_val_batches=8).validate(task, datamodule=data, verbose=False)
    assert after["val/ppl"] < 0.5 * before["val/ppl"]


# --- masked LM ----------------------------------------------------------------------------------


def test_masked_lm_validation_draws_the_same_mask_every_run():
    """Validation masks are seeded by the batch index, so two runs without training score the same."""
    vocab = 40
    torch.manual_seed(0)
    model = UnimodalModel(
        TokenEmbed(vocab, 16, max_len=16, pad_id=0),
        Transformer(16, depth=1, num_heads=2),
        LMHead(16, vocab, transform=True),
    )
    ids = torch.randint(NUM_SPECIAL, vocab, (12, 16), generator=torch.Generator().manual_seed(0))
    ids[::2, 10:] = 0  # right padding
    loader = DataLoader(FieldsDataset({"input_ids": ids}), batch_size=4)  # a masked-LM batch: the ids alone
    task = MaskedLMTask(model, mask_id=MASK_ID, num_special=NUM_SPECIAL)

    first, second = (trainer().validate(task, dataloaders=loader, verbose=False)[0] for _ in range(2))
    assert math.isfinite(first["val/loss"])
    assert first["val/loss"] == second["val/loss"]
    # training masks are drawn afresh every time (dynamic masking)
    assert not torch.equal(task.prepare({"input_ids": ids}, "train")[1], task.prepare({"input_ids": ids}, "train")[1])


def test_a_causal_lm_batch_without_targets_says_so():
    task = LanguageModelTask(causal_lm(30, context=8))
    with pytest.raises(ZooError, match="causal language modelling needs the batch field 'target_ids'; the batch has"):
        task.training_step({"input_ids": torch.zeros(2, 8, dtype=torch.long)}, 0)
