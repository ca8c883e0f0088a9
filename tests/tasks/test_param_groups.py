import torch

from zoo.models.presets import vision_transformer
from zoo.tasks.param_groups import weight_decay_groups


def test_weight_decay_groups_skip_biases_norms_and_embeddings():
    model = vision_transformer("tiny", num_classes=10, img_size=28, patch_size=7, in_chans=1, depth=2)
    decayed, plain = weight_decay_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    plain_names = {names[id(p)] for p in plain["params"]}
    decayed_names = {names[id(p)] for p in decayed["params"]}
    assert plain["weight_decay"] == 0.0 and "weight_decay" not in decayed
    assert {"frontend.pos_embed", "frontend.cls_token", "frontend.proj.bias", "backbone.norm.weight"} <= plain_names
    assert {"frontend.proj.weight", "backbone.blocks.0.attn.qkv.weight", "head.fc.weight"} <= decayed_names
    assert len(plain_names) + len(decayed_names) == len(names)
    optimizer = torch.optim.AdamW([decayed, plain], lr=1e-3, weight_decay=0.05)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.05, 0.0]


def test_layer_decay_scales_learning_rates_from_the_head_down():
    from zoo.tasks.param_groups import apply_lr_scale

    model = vision_transformer("tiny", num_classes=10, img_size=28, patch_size=7, in_chans=1, depth=2)
    groups = weight_decay_groups(model, layer_decay=0.5)
    optimizer = torch.optim.AdamW(groups, lr=1e-3, weight_decay=0.05)
    apply_lr_scale(optimizer)
    names = {id(p): n for n, p in model.named_parameters()}
    lr_of = {names[id(p)]: (g["lr"], g["weight_decay"]) for g in optimizer.param_groups for p in g["params"]}
    assert len(lr_of) == len(names)  # every parameter in exactly one group
    # layer groups: front-end, block 0, block 1, final norm; the head is above them all
    assert lr_of["head.fc.weight"] == (1e-3, 0.05) and lr_of["backbone.norm.weight"] == (1e-3, 0.0)
    assert lr_of["backbone.blocks.1.attn.qkv.weight"] == (0.5e-3, 0.05)
    assert lr_of["backbone.blocks.0.mlp.fc1.bias"] == (0.25e-3, 0.0)
    assert lr_of["frontend.proj.weight"] == (0.125e-3, 0.05) and lr_of["frontend.cls_token"] == (0.125e-3, 0.0)


def test_layer_decay_outside_zero_to_one_is_refused():
    import pytest

    from zoo.errors import ZooError

    model = vision_transformer("tiny", num_classes=10, img_size=28, patch_size=7, in_chans=1, depth=1)
    with pytest.raises(ZooError, match="layer_decay must be in"):
        weight_decay_groups(model, layer_decay=1.5)


def test_layer_rates_keep_their_ratios_through_the_schedule_and_skip_frozen_tensors():
    from zoo.tasks.param_groups import apply_lr_scale
    from zoo.tasks.schedules import WarmupCosineLR

    model = vision_transformer("tiny", num_classes=10, img_size=28, patch_size=7, in_chans=1, depth=2)
    model.frontend.requires_grad_(False)
    groups = weight_decay_groups(model, layer_decay=0.5)
    assert sum(len(g["params"]) for g in groups) == sum(1 for p in model.parameters() if p.requires_grad)
    optimizer = torch.optim.AdamW(groups, lr=1e-3)
    apply_lr_scale(optimizer)
    schedule = WarmupCosineLR(optimizer, total_steps=20, warmup_fraction=0.2)
    for _ in range(7):
        optimizer.step()
        schedule.step()
    rates = sorted({round(g["lr"] / max(g["lr"] for g in optimizer.param_groups), 9) for g in optimizer.param_groups})
    assert rates == [0.25, 0.5, 1.0]  # blocks 0 and 1 below the head and norm; the frozen front-end is absent
