"""The ``zoo`` command.

    zoo fit|validate|test|predict --config RECIPE [--key value ...]   LightningCLI as is
    zoo run RECIPE [--output DIR] [--key value ...]                   fit, test, write metrics
    zoo data prepare NAME [--source DIR]                              build a full dataset's cache

Errors a user can cause print one line (``zoo: error: ...``) and exit 2; set ZOO_DEBUG=1
to see the traceback instead.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from zoo.errors import ZooError

USAGE = """usage: zoo COMMAND ...

commands:
  fit|validate|test|predict --config RECIPE   Lightning's commands on a recipe (see zoo fit --help)
  run RECIPE [--output DIR] [--key value]     fit, test the best checkpoint, write DIR/metrics.json
  data prepare NAME [--source DIR]            prepare a full dataset (names: {datasets})
"""

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command in LIGHTNING_COMMANDS:
        _guard(lambda: build_cli(argv, run=True))
    elif command == "run":
        from zoo.run import run_main

        _guard(lambda: run_main(argv[1:]))
    elif command == "data":
        _guard(lambda: data_main(argv[1:]))
    elif command in (None, "-h", "--help", "help"):
        print(_usage())
    else:
        _fail(f"unknown command {command!r}; choose one of fit, validate, test, predict, run, data")


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
        parser_kwargs={"exit_on_error": False},
        args=list(args),
        run=run,
    )


def data_main(argv: Sequence[str]) -> None:
    from zoo.data.prepare import PREPARERS

    parser = argparse.ArgumentParser(prog="zoo data", exit_on_error=False)
    parser.add_argument("action", choices=["prepare"])
    parser.add_argument("name", help=f"one of: {', '.join(PREPARERS)}")
    parser.add_argument("--source", help="folder holding the dataset's original files (else found or downloaded)")
    args = parser.parse_args(argv)
    if args.name not in PREPARERS:
        raise ZooError(f"unknown dataset {args.name!r}; choose one of: {', '.join(PREPARERS)}")
    path = PREPARERS[args.name](args.source)
    print(f"prepared {args.name} at {path}")


def _guard(action: Callable[[], object]) -> None:
    """Run ``action``; turn errors a user can cause into one line and exit status 2."""
    if os.environ.get("ZOO_DEBUG"):
        action()
        return
    from jsonargparse import ArgumentError as JsonargparseError

    try:
        action()
    except (ZooError, JsonargparseError, argparse.ArgumentError, FileNotFoundError, ValueError) as err:
        _fail(_one_line(err))


def _one_line(err: BaseException) -> str:
    """The first meaningful line of a (possibly nested, multi-line) error message."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    # jsonargparse nests the cause under generic lines; the last specific line says what is wrong.
    specific = [line for line in lines if not line.startswith(("Does not validate", "Subclass types", "- "))]
    message = " ".join(specific[:2]) if specific else (lines[-1] if lines else type(err).__name__)
    return message


def _fail(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)
    sys.exit(2)


def _usage() -> str:
    from zoo.data.prepare import PREPARERS

    return USAGE.format(datasets=", ".join(PREPARERS))


if __name__ == "__main__":
    main()
