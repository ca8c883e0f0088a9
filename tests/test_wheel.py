"""The shipped checkpoints load from a non-editable wheel install, offline, outside the checkout."""

import importlib.util
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zoo.hub.registry import list_models


def see_these_packages(python: Path) -> None:
    """Let the venv of ``python`` import this interpreter's packages (torch & co.), after its own.

    A .pth file in its site-packages lists the site-packages of the interpreter running pytest
    (a venv's, not only the base interpreter's, which is all --system-site-packages would show).
    Plain paths go after the venv's own site-packages, and the .pth files in them (an editable
    zoo among them) are not run: the wheel's zoo is the one imported.
    """
    ours = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        ours.append(site.getusersitepackages())
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    theirs = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    lines = [path for path in dict.fromkeys(ours) if Path(path).is_dir()]
    (Path(theirs) / "zoo_test_outer_site.pth").write_text("\n".join(lines) + "\n")


@pytest.mark.slow
def test_wheel_install_loads_every_named_checkpoint(tmp_path):
    names = [entry.name for entry in list_models()]
    assert names, "no named checkpoints in checkpoints/index.yaml"
    # Offline: build with the installed setuptools (the dev extra pins one that builds wheels).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            tmp_path / "dist",
            ROOT,
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("zoo-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    # -I: isolated from PYTHONPATH (a checkout on it would shadow the wheel) and from the user's site.
    subprocess.run(
        [python, "-I", "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], check=True, timeout=300
    )
    see_these_packages(python)
    torch_here = importlib.util.find_spec("torch").origin
    script = textwrap.dedent(f"""
        import zoo, torch
        assert zoo.__file__.startswith({str(venv)!r}), zoo.__file__
        assert torch.__file__ == {torch_here!r}, torch.__file__  # this interpreter's packages, not the base's
        for name in {names!r}:
            model = zoo.load(name)
            p = model.preprocessing
            if model.kind == "masked-autoencoder":  # an encoder to fine-tune: inputs -> (B, 1 + N, D) tokens
                x = torch.randn(1, p.sample_rate // 2) if p.kind == "audio" else torch.zeros(1, p.channels, p.size, p.size)
                tokens = model.model.forward_features(x)
                assert tokens.shape[-1] == model.model.head.embed_dim, name
            elif model.kind == "word-embedding":  # its vocabulary travels as vocab.txt beside the weights
                assert model.word_vectors.neighbours("god", topn=3), name
            elif model.kind == "gan":
                assert model.sample(2).shape[0] == 2, name
            elif p.kind == "image":
                assert model(torch.zeros(1, p.channels, p.size, p.size)).shape == (1, len(model.labels)), name
            elif p.kind == "audio":
                assert model(torch.randn(1, p.sample_rate // 2)).shape == (1, len(model.labels)), name
            elif model.kind == "classification":
                assert model.predict(["a fine film"])[0]["label"] in model.labels, name
            elif model.kind == "masked-lm":  # an encoder to fine-tune: (B, N) ids -> (B, N, V) logits
                ids = p.encode_batch(["A fine film."])[0][None]
                assert model(ids).shape == (1, ids.shape[1], model.model.head.vocab_size), name
            elif model.kind == "translation":
                assert isinstance(model.translate(["In the beginning"], max_len_b=3)[0], str), name
            elif model.kind == "contrastive":  # video + audio + text: a caption into the video-text space
                assert model.embed(["a bag slides left"], "text")["vt"].shape[0] == 1, name
            else:
                assert model.generate("In the beginning", max_new_tokens=3).startswith("In the beginning"), name
        from zoo.datasets.spoken_digits import SpokenDigitsDataModule
        assert len(SpokenDigitsDataModule().splits["test"]) == 270  # the embedded clips ship in the wheel
        print("loaded", len({names!r}))
    """)
    result = subprocess.run(
        [python, "-I", "-c", script], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"loaded {len(names)}"
