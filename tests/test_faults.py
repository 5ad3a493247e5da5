"""Faults a user meets, each answered by one line naming the file and the problem, with nothing lost.

The table in README.md ("What goes wrong, and what you get") lists these cases.
"""

from __future__ import annotations

import errno
import gzip
import io
import tarfile

import numpy as np
import pytest
import soundfile

from conftest import TINY, make_tar, make_tree, tone_file
from instrid import cli, data, sources
from instrid.download import safe_extract
from instrid.errors import ArchiveError, DatasetError, InstridError


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("instrid: error: "), err
    return lines[0]


# ---- the dataset -----------------------------------------------------------------------------


def test_non_finite_samples_are_named_with_their_position(tmp_path, capsys):
    tree = make_tree(tmp_path / "t", TINY, audio_format="flac")
    path = tree / "train_data" / "1728.flac"
    audio, rate = soundfile.read(str(path), dtype="float32")
    wav = tree / "train_data" / "1728.wav"
    path.unlink()
    audio[1000] = np.nan
    soundfile.write(str(wav), audio, rate, subtype="FLOAT")
    ds = data.MusicNet(tree)
    with pytest.raises(DatasetError, match=r"1728\.wav: non-finite sample \(NaN or infinity\) at sample 1000 "):
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
    (tree / "train_labels" / "1728.csv").write_text("start_time,end_time,instrument,note,start_beat,end_beat,"
                                                    "note_value\n100,50,72,70,0,1,Quarter\n")
    code, err = run(capsys, "data", "info", "--root", str(tree), "--quiet")
    assert code == 2 and "1728.csv: line 2: note ends before it starts" in one_line(err)


