import pytest
import torch

import dlcourse
from dlcourse.device import describe


def test_device_prefers_an_available_accelerator():
    dev = dlcourse.device()
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif torch.backends.mps.is_available():
        assert dev.type == "mps"
    else:
        assert dev.type == "cpu"
    torch.ones(2, device=dev).sum().item()  # the device really works


def test_device_can_be_forced(monkeypatch):
    assert dlcourse.device("cpu").type == "cpu"
    monkeypatch.setenv("DLCOURSE_DEVICE", "cpu")
    assert dlcourse.device().type == "cpu"


def test_unknown_or_missing_device_is_explained():
    with pytest.raises(ValueError, match="unknown device"):
        dlcourse.device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="not available"):
            dlcourse.device("cuda")


def test_describe_reports_versions():
    info = describe(torch.device("cpu"))
    assert info["torch"] == torch.__version__
    assert "none found" in info["gpu"]


def test_setup_seeds_and_returns_device(capsys):
    dev = dlcourse.setup(seed=3)
    a = torch.rand(3)
    dlcourse.setup(seed=3, quiet=True)
    assert torch.equal(a, torch.rand(3))
    assert isinstance(dev, torch.device)
    assert "device" in capsys.readouterr().out
