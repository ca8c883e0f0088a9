"""What every ``zoo`` command shares: an argument parser that raises, and the error guard
that prints an error a user can cause as one line and exits with status 2."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable

from zoo.errors import ZooError


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``ZooError`` instead of printing usage and exiting, for one-line errors."""

    def __init__(self, prog: str, description: str | None = None) -> None:
        super().__init__(prog=prog, description=description, allow_abbrev=False, exit_on_error=False)

    def error(self, message: str):
        raise ZooError(f"{message}; see {self.prog} --help")


def guard(action: Callable[[], object]) -> None:
    """Run ``action``; report errors a user can cause as one line and exit status 2.

    Anything else is a bug and keeps its traceback; ``ZOO_DEBUG=1`` shows every traceback.
    """
    if os.environ.get("ZOO_DEBUG"):
        action()
        return
    try:
        action()
    except Exception as err:
        if not is_user_error(err):
            raise
        fail(one_line(err))


def is_user_error(err: BaseException) -> bool:
    if isinstance(err, (ZooError, argparse.ArgumentError, FileNotFoundError)):
        return True
    from lightning.fabric.utilities.exceptions import MisconfigurationException  # only on the error path

    if isinstance(err, MisconfigurationException):
        return True
    return isinstance(root_cause(err), ZooError)  # e.g. a model's ZooError wrapped by jsonargparse


def root_cause(err: BaseException) -> BaseException:
    while err.__cause__ is not None:
        err = err.__cause__
    return err


def one_line(err: BaseException) -> str:
    """One line saying what is wrong, from a possibly nested, multi-line error message."""
    text = str(err)
    if 'Parser key "' in text:
        return describe_recipe_error(text)
    lines = [line.strip() for line in str(root_cause(err)).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def describe_recipe_error(text: str) -> str:
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


def fail(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)
    sys.exit(2)
