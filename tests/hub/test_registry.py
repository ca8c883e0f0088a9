"""The table of named checkpoints: local, URL (downloaded, cached, sha256-checked), Hub; extra tables.

A team's zoo served over real HTTP is tested in test_self_hosted.py.
"""

import os
import shutil
from types import SimpleNamespace

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


def test_unreachable_url_says_so(table):
    with pytest.raises(ZooError, match="cannot download file:///nonexistent/ck/model.safetensors"):
        zoo.load("file:///nonexistent/ck")


def test_hub_offline_is_one_clear_error(table, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(table / "hf"))
    with pytest.raises(ZooError, match="cannot fetch hf://zoo-models/micro from the Hugging Face Hub.*offline"):
        zoo.load("micro-hub")


@pytest.mark.parametrize(("name", "location"), [("../evil", "x"), ("ok", "../../etc"), ("ok", "/abs/path")])
def test_table_rows_cannot_point_outside_their_folder(name, location):
    with pytest.raises(ZooError, match="checkpoint table: bad name|must be a folder beside index.yaml"):
        registry.Entry(name, location, "0" * 64, "x")


@pytest.fixture
def fake_hub(monkeypatch, micro_checkpoint):
    """snapshot_download replaced (no network): records its calls, serves ``hub.folder`` once fetched."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    hub = SimpleNamespace(calls=[], folder=micro_checkpoint, cached=False)

    def snapshot_download(repo_id, revision=None, allow_patterns=None, local_files_only=False):
        hub.calls.append((repo_id, revision, local_files_only))
        assert set(allow_patterns) == {"model.safetensors", "config.yaml", "metrics.json", "card.md", "tokenizer.json", "vocab.txt"}
        if local_files_only and not hub.cached:
            raise LocalEntryNotFoundError("not in the cache")
        hub.cached = True
        return str(hub.folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return hub


def test_hub_revision_is_passed_through_and_a_pinned_snapshot_is_taken_from_the_cache(table, fake_hub):
    assert zoo.load("hf://zoo-models/micro@v1.2").labels[-1] == "Ankle boot"
    assert fake_hub.calls == [("zoo-models/micro", "v1.2", True), ("zoo-models/micro", "v1.2", False)]
    fake_hub.calls.clear()
    zoo.load("hf://zoo-models/micro@v1.2")
    assert fake_hub.calls == [("zoo-models/micro", "v1.2", True)]  # cached and pinned: the Hub is not asked
    fake_hub.calls.clear()
    zoo.load("hf://zoo-models/micro")
    assert fake_hub.calls == [("zoo-models/micro", None, False)]  # unpinned: the Hub says what main is now


def test_hub_weights_must_have_the_tables_sha256(table, fake_hub, micro_checkpoint):
    zoo.load("micro-hub")  # the table's sha256 is the micro checkpoint's
    tampered = table / "tampered"
    shutil.copytree(micro_checkpoint, tampered)
    weights = tampered / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    fake_hub.folder = tampered  # the cached snapshot no longer has the table's sha256: ask the Hub again
    with pytest.raises(ZooError, match=r"downloaded hf://zoo-models/micro has sha256 \w+\.\.\., expected .*; refused"):
        zoo.load("micro-hub")
    assert fake_hub.calls[-2:] == [("zoo-models/micro", None, True), ("zoo-models/micro", None, False)]


def _team_table(folder, rows):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.yaml").write_text(yaml.safe_dump(rows))
    return str(folder / "index.yaml")


def test_an_extra_table_comes_after_the_shipped_one_and_its_folders_are_beside_it(table, micro_checkpoint):
    team = table / "team"
    shutil.copytree(micro_checkpoint, team / "ours")
    sha = sha256_of(micro_checkpoint / "model.safetensors")
    index = _team_table(
        team, [{"name": "team-micro", "location": "ours", "sha256": sha, "task": "image-classification"}]
    )
    entries = zoo.list_models(extra_index=[index])
    assert [e.name for e in entries] == ["micro-local", "micro-url", "micro-bad-sha", "micro-hub", "team-micro"]
    assert registry.resolve("team-micro", extra_index=[index]) == (team / "ours", sha)
    with pytest.raises(ZooError, match="'team-micro' is neither"):
        registry.resolve("team-micro")  # no extra table: the name is unknown


def test_zoo_index_names_several_tables(table, monkeypatch):
    first = _team_table(table / "a", [{"name": "a-model", "location": "m", "sha256": "0" * 64, "task": "x"}])
    second = _team_table(table / "b", [{"name": "b-model", "location": "file:///m", "sha256": "0" * 64, "task": "x"}])
    monkeypatch.setenv("ZOO_INDEX", f"{first}{os.pathsep}{second}")
    assert [e.name for e in zoo.list_models()][-2:] == ["a-model", "b-model"]
    monkeypatch.setenv("ZOO_INDEX", f"{first}, {second}")
    assert [e.table for e in zoo.list_models()][-2:] == [first, second]
    assert [e.name for e in zoo.list_models(extra_index=[second])][-1] == "b-model"  # the argument wins


def test_a_name_in_two_tables_is_an_error_naming_both(table):
    index = _team_table(table / "team", [{"name": "micro-local", "location": "x", "sha256": "0" * 64, "task": "x"}])
    shipped = table / "shipped" / "index.yaml"
    with pytest.raises(ZooError, match=f"'micro-local' is in both {shipped} and {index}; rename it"):
        zoo.list_models(extra_index=[index])


def test_a_bad_extra_table_is_one_line(table):
    with pytest.raises(ZooError, match="cannot read checkpoint table .*missing.yaml"):
        zoo.list_models(extra_index=[str(table / "missing.yaml")])
    (table / "bad.yaml").write_text("- {name: m, location: m}\n")
    with pytest.raises(ZooError, match=r"bad.yaml: a row has \['location', 'name'\]; each needs name, location, sha"):
        zoo.list_models(extra_index=[str(table / "bad.yaml")])
    (table / "bad.yaml").write_text("name: m\n")
    with pytest.raises(ZooError, match="bad.yaml must be a list of rows"):
        zoo.list_models(extra_index=[str(table / "bad.yaml")])
