"""The offline synthetic dataset: MIDI to labels, rendering, and the tree end to end."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import mido
import numpy as np
import pandas as pd
import pretty_midi
import pytest

from instrid.app import cli
from instrid.data import instruments, musicnet, sources, synth, variation
from instrid.errors import DatasetError

SR = 44_100


def make_midi(tracks, *, tempo=None, ticks_per_beat=480) -> bytes:
    """tracks: list of (program, channel, [(start_tick, end_tick, pitch), ...])."""
    mid = mido.MidiFile(type=1, ticks_per_beat=ticks_per_beat)
    for number, (program, channel, notes) in enumerate(tracks):
        track = mido.MidiTrack()
        mid.tracks.append(track)
        if number == 0 and tempo is not None:
            for tick, value in tempo:
                track.append(mido.MetaMessage("set_tempo", tempo=value, time=tick))  # absolute here
        events = [(0, 0, mido.Message("program_change", channel=channel, program=program))]
        for start, end, pitch in notes:
            events.append((start, 2, mido.Message("note_on", channel=channel, note=pitch, velocity=127)))
            events.append((end, 1, mido.Message("note_off", channel=channel, note=pitch, velocity=127)))
        if number == 0 and tempo is not None:
            metas = [(tick, 0, m) for (tick, _), m in zip(tempo, list(track))]
            track.clear()
            events += metas
        events.sort(key=lambda e: (e[0], e[1]))
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
    buffer = io.BytesIO()
    mid.save(file=buffer)
    return buffer.getvalue()


def test_ticks_tempo_and_programs():
    # 480 ticks per beat; 120 bpm then 60 bpm from tick 960 (2 s).
    midi = make_midi(
        [(40, 0, [(0, 480, 60), (960, 1440, 62)]), (45, 1, [(480, 960, 40)]), (0, 2, [(1440, 1920, 72)])],
        tempo=[(0, 500_000), (960, 1_000_000)],
    )
    labels = synth.midi_to_labels(midi)
    assert list(labels.columns) == list(musicnet.LABEL_COLUMNS)
    got = list(labels[["start_time", "end_time", "instrument", "note"]].itertuples(index=False, name=None))
    assert got == [
        (0, int(0.5 * SR), 41, 60),  # violin: GM 40 -> code 41
        (int(0.5 * SR), 1 * SR, 44, 40),  # MusicNetEM's 45 stands for contrabass: code 44
        (1 * SR, 2 * SR, 41, 62),  # after the tempo change a beat lasts 1 s
        (2 * SR, 3 * SR, 1, 72),
    ]
    assert labels["start_beat"].isna().all() and (labels["note_value"] == "").all()


def test_restruck_key_pairs_first_in_first_out():
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    track = mido.MidiTrack(
        [
            mido.Message("program_change", program=0, time=0),
            mido.Message("note_on", note=60, velocity=127, time=0),
            mido.Message("note_on", note=60, velocity=127, time=480),
            mido.Message("note_on", note=60, velocity=0, time=480),  # velocity 0 is a release
            mido.Message("note_off", note=60, time=480),
        ]
    )
    mid.tracks.append(track)
    labels = synth.midi_to_labels(mid)
    assert labels[["start_time", "end_time"]].values.tolist() == [[0, SR], [SR // 2, int(1.5 * SR)]]


def test_bad_midi_is_named():
    with pytest.raises(DatasetError, match="x.mid: unreadable MIDI file"):
        synth.midi_to_labels(b"MThd garbage", source="x.mid")
    with pytest.raises(DatasetError, match=r"y.mid: unknown instrument code\(s\) \[25\]"):
        synth.midi_to_labels(make_midi([(24, 0, [(0, 480, 60)])]), source="y.mid")
    mid = mido.MidiFile(type=1)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=100, time=0)]))
    with pytest.raises(DatasetError, match="z.mid: track 0: note 60 on channel 0 is never released"):
        synth.midi_to_labels(mid, source="z.mid")


def pretty_midi_notes(midi_bytes) -> set:
    """(start, end, code, pitch) by an independent parser; MusicNetEM's 45 is contrabass."""
    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes))
    return {
        (round(n.start * SR), round(n.end * SR), 44 if inst.program == 45 else inst.program + 1, n.pitch)
        for inst in pm.instruments
        for n in inst.notes
    }


