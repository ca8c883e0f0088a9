"""zoo: one Transformer backbone for images, text, audio and video, trained by recipes.

>>> import zoo
>>> zoo.list_models()                      # the named checkpoints and their metrics
>>> model = zoo.load("vit-tiny-fashion-mnist")
>>> model.predict(["shoe.png"])
"""

__version__ = "0.1.0"


def load(name_or_path, device="cpu", num_classes=None):
    """A named checkpoint, a checkpoint directory or ``hf://owner/repo`` -> a ready model;
    ``num_classes``: with a fresh classifier of that many outputs (labels "0" .. "N-1").

    See :func:`zoo.hub.pretrained.load`.
    """
    from zoo.hub.pretrained import load as _load

    return _load(name_or_path, device, num_classes)


def list_models():
    """The table of named checkpoints (see ``zoo list``); :func:`zoo.hub.registry.list_models`."""
    from zoo.hub.registry import list_models as _list_models

    return _list_models()
