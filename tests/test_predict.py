"""instrid train / predict: a model file, and instruments in arbitrary audio files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile
import torch

from conftest import make_tree
from instrid import cli, instruments, predict
from instrid.errors import InstridError
from test_pipeline import TREE


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model")
    tree = make_tree(tmp / "tree", TREE)
    path = tmp / "model.pt"
    assert cli.main(["train", "--root", str(tree), "--out", str(path), "--weights", "none", "--epochs", "1",
                     "--train-examples", "4", "--validation-examples", "3", "--quiet"]) == 0
    return path


def test_model_file_rebuilds_the_same_network(model_file):
    net, state = predict.load_model(model_file)
    again, _ = predict.load_model(model_file)
    assert state["top_n"] == 3 and len(state["thresholds"]) == instruments.N_INSTRUMENTS
    assert state["weights_used"] == "random:seed=0" and state["config"]["loss"] == "bce"
    assert net.front_end.fitted and net.head_kind == "report_text"
    x = torch.randn(2, net.front_end.crop_samples, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(net(x), again(x))


def test_predict_any_rate_and_channels(model_file, tmp_path, capsys):
    rate = 22_050
    t = np.arange(int(1.0 * rate)) / rate
    stereo = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], axis=1)
    audio = tmp_path / "mine.ogg"
    soundfile.write(str(audio), stereo, rate)
    out = tmp_path / "p.csv"
    assert cli.main(["predict", str(model_file), str(audio), "--out", str(out)]) == 0
    assert f"{audio}: 5 windows" in capsys.readouterr().out  # 1 s in 232 ms windows, the last one tiled
    table = pd.read_csv(out, keep_default_na=False)
    assert list(table.columns) == ["file", "start_s", "end_s"] + [f"p_{n}" for n in instruments.NAMES] + ["instruments"]
    assert table["start_s"].tolist() == pytest.approx([i * 10_240 / 44_100 for i in range(5)], abs=1e-4)
    assert table["end_s"].iloc[-1] == pytest.approx(1.0, abs=1e-4)
    probabilities = table[[f"p_{n}" for n in instruments.NAMES]].to_numpy()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert all(len([n for n in s.split(";") if n]) <= 3 for s in table["instruments"])
    hop = predict.predict_file(*predict.load_model(model_file), audio, hop_s=0.1)
    # Windows every 0.1 s until one reaches the end: starts 0.0 .. 0.8 s, the last one ends at 1.0 s.
    assert len(hop) == 9 and hop["start_s"].iloc[1] == pytest.approx(0.1, abs=1e-4)
    assert hop["end_s"].iloc[-1] == pytest.approx(1.0, abs=1e-4)


def test_clear_errors(model_file, tmp_path, capsys):
    assert cli.main(["predict", str(tmp_path / "none.pt"), "x.wav"]) == 2
    assert "none.pt: model file not found" in capsys.readouterr().err
    (tmp_path / "bad.pt").write_bytes(b"nope")
    with pytest.raises(InstridError, match="bad.pt: not an instrid model file"):
        predict.load_model(tmp_path / "bad.pt")
    (tmp_path / "noise.wav").write_bytes(b"RIFF....garbage")
    assert cli.main(["predict", str(model_file), str(tmp_path / "noise.wav")]) == 2
    assert "noise.wav: unreadable audio" in capsys.readouterr().err
