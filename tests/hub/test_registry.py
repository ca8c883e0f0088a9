"""The table of named checkpoints: local, URL (downloaded, cached, sha256-checked), Hub."""

import shutil

import pytest
import yaml

import zoo
from zoo.errors import ZooError
from zoo.hub import registry
from zoo.hub.files import sha256_of


@pytest.fixture
def table(tmp_path, monkeypatch, micro_checkpoint):
    """A table of three entries for the micro checkpoint: a local folder, a file:// URL, the Hub."""
    shipped = tmp_path / "shipped"
    shutil.copytree(micro_checkpoint, shipped / "micro-local")
    sha = sha256_of(micro_checkpoint / "model.safetensors")
    rows = [
        {
            "name": "micro-local",
            "location": "micro-local",
            "sha256": sha,
            "task": "image-classification",
            "metrics": {"test/acc": 0.1},
        },
        {"name": "micro-url", "location": micro_checkpoint.as_uri(), "sha256": sha, "task": "image-classification"},
        {
            "name": "micro-bad-sha",
            "location": micro_checkpoint.as_uri(),
            "sha256": "f" * 64,
            "task": "image-classification",
        },
        {"name": "micro-hub", "location": "hf://zoo-models/micro", "sha256": sha, "task": "image-classification"},
    ]
    (shipped / "index.yaml").write_text(yaml.safe_dump(rows))
    monkeypatch.setattr(registry, "shipped_dir", lambda: shipped)
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    return tmp_path


def test_list_models_reads_the_table(table):
    entries = zoo.list_models()
    assert [e.name for e in entries] == ["micro-local", "micro-url", "micro-bad-sha", "micro-hub"]
    assert entries[0].metrics == {"test/acc": 0.1}


def test_loads_a_shipped_name(table):
    assert zoo.load("micro-local").labels[-1] == "Ankle boot"


def test_url_is_downloaded_once_checked_and_cached(table, micro_checkpoint):
    first = zoo.load("micro-url")
    cached = list((table / "home" / "checkpoints").iterdir())
    assert [p.name for p in cached] == [f"micro-url-{sha256_of(micro_checkpoint / 'model.safetensors')[:12]}"]
    shutil.rmtree(micro_checkpoint)  # the "server" is gone: the cache serves
    assert zoo.load("micro-url").labels == first.labels


def test_download_with_the_wrong_sha256_is_refused_and_not_cached(table):
    with pytest.raises(ZooError, match="downloaded micro-bad-sha has sha256 .* refused"):
        zoo.load("micro-bad-sha")
    assert not any((table / "home" / "checkpoints").iterdir())


def test_unreachable_url_says_so(table, monkeypatch):
    monkeypatch.setattr(registry, "find", lambda name: registry.Entry(name, "file:///nonexistent/ck", "0" * 64, "x"))
    with pytest.raises(ZooError, match="cannot download file:///nonexistent/ck/model.safetensors"):
        zoo.load("anything")


def test_hub_offline_is_one_clear_error(table, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(table / "hf"))
    with pytest.raises(ZooError, match="cannot fetch hf://zoo-models/micro from the Hugging Face Hub.*offline"):
        zoo.load("micro-hub")


@pytest.mark.parametrize(("name", "location"), [("../evil", "x"), ("ok", "../../etc"), ("ok", "/abs/path")])
def test_table_rows_cannot_point_outside_their_folder(name, location):
    with pytest.raises(ZooError, match="checkpoint table: bad name|must be a folder beside index.yaml"):
        registry.Entry(name, location, "0" * 64, "x")
