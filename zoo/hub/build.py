"""Build a model from the ``class_path``/``init_args`` config in a checkpoint, safely.

A checkpoint may come from the internet, so its config must not be able to run code:
only classes defined under ``zoo.``, ``torch.nn.`` or ``torch.optim.`` may be named, a
named thing must be a class, and its module is imported only after the name passed.

    {"class_path": "zoo.models.unimodal.UnimodalModel", "init_args": {"frontend": {...}, ...}}

A plain string stands for a class only where the constructor's default for that
argument is a class (e.g. ``act_layer: torch.nn.modules.activation.GELU``). Whatever is
instantiated or passed as a class must be a ``torch.nn.Module``: a model config builds
modules and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from torch import nn

from zoo.errors import ZooError

ALLOWED_PREFIXES = ("zoo.", "torch.nn.", "torch.optim.")
MAX_DEPTH = 32


def resolve_class(path: str) -> type:
    """Import the class at dotted ``path`` if the path is allowed; ZooError otherwise."""
    if not isinstance(path, str) or not path.startswith(ALLOWED_PREFIXES):
        raise ZooError(
            f"checkpoint config names {path!r}; only classes under {', '.join(ALLOWED_PREFIXES)} "
            "may be named, so this checkpoint is refused"
        )
    module_name, _, name = path.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        raise ZooError(f"checkpoint config names {path!r}, which does not exist in this zoo version") from None
    # A re-export such as zoo.x.os.system would pass the prefix check: ask the object itself.
    if not inspect.isclass(obj) or not f"{obj.__module__}.".startswith(ALLOWED_PREFIXES):
        raise ZooError(f"checkpoint config names {path!r}, which is not a zoo or torch.nn class; refused")
    return obj


def build(config: Any, depth: int = 0) -> Any:
    """Instantiate every ``{class_path, init_args}`` mapping in ``config``, innermost first.

    Every class instantiated, and every class passed by name, must be a ``torch.nn.Module``.
    """
    if depth > MAX_DEPTH:
        raise ZooError(f"checkpoint config nests deeper than {MAX_DEPTH} levels; refused")
    if isinstance(config, list):
        return [build(item, depth + 1) for item in config]
    if not isinstance(config, dict):
        return config
    if "class_path" not in config:
        return {key: build(value, depth + 1) for key, value in config.items()}
    unknown = set(config) - {"class_path", "init_args"}
    if unknown:
        raise ZooError(
            f"checkpoint config: unexpected keys {sorted(unknown)} beside class_path {config['class_path']!r}"
        )
    cls = _module_class(config["class_path"])
    init_args = config.get("init_args") or {}
    if not isinstance(init_args, dict):
        raise ZooError(f"checkpoint config: init_args of {cls.__name__} must be a mapping")
    params = inspect.signature(cls).parameters
    kwargs = {}
    for name, value in init_args.items():
        if name not in params:
            raise ZooError(f"checkpoint config: {cls.__name__} takes no argument {name!r}")
        default = params[name].default
        if inspect.isclass(default) and default is not inspect.Parameter.empty and isinstance(value, str):
            kwargs[name] = _module_class(value)  # e.g. act_layer: torch.nn.modules.activation.GELU
        else:
            kwargs[name] = build(value, depth + 1)
    try:
        return cls(**kwargs)
    except Exception as err:  # noqa: BLE001 -- a constructor's own checks: report, do not crash
        raise ZooError(f"checkpoint config: cannot build {cls.__name__}: {err}") from None


def _module_class(path: str) -> type:
    cls = resolve_class(path)
    if not issubclass(cls, nn.Module):
        raise ZooError(f"checkpoint config names {path!r}, which is not a torch.nn.Module; refused")
    return cls


def plain(config: Any) -> Any:
    """A parsed recipe value -> YAML-safe data: classes become their dotted paths."""
    if isinstance(config, dict):
        return {key: plain(value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [plain(item) for item in config]
    if inspect.isclass(config):
        return f"{config.__module__}.{config.__qualname__}"
    return config
