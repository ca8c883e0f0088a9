"""The RNN baselines keep the text models' contract: padded ids in, logits out, CausalLM's decoding."""

import pytest
import torch
import torch.nn.functional as F

from zoo.baselines import RNNClassifier, RNNLanguageModel
from zoo.contracts import is_classifier
from zoo.errors import ZooError
from zoo.hub.checkpoint import tied_aliases

VARIANTS = [("lstm", False), ("gru", False), ("lstm", True)]  # the recipes' LSTM, GRU and BiLSTM
POOLS = ["last", "max", "mean"]


def _classifier(cell: str, bidirectional: bool, pool: str) -> RNNClassifier:
    torch.manual_seed(0)
    model = RNNClassifier(
        30, 4, embed_dim=8, hidden_size=6, num_layers=2, cell=cell, bidirectional=bidirectional, pool=pool
    )
    return model.eval()


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize(("cell", "bidirectional"), VARIANTS)
def test_classifier_shapes(cell, bidirectional, pool):
    model = _classifier(cell, bidirectional, pool)
    ids = torch.tensor([[3, 4, 5, 0], [7, 0, 0, 0], [0, 0, 0, 0]])  # the last row is all padding
    assert model(ids).shape == (3, 4)
    assert model.forward_features(ids).shape == (3, 12 if bidirectional else 6)
    assert torch.isfinite(model(ids)).all()


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize(("cell", "bidirectional"), VARIANTS)
def test_classifier_logits_do_not_depend_on_padding(cell, bidirectional, pool):
    model = _classifier(cell, bidirectional, pool)
    short, long = torch.randint(1, 30, (1, 4)), torch.randint(1, 30, (1, 9))
    batch = torch.cat([F.pad(short, (0, 5), value=0), long])  # the shorter row first: lengths unsorted
    logits = model(batch)
    torch.testing.assert_close(logits[:1], model(short), atol=1e-5, rtol=0)
    torch.testing.assert_close(logits[1:], model(long), atol=1e-5, rtol=0)


@pytest.mark.parametrize(("cell", "bidirectional"), VARIANTS)
def test_last_pool_is_the_top_layers_final_state_in_each_direction(cell, bidirectional):
    model = _classifier(cell, bidirectional, "last")
    ids = torch.randint(1, 30, (1, 7))
    outputs, _ = model.rnn(model.embedding(ids))  # (1, N, directions * 6), top layer only
    expected = outputs[:, -1, :6] if not bidirectional else torch.cat([outputs[:, -1, :6], outputs[:, 0, 6:]], -1)
    torch.testing.assert_close(model.forward_features(ids), expected, atol=1e-6, rtol=0)


def test_classifier_layer_groups_and_fc_hold_every_parameter():
    model = _classifier("lstm", True, "last")
    assert model.layer_groups() == [model.embedding, model.rnn]
    grouped = {p for group in [*model.layer_groups(), model.get_classifier()] for p in group.parameters()}
    assert grouped == set(model.parameters())


def test_bad_cell_or_pool_is_refused():
    with pytest.raises(ZooError, match="cell must be one of lstm, gru, got 'rnn'"):
        RNNClassifier(vocab_size=10, num_classes=2, cell="rnn")
    with pytest.raises(ZooError, match="pool must be one of last, max, mean, got 'cls'"):
        RNNClassifier(vocab_size=10, num_classes=2, pool="cls")
    with pytest.raises(ZooError, match="cell must be one of"):
        RNNLanguageModel(vocab_size=10, cell="transformer")


def test_classifier_learns_whether_a_token_appears():
    torch.manual_seed(0)

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        ids = torch.randint(6, 12, (n, 10))  # tokens 6..11 never hold the answer
        labels = torch.rand(n) < 0.5
        at = torch.randint(0, 10, (n,))
        ids[labels, at[labels]] = 5
        lengths = torch.maximum(at + 1, torch.randint(3, 11, (n,)))  # right padding keeps any 5
        ids[torch.arange(10) >= lengths[:, None]] = 0
        return ids, labels.long()

    model = RNNClassifier(vocab_size=12, num_classes=2, embed_dim=16, hidden_size=16, cell="gru")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    ids, labels = sample(256)
    for _ in range(60):
        optimizer.zero_grad()
        F.cross_entropy(model(ids), labels).backward()
        optimizer.step()
    test_ids, test_labels = sample(512)
    accuracy = (model.eval()(test_ids).argmax(1) == test_labels).float().mean()
    assert accuracy > 0.95


def _language_model(
    cell: str = "lstm", embed_dim: int = 8, hidden_size: int = 12, num_layers: int = 2, tie_weights: bool = True
) -> RNNLanguageModel:
    torch.manual_seed(0)
    model = RNNLanguageModel(25, embed_dim, hidden_size, num_layers, cell=cell, tie_weights=tie_weights)
    return model.eval()


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_decoding_in_chunks_equals_the_full_forward(cell):
    model = _language_model(cell)
    ids = torch.randint(0, 25, (2, 12))
    full = model(ids)
    assert full.shape == (2, 12, 25)
    assert model.max_len is None
    state = model.init_state(batch_size=2)
    chunks = [model.decode_step(chunk, state) for chunk in ids.split([3, 1, 5, 3], dim=1)]
    torch.testing.assert_close(torch.cat(chunks, dim=1), full, atol=1e-5, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_reorder_state_keeps_the_chosen_rows(cell):
    model = _language_model(cell)
    prefix, step = torch.randint(0, 25, (3, 6)), torch.randint(0, 25, (2, 1))
    state = model.init_state(batch_size=3)
    model.decode_step(prefix, state)
    index = torch.tensor([2, 0])
    model.reorder_state(state, index)
    expected = model(torch.cat([prefix[index], step], dim=1))[:, -1:]
    torch.testing.assert_close(model.decode_step(step, state), expected, atol=1e-5, rtol=0)


def test_tied_decoder_is_the_embedding_parameter():
    tied = _language_model(embed_dim=8, hidden_size=12)
    assert tied.decoder.weight is tied.embedding.weight
    assert tied_aliases(tied) == {"decoder.weight": "embedding.weight"}
    assert tied.proj.out_features == 8  # hidden_size 12 is projected to the embedding width
    untied = _language_model(embed_dim=8, hidden_size=8, tie_weights=False)
    assert untied.decoder.weight is not untied.embedding.weight
    assert untied.proj is None


def test_language_model_layer_groups_and_decoder_hold_every_parameter():
    model = _language_model()
    assert not is_classifier(model)  # a language model has no classes to reset
    assert model.layer_groups() == [model.embedding, model.rnn, model.proj]
    grouped = {p for group in [*model.layer_groups(), model.decoder] for p in group.parameters()}
    assert grouped == set(model.parameters())


def test_language_model_overfits_one_sequence():
    model = _language_model(embed_dim=32, hidden_size=32, num_layers=1).train()
    ids = torch.tensor([[1, 7, 3, 9, 4, 1, 7, 3, 9, 4, 2, 8, 6, 5, 2, 8]])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[0, 1:])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 3.0  # about ln(25) at the start
    assert losses[-1] < 0.05
