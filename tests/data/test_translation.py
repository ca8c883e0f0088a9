"""Sentence-pair data: length-bucketed batches, the joint tokenizer's framing, TSV pairs."""

import pytest
import torch

from zoo.data.translation import PairBatches, PairsFileDataModule, read_pairs
from zoo.datasets.bible_en_es import BibleEnEsDataModule
from zoo.errors import ZooError


def test_batches_group_similar_lengths_and_cover_every_pair_once():
    sources = [torch.arange(1, n + 1) for n in (5, 1, 9, 2, 8, 1)]
    batches = PairBatches(sources, sources, batch_size=2, pad_id=0, by_length=True)
    widths = [batches[i]["target_ids"].shape[1] for i in range(len(batches))]
    assert widths == [1, 5, 9]
    assert sorted(j for rows in batches.batches for j in rows) == list(range(6))
    kept = PairBatches(sources, sources, batch_size=4, pad_id=0)
    assert kept.batches == [[0, 1, 2, 3], [4, 5]]


def test_the_bible_reads_with_a_joint_tokenizer_sources_end_in_eos_targets_are_framed():
    data = BibleEnEsDataModule("embedded", vocab_size=600, batch_size=8, max_train_len=60)
    data.setup()
    p = data.preprocessing
    assert (p.pad_id, p.bos_id, p.eos_id) == (0, 1, 2)
    batch = data.datasets["test"][0]
    first_source = batch["source_ids"][0][batch["source_ids"][0] != 0]
    first_target = batch["target_ids"][0][batch["target_ids"][0] != 0]
    assert first_source[-1] == p.eos_id and first_target[0] == p.bos_id and first_target[-1] == p.eos_id
    assert data.decode(first_target.tolist()).startswith("Y fué palabra de Jehová á Jonás")
    train = data.datasets["train"]
    assert max(len(t) for t in train.targets) <= 60 and train.num_pairs < 1533


def test_a_tsv_file_holds_out_every_tenth_pair_and_bad_lines_name_their_number(tmp_path):
    good = tmp_path / "pairs.tsv"
    good.write_text("".join(f"hello {i}\thola {i}\n" for i in range(20)) + "\n", encoding="utf-8")
    data = PairsFileDataModule(good, val_fraction=0.1)
    assert (len(data.splits["train"]), len(data.splits["val"])) == (18, 2)
    assert data.splits["val"][0] == ("hello 9", "hola 9")
    bad = tmp_path / "bad.tsv"
    bad.write_text("one\tuno\ntwo dos\n", encoding="utf-8")
    with pytest.raises(ZooError, match=r"bad.tsv:2 has 0 tabs"):
        read_pairs(bad)
    bad.write_text("one\tuno\n\t dos\n", encoding="utf-8")
    with pytest.raises(ZooError, match=r"bad.tsv:2 has an empty source"):
        read_pairs(bad)
