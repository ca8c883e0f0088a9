"""The zoo checkpoint: a directory that rebuilds a ready model with no pickle and no code.

    <dir>/
      model.safetensors   weights only (safetensors: tensors and a JSON header, nothing executable)
      config.yaml         {format, task, model: {class_path, init_args}, labels, preprocessing}
      metrics.json        measured metrics of exactly these weights
      card.md             what it is, data, recipe, metrics, the command that reproduces it
      tokenizer.json      for models that read text

``format`` is 2 since the loader sizes the classifier by ``labels``: the ``model`` section is
the architecture as trained, and a fine-tuned checkpoint may keep its base model's section
with a classifier of another size, its own ``labels`` giving the size (``zoo.hub.pretrained``).
A config without ``format`` is format 1 (the model section's classes are its labels), read
by the same rule.

The directory is built under a temporary name beside its destination and renamed into
place, so a crash never leaves half a checkpoint under the final name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from zoo.errors import ZooError
from zoo.hub.files import CARD, CONFIG, EXTRA_FILES, FILES, METRICS, WEIGHT_DTYPES, WEIGHTS, sha256_of

DTYPES = dict(zip(WEIGHT_DTYPES, (torch.float32, torch.float16, torch.bfloat16)))
FORMAT = 2  # written by this version; it reads every format up to this one (none given: 1)


def tied_aliases(model: nn.Module) -> dict[str, str]:
    """State-dict keys that name a tensor already named by an earlier key: {alias: first name}.

    A tied LM head (``head.decoder.weight`` is ``frontend.embedding.weight``) is stored once.
    """
    first: dict[tuple[int, tuple, tuple], str] = {}
    aliases = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        key = (tensor.data_ptr(), tuple(tensor.shape), tuple(tensor.stride()))
        if tensor.numel() and key in first:
            aliases[name] = first[key]
        else:
            first.setdefault(key, name)
    return aliases


def stored_state(model: nn.Module, dtype: str = "float32") -> dict[str, Tensor]:
    """The state dict as written: floating tensors cast to ``dtype``, all contiguous on CPU;
    a tied tensor once, under its first name (see :func:`tied_aliases`)."""
    if dtype not in DTYPES:
        raise ZooError(f"weights dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    aliases = tied_aliases(model)
    state = {}
    for name, tensor in model.state_dict().items():
        if name in aliases:
            continue
        tensor = tensor.detach().cpu()
        state[name] = (tensor.to(DTYPES[dtype]) if tensor.is_floating_point() else tensor).contiguous()
    return state


def check_destination(path: Path) -> Path:
    """``path`` as an absolute path a checkpoint may be written to: new, or a zoo checkpoint
    (only checkpoint files in it), which is then replaced. Anything else is refused, so a
    mistyped ``--output`` never deletes a user's folder."""
    path = Path(path).resolve()
    if path.exists():
        entries = {entry.name for entry in path.iterdir()} if path.is_dir() else None
        if entries is None or not {WEIGHTS, CONFIG} <= entries or not entries <= {*FILES, *EXTRA_FILES}:
            raise ZooError(f"{path} exists and is not a zoo checkpoint; choose a new --output folder")
    return path


