"""benchmarks/transfer.py: fixed splits, nested shots, the files it writes, baselines, one real run.

The real run fine-tunes a micro ViT on scikit-learn's 8x8 digits (which ship with scikit-learn)
in every mode of the suite, with a few optimiser steps.
"""

import json
import sys

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import transfer  # noqa: E402
import transfer_sets as sets  # noqa: E402

EXAMPLES = [(f"text {i}", "ab"[i % 2] if i < 40 else "c") for i in range(46)]  # 20 a, 20 b, 6 c


def test_the_test_split_is_fixed_disjoint_and_a_third_of_a_small_label():
    pool, test = sets.split(EXAMPLES, test_per_label=5)
    assert sets.split(EXAMPLES, test_per_label=5) == (pool, test)
    assert sorted(pool + test) == sorted(EXAMPLES)
    counts = {label: sum(1 for _, y in test if y == label) for label in "abc"}
    assert counts == {"a": 5, "b": 5, "c": 2}  # c has 6: a third held out


def test_shots_are_nested_and_take_at_most_k_a_label():
    pool, _ = sets.split(EXAMPLES, test_per_label=5)
    two, five, every = (sets.shots(pool, k) for k in (2, 5, None))
    assert set(two) <= set(five) <= set(every) == set(pool)
    assert [sum(1 for _, y in five if y == label) for label in "abc"] == [5, 5, 4]


def test_examples_become_the_files_zoo_finetune_reads(tmp_path):
    image = (np.arange(64).reshape(8, 8) * 4).astype(np.uint8)
    root = sets.write([(image, "x"), (image, "y")], "image", tmp_path / "img")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.png")) == ["x/0.png", "y/1.png"]
    assert np.array_equal(np.asarray(Image.open(root / "x" / "0.png")), image)
    wave = np.sin(np.linspace(0, 100, 1600)).astype(np.float32) / 2
    root = sets.write([((wave, 16000), "tone")], "audio", tmp_path / "wav")
    read, rate = sf.read(root / "tone" / "0.wav", dtype="float32")
    assert rate == 16000 and np.allclose(read, wave, atol=1e-4)
    csv = sets.write([('say "hi", twice', "greeting")], "text", tmp_path / "txt")
    assert csv.read_text().splitlines() == ["text,label", '"say ""hi"", twice",greeting']
    sets.write([(image, "z")], "image", tmp_path / "img")  # rewriting a folder leaves no old files
    assert [p.relative_to(tmp_path / "img").as_posix() for p in (tmp_path / "img").rglob("*.png")] == ["z/0.png"]


def test_repeated_and_contradictory_texts_are_dropped():
    examples = [("same", "a"), ("same", "a"), ("both", "a"), ("both", "b"), ("one", "b")]
    assert sets.unique_texts(examples) == [("same", "a"), ("one", "b")]


def test_epochs_give_about_the_configured_steps_within_the_clamps():
    config = {"batch_size": 32, "steps": 150, "min_epochs": 3, "max_epochs": 60}
    assert transfer.epochs_for(100, config) == 50  # 80 training examples: 3 steps an epoch, 150 steps
    assert transfer.epochs_for(20, config) == 60  # capped
    assert transfer.epochs_for(40_000, config) == 3  # at least min_epochs


def test_the_table_marks_the_best_of_each_row():
    rows = [
        {"set": "s", "shots": "10", "method": m, "train": 20, "acc": a}
        for m, a in (("tfidf+LR", 0.5), ("bert fine-tuned", 0.75))
    ]
    assert transfer.table(rows).splitlines()[2] == "| s | 10 | 20 | 50.0 | **75.0** |"


def test_baselines_learn_real_digits_and_texts():
    pool, test = sets.split(sets.sklearn_digits()[0], test_per_label=20)
    assert transfer.baseline("pixels+LR", sets.shots(pool, 20), test) > 0.8
    news = [(f"the {w} game score team" if y == "sport" else f"the {w} vote law party", y)
            for w, y in zip("abcdefghijklmnopqrst", ["sport", "politics"] * 10)]  # fmt: skip
    assert transfer.baseline("tfidf+NB", news[:16], news[16:]) == 1.0


