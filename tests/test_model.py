"""Front-ends, the model's two heads, frozen backbone, eval mode and the weights policy."""

from __future__ import annotations

import urllib.error
import warnings

import pytest
import torch
import torchvision

from instrid.errors import ModelError
from instrid.models import features, model


@pytest.mark.parametrize("head, size, trained", [("report_code", 1000, 11_011), ("report_text", 512, 5_643)])
def test_heads_frozen_backbone_and_eval_mode(head, size, trained):
    net = model.InstrumentNet(features.ReportSpectrogram(), head=head, weights=None)
    assert net.embedding_size == size and net.describe()["trained_parameters"] == trained
    assert not any(p.requires_grad for p in net.backbone.parameters())
    assert all(p.requires_grad for p in net.head.parameters())
    net.train()
    assert net.head.training and not net.backbone.training  # BatchNorm keeps ImageNet statistics
    x = torch.randn(4, 10_240, generator=torch.Generator().manual_seed(0))
    assert net(x).shape == (4, 11) and net.embed(x).shape == (4, size)
    ablation = model.InstrumentNet(features.ReportSpectrogram(), head=head, weights=None, batch_norm="batch")
    ablation.eval()
    assert ablation.backbone.training  # the report code's batch statistics, on purpose


def test_random_weights_are_seeded():
    a, used, note = model.load_backbone(None, seed=3)
    b, _, _ = model.load_backbone(None, seed=3)
    assert note == ""
    assert used == "random:seed=3"
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.fixture
def saved_weights(tmp_path):
    torch.manual_seed(42)
    reference = torchvision.models.resnet18(weights=None)
    return reference.state_dict()


def test_imagenet_weights_from_the_hub_cache(tmp_path, monkeypatch, saved_weights):
    """The real loading path, with a state dict we saved where torch hub keeps ImageNet's."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(saved_weights, checkpoints / "resnet18-f37072fd.pth")
    backbone, used, _ = model.load_backbone("imagenet")
    assert used == "imagenet:IMAGENET1K_V1"
    assert torch.equal(backbone.conv1.weight, saved_weights["conv1.weight"])
    net = model.InstrumentNet(features.ReportSpectrogram(), weights="auto")
    assert net.weights_used == "imagenet:IMAGENET1K_V1" and net.describe()["weights"] == used


def test_imagenet_unobtainable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(model, "_IMAGENET_UNAVAILABLE", None)
    attempts = []

    def offline(*args, **kwargs):
        attempts.append(args)
        print('Downloading: "https://download.pytorch.org/models/resnet18-f37072fd.pth"')
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torchvision.models._api, "load_state_dict_from_url", offline)
    with pytest.raises(ModelError, match=r"resnet18-f37072fd\.pth and could not be downloaded"):
        model.load_backbone("imagenet")
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fallback is stated in the configuration, not warned about
        _, used, note = model.load_backbone("auto", seed=1)
        _, used2, note2 = model.load_backbone("auto", seed=2)
    assert used == "random:seed=1" and used2 == "random:seed=2"
    assert note == note2 and note.startswith("ImageNet weights unavailable")
    assert capsys.readouterr() == ("", "")  # no download message in a notebook's output
    assert len(attempts) == 2  # "imagenet" once, "auto" once: the second "auto" does not ask again
    net = model.InstrumentNet(features.ReportSpectrogram(), weights="auto", seed=3)
    assert net.weights_note == note and net.weights_used == "random:seed=3"


def test_local_weights_file(tmp_path, saved_weights):
    path = tmp_path / "mine.pth"
    torch.save(saved_weights, path)
    backbone, used, _ = model.load_backbone(str(path))
    assert used.startswith("file:mine.pth#sha256=")
    assert torch.equal(backbone.fc.weight, saved_weights["fc.weight"])
    with pytest.raises(ModelError, match="nope.pth: weights file not found"):
        model.load_backbone(str(tmp_path / "nope.pth"))
    torch.save({"not": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ModelError, match="bad.pth: not a ResNet-18 state dict"):
        model.load_backbone(str(tmp_path / "bad.pth"))
    (tmp_path / "text.pth").write_text("not a tensor file")
    with pytest.raises(ModelError, match="text.pth: not a ResNet-18 state dict"):
        model.load_backbone(str(tmp_path / "text.pth"))
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ModelError, match="list.pth: not a ResNet-18 state dict: holds a list"):
        model.load_backbone(str(tmp_path / "list.pth"))