def write_checkpoint(
    path: Path, state: dict[str, Tensor], config: dict, metrics: dict, card: str, extra: dict[str, str] | None = None
) -> Path:
    """Write a zoo checkpoint directory at ``path`` atomically (replacing a checkpoint there).

    The files are written and synced in a temporary folder beside ``path``, which is then
    renamed into place; an old checkpoint is moved aside first and put back if that fails.
    ``extra`` holds the text of the optional files in ``EXTRA_FILES`` by name.
    """
    extra = extra or {}
    if unknown := set(extra) - set(EXTRA_FILES):
        raise ZooError(f"a zoo checkpoint holds no files named {sorted(unknown)}")
    path = check_destination(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        save_file(state, tmp / WEIGHTS, metadata={"format": "pt"})
        (tmp / CONFIG).write_text(yaml.safe_dump(config, sort_keys=False))
        (tmp / METRICS).write_text(json.dumps(metrics, indent=2) + "\n")
        (tmp / CARD).write_text(card)
        for name, text in extra.items():
            (tmp / name).write_text(text)
        for name in (*FILES, *extra):
            with open(tmp / name, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(tmp / name, 0o644)
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return path


def _replace_dir(new: Path, path: Path) -> None:
    if not path.exists():
        os.replace(new, path)
        return
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    os.replace(path, old)
    try:
        os.replace(new, path)
    except BaseException:
        os.replace(old, path)  # put the old checkpoint back
        raise
    shutil.rmtree(old)


@dataclass
class CheckpointFiles:
    """A checkpoint directory's contents, read and checked."""

    path: Path
    config: dict
    state: dict[str, Tensor]
    metrics: dict
    card: str
    extra: dict[str, str] = field(default_factory=dict)  # e.g. tokenizer.json's text


def read_checkpoint(path: Path, sha256: str | None = None) -> CheckpointFiles:
    """Read a checkpoint directory; each problem is one ZooError naming the file at fault.

    Args:
        path: the directory.
        sha256: when given, ``model.safetensors`` must have this digest.
    """
    path = Path(path)
    if not path.is_dir():
        raise ZooError(f"{path} is not a directory; a zoo checkpoint is a directory holding {', '.join(FILES)}")
    for name in (WEIGHTS, CONFIG):
        if not (path / name).is_file():
            raise ZooError(f"{path / name} is missing; a zoo checkpoint needs {WEIGHTS} and {CONFIG}")
    if sha256 is not None and (actual := sha256_of(path / WEIGHTS)) != sha256:
        raise ZooError(
            f"{path / WEIGHTS} has sha256 {actual[:12]}..., expected {sha256[:12]}...: "
            "the file is corrupt or was replaced; delete it and download it again"
        )
    config = _read(path / CONFIG, lambda text: yaml.load(text, Loader=_NoAliasLoader))
    if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
        raise ZooError(f"{path / CONFIG} has no 'model' section (class_path/init_args)")
    if config.get("format", 1) not in range(1, FORMAT + 1):
        raise ZooError(
            f"{path / CONFIG} has format {config['format']!r}; this zoo reads formats 1 to {FORMAT}: upgrade zoo"
        )
    try:
        state = load_file(path / WEIGHTS)
    except (SafetensorError, OSError, ValueError) as err:
        raise ZooError(f"{path / WEIGHTS} is truncated or corrupt ({err}); export or download it again") from None
    metrics = _read(path / METRICS, json.loads) if (path / METRICS).is_file() else {}
    card = _read(path / CARD, str) if (path / CARD).is_file() else ""
    extra = {name: _read(path / name, str) for name in EXTRA_FILES if (path / name).is_file()}
    return CheckpointFiles(path, config, state, metrics, card, extra)


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases: no recursive or exponentially large configs."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases (*name) are not allowed in a zoo checkpoint")
        return super().compose_node(parent, index)


def _read(path: Path, parse):
    """``parse(text of path)``, or a ZooError naming the file."""
    try:
        return parse(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ZooError(f"{path} cannot be read: {first}") from None


@dataclass
class LoadReport:
    """Which of a model's keys came from the checkpoint and which kept their fresh init."""

    reused: list[str] = field(default_factory=list)
    reinitialised: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"reused {len(self.reused)} tensors"
        if self.reinitialised:
            text += f"; re-initialised {len(self.reinitialised)}: {', '.join(self.reinitialised)}"
        return text


def load_weights(model: nn.Module, state: dict[str, Tensor], reinit: tuple[str, ...] = ()) -> LoadReport:
    """Copy ``state`` into ``model`` strictly, except the expected gaps under ``reinit`` prefixes.

    Keys under a ``reinit`` prefix (e.g. ``"head."`` when the label set changed) keep the
    model's fresh initialisation, whatever the checkpoint holds for them. Any other
    missing, unexpected or mis-shaped key is an error that names it.
    """
    aliases = tied_aliases(model)  # loaded through the tensor they share
    own = {k: v for k, v in model.state_dict().items() if k not in aliases}
    fresh = [k for k in own if reinit and k.startswith(reinit)]
    kept = [k for k in own if k not in fresh]
    missing = [k for k in kept if k not in state]
    unexpected = [k for k in state if k not in own and k not in aliases and not (reinit and k.startswith(reinit))]
    misshaped = [
        f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}"
        for k in kept
        if k in state and state[k].shape != own[k].shape
    ]
    for problem, keys in (
        ("missing from", missing),
        ("unexpected in", unexpected),
        ("shaped differently in", misshaped),
    ):
        if keys:
            shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
            raise ZooError(f"weights {problem} the checkpoint for this model: {shown}")
    model.load_state_dict({k: state[k].to(own[k].dtype) for k in kept}, strict=False)
    return LoadReport(reused=kept, reinitialised=fresh)
