"""The shipped checkpoints load from a non-editable wheel install, offline, outside the checkout."""

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from zoo.hub.registry import list_models


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
    # The venv sees torch & co. from this interpreter, and only the wheel's zoo.
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], check=True, timeout=300)
    script = textwrap.dedent(f"""
        import zoo, torch
        assert zoo.__file__.startswith({str(venv)!r}), zoo.__file__
        for name in {names!r}:
            model = zoo.load(name)
            p = model.preprocessing
            if p.kind == "image":
                assert model(torch.zeros(1, p.channels, p.size, p.size)).shape == (1, len(model.labels)), name
            elif p.kind == "audio":
                assert model(torch.randn(1, p.sample_rate // 2)).shape == (1, len(model.labels)), name
            elif model.kind == "classification":
                assert model.predict(["a fine film"])[0]["label"] in model.labels, name
            else:
                assert model.generate("In the beginning", max_new_tokens=3).startswith("In the beginning"), name
        from zoo.data.spoken_digits import SpokenDigitsDataModule
        assert len(SpokenDigitsDataModule().splits["test"]) == 270  # the embedded clips ship in the wheel
        print("loaded", len({names!r}))
    """)
    result = subprocess.run(
        [python, "-c", script], check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"loaded {len(names)}"