def test_labels_match_pretty_midi():
    midi = make_midi(
        [(40, 0, [(0, 500, 60), (700, 1300, 64)]), (68, 1, [(10, 2000, 70)]), (45, 2, [(100, 900, 35)])],
        tempo=[(0, 400_000), (800, 650_000)],
    )
    labels = synth.midi_to_labels(midi)
    ours = set(labels[["start_time", "end_time", "instrument", "note"]].itertuples(index=False, name=None))
    assert ours == pretty_midi_notes(midi)


def sounding(labels) -> dict:
    """Per (instrument, pitch): the union of its note intervals, as sorted disjoint pairs."""
    out = {}
    for (code, pitch), group in labels.groupby(["instrument", "note"]):
        merged = []
        for s, e in sorted(zip(group["start_time"], group["end_time"])):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out[int(code), int(pitch)] = merged
    return out


def test_real_musicnet_em_file(seed_dir):
    """The verified MusicNetEM archive, one file: same notes as pretty_midi reads.

    pretty_midi closes every held copy of a key at its first release, so for
    re-struck keys the two parsers pair notes differently; the sounding time
    per instrument and pitch, which is all relabeling uses, must agree.
    """
    archive = sources.fetch_musicnet_em(progress=False)
    with zipfile.ZipFile(archive) as z:
        midi = z.read(next(n for n in z.namelist() if n.endswith("/2106.mid")))
    labels = synth.midi_to_labels(midi)
    theirs = pd.DataFrame(
        sorted(pretty_midi_notes(midi)), columns=["start_time", "end_time", "instrument", "note"]
    )
    assert set(labels["instrument"]) == set(theirs["instrument"]) == {41, 42, 43}  # a string quartet
    assert sounding(labels) == sounding(theirs[theirs.end_time > theirs.start_time])


def onsets(audio: np.ndarray, threshold: float) -> list[int]:
    """Sample indices where |audio| first rises above threshold after 50 ms below it."""
    loud = np.abs(audio) > threshold
    idx = np.flatnonzero(loud)
    gaps = np.diff(idx) > int(0.05 * SR)
    return [int(idx[0])] + idx[1:][gaps].tolist()


