"""``zoo list``: the named checkpoints (shipped, and any extra tables) with their measured metrics."""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser

COLUMNS = (  # t2v: text -> video recall at 10; inception_score: a GAN's samples, by a shipped classifier
    "test/acc", "test/f1_macro", "test/ppl", "test/bleu", "test/t2v_r10", "test/analogy_acc", "test/inception_score"
)


def main(argv: Sequence[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from zoo.hub.registry import list_models

    parser = ArgumentParser(prog="zoo list")
    parser.add_argument(
        "--index", action="append", help="also list this index.yaml (a path or URL; repeatable; or set ZOO_INDEX)"
    )
    args = parser.parse_args(argv)
    table = Table(title="zoo checkpoints (zoo.load(name), zoo predict NAME FILE...)")
    for column in ("name", "task", *COLUMNS):
        table.add_column(column, justify="right" if column.startswith("test") else "left", no_wrap=True)
    table.add_column("where", overflow="fold")
    for entry in list_models(extra_index=args.index):
        scores = [f"{entry.metrics[k]:.4f}" if k in entry.metrics else "-" for k in COLUMNS]
        table.add_row(entry.name, entry.task, *scores, entry.location if "://" in entry.location else "shipped")
    Console(width=max(Console().width, 180)).print(table)  # pipes get 80 columns: too narrow
