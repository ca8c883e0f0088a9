"""Start training from a zoo checkpoint's weights (pretrain, then fine-tune).

Recipes name it through the callback :class:`zoo.callbacks.InitFromCheckpoint`::

    trainer:
      callbacks:
        - class_path: zoo.callbacks.InitFromCheckpoint
          init_args: {checkpoint: runs/bert_tiny_mlm_rotten_tomatoes/checkpoint}

``modules: [backbone]`` takes only the shared Transformer from a checkpoint of another
modality (an image ViT's backbone for an audio model, as AST starts from ImageNet), the
front-end and head keeping their fresh init. ``branch: video`` takes one modality's branch of
a multimodal checkpoint (its front-end and the backbone that reads it) as a unimodal model's.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from zoo.contracts import classifier_name, is_classifier
from zoo.errors import ZooError
from zoo.hub.checkpoint import LoadReport, load_weights, read_checkpoint
from zoo.hub.registry import resolve


def init_from_checkpoint(
    model: nn.Module,
    name_or_path: str,
    modules: Sequence[str] | None = None,
    new_head: bool = True,
    branch: str | None = None,
) -> LoadReport:
    """Load a checkpoint's weights into ``model``.

    With ``branch`` (a modality), the checkpoint is a multimodal model's and only that
    modality's branch loads, renamed as a unimodal model's (:func:`branch_state`).

    Without ``modules``, everything but a classifier's task head (:func:`task_head`, e.g.
    ``head``, which keeps its fresh init whatever the checkpoint holds there: an LM head) must
    load; with ``new_head=False`` the classifier loads too (the same label set).
    With ``modules`` (top-level submodule names, e.g. ``["backbone"]``), exactly those load
    and every other submodule keeps its fresh init. The report names what was re-initialised.
    """
    path, sha256 = resolve(name_or_path)
    state = read_checkpoint(path, sha256).state
    state = longer_contexts(model, branch_state(state, branch) if branch else state)
    if modules is not None:
        if not modules:
            raise ZooError("modules is empty; name the submodules to load (e.g. [backbone]) or leave it out")
        children = {name for name, _ in model.named_children()}
        unknown = sorted(set(modules) - children)
        if unknown:
            raise ZooError(f"modules {unknown} are not submodules of the model ({', '.join(sorted(children))})")
        keep = tuple(f"{name}." for name in modules)
        state = {k: v for k, v in state.items() if k.startswith(keep)}
        if not state:
            raise ZooError(f"{name_or_path} holds no weights under {', '.join(keep)}")
        return load_weights(model, state, tuple(f"{name}." for name in sorted(children - set(modules))))
    reinit = (f"{task_head(model)}.",) if new_head and is_classifier(model) else ()
    return load_weights(model, state, reinit)


def branch_state(state: dict[str, Tensor], modality: str) -> dict[str, Tensor]:
    """A multimodal checkpoint's tensors for one modality, named as a unimodal model's: a
    ``MultimodalModel``'s front-end (``frontends.<m>.*`` -> ``frontend.*``) and the backbone
    that reads it (``backbone.*`` when shared, ``backbone.<m>.*`` -> ``backbone.*`` when not);
    a ``MultimodalEncoders``' encoder (``encoders.<m>.*`` -> ``*``, e.g. a video CNN)."""
    renames = (f"frontends.{modality}.", "frontend."), (f"encoders.{modality}.", "")
    own = f"backbone.{modality}."
    specific = any(k.startswith(own) for k in state)
    out = {}
    for key, value in state.items():
        for old, new in renames:
            if key.startswith(old):
                out[new + key.removeprefix(old)] = value
        if specific and key.startswith(own):
            out["backbone." + key.removeprefix(own)] = value
        elif not specific and key.startswith("backbone."):
            out[key] = value
    if not any(k.startswith(tuple(old for old, _ in renames)) for k in state):
        modalities = sorted({k.split(".")[1] for k in state if k.startswith(("frontends.", "encoders."))})
        raise ZooError(f"the checkpoint has no {modality} branch; its modalities: {', '.join(modalities) or 'none'}")
    return out


def longer_contexts(model: nn.Module, state: dict[str, Tensor]) -> dict[str, Tensor]:
    """``state`` with the learned positions of each text front-end whose context is longer than
    the checkpoint's extended to it (``TokenEmbed.extend_positions``): a 128-token checkpoint
    fine-tuned on 512-token texts. A shorter context is left to fail as a shape mismatch."""
    from zoo.frontends.text import TokenEmbed

    state = dict(state)
    for name, module in model.named_modules():
        key = f"{name}.pos_embed" if name else "pos_embed"
        learned = isinstance(module, TokenEmbed) and isinstance(module.pos_embed, nn.Parameter)
        if learned and key in state and state[key].shape[1] < module.max_len:
            state[key] = module.extend_positions(state[key])
    return state


def task_head(model: nn.Module) -> str:
    """The top-level submodule that holds the model's classifier: ``head`` of a Transformer
    (``head.fc``), ``fc`` of a baseline. It is task-specific, so initialising from another task's
    checkpoint (a masked-LM head) leaves it fresh."""
    return classifier_name(model).split(".")[0]


def init_token_embedding(embedding: nn.Embedding, tokenizer, vectors) -> int:
    """Start a text model's token embedding from word vectors: each token that is a whole word
    (a byte-level BPE token that starts a word: "Ġgod", "ĠGod") takes the vector of that word,
    lowercased (``zoo.word_vectors.WordVectors``), rescaled to the embedding's own initial
    standard deviation so the model's scaling still holds; other tokens keep their init.
    Returns how many tokens were set. The dimensions must agree (VATT projects frozen 300-d
    vectors instead; a recipe here trains vectors of the model's size).
    """
    import torch

    from zoo.data.preprocessing.words import words_of

    if vectors.dim != embedding.embedding_dim:
        raise ZooError(
            f"the word vectors are {vectors.dim}-d but the token embedding is {embedding.embedding_dim}-d; "
            f"train word vectors with embed_dim {embedding.embedding_dim}"
        )
    rows, sources = [], []
    for token_id in range(min(tokenizer.get_vocab_size(), embedding.num_embeddings)):
        text = tokenizer.decode([token_id])
        word = text[1:].lower()
        if text.startswith(" ") and words_of(word) == [word] and word in vectors.index:
            rows.append(token_id)
            sources.append(vectors.index[word])
    if rows:
        with torch.no_grad():
            chosen = vectors.vectors[sources].to(embedding.weight)
            embedding.weight[rows] = chosen * (embedding.weight.std() / chosen.std())
    return len(rows)
