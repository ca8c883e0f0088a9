"""``zoo translate NAME_OR_DIR TEXT... | --input FILE [--output FILE]``: translate sentences.

Texts given on the command line are printed a translation a line. ``--input`` reads a file a
sentence a line and writes its translations line for line (to ``--output``, written only
once every line is done, or to standard output), with a progress bar on standard error. A
blank line stays blank; a line longer than the model reads is cut, with a warning naming it.
``--alignment map.png`` draws one sentence's cross-attention, source tokens x target tokens.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.commands.base import ArgumentParser
from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.hub.pretrained import Pretrained


def main(argv: Sequence[str]) -> None:
    parser = ArgumentParser(prog="zoo translate")
    parser.add_argument("model", help="a named translation checkpoint (zoo list), or a checkpoint folder")
    parser.add_argument("texts", nargs="*", help="sentences to translate (quote each one)")
    parser.add_argument("--input", type=Path, help="a UTF-8 text file, one sentence a line")
    parser.add_argument("--output", type=Path, help="where to write the translations, a line each (default: print)")
    parser.add_argument("--strategy", choices=["beam", "greedy"], default="beam")
    parser.add_argument("--num-beams", type=int, help="beam: hypotheses kept (default: the checkpoint's)")
    parser.add_argument(
        "--length-penalty", type=float, help="beam: > 0 favours longer translations (default: the checkpoint's)"
    )
    parser.add_argument("--batch-size", type=int, default=32, help="sentences decoded together")
    parser.add_argument("--alignment", type=Path, help="draw the one TEXT's cross-attention to this PNG")
    args = parser.parse_args(argv)
    if bool(args.texts) == bool(args.input):
        raise ZooError("give the sentences to translate, or --input FILE (one of the two)")
    if args.alignment and len(args.texts) != 1:
        raise ZooError("--alignment draws one sentence; give exactly one TEXT")
    for flag, path in (("--output", args.output), ("--alignment", args.alignment)):
        if path is not None and not path.absolute().parent.is_dir():
            raise ZooError(f"{flag} {path}: the folder {path.absolute().parent} does not exist; create it first")
    texts = args.texts or read_lines(args.input)

    from zoo.hub.pretrained import TruncationWarning, load

    model = load(args.model)
    options = {"strategy": args.strategy, "num_beams": args.num_beams, "length_penalty": args.length_penalty}
    what = "line" if args.input else "text"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TruncationWarning)
        translations = translate_with_progress(model, texts, args.batch_size, options, show=args.input is not None)
    for warning in caught:
        if isinstance(w := warning.message, TruncationWarning):
            print(f"zoo translate: warning: {what} {w.index} has {w.tokens} tokens; only the first {w.kept} were translated",
                  file=sys.stderr)  # fmt: skip
        else:
            warnings.showwarning(w, warning.category, warning.filename, warning.lineno)
    if args.alignment:
        from zoo.alignment_plot import plot_alignment

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TruncationWarning)  # said above
            source, target, weights = model.alignment(texts[0], **options)
        plot_alignment(source, target, weights, args.alignment)
    if args.output:
        write_lines(args.output, translations)
        print(f"{len(translations)} translations written to {args.output}", file=sys.stderr)
    else:
        print("\n".join(translations))
    if args.alignment:
        print(f"alignment written to {args.alignment}", file=sys.stderr)


def read_lines(path: Path) -> list[str]:
    """A UTF-8 file's lines (split at \\n only, \\r\\n ends too, a BOM dropped), without their
    ends; a blank line is kept, as ""."""
    if not path.is_file():
        raise ZooError(f"--input {path} is not a file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise ZooError(f"--input {path} is not UTF-8 text (byte {err.start}); convert it to UTF-8") from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()  # the last line's end
    if not lines:
        raise ZooError(f"--input {path} is empty; put one sentence a line")
    return lines


def translate_with_progress(
    model: Pretrained, texts: list[str], batch_size: int, options: dict[str, object], show: bool
) -> list[str]:
    """``model.translate`` with a progress bar on standard error when ``show``."""
    if not show:
        return model.translate(texts, batch_size=batch_size, **options)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("translating", total=len(texts))
        return model.translate(texts, batch_size=batch_size, progress=lambda n: bar.advance(task, n), **options)


def write_lines(path: Path, lines: Sequence[str]) -> None:
    """Write ``lines`` to ``path`` atomically (``zoo.data.cache.write_atomically``)."""
    from zoo.data.cache import write_atomically

    text = "".join(f"{line}\n" for line in lines).encode("utf-8")
    write_atomically(path.absolute(), lambda f: f.write(text))
