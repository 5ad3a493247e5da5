"""musicnn as a backbone (models.musicnn): its checkpoints read without TensorFlow, the port against the
original graph's outputs (fixtures/musicnn/reference.npz, made by fixtures/musicnn/make_reference.py with
TensorFlow 2.15), its front-end against librosa, and its place in the model and in model files."""

from __future__ import annotations

import importlib.util
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from instrid.errors import ModelError
from instrid.models import features, model, modelfile, musicnn

REFERENCE = Path(__file__).parent / "fixtures" / "musicnn" / "reference.npz"
OUTPUTS = ("taggram", "timbral", "temporal", "cnn3", "mean_pool", "max_pool", "penultimate")


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as stored:
        return dict(stored)


@pytest.fixture(scope="module")
def package_checkpoint(tmp_path_factory) -> Path:
    """A copy of the installed MTT checkpoint's files, to damage."""
    folder = tmp_path_factory.mktemp("checkpoint") / "MTT_musicnn"
    shutil.copytree(Path(musicnn.checkpoint_prefix("MTT_musicnn")), folder)
    return folder


@pytest.mark.parametrize("name", sorted(musicnn.CHECKPOINTS))
def test_port_matches_the_original_graph(reference, name):
    net = musicnn.load_musicnn(name)
    for length, patch in (("whole", reference["log_mel"]), ("crop", reference["log_mel"][:15])):
        with torch.no_grad():
            ours = net.features(torch.from_numpy(patch)[None])
        ours["taggram"] = torch.sigmoid(ours["logits"])
        compared = 0
        for key in OUTPUTS:
            theirs = reference.get(f"{name}/{length}/{key}")
            if theirs is None:
                continue
            mine = ours[key][0].numpy().reshape(theirs.shape)
            # Float32 sums in another order: differences of a few parts per million of the values' scale.
            np.testing.assert_allclose(mine, theirs, rtol=0, atol=2e-5 * np.abs(theirs).max(), err_msg=key)
            compared += 1
        assert compared == (7 if length == "crop" else 5)


def test_layers_give_what_the_heads_read(reference):
    patch = torch.from_numpy(reference["log_mel"][:15])[None]
    outputs = {}
    for layer, size in musicnn.LAYERS.items():
        net = musicnn.load_musicnn("MTT_musicnn", layer=layer)
        with torch.no_grad():
            outputs[layer] = net(patch)
        assert outputs[layer].shape == (1, size)
    np.testing.assert_allclose(
        torch.sigmoid(outputs["taggram"])[0].numpy(), reference["MTT_musicnn/crop/taggram"], atol=1e-5
    )
    pooled = np.concatenate([reference["MTT_musicnn/crop/mean_pool"], reference["MTT_musicnn/crop/max_pool"]])
    np.testing.assert_allclose(outputs["pooled"][0].numpy(), pooled, atol=1e-3)
    with pytest.raises(ValueError, match="layer must be one of"):
        musicnn.Musicnn(layer="logits")


def test_front_end_matches_librosa(reference):
    front = features.MusicnnMel()
    audio = torch.from_numpy(reference["pcm"].astype(np.float32) / 32768)[None]
    power = front.mel(audio)[0].T.numpy()
    np.testing.assert_allclose(
        power, reference["mel_power"], rtol=0, atol=1e-5 * reference["mel_power"].max()
    )
    ours = front.from_analysis_rate(audio)[0].numpy()
    assert ours.shape == reference["log_mel"].shape == (76, 96)
    # Both round the power to float16: a value on a rounding boundary may fall either side (4e-4 in log10).
    difference = np.abs(ours - reference["log_mel"])
    assert difference.max() < 1e-3 and (difference > 1e-5).mean() < 0.01
    crop = torch.zeros(3, front.crop_samples)
    assert front(crop).shape == (3, 15, 96) and torch.equal(front(crop), torch.zeros(3, 15, 96))
    assert front.config()["name"] == "musicnn_mel"
    with pytest.raises(ValueError, match="crop_samples"):
        features.MusicnnMel(crop_samples=0)


