"""A team's own zoo over real HTTP: a table named by ZOO_INDEX, folder URLs, sha256 checks, the cache."""

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import yaml

import zoo
from zoo.errors import ZooError
from zoo.hub.registry import list_models, shipped_dir

TEXT = "bert-tiny-rotten-tomatoes"  # a shipped checkpoint with a tokenizer.json
REVIEWS = ["a moving, beautifully acted film", "dull and far too long"]


class Handler(SimpleHTTPRequestHandler):
    """Serves a folder, records each path asked for, and fails card.md in folders named flaky."""

    def __init__(self, *args, requests: list, **kwargs):
        self.requests = requests
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self.requests.append(self.path)
        if "/flaky/" in self.path and self.path.endswith("card.md"):
            self.send_error(500)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def team_zoo(tmp_path, monkeypatch):
    """http://127.0.0.1:PORT/zoo/ holding the text checkpoint (as team-bert), a tampered copy,
    a copy without card and metrics, a flaky copy, and an index.yaml naming two of them."""
    root = tmp_path / "www" / "zoo"
    shipped = shipped_dir() / TEXT
    for name in ("bert", "tampered", "bare", "flaky"):
        shutil.copytree(shipped, root / name)
    weights = root / "tampered" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one byte of one weight
    weights.write_bytes(bytes(data))
    for name in ("card.md", "metrics.json"):
        (root / "bare" / name).unlink()
    sha = next(e.sha256 for e in list_models([]) if e.name == TEXT)
    rows = [
        {"name": "team-bert", "location": "bert", "sha256": sha, "task": "text-classification"},
        {"name": "team-tampered", "location": "tampered", "sha256": sha, "task": "text-classification"},
    ]
    (root / "index.yaml").write_text(yaml.safe_dump(rows))
    requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, requests=requests, directory=str(root.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/zoo/"
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ZOO_INDEX", url + "index.yaml")
    yield SimpleNamespace(url=url, requests=requests, home=tmp_path / "home" / "checkpoints")
    server.shutdown()
    server.server_close()
    thread.join()


def _predictions(model):
    return [(p["label"], p["score"]) for p in model.predict(REVIEWS)]


def test_a_name_in_the_teams_table_downloads_every_file_and_predicts(team_zoo, capfd):
    model = zoo.load("team-bert")
    assert _predictions(model) == _predictions(zoo.load(TEXT))  # the same weights and tokenizer
    files = ["model.safetensors", "config.yaml", "metrics.json", "card.md", "tokenizer.json", "vocab.txt"]
    assert [p for p in team_zoo.requests if p != "/zoo/index.yaml"] == [f"/zoo/bert/{f}" for f in files]
    assert "tokenizer.json" in capfd.readouterr().err  # the progress bar, on stderr
    assert model.metrics["test/acc"] > 0.7 and model.card


def test_a_cached_copy_is_reused_without_downloading_again(team_zoo, capfd):
    zoo.load("team-bert")
    zoo.load(team_zoo.url + "bare/")
    capfd.readouterr()
    downloads = len(team_zoo.requests)
    zoo.load("team-bert")
    zoo.load(team_zoo.url + "bare/")
    assert team_zoo.requests[downloads:] == ["/zoo/index.yaml"]  # the table is read, no checkpoint file
    assert capfd.readouterr().err == ""  # no progress bar when nothing downloads


def test_a_folder_url_loads_without_a_table_and_optional_files_may_be_absent(team_zoo):
    model = zoo.load(team_zoo.url + "bare/")
    assert _predictions(model) == _predictions(zoo.load(TEXT))
    assert model.card == "" and model.metrics == {}  # 404 for the optional files
    (cached,) = [p for p in team_zoo.home.iterdir() if p.name.startswith("bare-")]
    assert sorted(f.name for f in cached.iterdir()) == ["config.yaml", "model.safetensors", "tokenizer.json"]


def test_a_tampered_copy_is_refused_by_its_sha256_and_not_cached(team_zoo):
    with pytest.raises(ZooError, match=r"^downloaded team-tampered has sha256 \w+\.\.\., expected \w+\.\.\.; refused"):
        zoo.load("team-tampered")
    assert not any(p.name.startswith("team-tampered") for p in team_zoo.home.iterdir())


def test_a_server_error_for_an_optional_file_is_one_line(team_zoo):
    with pytest.raises(ZooError, match=r"^cannot download http://.*/zoo/flaky/card.md \(HTTP Error 500"):
        zoo.load(team_zoo.url + "flaky/")


def test_a_missing_folder_says_what_it_expected(team_zoo):
    with pytest.raises(ZooError, match=r"model.safetensors \(not found\); is http://.*/zoo/nothing/ a zoo checkpoint"):
        zoo.load(team_zoo.url + "nothing/")
