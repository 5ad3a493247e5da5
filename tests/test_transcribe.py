"""instrid train-notes / transcribe: a recording's notes and their instruments, as MIDI, CSV, piano roll."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pretty_midi
import pytest
import soundfile
import torch

from conftest import RENDERED_TREE, SMALL, one_line, rendered_tree, run, tone_file
from instrid.app import cli, transcribe
from instrid.data import instruments, musicnet
from instrid.models import note_instruments
from instrid.study import metrics


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tree of rendered piano and flute notes and a note-instrument model trained on it (seconds)."""
    tmp = tmp_path_factory.mktemp("transcribe")
    tree = rendered_tree(tmp / "tree", RENDERED_TREE)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSTRID_CACHE", str(tmp / "cache"))
        cached = note_instruments.train(musicnet.MusicNet(tree), SMALL, progress=False)
    model = tmp / "notes.pt"
    shutil.copyfile(cached, model)
    return tree, model


def test_a_rendered_recordings_midi_has_a_track_per_instrument_playing_with_its_notes(
    trained, tmp_path, capsys
):
    tree, model = trained
    audio = tree / "test_data" / "1759.wav"
    out = tmp_path / "out"
    assert cli.main(["transcribe", str(audio), "--model", str(model), "--out", str(out), "-q"]) == 0
    said = capsys.readouterr().out
    assert f"{audio}: " in said and " notes; " in said
    assert sorted(p.name for p in out.iterdir()) == [
        "1759.mid",
        "1759.notes.csv",
        "1759.notes.json",
        "1759.notes.png",
    ]
    table = pd.read_csv(out / "1759.notes.csv")
    assert list(table.columns) == list(transcribe.COLUMNS)
    song = pretty_midi.PrettyMIDI(str(out / "1759.mid"))
    # Two tracks, piano and flute, each with its General MIDI program and its name.
    assert sorted((t.name, t.program) for t in song.instruments) == [("flute", 73), ("piano", 0)]
    for track in song.instruments:
        mine = table[table["instrument"] == track.name]
        assert len(track.notes) == len(mine)
        assert sorted(n.pitch for n in track.notes) == sorted(mine["pitch"])
        np.testing.assert_allclose(sorted(n.start for n in track.notes), sorted(mine["onset_s"]), atol=2e-3)
    # Against the labels: notes found (onset within 50 ms, pitch) and, among them, instruments right.
    truth = musicnet.MusicNet(tree).notes(1759)
    truth["instrument"] = np.asarray(instruments.NAMES)[instruments.index_of(truth["instrument"])]
    notes_found = metrics.note_f1(metrics.note_counts(truth, table))
    with_instruments = metrics.note_f1(metrics.note_counts(truth, table, by_instrument=True))
    assert notes_found["f1"] > 0.8 and with_instruments["f1"] > 0.9 * notes_found["f1"]
    summary = json.loads((out / "1759.notes.json").read_text())
    assert summary["notes"] == len(table) and set(summary["instruments"]) == {"piano", "flute"}
    assert sum(v["notes"] for v in summary["instruments"].values()) == len(table)
    assert (out / "1759.notes.png").read_bytes()[:4] == b"\x89PNG"
    # A rerun on the same input replaces its own outputs.
    assert cli.main(["transcribe", str(audio), "--model", str(model), "--out", str(out), "-q"]) == 0


def test_any_rate_and_channels_and_silence(trained, tmp_path, capsys):
    _, model = trained
    stereo = tmp_path / "stereo.flac"
    left = tone_file(tmp_path / "x.wav", channels=1)
    mono, rate = soundfile.read(str(left))
    soundfile.write(str(stereo), np.stack([mono, mono], axis=1), rate)
    silent = tmp_path / "silent.wav"
    soundfile.write(str(silent), np.zeros(16_000, dtype=np.float32), 16_000)
    out = tmp_path / "out"
    code = cli.main(["transcribe", str(stereo), str(silent), "--model", str(model), "--out", str(out), "-q"])
    assert code == 0
    assert "silent.wav: 0 notes; none" in capsys.readouterr().out
    assert pd.read_csv(out / "silent.notes.csv").empty
    assert pretty_midi.PrettyMIDI(str(out / "silent.mid")).instruments == []
    # A 440 Hz tone: one A4.
    assert pd.read_csv(out / "stereo.notes.csv")["pitch"].tolist() == [69]


