"""zoo finetune: a checkpoint adapted to a folder with a new (or the same) label set."""

import json

import pytest
import torch

import zoo
from tests.conftest import GROUPS, error_line, make_image_folder
from zoo.callbacks import GradualUnfreeze, set_trainable
from zoo.commands import main
from zoo.datasets.fashion_mnist import CLASSES, load_arrays
from zoo.hub.build import build

FAST = ["--precision", "32-true", "--batch-size", "16", "--min-steps", "0"]  # tiny runs: exactly --epochs


def _accuracy(model, folder) -> float:
    files = sorted(folder.rglob("*.png"))
    predicted = [r["label"] for r in model.predict(files)]
    return sum(p == f.parent.name for p, f in zip(predicted, files)) / len(files)


def test_new_label_set_gets_a_new_head_and_learns_it(micro_checkpoint, tmp_path, capsys):
    train = make_image_folder(tmp_path / "mine", per_label=60, split="train", size=56, rgb=True)
    held_out = make_image_folder(tmp_path / "held_out", per_label=30, split="test", size=56, rgb=True)
    out = tmp_path / "my_model"
    main(["finetune", str(micro_checkpoint), "--data", str(train), "--output", str(out), "--epochs", "6", *FAST])
    assert "zoo finetune: a new head for 3 labels ('bag', 'footwear', 'top' are new" in capsys.readouterr().out
    model = zoo.load(out)
    assert model.labels == sorted(GROUPS)
    assert _accuracy(model, held_out) > 0.6  # chance: 1/3
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["reinitialised_tensors"] == ["head.fc.weight", "head.fc.bias"] and "val/acc" in metrics
    assert metrics["settings"]["epochs"] == 6 and metrics["settings"]["augment"] == "shift"  # the default, resolved
    assert "zoo finetune" in (out / "card.md").read_text()


def test_same_label_set_keeps_the_head_in_the_checkpoints_order(micro_checkpoint, tmp_path, capsys):
    from PIL import Image

    # Folder names must equal the labels; "T-shirt/top" cannot be one, so rename that label.
    config_path = micro_checkpoint / "config.yaml"
    config_path.write_text(config_path.read_text().replace("T-shirt/top", "T-shirt-top"))
    arrays = load_arrays("embedded")
    for i in range(60):
        label = CLASSES[arrays["train_labels"][i]].replace("/", "-")
        (tmp_path / "same" / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(arrays["train_images"][i]).save(tmp_path / "same" / label / f"{i}.png")
    before = zoo.load(micro_checkpoint)
    labels = before.labels
    out = tmp_path / "tuned"
    main(
        [
            "finetune",
            str(micro_checkpoint),
            "--data",
            str(tmp_path / "same"),
            "--output",
            str(out),
            "--epochs",
            "1",
            "--freeze",
            "backbone",
            "--lr",
            "0",
            *FAST,
        ]
    )
    assert "reused" in capsys.readouterr().out
    after = zoo.load(out)
    assert after.labels == labels
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(after(x), before(x), atol=1e-6)  # lr 0, frozen: the same network


def test_labels_the_checkpoint_lacks_get_a_new_head_saying_which_are_kept_and_new(micro_checkpoint, tmp_path, capsys):
    from PIL import Image

    arrays = load_arrays("embedded")
    for i in range(60):  # two of the checkpoint's labels, and one it does not have
        label = {1: "Trouser", 8: "Bag"}.get(int(arrays["train_labels"][i]), "other")
        (tmp_path / "mixed" / label).mkdir(parents=True, exist_ok=True)
        Image.fromarray(arrays["train_images"][i]).save(tmp_path / "mixed" / label / f"{i}.png")
    out = tmp_path / "o"
    main(["finetune", str(micro_checkpoint), "--data", str(tmp_path / "mixed"), "--output", str(out), "--epochs", "1",
          *FAST])  # fmt: skip
    assert (
        "zoo finetune: a new head for 3 labels ('other' is new; also in the checkpoint: 'Bag', 'Trouser')"
        in capsys.readouterr().out
    )
    assert zoo.load(out).labels == ["Bag", "Trouser", "other"]


def test_freeze_backbone_trains_only_the_head(micro_checkpoint):
    model = zoo.load(micro_checkpoint).model
    set_trainable(model, 0)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"head.fc.weight", "head.fc.bias"}


def test_gradual_unfreezing_opens_groups_top_down():
    from tests.conftest import micro_vit_config

    model = build(micro_vit_config())  # groups: frontend, block 0, block 1, norm
    task = type("Task", (), {"model": model})()
    callback = GradualUnfreeze()  # in a 4-epoch run all four groups open by epoch 2
    seen = []
    for epoch in range(4):
        callback.on_train_epoch_start(type("T", (), {"current_epoch": epoch, "max_epochs": 4})(), task)
        seen.append(
            sorted(
                {
                    n.split(".")[0] + ("." + n.split(".")[2] if n.startswith("backbone.blocks") else "")
                    for n, p in model.named_parameters()
                    if p.requires_grad
                }
            )
        )
    assert seen[0] == ["head"]
    assert seen[1] == ["backbone", "backbone.1", "head"]  # final norm and the last block
    assert seen[2] == seen[3] == ["backbone", "backbone.0", "backbone.1", "frontend", "head"]


