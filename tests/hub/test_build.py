"""A checkpoint config may only name zoo and torch.nn classes: it must not be able to run code."""

import pytest
from torch import nn

from tests.conftest import micro_vit_config
from zoo.errors import ZooError
from zoo.hub.build import build, plain, resolve_class
from zoo.models.unimodal import UnimodalModel


def test_builds_the_model_and_resolves_class_arguments():
    config = micro_vit_config()
    config["init_args"]["backbone"]["init_args"]["act_layer"] = "torch.nn.modules.activation.ReLU"
    model = build(config)
    assert isinstance(model, UnimodalModel)
    assert isinstance(model.backbone.blocks[0].mlp.act, nn.ReLU)


def test_plain_turns_classes_into_paths_that_build_back():
    assert plain({"act_layer": nn.GELU, "sizes": (1, 2)}) == {
        "act_layer": "torch.nn.modules.activation.GELU",
        "sizes": [1, 2],
    }
    assert resolve_class(plain(nn.GELU)) is nn.GELU


@pytest.mark.parametrize(
    "path",
    [
        "os.system",  # a function outside the allowed packages
        "subprocess.Popen",  # a class outside them
        "builtins.eval",
        "zoo.commands.base.os.system",  # inside zoo's namespace by attribute, but os.system itself
        "zoo.hub.build.importlib.import_module",
        "torch.nn.functional.relu",  # allowed prefix, but a function: only classes may be named
    ],
)
def test_refuses_anything_but_zoo_and_torch_classes(path):
    with pytest.raises(ZooError, match="refused|does not exist"):
        build({"class_path": path, "init_args": {}})


def test_refuses_a_function_smuggled_in_as_a_class_argument():
    config = micro_vit_config()
    config["init_args"]["backbone"]["init_args"]["act_layer"] = "os.system"
    with pytest.raises(ZooError, match="'os.system'.*refused"):
        build(config)


def test_unknown_argument_and_extra_keys_are_named():
    config = micro_vit_config()
    config["init_args"]["backbone"]["init_args"]["depht"] = 2
    with pytest.raises(ZooError, match="Transformer takes no argument 'depht'"):
        build(config)
    with pytest.raises(ZooError, match="unexpected keys \\['dict_kwargs'\\]"):
        build({"class_path": "torch.nn.ReLU", "dict_kwargs": {}})


def test_only_modules_are_built_and_constructor_errors_are_one_line():
    with pytest.raises(ZooError, match="'zoo.data.image_folder.ImageFolderDataModule', which is not a torch.nn.Module"):
        build({"class_path": "zoo.data.image_folder.ImageFolderDataModule", "init_args": {"root": "/"}})
    with pytest.raises(ZooError, match="cannot build CifarResNet: widths \\[1\\] and depths \\[1, 1\\]"):
        build({"class_path": "zoo.baselines.resnet.CifarResNet", "init_args": {"widths": [1], "depths": [1, 1]}})
    with pytest.raises(ZooError, match="init_args of ReLU must be a mapping"):
        build({"class_path": "torch.nn.ReLU", "init_args": [1]})
