"""zoo: one Transformer backbone for images, text, audio and video, trained by recipes.

>>> import zoo
>>> zoo.list_models()                      # the named checkpoints and their metrics
>>> model = zoo.load("vit-tiny-fashion-mnist")
>>> model.predict(["shoe.png"])
"""

__version__ = "0.1.0"


def load(name_or_path, device="cpu"):
    """A named checkpoint, a checkpoint directory, a folder URL (``https://host/zoo/name/``,
    ``file://...``) or ``hf://owner/repo[@revision]`` -> a ready model.

    Names come from the shipped table and those in ``$ZOO_INDEX``. A folder URL given
    directly is downloaded once and cached, but no table gives its sha256, so nothing checks
    it. See :func:`zoo.hub.pretrained.load` and :func:`zoo.hub.registry.resolve`.
    """
    from zoo.hub.pretrained import load as _load

    return _load(name_or_path, device)


def list_models(extra_index=None):
    """The named checkpoints (see ``zoo list``): the shipped table, then ``extra_index`` (paths or
    URLs of index.yaml files; default: those in ``$ZOO_INDEX``). See :func:`zoo.hub.registry.list_models`."""
    from zoo.hub.registry import list_models as _list_models

    return _list_models(extra_index)