def test_render_onsets_levels_and_restrikes():
    starts = [0.25, 1.0, 1.75, 2.5]
    codes = [1, 41, 74, 44]  # piano, violin, flute, contrabass
    rows = [(int(s * SR), int((s + 0.3) * SR), c, 60 if c != 44 else 40) for s, c in zip(starts, codes)]
    labels = pd.DataFrame(rows, columns=["start_time", "end_time", "instrument", "note"])
    audio, raw_peak = synth.render_labels(labels, int(3.5 * SR), synth.default_soundfont())
    assert audio.dtype == np.float32 and audio.shape == (int(3.5 * SR),)
    assert np.abs(audio).max() == pytest.approx(synth.PEAK, rel=1e-6) and raw_peak > 0
    found = onsets(audio, 0.02)
    assert len(found) == 4
    for want, got in zip(rows, found):
        assert abs(got - want[0]) <= 0.010 * SR, (want, got)

    # A key struck again while held must sound like re-articulated notes, not stacked voices.
    held = pd.DataFrame(
        [(i * SR // 4, i * SR // 4 + SR, 1, 60) for i in range(8)],
        columns=["start_time", "end_time", "instrument", "note"],
    )
    separate = pd.DataFrame(
        [(i * SR // 4, (i + 1) * SR // 4, 1, 60) for i in range(8)],
        columns=["start_time", "end_time", "instrument", "note"],
    )
    rms = []
    for table in (held, separate):
        out, _ = synth.render_labels(table, 2 * SR, synth.default_soundfont(), peak=None)
        rms.append(np.sqrt(np.mean(out[: 2 * SR] ** 2)))
    assert abs(20 * np.log10(rms[0] / rms[1])) < 3.0


@pytest.fixture
def em_zip(tmp_path):
    """A two-recording stand-in for musicnet_em.zip: id 9001 (train), 1759 (official test)."""
    path = tmp_path / "musicnet_em.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "musicnet_em/9001.mid",
            make_midi([(0, 0, [(240, 720, 60), (960, 1440, 67)]), (42, 1, [(480, 1200, 48)])]),
        )
        z.writestr("musicnet_em/1759.mid", make_midi([(0, 0, [(0, 480, 72), (480, 960, 76)])]))
    return path


@pytest.mark.parametrize("kind", ["single font, no variation", "default: two fonts, varied"])
def test_build_tree_end_to_end(tmp_path, em_zip, kind):
    root = tmp_path / "synth"
    plain = kind.startswith("single")
    options = {"fonts": ["TimGM6mb"], "varied": variation.NONE} if plain else {}
    result = synth.build_synthetic_musicnet(root, source_zip=em_zip, jobs=2, progress=False, **options)
    assert result["recordings"] == 2 and result["skipped"] == 0
    ds = musicnet.MusicNet(root)
    assert ds.index[["id", "split"]].values.tolist() == [[9001, "train"], [1759, "test"]]
    # 9001 is not in MusicNet's metadata: its length is its last note plus the release tail.
    assert ds.recording(9001)["n_samples"] == int(1.5 * SR) + SR  # last release at tick 1440 = 1.5 s
    # 1759 keeps the real recording's length from the metadata (194 s).
    assert ds.recording(1759)["duration_s"] == pytest.approx(musicnet.read_metadata().loc[1759, "seconds"])
    settings = json.loads((root / synth.MANIFEST_NAME).read_text())
    assert settings["audio_format"] == "flac" and settings["sample_rate"] == SR
    assert settings["fonts"] == (["TimGM6mb"] if plain else list(synth.FONTS))
    assert {r["font"] for r in settings["recordings"].values()} <= set(settings["fonts"])
    with zipfile.ZipFile(em_zip) as z:
        for rid in (9001, 1759):
            want = synth.midi_to_labels(z.read(f"musicnet_em/{rid}.mid"))
            drawn = settings["recordings"][str(rid)]
            assert drawn == {
                "font": drawn["font"],
                **variation.draw(rid, variation.Variation.from_dict(settings["variation"])),
            }
            if not plain:  # the labels are the notes as moved by the timing variation
                rng = variation.note_rng(rid, variation.ALL, "timing")
                want = variation.vary_timing(want, drawn["timing_sd_ms"], ds.n_label_samples(rid), rng)
            pd.testing.assert_frame_equal(ds.labels(rid), want)
            audio = ds.audio(rid)
            peak = np.abs(audio).max()
            assert peak == pytest.approx(synth.PEAK, abs=1e-4) if plain else peak <= synth.PEAK + 1e-4
            if plain:  # (onsets under each variation: test_each_variation_alone_...)
                assert abs(onsets(audio, 0.02)[0] - want["start_time"].min()) <= 0.010 * SR


def test_build_resumes_and_never_trusts_partial_files(tmp_path, em_zip):
    root = tmp_path / "synth"
    synth.build_synthetic_musicnet(root, source_zip=em_zip, recordings=[9001], progress=False)
    audio = root / "train_data" / "9001.flac"
    before = audio.stat().st_mtime_ns
    # A crash mid-write leaves only a hidden temporary file, which is neither indexed nor done.
    (root / "test_data").mkdir(exist_ok=True)
    (root / "test_data" / ".1759.flac.abc.part.flac").write_bytes(b"half")
    assert musicnet.MusicNet(root).ids == [9001]
    again = synth.build_synthetic_musicnet(root, source_zip=em_zip, jobs=1, progress=False)
    assert again == {**again, "recordings": 1, "skipped": 1}
    assert audio.stat().st_mtime_ns == before
    # Audio without labels (killed between the two writes) is redone.
    (root / "train_labels" / "9001.csv").unlink()
    assert synth.build_synthetic_musicnet(root, source_zip=em_zip, progress=False)["recordings"] == 1


def test_build_refuses_other_settings_and_unknown_ids(tmp_path, em_zip):
    root = tmp_path / "synth"
    synth.build_synthetic_musicnet(root, source_zip=em_zip, recordings=[9001], progress=False)
    with pytest.raises(
        DatasetError, match=r"synth\.json: this tree was rendered with different settings \(audio_format\)"
    ):
        synth.build_synthetic_musicnet(root, source_zip=em_zip, audio_format="wav", progress=False)
    with pytest.raises(
        DatasetError, match=r"musicnet_em\.zip: no MusicNetEM labels for recording\(s\) \[1234\]"
    ):
        synth.build_synthetic_musicnet(root, source_zip=em_zip, recordings=[1234], progress=False)
    with pytest.raises(DatasetError, match=r"nope\.sf2: SoundFont not found"):
        synth.build_synthetic_musicnet(
            root, source_zip=em_zip, soundfont=tmp_path / "nope.sf2", progress=False
        )


def test_musicnet_em_is_fetched_and_verified_from_the_seed(seed_dir):
    path = sources.fetch_musicnet_em(progress=False)
    assert (
        path.name == "musicnet_em.zip"
        and path.stat().st_size == (seed_dir / "musicnet_em.zip").stat().st_size
    )
    with zipfile.ZipFile(path) as z:
        assert sum(n.endswith(".mid") for n in z.namelist()) == 323


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(("jobs", "stop"), [(2, "SIGTERM"), (1, "SIGTERM"), (2, "SIGINT")])
def test_a_signal_stops_the_render_cleanly_in_one_line_and_a_rerun_finishes_it(
    tmp_path, seed_dir, jobs, stop
):
    # The ten official test recordings (25 min of audio): still rendering when the first is written.
    ids = ["1759", "1819", "2106", "2191", "2298", "2303", "2382", "2416", "2556", "2628"]
    root = tmp_path / "r"
    command = [
        sys.executable,
        "-m",
        "instrid.app.cli",
        "data",
        "synth",
        "--root",
        str(root),
        "--recordings",
        *ids,
        "--jobs",
        str(jobs),
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(synth.__file__).parents[1])}
    # In a session of its own, so that SIGINT goes to the whole group as Ctrl-C in a terminal does, with
    # SIGINT's default action as in a terminal (a test run started in the background ignores SIGINT, and
    # the child would inherit that).
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    # Rendering now: the first recording is written, the others are not (a fixed wait raced a fast machine).
    while time.monotonic() < deadline and not list((root / "test_data").glob("*.flac")):
        time.sleep(0.02)
    workers = children(proc.pid)
    assert proc.poll() is None and len(list((root / "test_data").glob("*.flac"))) < len(ids)
    if stop == "SIGINT":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) != 0
    if jobs > 1:
        assert len(workers) >= jobs  # the render workers (and spawn's resource tracker)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() for w in workers):
        time.sleep(0.1)
    assert not any(Path(f"/proc/{w}").exists() for w in workers), "worker processes outlived their parent"
    # One line, whatever the number of workers: they die quietly.
    assert proc.stderr.read().decode().strip() == "instrid: interrupted; rerun the same command to resume"
    assert not list(root.rglob("*.part*"))  # nothing half-written is left behind
    assert subprocess.run(command, env=env, capture_output=True).returncode == 0
    clean = tmp_path / "clean"
    synth.build_synthetic_musicnet(clean, recordings=[int(i) for i in ids], jobs=2, progress=False)
    for rid in ids:
        for part in (f"test_data/{rid}.flac", f"test_labels/{rid}.csv"):
            assert (root / part).read_bytes() == (clean / part).read_bytes(), part


def test_a_soundfont_that_cannot_be_loaded_claims_nothing(tmp_path, em_zip):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"RIFF\x10\x00\x00\x00sfbkLIST" + bytes(64))
    root = tmp_path / "synth"
    with pytest.raises(DatasetError, match=r"bad\.sf2: not a SoundFont the synthesizer can load"):
        synth.build_synthetic_musicnet(root, source_zip=em_zip, soundfont=bad, progress=False)
    assert not (root / synth.MANIFEST_NAME).exists()
    # The tree is still free for a good font.
    assert (
        synth.build_synthetic_musicnet(root, source_zip=em_zip, recordings=[9001], progress=False)[
            "recordings"
        ]
        == 1
    )