def test_label_csv_with_spaces_after_commas_and_huge_values(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("start_time, end_time, instrument, note, start_beat, end_beat, note_value\n"
                    "0, 100, 1, 60, 0.0, 1.0, Quarter\n")
    table = data.read_labels(path)
    assert table["end_time"].tolist() == [100] and table["note_value"].tolist() == ["Quarter"]
    path.write_text("start_time,end_time,instrument,note,start_beat,end_beat,note_value\n"
                    "0,99999999999999999999999,1,60,0,1,Quarter\n")
    with pytest.raises(DatasetError, match=r"line 2: end_time is out of range, got '99999999999999999999999'"):
        data.read_labels(path)


# ---- real MusicNet's archive ---------------------------------------------------------------


def test_an_existing_copy_is_never_deleted(tmp_path, capsys):
    mine = make_tree(tmp_path / "mn" / "musicnet", TINY)
    before = sorted(p.relative_to(mine) for p in mine.rglob("*"))
    code, err = run(capsys, "data", "musicnet", "--root", str(tmp_path / "mn"), "--url", "http://127.0.0.1:9/x",
                    "--quiet")
    assert code == 2 and "already exists and was not made by instrid" in one_line(err)
    assert "--from" in err and sorted(p.relative_to(mine) for p in mine.rglob("*")) == before


def test_a_flipped_bit_in_the_gzip_stream_is_found_without_a_checksum(tmp_path):
    body = np.random.default_rng(0).integers(0, 255, 200_000, dtype=np.uint8).tobytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("musicnet/train_data/x.bin")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    packed = bytearray(gzip.compress(buffer.getvalue(), mtime=0))
    packed[-6] ^= 0x01  # inside the CRC32 trailer: every member decompresses, only the CRC can tell
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(bytes(packed))
    with pytest.raises(ArchiveError, match="corrupt or truncated archive"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    archive.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    assert (safe_extract(archive, tmp_path / "ok", progress=False) / "musicnet" / "train_data" / "x.bin").exists()


def test_disk_full_during_extraction_is_named_as_such(tmp_path, monkeypatch):
    archive = make_tar(tmp_path / "a.tar.gz", {"f.txt": b"hi"})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "extract", full)
    with pytest.raises(InstridError, match="no space left on the device while extracting"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.extracting").exists()


def test_install_replaces_only_its_own_interrupted_tree(tmp_path, monkeypatch):
    ours = make_tree(tmp_path / "mn" / "musicnet", TINY)
    (ours / sources.EXTRACTED_MARKER).write_text("extracted by instrid\n")
    # Our mark, no completion marker: an interrupted earlier run, which may be redone (here up to the download).
    monkeypatch.setattr(sources, "fetch", lambda *a, **k: (_ for _ in ()).throw(InstridError("no network")))
    with pytest.raises(InstridError, match="no network"):
        sources.install_musicnet(tmp_path / "mn", progress=False)


# ---- instrid predict -------------------------------------------------------------------------



@pytest.mark.parametrize("hop", ["0", "-1", "1e-9", "nan", "inf"])
def test_predict_refuses_a_hop_that_is_not_a_positive_length(model_file, tmp_path, capsys, hop):
    audio = tone_file(tmp_path / "a.wav")
    code, err = run(capsys, "predict", str(audio), "--model", str(model_file), f"--hop={hop}")
    assert code == 2 and "--hop must be at least 0.01 seconds" in one_line(err)


@pytest.mark.parametrize("option, message", [("--top-n=0", "--top-n must be 1..11"), ("--top-n=12", "1..11"),
                                             ("--threshold=nan", "--threshold must be a probability"),
                                             ("--threshold=1.5", "in [0, 1]")])
def test_predict_refuses_rules_out_of_range(model_file, tmp_path, capsys, option, message):
    code, err = run(capsys, "predict", str(tone_file(tmp_path / "a.wav")), "--model", str(model_file), option)
    assert code == 2 and message in one_line(err)


@pytest.mark.parametrize("victim", ["audio", "model"])
def test_predict_never_writes_over_an_input(model_file, tmp_path, capsys, victim):
    folder = tmp_path / "here"
    folder.mkdir()
    target = folder / ("x.csv" if victim == "audio" else "x.png")
    if victim == "audio":
        tone_file(folder / "x.wav")
        (folder / "x.wav").rename(target)  # an audio file named x.csv, as a careless user might have
        inputs = [str(target)]
        model = str(model_file)
    else:
        target.write_bytes(model_file.read_bytes())
        inputs = [str(tone_file(folder / "x.ogg"))]
        model = str(target)
    before = target.read_bytes()
    code, err = run(capsys, "predict", *inputs, "--model", model, "--out", str(folder))
    assert code == 2 and "is an input; refusing to write" in one_line(err)
    assert target.read_bytes() == before


def test_predict_out_must_be_a_folder_and_outputs_must_not_collide(model_file, tmp_path, capsys):
    audio = tone_file(tmp_path / "a.wav")
    (tmp_path / "file").write_text("mine")
    code, err = run(capsys, "predict", str(audio), "--model", str(model_file), "--out", str(tmp_path / "file"))
    assert code == 2 and "--out must be a folder" in one_line(err) and (tmp_path / "file").read_text() == "mine"
    (tmp_path / "b").mkdir()
    other = tone_file(tmp_path / "b" / "a.flac")
    code, err = run(capsys, "predict", str(audio), str(other), "--model", str(model_file), "--out", str(tmp_path / "o"))
    assert code == 2 and "writes the same outputs as" in one_line(err)


def test_one_bad_file_among_several(model_file, tmp_path, capsys):
    good = [tone_file(tmp_path / "g1.wav"), tone_file(tmp_path / "g2.flac")]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....garbage")
    code = cli.main(["predict", str(good[0]), str(bad), str(good[1]), "--model", str(model_file),
                     "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 2
    assert "bad.wav: " in captured.err and "1 of 3 file(s) failed; the others were written" in captured.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{g}.{s}" for g in ("g1", "g2") for s in ("csv", "json", "png"))


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
    assert {"missing key": "lacks ['head']", "wrong shape": "damaged model file", "random bytes":
            "not an instrid model file", "a folder": "not a file"}[damage] in line


@pytest.mark.parametrize("fault", ["nan", "inf", "truncated", "missing", "dangling link"])
def test_bad_audio_is_named(model_file, tmp_path, capsys, fault):
    path = tmp_path / "a.wav"
    audio = np.zeros(30_000, dtype=np.float32)
    if fault in ("nan", "inf"):
        audio[12_345] = np.nan if fault == "nan" else np.inf
        soundfile.write(str(path), audio, 44_100, subtype="FLOAT")
    elif fault == "truncated":
        soundfile.write(str(path), audio, 44_100, subtype="PCM_16")
        path.write_bytes(path.read_bytes()[:30_000])
    elif fault == "dangling link":
        path.symlink_to(tmp_path / "gone.wav")
    code, err = run(capsys, "predict", str(path), "--model", str(model_file))
    line = one_line(err)
    expected = {"nan": "non-finite sample (NaN or infinity) at sample 12345", "inf": "at sample 12345",
                "truncated": "truncated: data chunk declares 60000 bytes", "missing": "audio file not found",
                "dangling link": "audio file not found (a dangling symbolic link)"}[fault]
    assert code == 2 and expected in line and "a.wav" in line


def test_disk_full_while_writing_is_one_line(model_file, tmp_path, capsys, monkeypatch):
    from instrid import predict

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "a.csv"))

    monkeypatch.setattr(predict, "write_outputs", full)
    code, err = run(capsys, "predict", str(tone_file(tmp_path / "a.wav")), "--model", str(model_file),
                    "--out", str(tmp_path / "out"))
    assert code == 2 and "a.csv: No space left on device" in one_line(err)


# ---- interrupted work ------------------------------------------------------------------------


def busy_tree(root):
    """Three recordings (train, validation, test in the committed splits) with a note every 50 ms."""
    def notes(seconds, code):
        step = 2205
        return [(i * step, (i + 1) * step, code if i % 3 else 1, 60 + i % 12) for i in range(int(seconds * 20) - 1)]

    return make_tree(root, {2238: ("train", 20.0, notes(20.0, 41)), 2232: ("train", 20.0, notes(20.0, 42)),
                            1759: ("test", 20.0, notes(20.0, 43))})


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGTERM"), reason="POSIX signals")
def test_sigterm_during_train_leaves_nothing_half_written_and_a_rerun_gives_the_same_model(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import torch

    tree = busy_tree(tmp_path / "tree")
    command = [sys.executable, "-m", "instrid.cli", "train", "--root", str(tree), "--weights", "none", "--epochs", "1",
               "--train-examples", "200", "--validation-examples", "150", "--test-examples", "150", "--quiet"]
    env = {**os.environ, "INSTRID_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(Path(cli.__file__).parents[1])}
    proc = subprocess.Popen(command + ["--out", str(tmp_path / "m.pt")], env=env, stderr=subprocess.PIPE)
    staging = tmp_path / "cache" / "embeddings"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(staging.glob(".*")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # mid-extraction: the cache entry is being written
    assert proc.wait(timeout=60) == 130
    assert "interrupted; rerun the same command to resume" in proc.stderr.read().decode()
    assert not list(staging.glob(".*")) and not (tmp_path / "m.pt").exists()
    assert not list(tmp_path.glob(".*.part*"))
    assert subprocess.run(command + ["--out", str(tmp_path / "m.pt")], env=env, capture_output=True).returncode == 0
    clean_env = {**env, "INSTRID_CACHE": str(tmp_path / "clean-cache")}
    assert subprocess.run(command + ["--out", str(tmp_path / "clean.pt")], env=clean_env,
                          capture_output=True).returncode == 0
    resumed, clean = (torch.load(tmp_path / name, weights_only=True) for name in ("m.pt", "clean.pt"))
    assert all(torch.equal(resumed["head"][k], clean["head"][k]) for k in clean["head"])
    assert resumed["thresholds"] == clean["thresholds"]


def test_extraction_stopped_midway_leaves_nothing_and_a_rerun_extracts_all(tmp_path, monkeypatch):
    # What SIGTERM becomes in the CLI (KeyboardInterrupt; see the train and synth tests) arriving mid-archive.
    archive = make_tar(tmp_path / "a.tar.gz", {f"musicnet/train_data/{i}.bin": bytes([i]) * 1000 for i in range(20)})
    real = tarfile.TarFile.extract
    count = {"n": 0}

    def stop_at_ten(self, member, *args, **kwargs):
        count["n"] += 1
        if count["n"] == 10:
            raise KeyboardInterrupt("signal 15")
        return real(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", stop_at_ten)
    with pytest.raises(KeyboardInterrupt):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]  # no tree, no staging folder
    monkeypatch.setattr(tarfile.TarFile, "extract", real)
    out = safe_extract(archive, tmp_path / "out", progress=False)
    assert len(list((out / "musicnet" / "train_data").iterdir())) == 20
