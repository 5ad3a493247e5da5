"""instrid train / predict: a model file, and instruments in arbitrary audio files."""

from __future__ import annotations

import errno
import io
import json

import numpy as np
import pandas as pd
import pytest
import soundfile

from conftest import TINY_TRAINING, TREE, make_tree, one_line, run, tone_file
from instrid.app import cli, predict
from instrid.data import instruments, musicnet
from instrid.errors import ModelError
from instrid.models import modelfile


def test_predict_any_rate_and_channels_into_a_folder(model_file, tmp_path, capsys):
    audio = tone_file(tmp_path / "mine.ogg")
    out = tmp_path / "out"
    assert cli.main(["predict", str(audio), "--model", str(model_file), "--out", str(out)]) == 0
    assert f"{audio}: 5 windows" in capsys.readouterr().out  # 1 s in 232 ms windows, the last one tiled
    assert sorted(p.name for p in out.iterdir()) == ["mine.csv", "mine.json", "mine.png"]
    table = pd.read_csv(out / "mine.csv", keep_default_na=False)
    assert list(table.columns) == ["file", "start_s", "end_s"] + [f"p_{n}" for n in instruments.NAMES] + [
        "instruments"
    ]
    assert table["start_s"].tolist() == pytest.approx([i * 10_240 / 44_100 for i in range(5)], abs=1e-4)
    assert table["end_s"].iloc[-1] == pytest.approx(1.0, abs=1e-4)
    probabilities = table[[f"p_{n}" for n in instruments.NAMES]].to_numpy()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert all(len([n for n in s.split(";") if n]) <= 3 for s in table["instruments"])
    summary = json.loads((out / "mine.json").read_text())
    assert summary["windows"] == 5 and summary["duration_s"] == pytest.approx(1.0, abs=1e-3)
    for name, v in summary["instruments"].items():
        declared = table["instruments"].str.split(";").apply(lambda names, name=name: name in names)
        assert v["windows"] == declared.sum() and 0 < v["seconds"] <= 1.0 + 1e-6
    assert (out / "mine.png").read_bytes()[:4] == b"\x89PNG"
    hop = predict.predict_file(*modelfile.load_model(model_file), audio, hop_s=0.1)
    # Windows every 0.1 s until one reaches the end: starts 0.0 .. 0.8 s, the last one ends at 1.0 s.
    assert len(hop) == 9 and hop["start_s"].iloc[1] == pytest.approx(0.1, abs=1e-4)
    assert hop["end_s"].iloc[-1] == pytest.approx(1.0, abs=1e-4)
    top1 = predict.predict_file(*modelfile.load_model(model_file), audio, top_n=1)
    assert (top1["instruments"].str.count(";") == 0).all() and (top1["instruments"] != "").all()


@pytest.mark.parametrize("rate", [44_100, 16_000])
def test_streaming_in_blocks_gives_what_the_whole_file_gives(model_file, tmp_path, rate, monkeypatch):
    audio = tone_file(tmp_path / "long.wav", seconds=3.3, rate=rate, channels=1)
    net, state = modelfile.load_model(model_file)
    whole = predict.predict_file(net, state, audio, hop_s=0.15)
    # Blocks of 0.37 s: windows span block edges; the resampler runs as a stream.
    monkeypatch.setattr(musicnet, "audio_blocks", lambda path, sr: original_blocks(path, sr, block_s=0.37))
    blocked = predict.predict_file(net, state, audio, hop_s=0.15)
    pd.testing.assert_frame_equal(whole[["start_s", "end_s"]], blocked[["start_s", "end_s"]])
    np.testing.assert_allclose(
        whole.filter(like="p_").to_numpy(), blocked.filter(like="p_").to_numpy(), atol=2e-3
    )


original_blocks = musicnet.audio_blocks


def test_windows_match_the_whole_file_rule():
    audio = np.arange(100, dtype=np.float32)
    for crop, hop in ((30, 30), (30, 7), (30, 45), (150, 10)):
        starts = np.arange(0, max(1, len(audio) - crop + hop), hop)
        starts = starts[starts < len(audio)]
        for blocks in ([audio], np.array_split(audio, 7), np.array_split(audio, 100)):
            got = list(predict.windows(iter(blocks), crop, hop))
            assert [s for s, _, _ in got] == starts.tolist()
            for s, e, w in got:
                assert e == min(s + crop, len(audio)) and len(w) == crop
                assert np.array_equal(w[: e - s], audio[s:e])


def test_the_default_model_and_what_it_says_when_missing(model_file, tmp_path, capsys, monkeypatch):
    audio = tone_file(tmp_path / "a.wav")
    assert cli.main(["predict", str(audio)]) == 2
    err = capsys.readouterr().err
    assert "no model yet; make one with `make model`" in err and str(predict.default_model_path()) in err
    predict.default_model_path().parent.mkdir(parents=True)
    predict.default_model_path().write_bytes(model_file.read_bytes())
    assert cli.main(["predict", str(audio)]) == 0
    captured = capsys.readouterr()
    assert "a.wav: 5 windows" in captured.err  # stdout is the CSV alone
    assert (
        captured.out.splitlines()[0].startswith("file,start_s,end_s,p_violin")
        and len(captured.out.splitlines()) == 6
    )


def test_train_writes_where_predict_looks(tmp_path, capsys):
    tree = make_tree(tmp_path / "tree", TREE)
    assert cli.main(["train", "--root", str(tree), *TINY_TRAINING]) == 0
    assert predict.default_model_path().is_file()
    assert str(predict.default_model_path()) in capsys.readouterr().out


