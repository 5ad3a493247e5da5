"""Training examples, their re-splits and their audio crops (instrid.data.examples)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import SETTINGS, SPLITS
from instrid.data import examples, instruments, musicnet


def test_segment_examples_and_subsampling(tiny_tree):
    ds = musicnet.MusicNet(tiny_tree)
    ex = examples.segment_examples(ds, SPLITS, progress=False)
    assert ex.table["split"].tolist()[:1] == ["train"] and set(ex.table["split"]) == {
        "train",
        "validation",
        "test",
    }
    first = ex.split("train")
    assert first.table[["start", "end"]].values.tolist() == [
        [0, 11025],
        [11025, 22050],
        [22050, 33075],
        [33075, 44100],
    ]
    assert first.targets[:, [0, 2, 3]].astype(int).tolist() == [[0, 0, 1], [1, 0, 1], [1, 0, 0], [0, 1, 0]]
    sampled = examples.segment_examples(ds, SPLITS, per_split={"train": 2, "test": 1}, seed=1, progress=False)
    assert sampled.table["split"].value_counts().to_dict() == {"train": 2, "test": 1}
    again = examples.segment_examples(ds, SPLITS, per_split={"train": 2, "test": 1}, seed=1, progress=False)
    pd.testing.assert_frame_equal(sampled.table, again.table)
    voiced = examples.segment_examples(ds, SPLITS, include_silent=False, progress=False)
    assert voiced.targets.any(axis=1).all() and len(voiced) < len(ex)


def test_positional_and_report_code_splits(tiny_tree):
    ex = examples.segment_examples(musicnet.MusicNet(tiny_tree), SPLITS, progress=False)
    positional = examples.positional_split(ex)
    counts = positional.table["split"].value_counts()
    assert counts["train"] == round(0.6 * len(ex)) and counts.sum() == len(ex)
    # Unshuffled, the test folder's recording comes last, so the tail of the pool is test.
    assert positional.table["recording"].iloc[-1] == 1759 and positional.table["split"].iloc[-1] == "test"
    shuffled = examples.report_code_split(ex, seed=0)
    assert shuffled.table["split"].value_counts().to_dict() == counts.to_dict()
    assert not shuffled.table[["recording", "start"]].equals(positional.table[["recording", "start"]])
    pd.testing.assert_frame_equal(shuffled.table, examples.report_code_split(ex, seed=0).table)
    # Targets travel with their rows.
    key = {(r, s): t.tolist() for r, s, t in zip(ex.table.recording, ex.table.start, ex.targets)}
    assert all(
        key[(r, s)] == t.tolist()
        for r, s, t in zip(shuffled.table.recording, shuffled.table.start, shuffled.targets)
    )


def test_leak_share():
    table = pd.DataFrame(
        {
            "recording": [1, 1, 2, 2, 3, 3],
            "start": range(6),
            "split": ["train", "test", "train", "validation", "test", "test"],
        }
    )
    ex = examples.Examples(table, np.zeros((6, 11), bool))
    assert examples.leak_share(ex) == pytest.approx(1 / 3)  # test rows: recording 1 (in train), 3, 3
    assert examples.leak_share(ex, "validation") == 1.0
    assert examples.leak_share(ex.subset(np.array([0, 2, 3]))) == 0.0  # no test rows


def test_crops_cut_the_right_samples(tree_and_examples):
    ds, _ = tree_and_examples
    audio = ds.audio(1727)
    out = examples.crops(ds, 1727, np.array([100, 0]), np.array([20_000, 50]), 44_100, 128)
    np.testing.assert_array_equal(out[0], audio[100:228])
    np.testing.assert_array_equal(out[1], np.tile(audio[:50], 3)[:128])
    low = examples.crops(ds, 1727, np.array([22_050]), np.array([44_100]), 16_000, 1000)
    np.testing.assert_allclose(low[0], ds.audio(1727, sample_rate=16_000)[8000:9000], atol=1e-4)


def test_crop_or_tile():
    audio = np.arange(10, dtype=np.float32)
    assert examples.crop_or_tile(audio, 2, 9, 4).tolist() == [2, 3, 4, 5]
    assert examples.crop_or_tile(audio, 7, 10, 8).tolist() == [7, 8, 9, 7, 8, 9, 7, 8]
    with pytest.raises(ValueError, match="start < end"):
        examples.crop_or_tile(audio, 5, 5, 4)


def test_frame_examples_hung_yang_framing(tiny_tree):
    ds = musicnet.MusicNet(tiny_tree)
    assert examples.HUNG_YANG_FRAME_SAMPLES == 4608  # 9 x 512 samples, 104.49 ms at 44.1 kHz
    assert round(1000 * examples.HUNG_YANG_FRAME_SAMPLES / 44_100, 2) == 104.49
    frames = examples.frame_examples(ds, [1759], progress=False)
    # 0.8 s = 35,280 samples: (35,280 - 4,608) // 4,608 + 1 = 7 whole frames; the partial eighth is dropped.
    assert frames.table["start"].tolist() == [4608 * i for i in range(7)]
    assert (frames.table["end"] - frames.table["start"]).eq(4608).all()
    assert set(frames.table["split"]) == {"test"} and set(frames.table["recording"]) == {1759}
    piano = instruments.NAMES.index("piano")
    # The piano sounds until sample 30,000: 2,352 samples of the last frame [27,648, 32,256), over half.
    assert frames.targets[:, piano].all() and frames.targets.sum() == 7
    strict = examples.frame_examples(ds, [1759], min_share=1.0, progress=False)
    assert strict.targets[:, piano].tolist() == [True] * 6 + [False]
    first = examples.frame_examples(ds, [1759], max_frames=3, progress=False)
    assert first.table["start"].tolist() == [0, 4608, 9216] and len(first.targets) == 3
    with pytest.raises(ValueError, match="no recordings"):
        examples.frame_examples(ds, [], progress=False)


@given(
    stretch=st.tuples(st.integers(0, 10_000), st.integers(1, 5_000)),
    length=st.integers(1, 20_000),
    extra=st.integers(0, 10_000),
)
@SETTINGS
def test_centred_windows_hold_their_stretch_inside_the_recording(stretch, length, extra):
    start, size = stretch
    n_samples = start + size + extra
    first, last = examples.centred_windows(np.array([start]), np.array([start + size]), length, n_samples)
    assert 0 <= first[0] and last[0] <= n_samples and last[0] - first[0] == min(length, n_samples)
    middle = (2 * start + size) // 2
    if length >= size and first[0] > 0 and last[0] < n_samples:
        assert first[0] <= start and start + size <= last[0]  # the whole stretch, in the middle
        assert abs((first[0] + last[0]) // 2 - middle) <= 1
    if length < n_samples:
        assert first[0] <= middle < last[0] or last[0] == n_samples


def test_centred_windows_refuse_stretches_outside():
    with pytest.raises(ValueError, match="need 0 <= start < end <= 100"):
        examples.centred_windows(np.array([50]), np.array([120]), 10, 100)
    with pytest.raises(ValueError, match="length must be at least 1"):
        examples.centred_windows(np.array([5]), np.array([10]), 0, 100)
    first, last = examples.centred_windows(np.array([], dtype=int), np.array([], dtype=int), 10, 100)
    assert first.size == last.size == 0
