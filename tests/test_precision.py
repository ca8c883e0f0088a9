"""Precision follows the hardware: bf16 where it is native, fp32 where it would be emulated."""

import pytest

from tests.conftest import QUICK
from zoo import precision
from zoo.pipeline.recipe import build_cli


@pytest.fixture(params=[True, False], ids=["native-bf16-cpu", "avx2-cpu"])
def cpu_bf16(request, monkeypatch) -> bool:
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: request.param)
    monkeypatch.setattr(precision.torch.cuda, "is_available", lambda: False)
    return request.param


def test_auto_is_bf16_only_where_the_cpu_has_it(cpu_bf16):
    expected = "bf16-mixed" if cpu_bf16 else "32-true"
    assert precision.resolve_precision("auto") == precision.resolve_precision(None) == expected


def test_gpus_get_bf16_or_fp16(monkeypatch):
    monkeypatch.setattr(precision.torch.cuda, "is_available", lambda: True)
    for supported, expected in ((True, "bf16-mixed"), (False, "16-mixed")):
        monkeypatch.setattr(precision.torch.cuda, "is_bf16_supported", lambda s=supported: s)
        assert precision.auto_precision("auto") == precision.auto_precision("gpu") == expected
    assert precision.auto_precision("cpu") in ("bf16-mixed", "32-true")  # asked for the CPU: the CPU's rule


def test_an_explicit_precision_wins_with_a_warning_when_bf16_is_emulated(cpu_bf16, recwarn):
    assert precision.resolve_precision("bf16") == "bf16-mixed" and precision.resolve_precision("fp32") == "32-true"
    emulated = [w for w in recwarn if "emulated" in str(w.message)]
    assert len(emulated) == (0 if cpu_bf16 else 1)


def test_an_unknown_precision_is_one_clear_error():
    with pytest.raises(ValueError, match="precision 'fp8' is not one of auto, 32-true"):
        precision.resolve_precision("fp8")


def test_a_recipe_without_precision_and_the_auto_flag_resolve_by_hardware(cpu_bf16):
    expected = "bf16-mixed" if cpu_bf16 else "32-true"
    cli = build_cli(["--config", str(QUICK), "--trainer.max_epochs=1"], run=False)
    assert cli.trainer.precision == expected
    cli = build_cli(["--config", str(QUICK), "--trainer.precision=16-mixed", "--trainer.precision", "auto"], run=False)
    assert cli.trainer.precision == expected  # the flag's auto wins over the value before it
    assert build_cli(["--config", str(QUICK), "--trainer.precision=32-true"], run=False).trainer.precision == "32-true"


def test_the_cpu_is_described_with_its_bf16_support(cpu_bf16):
    assert ("native bf16" in precision.cpu_description()) == cpu_bf16
