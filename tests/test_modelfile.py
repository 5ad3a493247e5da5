"""Model files (instrid.models.modelfile): one self-contained file, every fault one line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from conftest import SETTINGS, one_line, run, tone_file
from instrid.data import instruments
from instrid.errors import ModelError
from instrid.models import modelfile


def test_model_file_rebuilds_the_same_network(model_file):
    net, state = modelfile.load_model(model_file)
    again, _ = modelfile.load_model(model_file)
    assert state["top_n"] == 3 and len(state["thresholds"]) == instruments.N_INSTRUMENTS
    assert state["weights_used"] == "random:seed=0" and state["config"]["loss"] == "bce"
    assert net.front_end.fitted and net.head_kind == "report_text"
    x = torch.randn(2, net.front_end.crop_samples, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(net(x), again(x))
    assert "MusicNet" in modelfile.trained_on(state)
    varied = {**state, "config": {**state["config"], "rendering": {"fonts": ["A", "B"], "variation": "all"}}}
    assert "rendered with A and B, variation all" in modelfile.trained_on(varied)
    thresholds = np.asarray(state["thresholds"])
    assert (thresholds == thresholds[0]).all()  # instrid train: one threshold for every instrument
    assert (
        modelfile.rule_of(state) == f"threshold {thresholds[0]:.2f} (micro F1 on validation), then at most 3"
    )
    per_class = {**state, "thresholds": np.linspace(0.1, 0.5, len(state["thresholds"]))}
    assert modelfile.rule_of(per_class) == "class thresholds, then at most 3"


@pytest.mark.parametrize("damage", ["missing key", "wrong shape", "random bytes", "a folder"])
def test_damaged_model_files_are_one_line(model_file, tmp_path, capsys, damage):
    import torch

    path = tmp_path / "m.pt"
    if damage == "random bytes":
        path.write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    elif damage == "a folder":
        path.mkdir()
    else:
        state = torch.load(model_file, weights_only=True)
        if damage == "missing key":
            del state["head"]
        else:
            state["head"]["weight"] = torch.zeros(3, 3)
        torch.save(state, path)
    code, err = run(capsys, "predict", str(tone_file(tmp_path / "a.wav")), "--model", str(path))
    line = one_line(err)
    assert code == 2 and "m.pt: " in line and "weights_only" not in err
    assert {
        "missing key": "lacks ['head']",
        "wrong shape": "damaged model file",
        "random bytes": "not an instrid model file",
        "a folder": "not a file",
    }[damage] in line


@SETTINGS
@given(st.binary(max_size=4000))
def test_model_reader_on_random_bytes(tmp_path, raw):
    import warnings

    path = tmp_path / "m.pt"
    path.write_bytes(raw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ModelError, match=r"m\.pt: "):
            modelfile.load_model(path)
    assert not caught  # the one-line error is all a user sees


def test_model_reader_is_quiet_about_a_strange_pickle_protocol(tmp_path):
    import warnings

    path = tmp_path / "m.pt"
    path.write_bytes(bytes([0x80, 102]) + b"junk")  # "pickle protocol 102": torch warns, then fails
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ModelError, match=r"m\.pt: not an instrid model file"):
            modelfile.load_model(path)
    assert not caught
