"""The data API: windows of real audio around label frames (instrid.data.windows), on a tiny tree."""

from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
import torch

from conftest import tone
from instrid.data import instruments
from instrid.data.windows import LabelledWindows, labelled_windows

PIANO, VIOLIN, CELLO = (instruments.NAMES.index(n) for n in ("piano", "violin", "cello"))


def test_splits_follow_the_committed_split(tiny_tree):
    # 1727 is a training recording, 1728 a validation one, 1759 an official test one.
    for split, rid, seconds in (("train", 1727, 1.0), ("validation", 1728, 0.5), ("test", 1759, 0.8)):
        windows = LabelledWindows(tiny_tree, split, frame_s=0.1, progress=False)
        assert set(windows.table["recording"]) == {rid}
        assert len(windows) == int(round(seconds * 10))  # whole 100 ms frames only
    assert len(LabelledWindows(tiny_tree, None, frame_s=0.1, progress=False)) == 10 + 5 + 8


def test_targets_are_the_frames_labels(tiny_tree):
    # 1727: piano [0, 0.5 s), violin [0.25, 0.75 s), cello [0.75, 1 s).
    windows = LabelledWindows(tiny_tree, "train", frame_s=0.1, pitches=True, progress=False)
    on = {i: set(np.flatnonzero(windows.instruments[i])) for i in range(len(windows))}
    assert on[0] == {PIANO} and on[3] == {PIANO, VIOLIN} and on[6] == {VIOLIN} and on[9] == {CELLO}
    assert set(np.flatnonzero(windows.pitches[0])) == {60} and set(np.flatnonzero(windows.pitches[9])) == {48}
    item = windows[3]
    assert item["instruments"].dtype == torch.float32 and item["instruments"].sum() == 2
    assert item["pitches"][[60, 67]].tolist() == [1.0, 1.0] and item["start_s"] == pytest.approx(0.3)


def test_audio_is_the_recording_around_the_frame_with_zeros_outside(tiny_tree):
    audio, _ = soundfile.read(tiny_tree / "train_data" / "1727.wav", dtype="float32")
    windows = LabelledWindows(tiny_tree, "train", frame_s=0.1, window_s=0.2, progress=False)
    first, middle, last = windows.audio(0), windows.audio(5), windows.audio(9)
    assert first.shape == middle.shape == last.shape == (8820,)
    # Frame 0 is [0, 4410): its window [-2205, 6615) starts with zeros, then the recording's first samples.
    np.testing.assert_array_equal(first[:2205], 0)
    np.testing.assert_array_equal(first[2205:], audio[:6615])
    np.testing.assert_array_equal(middle, audio[22050 - 2205 : 22050 + 6615])
    np.testing.assert_array_equal(last[:6615], audio[44100 - 6615 :])
    np.testing.assert_array_equal(last[6615:], 0)


def test_resampled_windows_agree_with_resampling_the_whole_recording(tiny_tree):
    windows = LabelledWindows(
        tiny_tree, "train", frame_s=0.1, window_s=0.2, sample_rate=16_000, progress=False
    )
    whole = soxr.resample(tone(1.0), 44_100, 16_000)
    middle = windows.audio(5)  # frame [0.5, 0.6 s): window [0.45, 0.65 s)
    assert middle.shape == (3200,)
    np.testing.assert_allclose(middle, whole[7200:10400], atol=2e-3)


def test_a_data_loader_batches_the_items(tiny_tree):
    windows = LabelledWindows(tiny_tree, None, frame_s=0.1, window_s=0.5, sample_rate=8_000, progress=False)
    batch = next(iter(torch.utils.data.DataLoader(windows, batch_size=4)))
    assert batch["audio"].shape == (4, 4000) and batch["instruments"].shape == (4, 11)
    assert batch["recording"].tolist() == [1727] * 4


def test_labelled_windows_is_a_seeded_draw(tiny_tree):
    one = labelled_windows(tiny_tree, None, max_windows=6, seed=3, frame_s=0.1, window_s=0.2, progress=False)
    again = labelled_windows(
        tiny_tree, None, max_windows=6, seed=3, frame_s=0.1, window_s=0.2, progress=False
    )
    other = labelled_windows(
        tiny_tree, None, max_windows=6, seed=4, frame_s=0.1, window_s=0.2, progress=False
    )
    assert one.audio.shape == (6, 8820) and one.instruments.shape == (6, 11) and one.pitches is None
    np.testing.assert_array_equal(one.audio, again.audio)
    assert one.table.equals(again.table) and not one.table.equals(other.table)
    full = LabelledWindows(tiny_tree, None, frame_s=0.1, window_s=0.2, progress=False)
    row = one.table.iloc[0]
    i = int(
        np.flatnonzero((full.table["recording"] == row["recording"]) & (full.table["start"] == row["start"]))[
            0
        ]
    )
    np.testing.assert_array_equal(one.audio[0], full.audio(i))
    np.testing.assert_array_equal(one.instruments[0], full.instruments[i])


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(split="dev"), "split must be one of"),
        (dict(frame_s=0.5, window_s=0.2), "frame_s <= window_s"),
        (dict(sample_rate=0), "sample_rate must be positive"),
        (dict(recordings=[1]), "no recording in split"),
    ],
)
def test_bad_options_are_refused_in_one_line(tiny_tree, options, message):
    with pytest.raises(ValueError, match=message):
        LabelledWindows(tiny_tree, **{"split": "train", **options}, progress=False)


def test_an_index_past_the_end_is_an_index_error(tiny_tree):
    windows = LabelledWindows(tiny_tree, "test", frame_s=0.1, progress=False)
    assert windows[-1]["recording"] == 1759
    with pytest.raises(IndexError):
        windows[len(windows)]


def test_the_readme_example_runs(tiny_tree):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("## The data, for your own model")[1].split("```python\n")[1].split("```")[0]
    assert "LabelledWindows" in block and len([line for line in block.splitlines() if line.strip()]) <= 5
    scope = {}
    exec(block.replace('"data/synth"', repr(str(tiny_tree))), scope)  # train: recording 1727, 1 s
    assert scope["batch"]["audio"].shape == (10, 16000) and scope["batch"]["instruments"].shape == (10, 11)
