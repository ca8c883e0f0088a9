"""The ``zoo`` command.

    zoo fit|validate|test|predict --config RECIPE [--key value ...]   LightningCLI as is
    zoo run RECIPE [--output DIR] [--resume] [--key value ...]        fit, test, export a checkpoint
    zoo export RUN_DIR [--output DIR] [--weights-dtype float16]       re-export a finished run
    zoo list                                                          the named checkpoints
    zoo predict NAME_OR_DIR INPUT... [--topk K] [--json]              labels for image/audio files or texts
    zoo generate NAME_OR_DIR --prompt TEXT [--max-new-tokens N]       continue a text
    zoo finetune NAME_OR_DIR --data PATH --output OUT [--epochs N]    fine-tune on images, audio or a CSV
    zoo data prepare NAME [--source DIR]                              build a full dataset's cache

Errors a user can cause print one line (``zoo: error: ...``) and exit 2; set ZOO_DEBUG=1
to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from zoo.errors import ZooError

USAGE = """usage: zoo COMMAND ...

commands:
  fit|validate|test|predict --config RECIPE   Lightning's commands on a recipe (see zoo fit --help)
  run RECIPE [--output DIR] [--resume]        fit, test the best checkpoint, write DIR/metrics.json
                                              and the zoo checkpoint DIR/checkpoint
  export RUN_DIR [--weights-dtype float16]    re-export a finished run's best weights
  list                                        the named checkpoints and their measured metrics
  predict NAME_OR_DIR INPUT... [--json]       top-k labels for each image/audio file or text
  generate NAME_OR_DIR --prompt TEXT          continue a text with a language model (greedy, sample, beam)
  finetune NAME_OR_DIR --data PATH --output OUT [--epochs N] [--freeze none|backbone|gradual] [--new-head]
                                              fine-tune a classifier on image or audio folders, CSV/JSONL texts
  data prepare NAME [--source DIR]            prepare a full dataset (names: {datasets})
