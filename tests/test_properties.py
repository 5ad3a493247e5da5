"""Property-based tests (hypothesis): relabeling, metrics and decision rules on random inputs, and every
file reader on random bytes and truncations."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import label_table
from instrid import data, decisions, instruments, labels, metrics, modelfile
from instrid.errors import DatasetError, ModelError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CODES = [1, 41, 42, 43, 44, 61, 69, 71, 72, 74, 7]


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
    assert seg.start[0] == 0 and seg.end[-1] == n and (seg.start[1:] == seg.end[:-1]).all() and (seg.length > 0).all()
    codes = table["instrument"].to_numpy()
    for i, t in enumerate(seg.start):
        sounding = (table["start_time"] <= t) & (t < table["end_time"])
        expected = set(codes[sounding.to_numpy()].tolist())
        got = {CODES_BY_INDEX[j] for j in np.flatnonzero(seg.instruments[i])}
        assert got == expected
    inclusive = labels.segment_labels(table, n, inclusive_end=True)
    assert (inclusive.instruments >= seg.instruments).all()  # the inclusive end only ever adds


CODES_BY_INDEX = {int(instruments.index_of([c])[0]): c for c in CODES}


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
                sounding[lo - start: hi - start, j] = True
        assert (frames.instruments[i] == (sounding.sum(axis=0) >= share * frame)).all()


matrices = hnp.arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 11)),
                      elements=st.floats(0, 1, allow_nan=False))


@SETTINGS
@given(matrices, st.data())
def test_metrics_stay_in_range(scores, draw):
    y = draw.draw(hnp.arrays(bool, scores.shape))
    pred = scores >= draw.draw(st.floats(0, 1))
    for value in (metrics.recall(y, pred), metrics.precision(y, pred), metrics.f1_micro(y, pred),
                  metrics.f1_macro(y, pred)):
        assert 0 <= value <= 1
    assert 0 <= metrics.fp_per_frame(y, pred) <= scores.shape[1]
    c = metrics.counts(y, pred)
    assert c["tp"] + c["fp"] + c["fn"] + c["tn"] == y.size


@SETTINGS
@given(matrices, st.data())
def test_decision_rules(scores, draw):
    k = scores.shape[1]
    n = draw.draw(st.integers(0, k))
    assert (decisions.top_n(scores, n).sum(axis=1) == n).all()  # exactly N, ties or not
    low, high = sorted(draw.draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
    assert (decisions.threshold(scores, high) <= decisions.threshold(scores, low)).all()  # monotone
    t = draw.draw(hnp.arrays(np.float64, k, elements=st.floats(0, 1)))
    then_top = decisions.threshold_then_top_n(scores, t, n)
    assert (then_top <= decisions.threshold(scores, t)).all() and (then_top.sum(axis=1) <= n).all()
    # It keeps min(n, passing) classes: as many as it can.
    assert (then_top.sum(axis=1) == np.minimum(n, decisions.threshold(scores, t).sum(axis=1))).all()
    top_then = decisions.top_n_then_threshold(scores, n, t)
    assert (top_then <= decisions.top_n(scores, n)).all() and (top_then <= decisions.threshold(scores, t)).all()
    # Whatever the top-N-first mix declares, the thresholds-first mix declares too (it can only add).
    assert (top_then <= then_top).all()


# ---- every file reader on random bytes and truncations ------------------------------------


def valid_wav(seconds=0.3, rate=8000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.1 * np.sin(np.arange(int(seconds * rate)) / 3), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def valid_flac(seconds=0.3, rate=8000) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, 0.1 * np.sin(np.arange(int(seconds * rate)) / 3), rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


@pytest.mark.parametrize("suffix, good", [(".wav", valid_wav()), (".flac", valid_flac()), (".ogg", b"")])
@SETTINGS
@given(cut=st.floats(0, 1), noise=st.binary(max_size=300), flip=st.integers(0, 10_000))
def test_audio_readers_answer_with_a_dataset_error_or_the_whole_file(tmp_path, suffix, good, cut, noise, flip):
    path = tmp_path / f"x{suffix}"
    body = bytearray(good[: int(cut * len(good))] + noise if good else noise)
    if body and flip < len(body) * 8 and good:
        body[flip // 8] ^= 1 << (flip % 8)
    path.write_bytes(bytes(body))
    try:
        audio = data.read_audio(path, 8000)
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
        table = data.read_labels(path)
    except DatasetError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert isinstance(table, pd.DataFrame) and (table["end_time"] >= table["start_time"]).all()


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