@pytest.mark.slow
def test_the_suite_runs_every_method_on_real_digits_and_resumes(micro_checkpoint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = {"seed": 0, "shots": [10], "full_cap": 10, "steps": 4, "min_epochs": 1, "max_epochs": 2,
              "batch_size": 16, "lr": 5e-4, "probe_lr": 5e-3, "select": "last"}  # fmt: skip
    spec = {"checkpoints": [str(micro_checkpoint)], "scratch": str(micro_checkpoint)}
    out, results = tmp_path / "out", tmp_path / "results.jsonl"
    before = sorted(p.name for p in micro_checkpoint.iterdir())
    transfer.run_set("sklearn-digits", spec, config, out, results)
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [r["method"] for r in rows] == ["pixels+LR", "micro probe", "micro fine-tuned", "scratch"]
    assert all(r["train"] == 100 and 0 <= r["acc"] <= 1 for r in rows)
    assert sorted(p.name for p in micro_checkpoint.iterdir()) == before  # runs stay under out/
    assert (out / "sklearn-digits" / "10" / "micro-fine-tuned" / "checkpoint" / "config.yaml").is_file()
    # a suite killed during its last run, mid-write: that run alone goes again
    lines = results.read_text().splitlines()
    results.write_text("\n".join(lines[:-1]) + '\n{"set": "sklearn-dig')
    transfer.run_set("sklearn-digits", spec, config, out, results)
    rows = transfer.read_results(results, config)
    assert [r["method"] for r in rows] == ["pixels+LR", "micro probe", "micro fine-tuned", "scratch"]
    # other settings are other rows: nothing of the first run counts for them
    assert transfer.read_results(results, {**config, "steps": 5}) == []


def test_the_docs_page_holds_each_domains_table_plot_and_machine(tmp_path):
    config = {"steps": 100, "min_epochs": 1, "batch_size": 32, "lr": 5e-4, "probe_lr": 5e-3, "full_cap": 200, "seed": 0}
    rows = [
        {"set": "spam", "domain": "text", "shots": shots, "method": m, "train": 2 * int(shots), "acc": a,
         "cpu": "AMD EPYC, bf16 emulated", "date": "2026-12-01"}
        for shots in ("10", "100") for m, a in (("tfidf+NB", 0.8), ("bert fine-tuned", 0.9))
    ]  # fmt: skip
    transfer.write_docs(rows, config, tmp_path)
    page = (tmp_path / "transfer.md").read_text()
    assert "## text" in page and "Measured on: AMD EPYC, bf16 emulated, 2026-12-01." in page
    assert "| spam | 100 | 200 | 80.0 | **90.0** |" in page and "## image" not in page
    assert (tmp_path / "transfer_text.png").stat().st_size > 1000


def test_the_committed_page_is_what_the_committed_results_give(tmp_path):
    config = transfer.yaml.safe_load((ROOT / "benchmarks" / "transfer.yaml").read_text())
    rows = transfer.read_results(transfer.RESULTS, config)
    assert rows, f"no rows of the current settings in {transfer.RESULTS}"
    transfer.write_docs(rows, config, tmp_path, transfer.ablation_rows(transfer.RESULTS, config))
    assert (tmp_path / "transfer.md").read_text() == (ROOT / "docs" / "transfer.md").read_text()


def test_an_ablation_row_is_its_own_setting_and_shows_its_change(tmp_path):
    config = {"seed": 0, "steps": 100, "lr": 5e-4, "select": "last"}
    assert transfer.parse_vary("layer_decay=0.75") == ("layer_decay", 0.75)
    assert transfer.parse_vary("augment=shift") == ("augment", "shift")
    with pytest.raises(SystemExit, match="KEY one of seed"):
        transfer.parse_vary("warmup=3")
    varied = {**config, "layer_decay": 0.75}
    assert transfer.settings_hash(varied) != transfer.settings_hash(config)
    assert transfer.settings_hash({**config, "augment": "flip"}) != transfer.settings_hash(config)
    row = {"set": "mnist", "domain": "image", "shots": "100", "method": "vit fine-tuned", "train": 1000}
    results = tmp_path / "results.jsonl"
    transfer.append_row(results, {**row, "acc": 0.8, "settings": transfer.settings_hash(config)})
    transfer.append_row(results, {**row, "acc": 0.85, "settings": transfer.settings_hash(varied), "varied": {"layer_decay": 0.75}})
    rows, ablation = transfer.read_results(results, config), transfer.ablation_rows(results, config)
    assert [r["acc"] for r in rows] == [0.8] and [r["acc"] for r in ablation] == [0.85]
    assert transfer.ablation_table(rows, ablation).splitlines()[2] == "| mnist | 100 | vit | 80.0 | 85.0 (+5.0) |"
    assert transfer.ablation_rows(results, {**config, "steps": 300}) == []  # measured against other settings
    both = {"steps": 300, "max_len": 512}  # --vary twice: one row with both changed
    transfer.append_row(results, {**row, "acc": 0.9, "settings": transfer.settings_hash({**config, **both}), "varied": both})
    table = transfer.ablation_table(rows, transfer.ablation_rows(results, config)).splitlines()
    assert table[0].endswith("| layer_decay=0.75 | steps=300, max_len=512 |")
    assert table[2] == "| mnist | 100 | vit | 80.0 | 85.0 (+5.0) | 90.0 (+10.0) |"


def test_an_unknown_checkpoint_is_one_line_before_anything_runs(tmp_path, monkeypatch):
    argv = ["transfer.py", "--domain", "text", "--checkpoints", "bert-tiny-english,bert-huge",
            "--out", str(tmp_path / "out"), "--results", str(tmp_path / "results.jsonl")]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit, match="--checkpoints bert-huge: not a checkpoint of text in .*transfer.yaml; add it"):
        transfer.main()
    assert not (tmp_path / "results.jsonl").exists()


def test_a_text_cut_to_its_first_tokens_ends_at_a_token_boundary():
    import text_truncation

    from zoo.data.tokenizer import load_tokenizer
    from zoo.hub.registry import resolve

    tokenizer = load_tokenizer(resolve("bert-tiny-english")[0])
    text = "Win a free holiday now, reply to claim your prize before Friday."
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    ends = text_truncation.token_ends(text, tokenizer)
    three = text_truncation.cut(text, ends, 3)
    assert tokenizer.encode(three, add_special_tokens=False).ids == ids[:3] and text.startswith(three)
    assert text_truncation.cut(text, ends, None) == text == text_truncation.cut(text, ends, len(ids))