"""

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")
COMMANDS = (*LIGHTNING_COMMANDS, "run", "export", "list", "generate", "finetune", "data")


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command == "predict" and not _names_a_recipe(argv[1:]):
        _guard(lambda: predict_main(argv[1:]))  # zoo predict NAME FILE...
    elif command in LIGHTNING_COMMANDS:
        _guard(lambda: build_cli(argv, run=True))
    elif command == "run":
        from zoo.run import run_main

        _guard(lambda: run_main(argv[1:]))
    elif command == "export":
        from zoo.run import export_main

        _guard(lambda: export_main(argv[1:]))
    elif command == "list":
        _guard(lambda: list_main(argv[1:]))
    elif command == "generate":
        _guard(lambda: generate_main(argv[1:]))
    elif command == "finetune":
        from zoo.finetune import finetune_main

        _guard(lambda: finetune_main(argv[1:]))
    elif command == "data":
        _guard(lambda: data_main(argv[1:]))
    elif command in (None, "-h", "--help", "help"):
        print(_usage())
    else:
        _fail(f"unknown command {command!r}; choose one of {', '.join(COMMANDS)}")


def _names_a_recipe(args: Sequence[str]) -> bool:
    """``zoo predict --config R`` is Lightning's predict; ``zoo predict NAME FILE...`` is zoo's."""
    return any(arg == "--config" or arg.startswith(("--config=", "-c")) for arg in args)


def build_cli(args: Sequence[str], run: bool):
    """LightningCLI over any LightningModule and LightningDataModule named in the recipe.

    Parse errors raise instead of printing argparse's usage block, so ``main`` can report
    them as one line.
    """
    import warnings

    import lightning as L
    from lightning.pytorch.cli import LightningCLI

    # `zoo run` hands LightningCLI its own argument list, which differs from sys.argv on purpose.
    warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
    return LightningCLI(
        L.LightningModule,
        L.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        auto_configure_optimizers=False,
        save_config_kwargs={"overwrite": True},
        # allow_abbrev=False: a misspelled flag such as --trainer.max_epoch is an error,
        # not a silent abbreviation of --trainer.max_epochs.
        parser_kwargs={"exit_on_error": False, "allow_abbrev": False},
        args=list(args),
        run=run,
    )


def list_main(argv: Sequence[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from zoo.hub.registry import list_models

    ArgumentParser(prog="zoo list").parse_args(argv)
    table = Table(title="zoo checkpoints (zoo.load(name), zoo predict NAME FILE...)")
    for column in ("name", "task", "test/acc", "test/f1_macro", "test/ppl"):
        table.add_column(column, justify="right" if column.startswith("test") else "left", no_wrap=True)
    table.add_column("where", overflow="fold")
    for entry in list_models():
        scores = [
            f"{entry.metrics[k]:.4f}" if k in entry.metrics else "-" for k in ("test/acc", "test/f1_macro", "test/ppl")
        ]
        table.add_row(entry.name, entry.task, *scores, entry.location if "://" in entry.location else "shipped")
    Console(width=max(Console().width, 100)).print(table)  # pipes get 80 columns: too narrow


def predict_main(argv: Sequence[str]) -> None:
    """``zoo predict NAME_OR_DIR INPUT...``: top-k labels; ``--json``: one JSON object per line.

    Image and audio models take files; a text model takes the texts themselves (quote each one).
    """
    import json

    from zoo.hub.pretrained import load

    parser = ArgumentParser(prog="zoo predict")
    parser.add_argument("model", help="a named checkpoint (zoo list), a checkpoint folder, or hf://owner/repo")
    parser.add_argument(
        "inputs", nargs="+", help="image or audio files for an image or audio model; texts (quoted) for a text model"
    )
    parser.add_argument("--topk", type=int, default=3, help="labels to show per input")
    parser.add_argument("--json", action="store_true", help="one JSON object per input line")
    args = parser.parse_args(argv)
    for result in load(args.model).predict(args.inputs, topk=args.topk):
        if args.json:
            print(json.dumps(result))
        else:
            print(result["input"])
            for label, prob in result["topk"]:
                print(f"  {prob:7.2%}  {label}")


def generate_main(argv: Sequence[str]) -> None:
    """``zoo generate NAME_OR_DIR --prompt TEXT``: print the prompt and its continuation."""
    import torch

    from zoo.hub.pretrained import load

    parser = ArgumentParser(prog="zoo generate")
    parser.add_argument("model", help="a named language-model checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("--prompt", required=True, help="the text to continue")
    parser.add_argument("--max-new-tokens", type=int, default=60)
    parser.add_argument("--strategy", choices=["greedy", "sample", "beam"], default="greedy")
    parser.add_argument("--temperature", type=float, default=1.0, help="sample: below 1 is more conservative")
    parser.add_argument("--top-k", type=int, help="sample from the k most likely tokens only")
    parser.add_argument("--top-p", type=float, help="sample from the smallest set holding this probability")
    parser.add_argument("--num-beams", type=int, default=4, help="beam: hypotheses kept")
    parser.add_argument("--seed", type=int, default=0, help="sample: random seed")
    args = parser.parse_args(argv)
    sampling = {"--temperature": args.temperature != 1.0, "--top-k": args.top_k, "--top-p": args.top_p}
    if args.strategy != "sample" and (
        given := [flag for flag, value in sampling.items() if value is not None and value]
    ):
        raise ZooError(f"{', '.join(given)} shape sampling only; add --strategy sample")
    options = {"strategy": args.strategy}
    if args.strategy == "sample":
        generator = torch.Generator().manual_seed(args.seed)
        options.update(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p, generator=generator)
    elif args.strategy == "beam":
        options.update(num_beams=args.num_beams)
    print(load(args.model).generate(args.prompt, args.max_new_tokens, **options))


def data_main(argv: Sequence[str]) -> None:
    from zoo.data.prepare import PREPARERS

    parser = ArgumentParser(prog="zoo data")
    parser.add_argument("action", choices=["prepare"])
    parser.add_argument("name", help=f"one of: {', '.join(PREPARERS)}")
    parser.add_argument("--source", help="folder holding the dataset's original files (else found or downloaded)")
    args = parser.parse_args(argv)
    if args.name not in PREPARERS:
        raise ZooError(f"unknown dataset {args.name!r}; choose one of: {', '.join(PREPARERS)}")
    path = PREPARERS[args.name](args.source)
    print(f"prepared {args.name} at {path}")


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``ZooError`` instead of printing usage and exiting, for one-line errors."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog=prog, allow_abbrev=False, exit_on_error=False)

    def error(self, message: str):
        raise ZooError(f"{message}; see {self.prog} --help")


def _guard(action: Callable[[], object]) -> None:
    """Run ``action``; report errors a user can cause as one line and exit status 2.

    Anything else is a bug and keeps its traceback.
    """
    if os.environ.get("ZOO_DEBUG"):
        action()
        return
    try:
        action()
    except Exception as err:
        if not _is_user_error(err):
            raise
        _fail(_one_line(err))


def _is_user_error(err: BaseException) -> bool:
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    if isinstance(err, (ZooError, argparse.ArgumentError, FileNotFoundError, MisconfigurationException)):
        return True
    return isinstance(_root_cause(err), ZooError)  # e.g. a model's ZooError wrapped by jsonargparse


def _root_cause(err: BaseException) -> BaseException:
    while err.__cause__ is not None:
        err = err.__cause__
    return err


def _one_line(err: BaseException) -> str:
    """One line saying what is wrong, from a possibly nested, multi-line error message."""
    text = str(err)
    if 'Parser key "' in text:
        return _describe_recipe_error(text)
    lines = [line.strip() for line in str(_root_cause(err)).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _describe_recipe_error(text: str) -> str:
    """Condense jsonargparse's nested report to the failing key, its class and the cause.

    The report nests ``Parser key "k":`` and ``Problem with given class_path 'c':`` lines
    down to the cause (e.g. ``Option 'embd_dim' is not accepted``), with generic lines about
    Union subtypes around it and ``Expected a <class 'NoneType'>`` for optional values.
    """
    keys, classes, causes, given = [], [], [], None
    generic = ("Does not validate", "Subtypes:", "Errors:", "Given value type:", "Not a valid subclass")
    for raw in text.splitlines():
        line = raw.strip().removeprefix("- ").strip()
        if key := re.match(r'Parser key "([^"]+)":?\s*(.*)', line):
            keys.append(key[1])
            line = key[2]
        if cls := re.match(r"Problem with given class_path '([^']+)':", line):
            classes.append(cls[1])
        elif line.startswith("Given value:"):
            given = line.removeprefix("Given value:").strip()
        elif line and not line.startswith(generic) and "NoneType" not in line:
            causes.append(re.sub(r"Expected a <class '(\w+)'>", r"expected \1", line))
    cause = causes[-1] if causes else "invalid value"
    if keys == ["config"]:
        return f"{cause}; give the path of a recipe YAML (see recipes/)"
    where = ".".join(keys) + (f" ({classes[-1]})" if classes else "")
    if given is not None and len(given) <= 60:
        cause += f", got {given!r}"
    return f"recipe key {where}: {cause}; fix the recipe or the --key override (--print_config shows every key)"


def _fail(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)
    sys.exit(2)


def _usage() -> str:
    from zoo.data.prepare import PREPARERS

    return USAGE.format(datasets=", ".join(PREPARERS))


if __name__ == "__main__":
    main()