def test_checkpoint_reader_reads_every_variable():
    tensors = musicnn.read_checkpoint(musicnn.checkpoint_prefix("MTT_musicnn"))
    assert tensors["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert tensors["conv2d_5/kernel"].shape == (7, 561, 1, 64)
    assert tensors["dense/kernel"].shape == (1506, 200) and tensors["dense_1/bias"].shape == (50,)
    assert tensors["batch_normalization_9/moving_variance"].shape == (1506,)
    assert tensors["beta1_power"].shape == () and all(t.dtype == np.float32 for t in tensors.values())
    # The model's 64 variables (11 batch normalizations of 4, 8 convolutions and 2 dense layers of 2), Adam's
    # two slots of each of the 42 trained ones (moving statistics are not trained) and Adam's two powers.
    assert len(tensors) == 64 + 2 * 42 + 2
    assert (tensors["batch_normalization_1/moving_variance"] > 0).all()


def test_a_damaged_checkpoint_is_one_error(package_checkpoint, tmp_path):
    prefix = f"{package_checkpoint}/"
    assert len(musicnn.read_checkpoint(prefix)) > 60
    broken = tmp_path / "broken"
    shutil.copytree(package_checkpoint, broken)
    index = (broken / ".index").read_bytes()
    (broken / ".index").write_bytes(index[:-1] + b"\0")
    with pytest.raises(
        ModelError, match=r"broken/\.index: not a readable TensorFlow checkpoint: not a LevelDB"
    ):
        musicnn.read_checkpoint(f"{broken}/")
    (broken / ".index").write_bytes(index[:100] + index[-48:])
    with pytest.raises(ModelError, match="not a readable TensorFlow checkpoint"):
        musicnn.read_checkpoint(f"{broken}/")
    (broken / ".index").write_bytes(index)
    data = broken / ".data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"broken/\.data-00000-of-00001: truncated: \S+ needs bytes"):
        musicnn.read_checkpoint(f"{broken}/")
    data.unlink()
    with pytest.raises(ModelError, match=r"\.data-00000-of-00001: checkpoint file not found"):
        musicnn.read_checkpoint(f"{broken}/")


def test_snappy_blocks_are_refused(package_checkpoint, tmp_path):
    index = bytearray((package_checkpoint / ".index").read_bytes())
    # The index block's handle is in the footer; its trailer's first byte is the compression type.
    footer = bytes(index[-48:])
    _, pos = musicnn._varint(footer, 0)
    _, pos = musicnn._varint(footer, pos)
    offset, pos = musicnn._varint(footer, pos)
    size, _ = musicnn._varint(footer, pos)
    index[offset + size] = 1
    shutil.copytree(package_checkpoint, tmp_path / "snappy")
    (tmp_path / "snappy" / ".index").write_bytes(bytes(index))
    with pytest.raises(ModelError, match="compressed table block"):
        musicnn.read_checkpoint(f"{tmp_path / 'snappy'}/")


def test_checkpoint_files_are_checked_and_the_package_found(package_checkpoint, tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="unknown musicnn checkpoint 'MTT_vgg'"):
        musicnn.checkpoint_prefix("MTT_vgg")
    fake = tmp_path / "site" / "musicnn"
    shutil.copytree(package_checkpoint, fake / "MTT_musicnn")
    (fake / "__init__.py").write_text("raise ImportError('the package must not be imported')\n")
    monkeypatch.syspath_prepend(str(fake.parent))
    importlib.invalidate_caches()
    assert musicnn.checkpoint_prefix("MTT_musicnn") == f"{fake / 'MTT_musicnn'}/"
    data = fake / "MTT_musicnn" / ".data-00000-of-00001"
    blob = bytearray(data.read_bytes())
    blob[123] ^= 1
    data.write_bytes(bytes(blob))
    with pytest.raises(ModelError, match=r"\.data-00000-of-00001: differs from musicnn==0\.1\.0's file"):
        musicnn.checkpoint_prefix("MTT_musicnn")
    data.unlink()
    with pytest.raises(
        ModelError, match="missing from the installed musicnn; reinstall it with: pip install"
    ):
        musicnn.checkpoint_prefix("MTT_musicnn")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(
        ModelError, match=r"musicnn is not installed; .* pip install --no-deps musicnn==0\.1\.0"
    ):
        musicnn.checkpoint_prefix("MSD_musicnn")


@pytest.mark.parametrize(("head", "size"), [("report_code", 50), ("report_text", 200), ("pooled", 1506)])
def test_musicnn_in_the_model(head, size):
    net = model.InstrumentNet(features.MusicnnMel(), backbone="musicnn", head=head, weights="MSD_musicnn")
    assert net.embedding_size == size and net.head.in_features == size
    assert not any(p.requires_grad for p in net.backbone.parameters())
    assert net.weights_used == "musicnn:MSD_musicnn#sha256=8579734ee638"
    description = net.describe()
    assert description["backbone"] == "musicnn" and description["trained_parameters"] == 11 * size + 11
    waveform = torch.randn(4, net.front_end.crop_samples, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert net.embed(waveform).shape == (4, size) and net(waveform).shape == (4, 11)
    net.train()
    # Frozen statistics, unless the report code's batch statistics are asked for.
    assert not net.backbone.training


def test_musicnn_configurations_refused():
    with pytest.raises(ValueError, match="musicnn takes the musicnn_mel front-end"):
        model.InstrumentNet(features.LogMel(), backbone="musicnn", weights="MTT_musicnn")
    with pytest.raises(ValueError, match="musicnn takes the musicnn_mel front-end"):
        model.InstrumentNet(features.MusicnnMel(), weights=None)
    with pytest.raises(ValueError, match="head must be one of"):
        model.InstrumentNet(features.ReportSpectrogram(), head="pooled", weights=None)
    with pytest.raises(ValueError, match="backbone must be one of"):
        model.InstrumentNet(features.MusicnnMel(), backbone="vggish")
    with pytest.raises(ModelError, match="musicnn weights must be one of"):
        model.InstrumentNet(features.MusicnnMel(), backbone="musicnn", weights="imagenet")


def test_musicnn_model_file_round_trip(tmp_path):
    net = model.InstrumentNet(
        features.MusicnnMel(), backbone="musicnn", head="pooled", weights="MTT_musicnn", seed=3
    )
    path = modelfile.save_model(
        tmp_path / "model.pt", net, np.full(11, 0.4), 3, {"dataset_kind": "synthetic"}
    )
    again, state = modelfile.load_model(path)
    assert again.backbone_kind == "musicnn" and again.weights_used == net.weights_used
    waveform = torch.randn(2, net.front_end.crop_samples, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(net(waveform), again(waveform))
    assert "musicnn weights musicnn:MTT_musicnn" in modelfile.trained_on(state)


def test_a_model_file_without_backbone_kind_holds_a_resnet(model_file, tmp_path):
    state = torch.load(model_file, weights_only=True)
    state.pop("backbone_kind", None)
    older = tmp_path / "older.pt"
    torch.save(state, older)
    net, _ = modelfile.load_model(older)
    assert net.backbone_kind == "resnet18" and "ResNet-18 weights" in modelfile.trained_on(state)


def test_table_magic_is_leveldbs():
    assert struct.unpack("<Q", musicnn._TABLE_MAGIC)[0] == 0xDB4775248B80FB57


def test_a_centred_window_hears_the_context_a_segment_does_not(tmp_path):
    """Silence labelled as one stretch, a loud chord after it: only the centred window's embedding changes."""
    import soundfile

    from conftest import SPLITS, label_table
    from instrid.data import examples, musicnet
    from instrid.models import embeddings

    rate = 44_100
    audio = np.zeros(rate, dtype=np.float32)
    t = np.arange(rate // 2) / rate
    audio[rate // 2 :] = 0.5 * np.sin(2 * np.pi * 220 * t) * np.sin(2 * np.pi * 3 * t)
    for split in ("train_data", "train_labels"):
        (tmp_path / split).mkdir()
    soundfile.write(str(tmp_path / "train_data" / "1727.wav"), audio, rate, subtype="FLOAT")
    label_table([(0, 13_000, 1, 60), (30_000, rate, 41, 67)]).to_csv(
        tmp_path / "train_labels" / "1727.csv", index=False
    )
    dataset = musicnet.MusicNet(tmp_path)
    chosen = examples.segment_examples(dataset, SPLITS, progress=False)
    first = chosen.subset(chosen.table["start"].to_numpy() == 0)
    outputs = {}
    for window in ("segment", "centred"):
        net = model.InstrumentNet(
            features.MusicnnMel(crop_samples=rate, window=window),
            backbone="musicnn",
            head="pooled",
            weights="MTT_musicnn",
        )
        outputs[window] = np.asarray(embeddings.extract(dataset, first, net, progress=False), np.float32)
    silent = model.InstrumentNet(
        features.MusicnnMel(crop_samples=rate), backbone="musicnn", head="pooled", weights="MTT_musicnn"
    )
    with torch.no_grad():
        silence = silent.embed(torch.zeros(1, rate)).numpy()
    np.testing.assert_allclose(outputs["segment"], silence, atol=2e-2)  # float16 in the cache
    assert np.abs(outputs["centred"] - silence).max() > 1.0
