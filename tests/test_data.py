"""The MusicNet-format loader on tiny fixtures, and every bad input it must name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile

from conftest import TINY, make_tree
from instrid import data, instruments
from instrid.errors import DatasetError


def test_instrument_order_is_the_report_codes():
    assert instruments.NAMES[:4] == ("violin", "viola", "cello", "piano")
    assert instruments.CODES == (41, 42, 43, 1, 61, 69, 71, 72, 74, 7, 44)
    assert instruments.index_of([1, 44, 41]).tolist() == [3, 10, 0]
    assert instruments.render_program(44) == 43
    with pytest.raises(DatasetError, match=r"f\.csv: unknown instrument code\(s\) \[45\]"):
        instruments.index_of([41, 45], source="f.csv")


def test_index_is_typed_and_complete(tiny_tree):
    ds = data.MusicNet(tiny_tree)
    index = ds.index
    assert index["id"].tolist() == [1727, 1728, 1759]
    assert index["split"].tolist() == ["train", "train", "test"]
    assert index["id"].dtype == np.int64 and index["n_samples"].dtype == np.int64
    assert index["n_samples"].tolist() == [44100, 22050, 35280]
    assert index.loc[0, "ensemble"] == "Piano Quintet" and index.loc[0, "composer"] == "Schubert"
    assert index.loc[2, "duration_s"] == pytest.approx(0.8)


def test_labels_are_typed(tiny_tree):
    labels = data.MusicNet(tiny_tree).labels(1727)
    assert list(labels.columns) == list(data.LABEL_COLUMNS)
    assert labels["start_time"].dtype == np.int64 and labels["instrument"].dtype == np.int16
    assert labels["instrument"].tolist() == [1, 41, 43]
    assert labels["note_value"].tolist() == ["Quarter"] * 3


def test_audio_is_float32_mono_and_resampled_once(tiny_tree, monkeypatch):
    stereo = np.stack([np.full(44100, 0.2, np.float32), np.full(44100, 0.4, np.float32)], axis=1)
    soundfile.write(str(tiny_tree / "train_data" / "1727.wav"), stereo, 44100, subtype="FLOAT")
    ds = data.MusicNet(tiny_tree)
    audio = ds.audio(1727)
    assert audio.dtype == np.float32 and audio.shape == (44100,)
    np.testing.assert_allclose(audio, 0.3, atol=1e-6)
    low = ds.audio(1759, sample_rate=16_000)
    assert low.dtype == np.float32 and low.shape == (12_800,)
    # The second call reads the cache: resampling is not called again.
    import soxr

    monkeypatch.setattr(soxr, "resample", lambda *a, **k: pytest.fail("resampled twice"))
    np.testing.assert_array_equal(ds.audio(1759, sample_rate=16_000), low)


def test_resampled_tone_keeps_its_pitch(tiny_tree):
    audio = data.MusicNet(tiny_tree).audio(1727, sample_rate=16_000)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / 16_000)[spectrum.argmax()] == pytest.approx(440, abs=2)


def test_kaggle_and_zenodo_nesting(tmp_path):
    make_tree(tmp_path / "kaggle", TINY, nested="musicnet/musicnet")
    make_tree(tmp_path / "zenodo", TINY, nested="musicnet")
    assert len(data.MusicNet(tmp_path / "kaggle").index) == 3
    assert len(data.MusicNet(tmp_path / "zenodo").index) == 3


def test_flac_tree(tmp_path):
    ds = data.MusicNet(make_tree(tmp_path / "t", TINY, audio_format="flac"))
    assert ds.index["audio_path"].str.endswith(".flac").all()
    assert ds.audio(1728).shape == (22050,)


# ---- bad input: each names the file and the problem -------------------------------------


def test_not_a_tree(tmp_path):
    with pytest.raises(DatasetError, match="not a MusicNet-format root"):
        data.MusicNet(tmp_path)


def test_missing_wav(tiny_tree):
    (tiny_tree / "train_data" / "1728.wav").unlink()
    with pytest.raises(DatasetError, match=r"1728\.csv: labels for a missing recording"):
        data.MusicNet(tiny_tree)


def test_missing_labels(tiny_tree):
    (tiny_tree / "test_labels" / "1759.csv").unlink()
    with pytest.raises(DatasetError, match=r"1759\.wav: recording without labels"):
        data.MusicNet(tiny_tree)


def test_truncated_wav(tiny_tree):
    path = tiny_tree / "train_data" / "1727.wav"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match=r"1727\.wav: truncated: data chunk declares 88200 bytes"):
        data.MusicNet(tiny_tree)


def test_truncated_flac(tmp_path):
    tree = make_tree(tmp_path / "t", TINY, audio_format="flac")
    path = tree / "train_data" / "1727.flac"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    ds = data.MusicNet(tree)  # FLAC headers survive truncation: caught on reading
    with pytest.raises(DatasetError, match=r"1727\.flac: (truncated|unreadable)"):
        ds.audio(1727)


def test_garbage_audio(tiny_tree):
    (tiny_tree / "train_data" / "1728.wav").write_bytes(b"not audio at all")
    with pytest.raises(DatasetError, match=r"1728\.wav: not a RIFF/WAVE file"):
        data.MusicNet(tiny_tree)


def _rewrite_labels(tree, rid, split, edit):
    path = tree / f"{split}_labels" / f"{rid}.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(table)
    table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: [t.pop(c) for c in ("note", "end_beat")], r"missing column\(s\) \['note', 'end_beat'\]"),
        (lambda t: t.loc.__setitem__((1, "start_time"), "soon"), r"line 3: start_time must be an integer, got 'soon'"),
        (lambda t: t.loc.__setitem__((0, "end_time"), "12.5"), r"line 2: end_time must be an integer"),
        (lambda t: t.loc.__setitem__((2, "end_time"), "100"), r"line 4: note ends before it starts"),
        (lambda t: t.loc.__setitem__((2, "end_time"), "44101"), r"line 4: note ends past the end of the audio \(44100"),
        (lambda t: t.loc.__setitem__((0, "instrument"), "45"), r"unknown instrument code\(s\) \[45\]"),
        (lambda t: t.loc.__setitem__((0, "note"), "130"), r"line 2: note is not a MIDI pitch"),
    ],
    ids=["missing-columns", "non-numeric", "fractional", "end-before-start", "past-audio", "unknown-code", "pitch"],
)
def test_bad_label_file(tiny_tree, edit, message):
    path = _rewrite_labels(tiny_tree, 1727, "train", edit)
    ds = data.MusicNet(tiny_tree)
    with pytest.raises(DatasetError, match=message) as info:
        ds.labels(1727)
    assert str(path) in str(info.value)


def test_empty_label_file(tiny_tree):
    (tiny_tree / "train_labels" / "1728.csv").write_text("")
    with pytest.raises(DatasetError, match=r"1728\.csv: cannot parse label CSV"):
        data.MusicNet(tiny_tree).labels(1728)


def test_unknown_recording(tiny_tree):
    with pytest.raises(DatasetError, match="no recording with id 9999"):
        data.MusicNet(tiny_tree).labels(9999)


def test_packaged_metadata_is_musicnets():
    meta = data.read_metadata()
    assert len(meta) == 330
    assert set(data.TEST_IDS) <= set(meta.index)
    assert meta.loc[1759, "ensemble"] == "Solo Piano"


def test_fingerprint_names_the_content_not_the_machine(tmp_path):
    import json
    import shutil

    from conftest import TINY, make_tree

    a = make_tree(tmp_path / "a", TINY)
    settings = {"soundfont": "/home/me/.venv/TimGM6mb.sf2", "soundfont_sha256": "abc", "gain_db": -12.0}
    (a / "synth.json").write_text(json.dumps(settings))
    b = tmp_path / "elsewhere" / "b"
    shutil.copytree(a, b)
    (b / "synth.json").write_text(json.dumps({**settings, "soundfont": "/tmp/clone/.venv/TimGM6mb.sf2"}))
    assert data.MusicNet(a).fingerprint() == data.MusicNet(b).fingerprint()
    (b / "synth.json").write_text(json.dumps({**settings, "soundfont_sha256": "def"}))
    assert data.MusicNet(a).fingerprint() != data.MusicNet(b).fingerprint()  # another font: other audio
    (b / "synth.json").write_text(json.dumps(settings))
    labels = b / "train_labels" / "1727.csv"
    labels.write_text(labels.read_text().replace("\n0,", "\n1,", 1))
    assert data.MusicNet(a).fingerprint() != data.MusicNet(b).fingerprint()
