"""The ``zoo`` command: one module per command, each thin over the Python API.

    zoo fit|validate|test|predict --config RECIPE [--key value ...]   LightningCLI as is
    zoo run RECIPE [--output DIR] [--resume] [--key value ...]        zoo.run
    zoo export RUN_DIR [--output DIR] [--weights-dtype float16]       zoo.pipeline.run.export
    zoo list [--index FILE_OR_URL]                                    zoo.list_models
    zoo predict NAME_OR_DIR INPUT... [--topk K] [--json] [--labels L]  zoo.load(...).predict
    zoo retrieve NAME_OR_DIR --query TEXT|AUDIO --gallery DIR          zoo.load(...).retrieve
    zoo generate NAME_OR_DIR --prompt TEXT [--max-new-tokens N]       zoo.load(...).generate
    zoo translate NAME_OR_DIR TEXT... | --input FILE [--output FILE]  zoo.load(...).translate
    zoo neighbours NAME_OR_DIR WORD... [--topn N]                     zoo.load(...).word_vectors.neighbours
    zoo analogy NAME_OR_DIR A B C [--topn N]                          zoo.load(...).word_vectors.analogy
    zoo vectors NAME_OR_DIR --output FILE                             zoo.load(...).word_vectors.save
    zoo sample NAME_OR_DIR --num N --output GRID.png [--seed S]       zoo.load(...).sample
    zoo finetune NAME_OR_DIR --data PATH --output OUT [--epochs N]    zoo.finetune
    zoo data prepare NAME [--source DIR]                              build a full dataset's cache
    zoo data files NAME --output DIR [--count N]                      zoo.datasets.write_files

Each command module has ``main(argv)``; this one only dispatches, importing the chosen
module alone, so ``zoo``, ``zoo --help`` and ``zoo list`` answer without loading torch.
Errors a user can cause print one line (``zoo: error: ...``) and exit 2; set ZOO_DEBUG=1
to see the traceback instead.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from zoo.commands.base import fail, guard

USAGE = """usage: zoo COMMAND ...

commands:
  fit|validate|test|predict --config RECIPE   Lightning's commands on a recipe (see zoo fit --help)
  run RECIPE [--output DIR] [--resume]        fit, test the best checkpoint, write DIR/metrics.json
                                              and the zoo checkpoint DIR/checkpoint
  export RUN_DIR [--weights-dtype float16]    re-export a finished run's best weights
  list [--index FILE_OR_URL]                  the named checkpoints and their measured metrics
  predict NAME_OR_DIR INPUT... [--json]       top-k labels for each image/audio file or text;
                                              video files with --labels "a bag,a shoe" (zero-shot)
  retrieve NAME_OR_DIR --query TEXT --gallery DIR
                                              the gallery's video files ranked by a caption or a sound
  generate NAME_OR_DIR --prompt TEXT          continue a text with a language model (greedy, sample, beam)
  translate NAME_OR_DIR TEXT... | --input FILE [--output FILE] [--alignment MAP.png]
                                              translate sentences, or a file a line each
  neighbours NAME_OR_DIR WORD... [--topn N]   a word-vector model's nearest words to each word
  analogy NAME_OR_DIR A B C                   "A is to B as C is to ?" (man woman king -> queen)
  vectors NAME_OR_DIR --output FILE           write the word vectors in word2vec text format
  sample NAME_OR_DIR --num N --output GRID.png
                                              a GAN's samples as one PNG grid
  finetune NAME_OR_DIR --data PATH --output OUT [--epochs N] [--freeze none|backbone|gradual] [--new-head]
                                              fine-tune a classifier on image, audio or video folders, CSV/JSONL
                                              texts, or a translation model on TSV sentence pairs
  data prepare NAME [--source DIR]            prepare a full dataset (names: {datasets})
  data files moving-fashion --output DIR      write test clips as mp4 files and a captions CSV

Python: zoo.run(recipe, output=...), zoo.finetune(name, data=..., output=...), zoo.load(name).
"""

# command -> the module whose main(argv) runs it
COMMANDS = {
    "run": "zoo.commands.run",
    "export": "zoo.commands.export",
    "list": "zoo.commands.list_checkpoints",
    "predict": "zoo.commands.predict",
    "retrieve": "zoo.commands.retrieve",
    "generate": "zoo.commands.generate",
    "translate": "zoo.commands.translate",
    "neighbours": "zoo.commands.neighbours",
    "analogy": "zoo.commands.analogy",
    "vectors": "zoo.commands.vectors",
    "sample": "zoo.commands.sample",
    "finetune": "zoo.commands.finetune",
    "data": "zoo.commands.data",
}
LIGHTNING = ("fit", "validate", "test")  # and predict --config R: LightningCLI as is


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command in (None, "-h", "--help", "help"):
        print(usage())
        return
    if command in LIGHTNING or (command == "predict" and names_a_recipe(argv[1:])):
        module, args = "zoo.commands.lightning", argv  # Lightning's own subcommand leads its arguments
    elif command in COMMANDS:
        module, args = COMMANDS[command], argv[1:]
    else:
        fail(f"unknown command {command!r}; choose one of {', '.join([*LIGHTNING, *COMMANDS])}")
        return
    guard(lambda: importlib.import_module(module).main(args))


def names_a_recipe(args: Sequence[str]) -> bool:
    """``zoo predict --config R`` is Lightning's predict; ``zoo predict NAME FILE...`` is zoo's."""
    return any(arg == "--config" or arg.startswith(("--config=", "-c")) for arg in args)


def usage() -> str:
    from zoo.datasets import prepare_names

    return USAGE.format(datasets=", ".join(prepare_names()))