def test_transcribe_never_writes_over_what_it_did_not_write(trained, tmp_path, capsys):
    _, model = trained
    audio = tone_file(tmp_path / "a.wav")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.mid").write_bytes(b"MThd mine")
    code, err = run(capsys, "transcribe", str(audio), "--model", str(model), "--out", str(out))
    assert code == 2 and "a.mid: exists and is not an output of instrid transcribe" in one_line(err)
    assert (out / "a.mid").read_bytes() == b"MThd mine" and sorted(p.name for p in out.iterdir()) == ["a.mid"]
    # Another input of the same name needs --force; an input is never an output.
    (out / "a.mid").unlink()
    assert cli.main(["transcribe", str(audio), "--model", str(model), "--out", str(out), "-q"]) == 0
    (tmp_path / "b").mkdir()
    other = tone_file(tmp_path / "b" / "a.ogg")
    code, err = run(capsys, "transcribe", str(other), "--model", str(model), "--out", str(out))
    assert code == 2 and "already holds instrid transcribe's output for" in one_line(err)
    assert (
        cli.main(["transcribe", str(other), "--model", str(model), "--out", str(out), "--force", "-q"]) == 0
    )
    victim = tone_file(tmp_path / "c.wav").rename(
        out / "c.mid"
    )  # audio named c.mid, as a careless user might
    before = victim.read_bytes()
    code, err = run(capsys, "transcribe", str(victim), "--model", str(model), "--out", str(out), "--force")
    assert code == 2 and "is an input of this run" in one_line(err) and victim.read_bytes() == before


@pytest.mark.parametrize("fault", ["garbage", "missing", "no model", "not a model", "no --out"])
def test_bad_inputs_are_one_line_and_exit_2(trained, tmp_path, capsys, fault, monkeypatch):
    _, model = trained
    audio = tone_file(tmp_path / "a.wav")
    args = ["transcribe", str(audio), "--model", str(model), "--out", str(tmp_path / "out")]
    if fault == "garbage":
        audio.write_bytes(b"RIFF....garbage")
    elif fault == "missing":
        audio.unlink()
    elif fault == "no model":
        monkeypatch.setenv("INSTRID_CACHE", str(tmp_path / "empty"))
        args = args[:2] + args[4:]
    elif fault == "not a model":
        (tmp_path / "m.pt").write_text("hello")
        args[3] = str(tmp_path / "m.pt")
    else:
        args = args[:4]
    code, err = run(capsys, *args)
    expected = {
        "garbage": "a.wav: ",
        "missing": "audio file not found",
        "no model": "no note-instrument model yet; make one with `make model`",
        "not a model": "m.pt: not an instrid note-instrument model file",
        "no --out": "the following arguments are required: --out",
    }[fault]
    assert code == 2 and expected in one_line(err)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_train_notes_writes_where_transcribe_looks_and_never_over_a_users_file(
    trained, tmp_path, capsys, monkeypatch
):
    tree, _ = trained
    monkeypatch.setenv("INSTRID_CACHE", str(tmp_path / "cache"))
    code = cli.main(["train-notes", "--root", str(tree), "--epochs", "1", "-q"])
    assert code == 0 and "on validation notes mean F" in capsys.readouterr().out
    default = transcribe.default_model_path()
    assert note_instruments.load(default)[1]["settings"]["epochs"] == 1
    # One another instrid version left there is replaced, not refused as the user's.
    torch.save({**torch.load(default, weights_only=True), "format_version": 0}, default)
    assert cli.main(["train-notes", "--root", str(tree), "--epochs", "1", "-q"]) == 0
    assert note_instruments.load(default)[1]["format_version"] == note_instruments.FORMAT_VERSION
    mine = tmp_path / "mine.pt"
    mine.write_text("my notes")
    code, err = run(capsys, "train-notes", "--root", str(tree), "--epochs", "1", "--out", str(mine))
    assert code == 2 and "exists and is not an instrid note-instrument model file" in one_line(err)
    assert mine.read_text() == "my notes"
    code, err = run(capsys, "train-notes", "--root", str(tree), "--out", str(tree / "model.pt"))
    assert code == 2 and "lies inside the dataset" in one_line(err)


def test_midi_tracks_follow_the_study_order_with_their_programs():
    table = pd.DataFrame(
        {
            "onset_s": [0.0, 0.5, 1.0],
            "offset_s": [0.4, 0.9, 1.5],
            "pitch": [60, 40, 72],
            "instrument": ["contrabass", "violin", "violin"],
        }
    )
    song = transcribe.midi(table)
    assert [(t.name, t.program, len(t.notes)) for t in song.instruments] == [
        ("violin", 40, 2),
        ("contrabass", 43, 1),
    ]


def test_train_notes_says_the_defaults_it_uses(capsys):
    assert cli.main(["train-notes", "--help"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    defaults = note_instruments.Training()
    assert f"epochs (default: the study's, {defaults.epochs})" in said
    assert f"(default: the study's, {defaults.notes_per_recording})" in said
