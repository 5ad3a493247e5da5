"""The MusicNet-format loader on tiny fixtures, and every bad input it must name."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import soundfile
from hypothesis import given
from hypothesis import strategies as st

from conftest import SETTINGS, TINY, make_tree, one_line, run
from instrid.data import musicnet
from instrid.errors import DatasetError


def test_index_is_typed_and_complete(tiny_tree):
    ds = musicnet.MusicNet(tiny_tree)
    index = ds.index
    assert index["id"].tolist() == [1727, 1728, 1759]
    assert index["split"].tolist() == ["train", "train", "test"]
    assert index["id"].dtype == np.int64 and index["n_samples"].dtype == np.int64
    assert index["n_samples"].tolist() == [44100, 22050, 35280]
    assert index.loc[0, "ensemble"] == "Piano Quintet" and index.loc[0, "composer"] == "Schubert"
    assert index.loc[2, "duration_s"] == pytest.approx(0.8)


def test_labels_are_typed(tiny_tree):
    labels = musicnet.MusicNet(tiny_tree).labels(1727)
    assert list(labels.columns) == list(musicnet.LABEL_COLUMNS)
    assert labels["start_time"].dtype == np.int64 and labels["instrument"].dtype == np.int16
    assert labels["instrument"].tolist() == [1, 41, 43]
    assert labels["note_value"].tolist() == ["Quarter"] * 3


def test_audio_is_float32_mono_and_resampled(tiny_tree):
    stereo = np.stack([np.full(44100, 0.2, np.float32), np.full(44100, 0.4, np.float32)], axis=1)
    soundfile.write(str(tiny_tree / "train_data" / "1727.wav"), stereo, 44100, subtype="FLOAT")
    ds = musicnet.MusicNet(tiny_tree)
    audio = ds.audio(1727)
    assert audio.dtype == np.float32 and audio.shape == (44100,)
    np.testing.assert_allclose(audio, 0.3, atol=1e-6)
    low = ds.audio(1759, sample_rate=16_000)
    assert low.dtype == np.float32 and low.shape == (12_800,)
    np.testing.assert_array_equal(ds.audio(1759, sample_rate=16_000), low)  # the same every time


def test_resampled_tone_keeps_its_pitch(tiny_tree):
    audio = musicnet.MusicNet(tiny_tree).audio(1727, sample_rate=16_000)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.fft.rfftfreq(len(audio), 1 / 16_000)[spectrum.argmax()] == pytest.approx(440, abs=2)


def test_kaggle_and_zenodo_nesting(tmp_path):
    make_tree(tmp_path / "kaggle", TINY, nested="musicnet/musicnet")
    make_tree(tmp_path / "zenodo", TINY, nested="musicnet")
    assert len(musicnet.MusicNet(tmp_path / "kaggle").index) == 3
    assert len(musicnet.MusicNet(tmp_path / "zenodo").index) == 3


def test_flac_tree(tmp_path):
    ds = musicnet.MusicNet(make_tree(tmp_path / "t", TINY, audio_format="flac"))
    assert ds.index["audio_path"].str.endswith(".flac").all()
    assert ds.audio(1728).shape == (22050,)


# ---- bad input: each names the file and the problem -------------------------------------


def test_not_a_tree(tmp_path):
    with pytest.raises(DatasetError, match="not a MusicNet-format root"):
        musicnet.MusicNet(tmp_path)


def test_missing_wav(tiny_tree):
    (tiny_tree / "train_data" / "1728.wav").unlink()
    with pytest.raises(DatasetError, match=r"1728\.csv: labels for a missing recording"):
        musicnet.MusicNet(tiny_tree)


def test_missing_labels(tiny_tree):
    (tiny_tree / "test_labels" / "1759.csv").unlink()
    with pytest.raises(DatasetError, match=r"1759\.wav: recording without labels"):
        musicnet.MusicNet(tiny_tree)


def test_truncated_wav(tiny_tree):
    path = tiny_tree / "train_data" / "1727.wav"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match=r"1727\.wav: truncated: data chunk declares 88200 bytes"):
        musicnet.MusicNet(tiny_tree)


def test_truncated_flac(tmp_path):
    tree = make_tree(tmp_path / "t", TINY, audio_format="flac")
    path = tree / "train_data" / "1727.flac"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    ds = musicnet.MusicNet(tree)  # FLAC headers survive truncation: caught on reading
    with pytest.raises(DatasetError, match=r"1727\.flac: (truncated|unreadable)"):
        ds.audio(1727)


def test_garbage_audio(tiny_tree):
    (tiny_tree / "train_data" / "1728.wav").write_bytes(b"not audio at all")
    with pytest.raises(DatasetError, match=r"1728\.wav: not a RIFF/WAVE file"):
        musicnet.MusicNet(tiny_tree)


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
        (
            lambda t: t.loc.__setitem__((1, "start_time"), "soon"),
            r"line 3: start_time must be an integer, got 'soon'",
        ),
        (lambda t: t.loc.__setitem__((0, "end_time"), "12.5"), r"line 2: end_time must be an integer"),
        (lambda t: t.loc.__setitem__((2, "end_time"), "100"), r"line 4: note ends before it starts"),
        (
            lambda t: t.loc.__setitem__((2, "end_time"), "44101"),
            r"line 4: note ends past the end of the audio \(44100",
        ),
        (lambda t: t.loc.__setitem__((0, "instrument"), "45"), r"unknown instrument code\(s\) \[45\]"),
        (lambda t: t.loc.__setitem__((0, "note"), "130"), r"line 2: note is not a MIDI pitch"),
    ],
    ids=[
        "missing-columns",
        "non-numeric",
        "fractional",
        "end-before-start",
        "past-audio",
        "unknown-code",
        "pitch",
    ],
)
def test_bad_label_file(tiny_tree, edit, message):
    path = _rewrite_labels(tiny_tree, 1727, "train", edit)
    ds = musicnet.MusicNet(tiny_tree)
    with pytest.raises(DatasetError, match=message) as info:
        ds.labels(1727)
    assert str(path) in str(info.value)


def test_empty_label_file(tiny_tree):
    (tiny_tree / "train_labels" / "1728.csv").write_text("")
    with pytest.raises(DatasetError, match=r"1728\.csv: cannot parse label CSV"):
        musicnet.MusicNet(tiny_tree).labels(1728)


def test_unknown_recording(tiny_tree):
    with pytest.raises(DatasetError, match="no recording with id 9999"):
        musicnet.MusicNet(tiny_tree).labels(9999)


def test_packaged_metadata_is_musicnets():
    meta = musicnet.read_metadata()
    assert len(meta) == 330
    assert set(musicnet.TEST_IDS) <= set(meta.index)
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
    assert musicnet.MusicNet(a).fingerprint() == musicnet.MusicNet(b).fingerprint()
    (b / "synth.json").write_text(json.dumps({**settings, "soundfont_sha256": "def"}))
    assert (
        musicnet.MusicNet(a).fingerprint() != musicnet.MusicNet(b).fingerprint()
    )  # another font: other audio
    (b / "synth.json").write_text(json.dumps(settings))
    labels = b / "train_labels" / "1727.csv"
    labels.write_text(labels.read_text().replace("\n0,", "\n1,", 1))
    assert musicnet.MusicNet(a).fingerprint() != musicnet.MusicNet(b).fingerprint()


def test_non_finite_samples_are_named_with_their_position(tmp_path, capsys):
    tree = make_tree(tmp_path / "t", TINY, audio_format="flac")
    path = tree / "train_data" / "1728.flac"
    audio, rate = soundfile.read(str(path), dtype="float32")
    wav = tree / "train_data" / "1728.wav"
    path.unlink()
    audio[1000] = np.nan
    soundfile.write(str(wav), audio, rate, subtype="FLOAT")
    ds = musicnet.MusicNet(tree)
    with pytest.raises(
        DatasetError, match=r"1728\.wav: non-finite sample \(NaN or infinity\) at sample 1000 "
    ):
        ds.read(1728, 0, 5000)
    assert ds.read(1728, 2000, 3000).shape == (1000,)  # the rest of the file still reads
    with pytest.raises(DatasetError, match="non-finite sample"):
        ds.audio(1728)
    # Found by the checks before anything trains on it.
    code, err = run(capsys, "data", "info", "--root", str(tree), "--decode", "--quiet")
    assert code == 2 and "1728.wav: non-finite sample (NaN or infinity) at sample 1000" in one_line(err)
    code, err = run(capsys, "data", "musicnet", "--from", str(tree), "--quiet")
    assert code == 2 and "at sample 1000" in one_line(err)


def test_the_same_id_in_two_splits(tmp_path, capsys):
    tree = make_tree(tmp_path / "t", TINY)
    make_tree(tmp_path / "t", {1727: ("test", 0.5, [(0, 100, 1, 60)])})
    code, err = run(capsys, "data", "info", "--root", str(tree), "--quiet")
    assert code == 2
    assert "1727.wav: recording 1727 is also" in one_line(err) and "one split only" in err


@pytest.mark.parametrize("cut", ["half", "corrupt"])
def test_a_damaged_flac_is_found_by_the_checks(tmp_path, capsys, cut):
    tree = make_tree(tmp_path / "t", {**TINY, 1727: ("train", 3.0, TINY[1727][2])}, audio_format="flac")
    path = tree / "train_data" / "1727.flac"
    raw = bytearray(path.read_bytes())
    if cut == "half":
        path.write_bytes(bytes(raw[: len(raw) // 2]))
        code, err = run(capsys, "data", "info", "--root", str(tree), "--quiet")  # the cheap check finds it
    else:
        for i in range(len(raw) // 2, len(raw) // 2 + 400):
            raw[i] ^= 0xFF
        path.write_bytes(bytes(raw))
        code, err = run(capsys, "data", "info", "--root", str(tree), "--decode", "--quiet")
    assert code == 2 and "1727.flac" in one_line(err)
    assert "truncated" in err or "unreadable audio" in err or "non-finite" in err


def test_data_info_validates_the_labels(tmp_path, capsys):
    tree = make_tree(tmp_path / "t", TINY)
    (tree / "train_labels" / "1728.csv").write_text(
        "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n100,50,72,70,0,1,Quarter\n"
    )
    code, err = run(capsys, "data", "info", "--root", str(tree), "--quiet")
    assert code == 2 and "1728.csv: line 2: note ends before it starts" in one_line(err)


def test_label_csv_with_spaces_after_commas_and_huge_values(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        "start_time, end_time, instrument, note, start_beat, end_beat, note_value\n"
        "0, 100, 1, 60, 0.0, 1.0, Quarter\n"
    )
    table = musicnet.read_labels(path)
    assert table["end_time"].tolist() == [100] and table["note_value"].tolist() == ["Quarter"]
    path.write_text(
        "start_time,end_time,instrument,note,start_beat,end_beat,note_value\n"
        "0,99999999999999999999999,1,60,0,1,Quarter\n"
    )
    with pytest.raises(
        DatasetError, match=r"line 2: end_time is out of range, got '99999999999999999999999'"
    ):
        musicnet.read_labels(path)


def text_path_labels(path, monkeypatch):
    """read_labels as it parses a file the fast typed reader declines: every column as text."""
    with monkeypatch.context() as m:
        m.setattr(musicnet, "_typed_labels", lambda path: None)
        return musicnet.read_labels(path)


label_cells = st.one_of(
    st.integers(-(2**62), 2**62).map(str),
    st.sampled_from(["", " 7", "7 ", "1e3", "12.0", "0.5", "x", "9007199254740993", "-0"]),
)


@SETTINGS
@given(rows=st.lists(st.tuples(*[label_cells] * 6, st.sampled_from(["", "Quarter"])), max_size=5))
def test_typed_label_reader_agrees_with_the_text_path(tmp_path_factory, rows):
    # The fast reader must give the same table, or the same error, as parsing every column as text.
    monkeypatch = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("labels") / "l.csv"
    path.write_text(",".join(musicnet.LABEL_COLUMNS) + "\n" + "".join(",".join(r) + "\n" for r in rows))
    outcomes = []
    for read in (musicnet.read_labels, lambda p: text_path_labels(p, monkeypatch)):
        try:
            outcomes.append(read(path))
        except DatasetError as exc:
            outcomes.append(str(exc))
    fast, text = outcomes
    if isinstance(text, str):
        assert fast == text
    else:
        pd.testing.assert_frame_equal(fast, text, check_exact=True)


def test_typed_label_reader_takes_plain_integer_files(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text(
        ",".join(musicnet.LABEL_COLUMNS) + "\n9766,197620,43,41,,,\n11181,31496,42,65,1.5,2,Half\n"
    )
    assert musicnet._typed_labels(path) is not None
    table = musicnet.read_labels(path)
    assert table["start_time"].tolist() == [9766, 11181] and table["note"].tolist() == [41, 65]
    assert np.isnan(table["start_beat"][0]) and table["start_beat"][1] == 1.5
    path.write_text(",".join(musicnet.LABEL_COLUMNS) + "\n0,9007199254740993,1,60,,,\n")
    with pytest.raises(DatasetError, match=r"line 2: end_time is out of range, got '9007199254740993'"):
        musicnet.read_labels(path)


def valid_wav(seconds=0.3, rate=8000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(
        buffer, 0.1 * np.sin(np.arange(int(seconds * rate)) / 3), rate, format="WAV", subtype="PCM_16"
    )
    return buffer.getvalue()


def valid_flac(seconds=0.3, rate=8000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(
        buffer, 0.1 * np.sin(np.arange(int(seconds * rate)) / 3), rate, format="FLAC", subtype="PCM_16"
    )
    return buffer.getvalue()


@pytest.mark.parametrize("suffix, good", [(".wav", valid_wav()), (".flac", valid_flac()), (".ogg", b"")])
@SETTINGS
@given(cut=st.floats(0, 1), noise=st.binary(max_size=300), flip=st.integers(0, 10_000))
def test_audio_readers_answer_with_a_dataset_error_or_the_whole_file(
    tmp_path, suffix, good, cut, noise, flip
):
    path = tmp_path / f"x{suffix}"
    body = bytearray(good[: int(cut * len(good))] + noise if good else noise)
    if body and flip < len(body) * 8 and good:
        body[flip // 8] ^= 1 << (flip % 8)
    path.write_bytes(bytes(body))
    try:
        audio = musicnet.read_audio(path, 8000)
    except DatasetError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert np.isfinite(audio).all() and len(audio) > 0


@SETTINGS
@given(st.binary(max_size=2000))
def test_label_reader_on_random_bytes(tmp_path, raw):
    path = tmp_path / "l.csv"
    path.write_bytes(b"start_time,end_time,instrument,note,start_beat,end_beat,note_value\n" + raw)
    try:
        table = musicnet.read_labels(path)
    except DatasetError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert isinstance(table, pd.DataFrame) and (table["end_time"] >= table["start_time"]).all()


def test_what_each_recording_was_rendered_with(tmp_path):
    import json

    tree = make_tree(tmp_path / "t", TINY)
    assert musicnet.MusicNet(tree).rendered_with().empty  # real MusicNet has no synth.json
    (tree / "synth.json").write_text(
        json.dumps({"recordings": {"1727": {"font": "A", "wet": 0.2}, "1759": {"font": "B", "wet": 0.0}}})
    )
    table = musicnet.MusicNet(tree).rendered_with()
    assert table.index.tolist() == [1727, 1728, 1759] and table.loc[1759, "font"] == "B"
    assert table["font"].isna().tolist() == [False, True, False]
    (tree / "synth.json").write_text(json.dumps({"soundfont": "/somewhere/TimGM6mb.sf2"}))  # instrid 0.1
    assert set(musicnet.MusicNet(tree).rendered_with()["font"]) == {"TimGM6mb"}


def test_all_labels_are_every_recordings_rows(tiny_tree):
    dataset = musicnet.MusicNet(tiny_tree)
    every = dataset.all_labels()
    assert len(every) == sum(len(dataset.labels(rid)) for rid in dataset.ids) == 6
    assert list(every.index) == list(range(6))


def test_a_recordings_notes_in_seconds(tmp_path):
    from conftest import make_tree

    tree = make_tree(tmp_path / "t", {1759: ("test", 2.0, [(44100, 66150, 41, 69), (0, 22050, 1, 60)])})
    found = musicnet.MusicNet(tree).notes(1759)
    assert found.to_dict("list") == {
        "onset_s": [0.0, 1.0],
        "offset_s": [0.5, 1.5],
        "pitch": [60, 69],
        "instrument": [1, 41],
    }
