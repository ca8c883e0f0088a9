"""The zoo's skip-gram and CBOW against gensim's ``Word2Vec``, same corpus and settings, one process.

    python benchmarks/word2vec_vs_gensim.py                 # the full Bible, 3 seeds each
    python benchmarks/word2vec_vs_gensim.py --seeds 1 --variant embedded   # Genesis, a smoke run

Both train on the World English Bible's training chapters, split into words the same way
(``zoo.data.preprocessing.words.words_of``), with the recipes' settings: 100-d, window 5
(dynamic), 5 negatives, subsampling 1e-3, min_count 5, 5 epochs, the LR falling linearly. gensim
runs on as many worker threads as torch has; the zoo trains the recipe
(recipes/words/word2vec_{skipgram,cbow}_web_bible.yaml) without validation. Both sets of
vectors are scored by the same code, ``WordVectors.evaluate`` (tests check it against gensim's
own ``evaluate_word_analogies`` and ``evaluate_word_pairs``). Prints a Markdown table of
analogy accuracy, WordSim-353 and SimLex-999 Spearman (mean +- sd over seeds) and corpus words
per second of training, the zoo's difference from gensim in each score and its speed as a ratio,
and the CPU it ran on.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from zoo.data.preprocessing.words import words_of
from zoo.datasets.web_bible import load_splits
from zoo.pipeline.recipe import build_cli
from zoo.precision import cpu_description
from zoo.word_vectors import WordVectors

RECIPES = {
    "skip-gram": "recipes/words/word2vec_skipgram_web_bible.yaml",
    "CBOW": "recipes/words/word2vec_cbow_web_bible.yaml",
}
SCORES = ("analogy_acc", "wordsim353_spearman", "simlex999_spearman")


def train_gensim(sentences: list[list[str]], sg: int, seed: int, settings: dict) -> tuple[WordVectors, float]:
    from gensim.models import Word2Vec

    start = time.perf_counter()
    model = Word2Vec(sentences, sg=sg, seed=seed, workers=torch.get_num_threads(), **settings)
    seconds = time.perf_counter() - start
    return WordVectors(model.wv.index_to_key, torch.tensor(model.wv.vectors)), seconds


def train_zoo(recipe: str, variant: str, seed: int) -> tuple[WordVectors, float, dict]:
    overrides = [
        f"--seed_everything={seed}",
        f"--data.init_args.variant={variant}",
        "--trainer.logger=false",
        "--trainer.enable_checkpointing=false",
        "--trainer.callbacks=null",
        "--trainer.limit_val_batches=0",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
    ]
    with tempfile.TemporaryDirectory() as folder:  # Lightning writes the resolved config.yaml there
        cli = build_cli(["--config", recipe, *overrides], run=False, output=Path(folder))
        data = cli.datamodule
        data.setup("fit")
        if len(data.preprocessing) != len(cli.model.model.vectors):  # the embedded variant's vocabulary
            size = f"--model.init_args.model.init_args.vocab_size={len(data.preprocessing)}"
            cli = build_cli(["--config", recipe, *overrides, size], run=False, output=Path(folder))
        start = time.perf_counter()
        cli.trainer.fit(cli.model, datamodule=data)
        seconds = time.perf_counter() - start
    settings = {"vector_size": cli.model.model.vectors.shape[1], "window": data.window, "negative": data.negatives}
    settings.update(sample=data.sample, min_count=data.min_count, epochs=cli.trainer.max_epochs)
    return WordVectors(data.preprocessing.words, cli.model.model.vectors), seconds, settings


def summary(values: list[float]) -> str:
    mean = statistics.fmean(values)
    return f"{mean:.4f} +- {statistics.stdev(values):.4f}" if len(values) > 1 else f"{mean:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=["full", "embedded"], default="full")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch and gensim threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sentences = [words_of(verse) for chapter in load_splits(args.variant)["train"] for verse in chapter]
    words = sum(map(len, sentences))
    print(
        f"World English Bible ({args.variant}), {words:,} training words; {cpu_description()}, {torch.get_num_threads()} threads"
    )
    print("| model | implementation | analogy acc | WordSim-353 rho | SimLex-999 rho | words/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, recipe in RECIPES.items():
        results = {"zoo": [], "gensim": []}
        for seed in range(args.seeds):
            vectors, seconds, settings = train_zoo(recipe, args.variant, seed)
            results["zoo"].append({**vectors.evaluate(), "words_per_s": words * settings["epochs"] / seconds})
            vectors, seconds = train_gensim(sentences, int(name == "skip-gram"), seed, settings)
            results["gensim"].append({**vectors.evaluate(), "words_per_s": words * settings["epochs"] / seconds})
        for implementation, runs in results.items():
            cells = [summary([run[key] for run in runs]) for key in SCORES]
            speed = statistics.fmean(run["words_per_s"] for run in runs)
            print(f"| {name} | {implementation} | {' | '.join(cells)} | {speed:,.0f} |")
        mean = {
            side: {key: statistics.fmean(r[key] for r in runs) for key in (*SCORES, "words_per_s")}
            for side, runs in results.items()
        }
        gaps = [f"{mean['zoo'][key] - mean['gensim'][key]:+.4f}" for key in SCORES]
        print(
            f"| {name} | zoo - gensim (speed: zoo / gensim) | {' | '.join(gaps)} | {mean['zoo']['words_per_s'] / mean['gensim']['words_per_s']:.3f}x |"
        )
    coverage = vectors.evaluate()
    print(
        f"coverage of the vocabulary: analogy questions {coverage['analogy_coverage']:.1%}, "
        f"WordSim-353 {coverage['wordsim353_coverage']:.1%}, SimLex-999 {coverage['simlex999_coverage']:.1%}"
    )


if __name__ == "__main__":
    main()
