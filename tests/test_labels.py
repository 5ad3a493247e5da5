"""Relabeling on hand-made cases, and against brute force on random ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CODES, CODES_BY_INDEX, SETTINGS, label_table
from instrid.data import instruments, labels
from instrid.data.labels import frame_labels, segment_labels

VIOLIN, VIOLA, PIANO, FLUTE = 41, 42, 1, 74


def table(rows):
    return pd.DataFrame(rows, columns=["start_time", "end_time", "instrument", "note"])


def names(row):
    return {instruments.NAMES[j] for j in np.flatnonzero(row)}


def test_overlaps_gaps_and_silence():
    seg = segment_labels(table([(10, 30, VIOLIN, 60), (20, 40, VIOLA, 62), (50, 60, PIANO, 60)]), 100)
    assert seg.start.tolist() == [0, 10, 20, 30, 40, 50, 60]
    assert seg.end.tolist() == [10, 20, 30, 40, 50, 60, 100]
    assert [names(r) for r in seg.instruments] == [
        set(),
        {"violin"},
        {"violin", "viola"},
        {"viola"},
        set(),
        {"piano"},
        set(),
    ]
    assert seg.silent.tolist() == [True, False, False, False, True, False, True]
    assert [set(np.flatnonzero(r)) for r in seg.notes] == [set(), {60}, {60, 62}, {62}, set(), {60}, set()]
    assert seg.length.sum() == 100


def test_repeated_note_is_one_segment_each():
    # The same key struck twice in a row (re-articulation) and a doubled note.
    seg = segment_labels(table([(0, 10, PIANO, 60), (10, 20, PIANO, 60), (5, 15, PIANO, 60)]), 20)
    assert seg.start.tolist() == [0, 5, 10, 15]
    assert seg.instruments[:, 3].all() and seg.notes[:, 60].all()
    assert not seg.silent.any()


def test_inclusive_end_makes_rests_inherit_the_previous_instrument():
    rows = [(10, 30, VIOLIN, 60), (40, 50, FLUTE, 72)]
    half_open = segment_labels(table(rows), 60)
    inclusive = segment_labels(table(rows), 60, inclusive_end=True)
    assert half_open.start.tolist() == inclusive.start.tolist() == [0, 10, 30, 40, 50]
    assert [names(r) for r in half_open.instruments] == [set(), {"violin"}, set(), {"flute"}, set()]
    # The rest [30, 40) and the tail [50, 60) now carry the note that just ended.
    assert [names(r) for r in inclusive.instruments] == [set(), {"violin"}, {"violin"}, {"flute"}, {"flute"}]
    assert inclusive.notes[2, 60] and inclusive.notes[4, 72]


def test_inclusive_end_at_the_end_of_the_recording():
    seg = segment_labels(table([(0, 60, VIOLIN, 60)]), 60, inclusive_end=True)
    assert seg.start.tolist() == [0] and names(seg.instruments[0]) == {"violin"}


def test_no_notes_is_one_silent_segment():
    seg = segment_labels(table([]), 44100)
    assert seg.start.tolist() == [0] and seg.end.tolist() == [44100] and seg.silent.all()


def test_rejects_notes_outside_the_recording():
    with pytest.raises(ValueError, match="n_samples"):
        segment_labels(table([(0, 120, VIOLIN, 60)]), 100)


def test_frames_share_threshold():
    # 10-sample frames at 1 kHz: violin covers 15..32, viola 0..4 and 6..9 (8 of frame 0).
    rows = [(15, 32, VIOLIN, 60), (0, 4, VIOLA, 50), (6, 10, VIOLA, 50)]
    half = frame_labels(table(rows), 40, sample_rate=1000, frame_s=0.010, min_share=0.5)
    assert half.start.tolist() == [0, 10, 20, 30] and half.frame_length == half.hop == 10
    assert half.instruments[:, 0].tolist() == [False, True, True, False]  # 5/10, 10/10, 2/10
    assert half.instruments[:, 1].tolist() == [True, False, False, False]  # 8/10 in two notes
    full = frame_labels(table(rows), 40, sample_rate=1000, frame_s=0.010, min_share=1.0)
    assert full.instruments[:, 0].tolist() == [False, False, True, False]
    assert full.notes[:, 60].tolist() == [False, False, True, False]


def test_overlapping_notes_of_one_instrument_count_once():
    rows = [(0, 4, VIOLIN, 60), (0, 4, VIOLIN, 64)]  # 4/10 twice is still 4/10
    frames = frame_labels(table(rows), 10, sample_rate=1000, frame_s=0.010, min_share=0.5)
    assert not frames.instruments.any()


def test_overlapping_frames_and_partial_tail():
    frames = frame_labels(table([(0, 25, PIANO, 60)]), 47, sample_rate=1000, frame_s=0.020, hop_s=0.010)
    assert frames.start.tolist() == [0, 10, 20]  # a frame needs 20 samples: none starts at 30
    assert frames.instruments[:, 3].tolist() == [True, True, False]  # 20/20, 15/20, 5/20


def brute_force_frames(rows, n_samples, sample_rate, frame, hop, share):
    n_frames = (n_samples - frame) // hop + 1
    inst = np.zeros((n_frames, instruments.N_INSTRUMENTS), dtype=bool)
    notes = np.zeros((n_frames, 128), dtype=bool)
    for f in range(n_frames):
        a, b = f * hop, f * hop + frame
        for col, out, key in ((2, inst, lambda c: instruments.index_of([c])[0]), (3, notes, int)):
            covered = {}
            for row in rows:
                k = key(row[col])
                covered.setdefault(k, np.zeros(frame, dtype=bool))[
                    max(row[0], a) - a : max(min(row[1], b) - a, 0)
                ] = True
            for k, mask in covered.items():
                out[f, k] = mask.sum() >= share * frame
    return inst, notes


@pytest.mark.parametrize("seed", range(5))
def test_frames_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n_samples = 400
    starts = rng.integers(0, n_samples - 1, 30)
    rows = [
        (
            int(s),
            int(min(n_samples, s + rng.integers(0, 80))),
            int(rng.choice(instruments.CODES)),
            int(rng.integers(40, 50)),
        )
        for s in starts
    ]
    frame, hop, share = [(10, 10, 0.5), (25, 10, 0.3), (16, 7, 1.0), (20, 20, 0.05), (9, 4, 0.75)][seed]
    got = frame_labels(
        table(rows), n_samples, sample_rate=1000, frame_s=frame / 1000, hop_s=hop / 1000, min_share=share
    )
    want_inst, want_notes = brute_force_frames(rows, n_samples, 1000, frame, hop, share)
    np.testing.assert_array_equal(got.instruments, want_inst)
    np.testing.assert_array_equal(got.notes, want_notes)


@pytest.mark.parametrize("inclusive_end", [False, True])
def test_segments_match_per_boundary_scan(inclusive_end):
    rng = np.random.default_rng(7)
    n_samples = 1000
    starts = rng.integers(0, n_samples, 60)
    rows = [
        (
            int(s),
            int(min(n_samples, s + rng.integers(1, 100))),
            int(rng.choice(instruments.CODES)),
            int(rng.integers(30, 90)),
        )
        for s in starts
    ]
    seg = segment_labels(table(rows), n_samples, inclusive_end=inclusive_end)
    for i, b in enumerate(seg.start):
        want = {
            instruments.index_of([r[2]])[0]
            for r in rows
            if r[0] <= b and (r[1] >= b if inclusive_end else r[1] > b)
        }
        assert set(np.flatnonzero(seg.instruments[i])) == want


@st.composite
def note_tables(draw, max_notes=12, n_samples=200):
    n = draw(st.integers(0, max_notes))
    rows = []
    for _ in range(n):
        start = draw(st.integers(0, n_samples - 1))
        end = draw(st.integers(start, n_samples))
        rows.append((start, end, draw(st.sampled_from(CODES)), draw(st.integers(0, 127))))
    return label_table(rows), n_samples


@SETTINGS
@given(note_tables())
def test_segments_tile_the_recording_and_hold_exactly_the_sounding_notes(table_and_n):
    table, n = table_and_n
    seg = labels.segment_labels(table, n)
    assert (
        seg.start[0] == 0
        and seg.end[-1] == n
        and (seg.start[1:] == seg.end[:-1]).all()
        and (seg.length > 0).all()
    )
    codes = table["instrument"].to_numpy()
    for i, t in enumerate(seg.start):
        sounding = (table["start_time"] <= t) & (t < table["end_time"])
        expected = set(codes[sounding.to_numpy()].tolist())
        got = {CODES_BY_INDEX[j] for j in np.flatnonzero(seg.instruments[i])}
        assert got == expected
    inclusive = labels.segment_labels(table, n, inclusive_end=True)
    assert (inclusive.instruments >= seg.instruments).all()  # the inclusive end only ever adds


@SETTINGS
@given(note_tables(max_notes=6, n_samples=120), st.integers(5, 40), st.sampled_from([0.25, 0.5, 1.0]))
def test_frames_match_a_brute_force_count(table_and_n, frame, share):
    table, n = table_and_n
    frames = labels.frame_labels(table, n, sample_rate=1000, frame_s=frame / 1000, min_share=share)
    for i, start in enumerate(frames.start):
        sounding = np.zeros((frame, 11), bool)
        for row in table.itertuples():
            j = instruments.index_of([row.instrument])[0]
            lo, hi = max(row.start_time, start), min(row.end_time, start + frame)
            if hi > lo:
                sounding[lo - start : hi - start, j] = True
        assert (frames.instruments[i] == (sounding.sum(axis=0) >= share * frame)).all()
