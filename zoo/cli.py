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
import re
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
        # allow_abbrev=False: a misspelled flag such as --trainer.max_epoch is an error,
        # not a silent abbreviation of --trainer.max_epochs.
        parser_kwargs={"exit_on_error": False, "allow_abbrev": False},
        args=list(args),
        run=run,
    )


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
