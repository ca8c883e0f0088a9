"""Export -> load round trip, and one clear refusal for each way a checkpoint can be bad."""

import pytest
import torch
import yaml
from safetensors.torch import load_file, save_file

import zoo
from tests.conftest import micro_vit_config
from zoo.errors import ZooError
from zoo.hub.build import build
from zoo.hub.checkpoint import read_checkpoint, sha256_of, write_checkpoint
from zoo.hub.export import round_trip


def test_round_trip_gives_identical_logits(micro_checkpoint):
    torch.manual_seed(0)
    original = build(micro_vit_config()).eval()  # the fixture's weights (same seed)
    loaded = zoo.load(micro_checkpoint)
    x = torch.randn(4, 1, 28, 28)
    assert not loaded.training
    assert torch.equal(loaded(x), original(x))
    assert loaded.labels[0] == "T-shirt/top" and loaded.preprocessing.size == 28
    assert loaded.report.reinitialised == [] and len(loaded.report.reused) == len(original.state_dict())


def test_float16_weights_load_as_float32_with_the_rounded_values(micro_checkpoint, tmp_path):
    files = read_checkpoint(micro_checkpoint)
    model = build(files.config["model"])
    model.load_state_dict(files.state)
    half = {k: v.half() for k, v in files.state.items()}
    save_file(half, micro_checkpoint / "model.safetensors")
    loaded = zoo.load(micro_checkpoint)
    round_trip(model, "float16")
    x = torch.randn(2, 1, 28, 28)
    assert next(loaded.parameters()).dtype == torch.float32
    assert torch.equal(loaded(x), model.eval()(x))


def test_a_crash_while_writing_leaves_no_checkpoint_under_the_final_name(tmp_path, micro_checkpoint):
    unwritable = {"not json": object()}  # fails after the weights and config are written
    with pytest.raises(TypeError):
        write_checkpoint(tmp_path / "ck", {"w": torch.zeros(1)}, {"model": {}}, unwritable, "card")
    assert not (tmp_path / "ck").exists()
    before = {p.name: p.read_bytes() for p in micro_checkpoint.iterdir()}
    with pytest.raises(TypeError):
        write_checkpoint(micro_checkpoint, {"w": torch.zeros(1)}, {"model": {}}, unwritable, "card")
    assert {p.name: p.read_bytes() for p in micro_checkpoint.iterdir()} == before  # the old one, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["micro"]  # no temporary left behind


def test_rewriting_replaces_the_old_checkpoint_whole(micro_checkpoint):
    write_checkpoint(micro_checkpoint, {"w": torch.ones(2)}, {"model": {"x": 1}}, {"m": 1}, "new card")
    assert (micro_checkpoint / "card.md").read_text() == "new card"
    assert list(load_file(micro_checkpoint / "model.safetensors")) == ["w"]
    assert sorted(p.name for p in micro_checkpoint.parent.iterdir()) == ["micro"]


def test_refuses_a_config_that_names_os_system(micro_checkpoint, capsys):
    config = yaml.safe_load((micro_checkpoint / "config.yaml").read_text())
    config["model"] = {"class_path": "os.system", "init_args": {"command": "touch pwned"}}
    (micro_checkpoint / "config.yaml").write_text(yaml.safe_dump(config))
    with pytest.raises(ZooError, match="'os.system'; only classes under zoo., torch.nn., torch.optim."):
        zoo.load(micro_checkpoint)


def test_sha256_mismatch_is_named(micro_checkpoint):
    with pytest.raises(ZooError, match="model.safetensors has sha256 .* expected 000000000000"):
        read_checkpoint(micro_checkpoint, sha256="0" * 64)
    assert read_checkpoint(micro_checkpoint, sha256=sha256_of(micro_checkpoint / "model.safetensors"))


def test_truncated_weights_are_named(micro_checkpoint):
    weights = micro_checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ZooError, match="model.safetensors is truncated or corrupt"):
        zoo.load(micro_checkpoint)


def test_garbage_weights_are_named(micro_checkpoint):
    (micro_checkpoint / "model.safetensors").write_bytes(b"\x80\x04not a safetensors file at all")
    with pytest.raises(ZooError, match="truncated or corrupt"):
        zoo.load(micro_checkpoint)


@pytest.mark.parametrize("name", ["model.safetensors", "config.yaml"])
def test_missing_file_is_named(micro_checkpoint, name):
    (micro_checkpoint / name).unlink()
    with pytest.raises(ZooError, match=f"micro/{name} is missing"):
        zoo.load(micro_checkpoint)


def test_missing_and_unexpected_keys_are_named(micro_checkpoint):
    state = load_file(micro_checkpoint / "model.safetensors")
    state["backbone.blocks.9.attn.qkv.weight"] = torch.zeros(1)
    save_file(state, micro_checkpoint / "model.safetensors")
    with pytest.raises(
        ZooError, match="unexpected in the checkpoint for this model: backbone.blocks.9.attn.qkv.weight"
    ):
        zoo.load(micro_checkpoint)
    del state["backbone.blocks.9.attn.qkv.weight"], state["head.fc.bias"]
    save_file(state, micro_checkpoint / "model.safetensors")
    with pytest.raises(ZooError, match="missing from the checkpoint for this model: head.fc.bias"):
        zoo.load(micro_checkpoint)


def test_shape_mismatch_is_named(micro_checkpoint):
    # A config's labels size its classifier (format 2), so it is the weights that disagree here.
    state = load_file(micro_checkpoint / "model.safetensors")
    state["head.fc.weight"] = state["head.fc.weight"][:3].clone()
    save_file(state, micro_checkpoint / "model.safetensors")
    with pytest.raises(ZooError, match=r"shaped differently .*head.fc.weight \(3, 64\) vs \(10, 64\)"):
        zoo.load(micro_checkpoint)


def test_not_a_checkpoint():
    with pytest.raises(ZooError, match="neither a checkpoint directory nor a named checkpoint"):
        zoo.load("no-such-model")


def test_yaml_aliases_and_unreadable_metrics_are_named(micro_checkpoint):
    config = micro_checkpoint / "config.yaml"
    config.write_text("a: &x [1, 2]\nb: *x\nmodel: {}\n")
    with pytest.raises(ZooError, match="config.yaml cannot be read: YAML aliases"):
        zoo.load(micro_checkpoint)
    config.write_text(yaml.safe_dump({"model": {"class_path": "torch.nn.ReLU"}}))
    (micro_checkpoint / "metrics.json").write_bytes(b"{\xff")
    with pytest.raises(ZooError, match="metrics.json cannot be read"):
        zoo.load(micro_checkpoint)


def test_an_ordinary_folder_is_never_replaced(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "config.yaml").write_text("mine")
    with pytest.raises(ZooError, match="photos exists and is not a zoo checkpoint"):
        write_checkpoint(tmp_path / "photos", {"w": torch.zeros(1)}, {"model": {}}, {}, "card")
    assert (tmp_path / "photos" / "config.yaml").read_text() == "mine"
