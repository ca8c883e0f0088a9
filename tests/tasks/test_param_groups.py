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
