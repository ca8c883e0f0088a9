"""A recipe parsed and built: LightningCLI over any task and datamodule a recipe names.

A recipe is a YAML file, or the same structure as a dict (what ``zoo finetune`` builds
from a checkpoint). Two zoo rules apply on top of LightningCLI's parsing:

- precision follows the hardware: a recipe that names none, or ``--trainer.precision auto``,
  gets :func:`zoo.precision.auto_precision` for the accelerator it runs on;
- given an ``output`` folder, every logger writes under it, so two runs of one recipe into
  two folders never mix their logs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import lightning as L
from lightning.pytorch.cli import LightningCLI

from zoo.precision import AUTO, device_description, resolve_precision

Recipe = Path | str | Mapping


class RecipeCLI(LightningCLI):
    """LightningCLI with the zoo's precision rule and logs under the run's folder."""

    def __init__(self, *args, output: Path | None = None, **kwargs) -> None:
        self.output = output
        super().__init__(*args, **kwargs)

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        trainer = config["trainer"]
        given = trainer.get("precision")
        trainer["precision"] = resolve_precision(given, trainer.get("accelerator"))
        how = f"auto on {device_description(trainer.get('accelerator'))}" if given in (None, AUTO) else "as given"
        print(f"zoo: precision {trainer['precision']} ({how})")
        if self.output is not None:
            trainer["default_root_dir"] = str(self.output)
            loggers = trainer.get("logger")
            for logger in loggers if isinstance(loggers, list) else [loggers]:
                if hasattr(logger, "init_args") and "save_dir" in logger.init_args:
                    logger.init_args["save_dir"] = str(self.output)


def build_cli(recipe_args: Sequence[str] | Mapping, run: bool, output: Path | None = None) -> RecipeCLI:
    """Parse a recipe (command-line style ``["--config", path, "--key=value", ...]`` or a dict
    of the recipe's structure) and build its trainer, task and datamodule.

    With ``run`` the first argument is a Lightning subcommand (fit, validate, test,
    predict) and it runs. Parse errors raise instead of printing argparse's usage block,
    so the command layer can report them as one line.
    """
    # `zoo run` hands LightningCLI its own argument list, which differs from sys.argv on purpose.
    warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
    args = dict(recipe_args) if isinstance(recipe_args, Mapping) else _auto_precision_is_default(recipe_args)
    return RecipeCLI(
        L.LightningModule,
        L.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        auto_configure_optimizers=False,
        save_config_kwargs={"overwrite": True},
        # allow_abbrev=False: a misspelled flag such as --trainer.max_epoch is an error,
        # not a silent abbreviation of --trainer.max_epochs.
        parser_kwargs={"exit_on_error": False, "allow_abbrev": False},
        args=args,
        run=run,
        output=output,
    )


def _auto_precision_is_default(args: Sequence[str]) -> list[str]:
    """``--trainer.precision auto`` -> ``null`` (Lightning's parser knows no ``auto``), which
    :meth:`RecipeCLI.before_instantiate_classes` resolves by hardware, over the recipe's value."""
    out = list(args)
    for i, arg in enumerate(out):
        if arg == f"--trainer.precision={AUTO}":
            out[i] = "--trainer.precision=null"
        elif arg == "--trainer.precision" and i + 1 < len(out) and out[i + 1] == AUTO:
            out[i + 1] = "null"
    return out