def test_bad_input_is_one_line_and_writes_nothing(micro_checkpoint, in_tmp, capsys):
    tmp_path = in_tmp
    (tmp_path / "empty").mkdir()
    err = error_line(["finetune", str(micro_checkpoint), "--data", str(tmp_path / "empty"), "--output", "x"], capsys)
    assert "holds no images" in err
    err = error_line(["finetune", "no-such-model", "--data", str(tmp_path), "--output", "x"], capsys)
    assert "neither a checkpoint directory nor a named checkpoint" in err
    make_image_folder(tmp_path / "photos", per_label=3)
    (tmp_path / "photos" / "bag" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    err = error_line(["finetune", str(micro_checkpoint), "--data", "photos", "--output", "x", "--new-head"], capsys)
    assert "photos/bag/broken.jpg: not a readable image" in err
    assert "epochs 0 is not valid" in error_line(
        ["finetune", "m", "--data", "d", "--output", "x", "--epochs", "0"], capsys
    )
    assert "precision 'fp8' is not one of auto" in error_line(
        ["finetune", "m", "--data", "d", "--output", "x", "--precision", "fp8"], capsys
    )
    assert "layer decay 1.5 is not valid" in error_line(
        ["finetune", "m", "--data", "d", "--output", "x", "--layer-decay", "1.5"], capsys
    )
    assert "no effect with --freeze backbone" in error_line(
        ["finetune", "m", "--data", "d", "--output", "x", "--layer-decay", "0.75", "--freeze", "backbone"], capsys
    )
    assert "early stopping would stop gradual unfreezing" in error_line(
        ["finetune", "m", "--data", "d", "--output", "x", "--patience", "2", "--freeze", "gradual"], capsys
    )
    err = error_line(["finetune", str(micro_checkpoint), "--data", "photos", "--output", "photos"], capsys)
    assert "photos exists and is not a zoo checkpoint" in err  # a user's folder is never replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "micro", "photos"]  # nothing written


def test_the_python_api_and_the_command_share_one_set_of_defaults():
    import dataclasses
    import inspect

    from zoo.pipeline.finetune import FinetuneSettings, finetune

    signature = inspect.signature(finetune).parameters
    for field in dataclasses.fields(FinetuneSettings):
        assert signature[field.name].default == field.default, field.name


def test_augment_reaches_the_image_data_and_is_refused_for_text(micro_checkpoint, tmp_path):
    from zoo.errors import ZooError
    from zoo.hub.registry import resolve
    from zoo.pipeline.finetune import FinetuneSettings, finetune_recipe

    folder = make_image_folder(tmp_path / "digits", per_label=3)
    pretrained = zoo.load(micro_checkpoint)
    for augment, used in (("flip", "flip"), ("shift", "shift"), ("none", "none"), (None, "shift")):
        recipe, _ = finetune_recipe(pretrained, micro_checkpoint, folder, FinetuneSettings(augment=augment))
        assert recipe["data"]["init_args"]["augment"] == used
    with pytest.raises(ZooError, match="augment 'mirror' is not one of flip, shift, none"):
        FinetuneSettings(augment="mirror").check()
    texts = tmp_path / "mails.csv"
    texts.write_text("text,label\n" + "".join(f"win money now {i},spam\nlunch at noon {i},ham\n" for i in range(5)))
    text_folder, _ = resolve("bert-tiny-english")
    finetune_recipe(zoo.load(text_folder), text_folder, texts, FinetuneSettings())  # no augment given: none asked
    for augment in ("flip", "shift"):  # the images' default, given explicitly, is refused too
        with pytest.raises(ZooError, match=f"augment '{augment}' applies to images; text data has no such setting"):
            finetune_recipe(zoo.load(text_folder), text_folder, texts, FinetuneSettings(augment=augment))


def test_max_len_sets_the_texts_and_the_front_ends_context_and_is_refused_for_images(micro_checkpoint, tmp_path):
    from zoo.errors import ZooError
    from zoo.hub.registry import resolve
    from zoo.pipeline.finetune import FinetuneSettings, finetune_recipe

    texts = tmp_path / "mails.csv"
    texts.write_text("text,label\n" + "".join(f"win money now {i},spam\nlunch at noon {i},ham\n" for i in range(5)))
    text_folder, _ = resolve("bert-tiny-english")
    recipe, _ = finetune_recipe(zoo.load(text_folder), text_folder, texts, FinetuneSettings(max_len=512))
    frontend = recipe["model"]["init_args"]["model"]["init_args"]["frontend"]["init_args"]
    assert recipe["data"]["init_args"]["max_len"] == 512 and frontend["max_len"] == 512
    recipe, _ = finetune_recipe(zoo.load(text_folder), text_folder, texts, FinetuneSettings())
    assert recipe["data"]["init_args"]["max_len"] == zoo.load(text_folder).preprocessing.max_len
    with pytest.raises(ZooError, match="max len 2 is not valid"):
        FinetuneSettings(max_len=2).check()
    folder = make_image_folder(tmp_path / "digits", per_label=3)
    with pytest.raises(ZooError, match="max len 64 applies to texts; image data has no such setting"):
        finetune_recipe(zoo.load(micro_checkpoint), micro_checkpoint, folder, FinetuneSettings(max_len=64))


def test_min_steps_adds_its_callback_and_zero_trains_the_epochs_exactly(micro_checkpoint, tmp_path):
    from zoo.errors import ZooError
    from zoo.pipeline.finetune import FinetuneSettings, finetune_recipe

    folder = make_image_folder(tmp_path / "digits", per_label=3)
    pretrained = zoo.load(micro_checkpoint)

    def floors(settings: FinetuneSettings) -> list[dict]:
        callbacks = finetune_recipe(pretrained, micro_checkpoint, folder, settings)[0]["trainer"]["callbacks"]
        return [c["init_args"] for c in callbacks if c["class_path"] == "zoo.callbacks.MinSteps"]

    assert floors(FinetuneSettings()) == [{"min_steps": 300}]
    assert floors(FinetuneSettings(min_steps=0)) == []
    with pytest.raises(ZooError, match="min steps -1 is not valid"):
        FinetuneSettings(min_steps=-1).check()


def test_a_resnet_gets_a_new_fc_for_new_labels_and_keeps_its_config(tmp_path):
    from zoo.datasets.fashion_mnist import FashionMNISTDataModule
    from zoo.hub.export import export_checkpoint

    config = {
        "class_path": "zoo.baselines.resnet.CifarResNet",
        "init_args": {"num_classes": 10, "in_chans": 1, "widths": [8, 16], "depths": [1, 1]},
    }
    data = FashionMNISTDataModule()
    base = export_checkpoint(tmp_path / "r", build(config), config, data.classes, data.preprocessing, {}, "-", "-")
    train = make_image_folder(tmp_path / "mine", per_label=20, split="train")
    metrics = zoo.finetune(base, train, tmp_path / "tuned", epochs=1, min_steps=0, batch_size=16, precision="32-true")
    assert metrics["reinitialised_tensors"] == ["fc.weight", "fc.bias"]
    tuned = zoo.load(tmp_path / "tuned")
    assert tuned.labels == sorted(GROUPS) and tuned(torch.zeros(1, 1, 28, 28)).shape == (1, 3)
    # the architecture as trained (with the defaults filled in); its labels size the classifier
    assert tuned.config["model"]["init_args"].items() >= config["init_args"].items()
    set_trainable(tuned.model, 0)
    assert {n for n, p in tuned.model.named_parameters() if p.requires_grad} == {"fc.weight", "fc.bias"}


@pytest.mark.parametrize("freeze", ["backbone", "gradual"])
def test_frozen_layers_do_not_change_at_all(freeze, tmp_path):
    """Weights and BatchNorm statistics of every frozen layer stay bit-identical; the head trains."""
    from PIL import Image

    from zoo.datasets.fashion_mnist import FashionMNISTDataModule
    from zoo.hub.export import export_checkpoint

    torch.manual_seed(0)
    config = {
        "class_path": "zoo.baselines.resnet.CifarResNet",
        "init_args": {"num_classes": 10, "in_chans": 1, "widths": [8, 16], "depths": [1, 1]},
    }
    data = FashionMNISTDataModule()
    labels = [c.replace("/", "-") for c in data.classes]  # folder names cannot hold "/"
    base = export_checkpoint(tmp_path / "r", build(config), config, labels, data.preprocessing, {}, "-", "-")
    arrays = load_arrays("embedded")
    for i in range(80):
        folder = tmp_path / "same" / labels[arrays["train_labels"][i]]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(arrays["train_images"][i]).save(folder / f"{i}.png")
    # gradual over 4 epochs opens groups from epoch 1 on: a 1-epoch run trains the head alone
    epochs = 2 if freeze == "backbone" else 1
    zoo.finetune(base, tmp_path / "same", tmp_path / "tuned", epochs=epochs, min_steps=0, freeze=freeze, lr=1e-2,
                 batch_size=16, precision="32-true")  # fmt: skip
    before, after = zoo.load(base).model.state_dict(), zoo.load(tmp_path / "tuned").model.state_dict()
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    assert changed == {"fc.weight", "fc.bias"}