def test_covered_counts_overlaps_once():
    assert predict._covered(np.array([0.0, 0.5, 3.0]), np.array([1.0, 1.5, 4.0])) == pytest.approx(2.5)
    with pytest.raises(ModelError):
        modelfile.load_model(__file__)


@pytest.mark.parametrize("kind", ["wav", "raw"])
def test_stream_from_standard_input_prints_each_window(model_file, tmp_path, kind):
    import subprocess
    import sys
    from pathlib import Path

    rate = 16_000
    t = np.arange(rate) / rate
    audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    if kind == "wav":
        buffer = io.BytesIO()
        soundfile.write(buffer, audio, rate, format="WAV", subtype="PCM_16")
        payload, extra = buffer.getvalue(), []
    else:
        payload, extra = (audio * 32767).astype("<i2").tobytes(), ["--rate", str(rate), "--format", "s16"]
    env = {"PYTHONPATH": str(Path(predict.__file__).parents[1]), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "instrid.app.cli", "predict", "--stream", "--model", str(model_file), *extra],
        input=payload,
        capture_output=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "start_s,end_s,instruments" and len(lines) == 1 + 5  # 1 s in 232 ms windows
    # The same windows and decisions as the file.
    path = tmp_path / "a.wav"
    soundfile.write(str(path), audio, rate, subtype="PCM_16")
    table = predict.predict_file(*modelfile.load_model(model_file), path)
    assert [line.split(",")[2] for line in lines[1:]] == table["instruments"].tolist()
    assert [float(line.split(",")[0]) for line in lines[1:]] == pytest.approx(
        table["start_s"].tolist(), abs=1e-3
    )


def test_true_windows_count_an_instrument_that_sounds_half_the_window():
    from conftest import label_table

    table = pd.DataFrame({"file": "x", "start_s": [0.0, 0.1, 0.2], "end_s": [0.1, 0.2, 0.25]})
    # Violin (41) sounds 0.00-0.06 s; piano (1) 0.14-0.16 s and again 0.21-0.25 s.
    notes = label_table([(0, 2646, 41, 60), (6174, 7056, 1, 60), (9261, 11025, 1, 62)])
    truth = predict.true_windows(notes, 11025, table)
    assert truth["instruments"].tolist() == ["violin", "", "piano"]  # 60% / 20% / 80% of each window
    assert truth["p_violin"].tolist() == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("hop", ["0", "-1", "1e-9", "nan", "inf"])
def test_predict_refuses_a_hop_that_is_not_a_positive_length(model_file, tmp_path, capsys, hop):
    audio = tone_file(tmp_path / "a.wav")
    code, err = run(capsys, "predict", str(audio), "--model", str(model_file), f"--hop={hop}")
    assert code == 2 and "argument --hop: must be a number from 0.01 to 3600" in one_line(err)


@pytest.mark.parametrize(
    "option, message",
    [
        ("--top-n=0", "argument --top-n: must be from 1 to 11, got 0"),
        ("--top-n=12", "from 1 to 11, got 12"),
        ("--threshold=nan", "argument --threshold: must be a number from 0 to 1, got nan"),
        ("--threshold=1.5", "from 0 to 1, got 1.5"),
    ],
)
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
    assert code == 2 and "is an input of this run" in one_line(err)
    assert target.read_bytes() == before


def test_predict_out_must_be_a_folder_and_outputs_must_not_collide(model_file, tmp_path, capsys):
    audio = tone_file(tmp_path / "a.wav")
    (tmp_path / "file").write_text("mine")
    code, err = run(
        capsys, "predict", str(audio), "--model", str(model_file), "--out", str(tmp_path / "file")
    )
    assert (
        code == 2
        and "is not a folder; --out names a folder" in one_line(err)
        and (tmp_path / "file").read_text() == "mine"
    )
    (tmp_path / "b").mkdir()
    other = tone_file(tmp_path / "b" / "a.flac")
    code, err = run(
        capsys, "predict", str(audio), str(other), "--model", str(model_file), "--out", str(tmp_path / "o")
    )
    assert code == 2 and "writes the same outputs as" in one_line(err)


def test_one_bad_file_among_several(model_file, tmp_path, capsys):
    good = [tone_file(tmp_path / "g1.wav"), tone_file(tmp_path / "g2.flac")]
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....garbage")
    code = cli.main(
        [
            "predict",
            str(good[0]),
            str(bad),
            str(good[1]),
            "--model",
            str(model_file),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "bad.wav: " in captured.err and "1 of 3 file(s) failed; the others were written" in captured.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{g}.{s}" for g in ("g1", "g2") for s in ("csv", "json", "png")
    )


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
    expected = {
        "nan": "non-finite sample (NaN or infinity) at sample 12345",
        "inf": "at sample 12345",
        "truncated": "truncated: data chunk declares 60000 bytes",
        "missing": "audio file not found",
        "dangling link": "audio file not found (a dangling symbolic link)",
    }[fault]
    assert code == 2 and expected in line and "a.wav" in line


def test_disk_full_while_writing_is_one_line(model_file, tmp_path, capsys, monkeypatch):
    from instrid.app import predict

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / "a.csv"))

    monkeypatch.setattr(predict, "write_outputs", full)
    code, err = run(
        capsys,
        "predict",
        str(tone_file(tmp_path / "a.wav")),
        "--model",
        str(model_file),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 2 and "a.csv: No space left on device" in one_line(err)