# ---- timbre and performance: fonts, their download, and each variation ---------------------------


def test_the_single_font_render_of_instrid_0_1_is_reproduced_sample_for_sample(tmp_path, seed_dir):
    root = tmp_path / "plain"
    synth.build_synthetic_musicnet(
        root, fonts=["TimGM6mb"], varied=variation.NONE, recordings=[2238], progress=False
    )
    audio, _ = __import__("soundfile").read(root / "train_data" / "2238.flac", dtype="int16")
    digest = __import__("hashlib").sha256
    # Recording 2238 as instrid 0.1.0 (commit 773ac9e) rendered it: audio samples and label file.
    assert (
        digest(audio.tobytes()).hexdigest()
        == "582e95e85483332dd367cf90fb4069664e73c30c2ee63c5923c7108bd1f67c40"
    )
    labels = (root / "train_labels" / "2238.csv").read_bytes()
    assert digest(labels).hexdigest() == "b78d34bcd52124a4dcafebfc0125890ec8570066060b102f7b3b43a0202d063f"


@pytest.mark.parametrize("font", synth.FONTS)
def test_every_note_musicnet_em_uses_sounds_in_each_font_without_clipping(seed_dir, font):
    _, path = synth.resolve_font(font, progress=False)
    synth.check_soundfont(path)
    playable = synth.playable_keys(str(path))
    with zipfile.ZipFile(seed_dir / "musicnet_em.zip") as z:
        names = [n for n in z.namelist() if n.endswith(".mid")]
        used = pd.concat([synth.midi_to_labels(z.read(n))[["instrument", "note"]] for n in names[::4]])
    used = used.drop_duplicates()
    fitted, moved = synth.fit_to_font(used.assign(start_time=0, end_time=1), playable)
    assert (moved == 0) == (font == "TimGM6mb")
    for code, note in fitted[["instrument", "note"]].drop_duplicates().itertuples(index=False):
        assert playable[instruments.render_program(code)][note], (font, code, note)
    # One note per instrument, struck as hard as MIDI allows: audible, on time, and below full scale.
    for code, name in zip(instruments.CODES, instruments.NAMES):
        note = (
            int(fitted.loc[fitted["instrument"] == code, "note"].median())
            if (fitted["instrument"] == code).any()
            else 60
        )
        table = pd.DataFrame(
            [(2205, 2205 + SR // 2, code, note)], columns=["start_time", "end_time", "instrument", "note"]
        )
        loud, raw_peak = synth.render_labels(table, SR, path, peak=None, velocities=np.array([127]))
        assert np.sqrt(np.mean(loud[2205 : 2205 + SR // 2] ** 2)) > 1e-3, f"{font}: {name} is silent"
        assert raw_peak < 1.0, f"{font}: {name} clips at the synthesizer's gain"
        assert abs(onsets(loud, 0.01 * raw_peak)[0] - 2205) <= 0.010 * SR, f"{font}: {name} starts late"


def test_notes_a_font_cannot_play_move_by_octaves_and_their_labels_follow():
    keys = np.zeros(128, dtype=bool)
    keys[28:59] = True  # a contrabass that stops at key 58, as FluidR3_GM's does
    playable = {p: np.ones(128, dtype=bool) for p in range(128)} | {43: keys}
    table = pd.DataFrame(
        [(0, 10, 44, 40), (0, 10, 44, 64), (5, 9, 44, 88), (0, 10, 1, 100), (1, 2, 44, 20)],
        columns=["start_time", "end_time", "instrument", "note"],
    )
    fitted, moved = synth.fit_to_font(table, playable)
    assert moved == 3
    assert sorted(fitted.loc[fitted["instrument"] == 44, "note"]) == [
        32,
        40,
        52,
        52,
    ]  # 64 -> 52, 88 -> 52, 20 -> 32
    assert fitted.loc[fitted["instrument"] == 1, "note"].tolist() == [100]
    same, none = synth.fit_to_font(table.iloc[[0, 3]], playable)
    assert none == 0 and same is not None and same.equals(table.iloc[[0, 3]])


def test_fonts_are_assigned_per_recording_balanced_and_seeded():
    with zipfile.ZipFile(Path(__file__).parents[2] / "shared" / "data" / "musicnet_em.zip") as z:
        ids = [int(Path(n).stem) for n in z.namelist() if n.endswith(".mid")]
    first = synth.assign_fonts(ids, synth.FONTS)
    assert first == synth.assign_fonts(ids, synth.FONTS) and first != synth.assign_fonts(
        ids, synth.FONTS, seed=1
    )
    table = __import__("instrid.data.splits", fromlist=["x"]).read_splits().set_index("id").loc[ids]
    table["font"] = pd.Series(first)
    for _, group in table.groupby(["split", "ensemble"]):
        counts = group["font"].value_counts()
        assert counts.max() - (counts.min() if len(counts) == 2 else 0) <= 1
    assert set(synth.assign_fonts(ids, ["TimGM6mb"]).values()) == {"TimGM6mb"}


@pytest.mark.parametrize("effect", variation.EFFECTS)
def test_each_variation_alone_keeps_labels_true_onsets_aligned_and_no_clipping(tmp_path, em_zip, effect):
    plain_root, root = tmp_path / "plain", tmp_path / effect
    synth.build_synthetic_musicnet(
        plain_root,
        source_zip=em_zip,
        fonts=["TimGM6mb"],
        varied=variation.NONE,
        recordings=[9001],
        progress=False,
    )
    synth.build_synthetic_musicnet(
        root,
        source_zip=em_zip,
        fonts=["TimGM6mb"],
        recordings=[9001],
        varied=variation.Variation.parse(effect),
        progress=False,
    )
    plain, varied = musicnet.MusicNet(plain_root), musicnet.MusicNet(root)
    audio = varied.audio(9001)
    assert not np.array_equal(audio, plain.audio(9001)), f"{effect} changed nothing"
    assert np.abs(audio).max() <= synth.PEAK + 1e-4
    labels = varied.labels(9001)
    if effect == "timing":
        moved = (labels["start_time"] - plain.labels(9001)["start_time"]).abs()
        assert 0 < moved.max() <= 4 * variation.TIMING_SD_MS * SR / 1000  # a drift of about 20 ms
    else:
        pd.testing.assert_frame_equal(labels, plain.labels(9001))
    threshold = 10 * np.abs(audio[:2000]).max() + 0.02 * np.abs(audio).max()
    for found, want in zip(onsets(audio, threshold), labels["start_time"].drop_duplicates()):
        assert abs(found - want) <= 0.010 * SR, (effect, found, want)
        break


def sf2_without_program(source: Path, dest: Path, program: int) -> Path:
    """A copy of a SoundFont whose preset for ``program`` in bank 0 is moved to bank 1."""
    raw = bytearray(source.read_bytes())
    at = raw.index(b"phdr") + 8
    size = int.from_bytes(raw[at - 4 : at], "little")
    for record in range(at, at + size - 38, 38):  # 38 bytes per preset header; the last is a terminator
        preset, bank = (int.from_bytes(raw[record + o : record + o + 2], "little") for o in (20, 22))
        if preset == program and bank == 0:
            raw[record + 22 : record + 24] = (1).to_bytes(2, "little")
    dest.write_bytes(bytes(raw))
    return dest


@pytest.mark.parametrize("fault", ["missing", "truncated", "not a soundfont", "lacks a program", "folder"])
def test_a_bad_font_is_one_line_and_claims_no_tree(tmp_path, em_zip, capsys, fault):
    from conftest import one_line, run

    font = tmp_path / "font.sf2"
    good = synth.default_soundfont().read_bytes()
    if fault == "truncated":
        font.write_bytes(good[: len(good) // 3])
    elif fault == "not a soundfont":
        font.write_bytes(b"just some text, not RIFF")
    elif fault == "lacks a program":
        sf2_without_program(synth.default_soundfont(), font, 6)  # the harpsichord
    elif fault == "folder":
        font.mkdir()
    root = tmp_path / "synth"
    code, err = run(capsys, "data", "synth", "--root", str(root), "--fonts", "TimGM6mb", str(font), "--quiet")
    expected = {
        "missing": "font.sf2: SoundFont not found",
        "truncated": "font.sf2: not a SoundFont the synthesizer",
        "not a soundfont": "font.sf2: not a SoundFont the synthesizer",
        "folder": "font.sf2: not a file",
        "lacks a program": "font.sf2: the SoundFont lacks General MIDI program(s) 7 (harpsichord)",
    }[fault]
    assert code == 2 and expected in one_line(err)
    assert not root.exists() or not any(root.iterdir())


def test_a_tree_rendered_otherwise_is_refused_with_what_differs(tmp_path, em_zip):
    root = tmp_path / "synth"
    synth.build_synthetic_musicnet(root, source_zip=em_zip, recordings=[9001], progress=False)
    with pytest.raises(DatasetError, match=r"different settings \(variation\)"):
        synth.build_synthetic_musicnet(
            root, source_zip=em_zip, varied=variation.Variation.parse("room"), progress=False
        )
    with pytest.raises(DatasetError, match=r"different settings \(fonts, font_sha256\)"):
        synth.build_synthetic_musicnet(root, source_zip=em_zip, fonts=["TimGM6mb"], progress=False)
    # A tree of instrid 0.1 (one font, no synth.json keys for fonts or variation) is not mistaken for one.
    old = tmp_path / "old"
    old.mkdir()
    (old / synth.MANIFEST_NAME).write_text(json.dumps({"soundfont": "x", "soundfont_sha256": "y"}))
    with pytest.raises(DatasetError, match="different settings"):
        synth.build_synthetic_musicnet(old, source_zip=em_zip, progress=False)


@pytest.mark.parametrize("font", synth.FONTS)
def test_a_reused_synthesizer_renders_what_a_fresh_one_does(seed_dir, font):
    _, path = synth.resolve_font(font, progress=False)
    with zipfile.ZipFile(seed_dir / "musicnet_em.zip") as z:
        first, second = (synth.midi_to_labels(z.read(f"musicnet_em/{rid}.mid"))[:300] for rid in (2238, 2382))
    length = lambda table: int(table["end_time"].max()) + SR  # noqa: E731
    before, _ = synth.render_labels(first, length(first), path)
    # Stopped while notes still sound, detuned, softer: what the next use must not hear.
    cut = int(second["start_time"].iloc[100]) + 1000
    synth.render_labels(second, cut, path, detune_cents=12.0, velocities=np.full(len(second), 30))
    again, _ = synth.render_labels(first, length(first), path)
    synth._loaded_synth.cache_clear()
    fresh, _ = synth.render_labels(first, length(first), path)
    assert np.array_equal(before, again) and np.array_equal(again, fresh)


def test_a_font_without_some_instruments_renders_only_the_parts_it_has(tmp_path, em_zip, capsys):
    from conftest import one_line, run

    no_piano = sf2_without_program(synth.default_soundfont(), tmp_path / "no_piano.sf2", 0)
    assert synth.font_coverage(str(no_piano)) == frozenset(instruments.CODES) - {1}
    root = tmp_path / "synth"
    # Without the option the font is refused, saying what would render it.
    code, err = run(capsys, "data", "synth", "--root", str(root), "--fonts", str(no_piano), "--quiet")
    assert code == 2 and "lacks General MIDI program(s) 1 (piano)" in one_line(err)
    assert "--covered-parts-only renders the parts it has" in one_line(err)
    argv = ["data", "synth", "--root", str(root), "--soundfont", str(no_piano), "--covered-parts-only", "-q"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth.sources, "fetch_musicnet_em", lambda progress=True: em_zip)
        assert cli.main(argv) == 0
    out = capsys.readouterr().out
    # 9001 plays two piano notes and a cello: its cello part alone, the cello alone in its labels; 1759,
    # two piano notes, is not written.
    assert (
        "4 note(s) of instruments the font lacks left out" in out and "recording(s) 1759 not written" in out
    )
    tree = musicnet.MusicNet(root)
    assert tree.ids == [9001] and set(tree.labels(9001)["instrument"]) == {43}
    assert np.abs(tree.audio(9001)).max() > 0.1
    assert json.loads((root / synth.MANIFEST_NAME).read_text())["covered_parts_only"] is True
    covered = synth.covered_classes(root)
    assert covered.tolist() == [code != 1 for code in instruments.CODES]
    # Rendered without the option (here with a font that has every part), the tree is another dataset.
    with pytest.raises(DatasetError, match=r"different settings \(fonts, font_sha256, covered_parts_only\)"):
        synth.build_synthetic_musicnet(
            root, source_zip=em_zip, soundfont=synth.default_soundfont(), progress=False
        )


def test_freepats_from_its_debian_package_in_the_seed_folder(seed_dir):
    if not (seed_dir / sources.CONVERTED_FONTS["Freepats"].package).is_file():
        pytest.skip("no freepats package in the seed folder")
    name, path = synth.resolve_font("Freepats", progress=False)
    # The pinned digest was checked on the way. It has 9 of the 11 classes: no viola and no contrabass
    # (programs 41 and 43, MusicNet's codes 42 and 44).
    assert name == "Freepats" and synth.font_coverage(str(path)) == frozenset(instruments.CODES) - {42, 44}
    with pytest.raises(DatasetError, match="lacks General MIDI program"):
        synth.check_soundfont(path)
    synth.check_soundfont(path, covered_parts_only=True)


def test_font_trees_render_the_default_trees_test_recordings_with_one_font_each(tmp_path, em_zip, seed_dir):
    if not (seed_dir / sources.CONVERTED_FONTS["Freepats"].package).is_file():
        pytest.skip("no freepats package in the seed folder")
    default = tmp_path / "synth"
    synth.build_synthetic_musicnet(default, source_zip=em_zip, progress=False)
    font_of = musicnet.MusicNet(default).rendered_with()["font"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(synth.sources, "fetch_musicnet_em", lambda progress=True: em_zip)
        trees = synth.build_font_trees(tmp_path / "fonts", default, held_out=["Freepats"], progress=False)
        rendered = [p.stat().st_mtime_ns for p in sorted((tmp_path / "fonts").rglob("*.flac"))]
        again = synth.build_font_trees(tmp_path / "fonts", default, held_out=["Freepats"], progress=False)
    assert again == trees  # resumed: nothing rendered twice
    assert [p.stat().st_mtime_ns for p in sorted((tmp_path / "fonts").rglob("*.flac"))] == rendered
    names = ["TimGM6mb-varied", "FluidR3_GM-varied", "TimGM6mb-plain", "FluidR3_GM-plain", "Freepats-varied"]
    assert [t.name for t in trees] == names and trees[0] == synth.font_tree(tmp_path / "fonts", "TimGM6mb")
    ids = {t.name: musicnet.MusicNet(t).ids for t in trees}
    # Every tree holds the test recording; the first font's plain tree also that font's training recordings.
    assert sorted(ids["TimGM6mb-plain"]) == sorted(
        {1759, *(r for r, f in font_of.items() if f == "TimGM6mb")}
    )
    assert all(ids[n] == [1759] for n in names if n != "TimGM6mb-plain")
    manifest = {t.name: json.loads((t / synth.MANIFEST_NAME).read_text()) for t in trees}
    assert manifest["Freepats-varied"]["covered_parts_only"] is True
    assert "covered_parts_only" not in manifest["TimGM6mb-varied"]
    assert manifest["FluidR3_GM-plain"]["variation"] == asdict_of(variation.NONE)
    assert manifest["FluidR3_GM-varied"]["variation"] == asdict_of(variation.ALL)
    assert [m["fonts"] for m in manifest.values()] == [[n.split("-")[0]] for n in names]


def asdict_of(varied) -> dict:
    from dataclasses import asdict

    return asdict(varied)


def test_font_trees_refuse_a_tree_that_is_not_synthetic_and_an_unknown_font(tmp_path, capsys):
    from conftest import TINY, make_tree, one_line, run

    real = make_tree(tmp_path / "real", TINY)
    code, err = run(capsys, "data", "fonts", "--root", str(tmp_path / "fonts"), "--like", str(real), "-q")
    assert code == 2 and "not a synthetic tree" in one_line(err) and str(real) in one_line(err)
    code, err = run(
        capsys, "data", "fonts", "--root", str(tmp_path / "f"), "--like", str(real), "--held-out", "OPL4"
    )
    assert code == 2 and "OPL4: not a held-out font" in one_line(err)
    assert not (tmp_path / "f").exists()
