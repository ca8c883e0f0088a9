"""zoo: one Transformer backbone for images, text, audio and video, trained by recipes.

>>> import zoo
>>> zoo.list_models()                      # the named checkpoints and their metrics
>>> model = zoo.load("vit-tiny-fashion-mnist")
>>> model.predict(["shoe.png"])
>>> zoo.run("recipes/vision/vit_tiny_fashion_mnist_quick.yaml", output="runs/quick")["test/acc"]
>>> zoo.finetune("vit-tiny-fashion-mnist", data="my_photos/", output="my_model", epochs=5)

Everything is imported when first used, so ``import zoo`` is cheap.
"""

__version__ = "0.1.0"


def load(name_or_path, device="cpu", num_classes=None):
    """A named checkpoint, a checkpoint directory, a folder URL (``https://host/zoo/name/``,
    ``file://...``) or ``hf://owner/repo[@revision]`` -> a ready model; ``num_classes``: with
    a fresh classifier of that many outputs (labels "0" .. "N-1").

    Names come from the shipped table and those in ``$ZOO_INDEX``. A folder URL given
    directly is downloaded once and cached, but no table gives its sha256, so nothing checks
    it. See :func:`zoo.hub.pretrained.load` and :func:`zoo.hub.registry.resolve`.
    """
    from zoo.hub.pretrained import load as _load

    return _load(name_or_path, device, num_classes)


def list_models(extra_index=None):
    """The named checkpoints (see ``zoo list``): the shipped table, then ``extra_index`` (paths or
    URLs of index.yaml files; default: those in ``$ZOO_INDEX``). See :func:`zoo.hub.registry.list_models`."""
    from zoo.hub.registry import list_models as _list_models

    return _list_models(extra_index)


def run(recipe, output=None, overrides=(), resume=False, weights_dtype="float32"):
    """Fit a recipe, test its best checkpoint on held-out data, export a zoo checkpoint -> metrics.

    ``zoo run`` in Python; see :func:`zoo.pipeline.run.run`.
    """
    from zoo.pipeline.run import run as _run

    return _run(recipe, output, overrides, resume=resume, weights_dtype=weights_dtype)


def finetune(model, data, output, **options):
    """Fine-tune a classifier checkpoint on a user's folder or CSV -> metrics.

    ``zoo finetune`` in Python (epochs, freeze, new_head, lr, batch_size, precision, ...);
    see :func:`zoo.pipeline.finetune.finetune`.
    """
    from zoo.pipeline.finetune import finetune as _finetune

    return _finetune(model, data, output, **options)
