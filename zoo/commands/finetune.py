"""``zoo finetune NAME --data PATH --output OUT``: adapt a zoo checkpoint to a user's data
(a classifier to labelled images, audio or texts; a translation model to sentence pairs).

Thin over :func:`zoo.pipeline.finetune.finetune` (``zoo.finetune`` in Python), which builds
a recipe from the checkpoint and runs it the way ``zoo run`` runs every recipe.
"""

from __future__ import annotations

from collections.abc import Sequence

from zoo.commands.base import ArgumentParser
from zoo.commands.run import print_table
from zoo.hub.files import WEIGHT_DTYPES


def main(argv: Sequence[str]) -> dict:
    from zoo.data.image_folder import AUGMENT
    from zoo.pipeline.finetune import finetune
    from zoo.pipeline.finetune_settings import FREEZE, SELECT, FinetuneSettings

    d = FinetuneSettings()  # the defaults, as the Python API has them

    parser = ArgumentParser(prog="zoo finetune")
    parser.add_argument("model", help="a named checkpoint (zoo list), a checkpoint folder, or hf://owner/repo")
    parser.add_argument(
        "--data",
        required=True,
        help="images: DIR/<label>/*.png or DIR/train|val/<label>/; audio: DIR/<label>/*.wav; video (a video + "
        "audio + text model's video branch): DIR/<label>/*.mp4; text: FILE.csv; "
        "translation: FILE.tsv of source<TAB>target lines, or DIR/train.tsv, val.tsv",
    )
    parser.add_argument("--output", required=True, help="where the fine-tuned zoo checkpoint goes")
    parser.add_argument("--epochs", type=int, default=d.epochs, help="more where they are fewer than --min-steps steps")
    parser.add_argument("--min-steps", type=int, default=d.min_steps, help="train at least this many steps (0: --epochs exactly)")
    parser.add_argument("--freeze", choices=FREEZE, default=d.freeze, help="what stays fixed (gradual: unfreeze top-down)")
    parser.add_argument(
        "--new-head", action="store_true", help="a new classifier even when the data's labels are the checkpoint's"
    )
    parser.add_argument("--text-column", default=d.text_column, help="text files: the column holding the text")
    parser.add_argument("--label-column", default=d.label_column, help="text files: the column holding the label")
    parser.add_argument("--lr", type=float, default=d.lr)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--val-fraction", type=float, default=d.val_fraction, help="held out per label when DIR has no val/")
    parser.add_argument("--precision", default=d.precision, help="auto (by hardware), 32-true, bf16-mixed, 16-mixed, ...")
    parser.add_argument("--accelerator", default=d.accelerator)
    parser.add_argument("--devices", default=d.devices)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--layer-decay", type=float, help="layer-wise lr decay, e.g. 0.75 (default: one lr for all)")
    parser.add_argument("--label-smoothing", type=float, help="default: 0 for a classifier, 0.1 for translation")
    parser.add_argument("--patience", type=int, help="stop after this many epochs without a better val/acc (translation: val/loss)")
    parser.add_argument("--select", choices=SELECT, default=d.select, help="which epoch is tested and exported")
    parser.add_argument(
        "--augment", choices=AUGMENT, help="images: shift (crops: never mirrors; the default), flip (crops + mirrors), none"
    )
    parser.add_argument("--max-len", type=int, help="texts: context in tokens, e.g. 512 (default: the checkpoint's)")
    parser.add_argument("--weights-dtype", default="float32", choices=WEIGHT_DTYPES)
    parser.add_argument("--workdir", help="Lightning logs, training state and metrics (default: OUTPUT.runs)")
    parser.add_argument("--resume", action="store_true", help="continue from WORKDIR/lightning/last.ckpt")
    args = parser.parse_args(argv)
    metrics = finetune(
        args.model,
        args.data,
        args.output,
        epochs=args.epochs,
        min_steps=args.min_steps,
        freeze=args.freeze,
        new_head=True if args.new_head else None,
        lr=args.lr,
        batch_size=args.batch_size,
        val_fraction=args.val_fraction,
        text_column=args.text_column,
        label_column=args.label_column,
        precision=args.precision,
        accelerator=args.accelerator,
        devices=args.devices,
        seed=args.seed,
        layer_decay=args.layer_decay,
        label_smoothing=args.label_smoothing,
        patience=args.patience,
        select=args.select,
        augment=args.augment,
        max_len=args.max_len,
        weights_dtype=args.weights_dtype,
        workdir=args.workdir,
        resume=args.resume,
        command=" ".join(["zoo finetune", *argv]),
    )
    print_table(metrics)
    fresh = metrics.get("reinitialised_tensors") or []
    report = f"; re-initialised {len(fresh)}: {', '.join(fresh)}" if fresh else ""  # as LoadReport says it
    print(f"zoo finetune: reused {metrics.get('reused_tensors')} tensors{report}")
    return metrics
