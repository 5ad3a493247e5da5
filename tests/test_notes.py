"""The note front-end: Basic Pitch's network streamed over any length of audio, and notes tracked from it."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from instrid.errors import ModelError
from instrid.models import notes


@pytest.fixture(scope="module")
def model():
    return notes.NoteModel(threads=1)


def tone(seconds: float, hz: float, start: float = 0.0, stop: float | None = None) -> np.ndarray:
    t = np.arange(int(seconds * notes.SAMPLE_RATE)) / notes.SAMPLE_RATE
    sound = 0.4 * np.sin(2 * np.pi * hz * t) * np.exp(-2.0 * np.clip(t - start, 0, None))
    sound[(t < start) | (t >= (stop if stop is not None else seconds))] = 0.0
    return sound.astype(np.float32)


def joined(model, blocks):
    parts = list(model.posteriors(blocks))
    if not parts:
        return np.zeros((0, notes.N_KEYS)), np.zeros((0, notes.N_KEYS))
    return np.concatenate([n for n, _ in parts]), np.concatenate([o for _, o in parts])


def test_the_released_network_is_found_without_importing_basic_pitch(monkeypatch):
    path = notes.model_path()
    assert path.name == "nmp.onnx" and path.stat().st_size > 100_000
    monkeypatch.setattr(notes, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="differs from basic-pitch==0.4.0's file"):
        notes.model_path()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="basic-pitch is not installed; install the note model with: pip"):
        notes.model_path()


@pytest.mark.parametrize("samples", [0, 1, 255, 256, 43_844, 36_352 * 3 + 7, 200_000])
def test_one_frame_per_256_samples_however_the_audio_is_cut_into_blocks(model, samples):
    audio = np.random.default_rng(samples).normal(0, 0.1, samples).astype(np.float32)
    whole_note, whole_onset = joined(model, [audio])
    assert whole_note.shape == whole_onset.shape == (-(-samples // notes.HOP), notes.N_KEYS)
    cut = np.split(audio, [samples // 3, samples // 3 + 1000]) if samples > 2000 else [audio]
    note, onset = joined(model, iter(cut))
    np.testing.assert_array_equal(note, whole_note)
    np.testing.assert_array_equal(onset, whole_onset)


def test_frame_k_is_the_networks_view_of_sample_k_times_256(model):
    audio = np.random.default_rng(0).normal(0, 0.1, 3 * notes.SAMPLE_RATE).astype(np.float32)
    note, _ = joined(model, [audio])
    # The second window starts STEP_FRAMES frames after the first, less the frames each drops at its edges.
    start = notes.STEP_SAMPLES - notes.EDGE_FRAMES * notes.HOP
    window = np.zeros(notes.WINDOW_SAMPLES, dtype=np.float32)
    part = audio[start : start + notes.WINDOW_SAMPLES]
    window[: len(part)] = part
    direct, _ = model.windows(window[None])
    kept = direct[0, notes.EDGE_FRAMES : notes.EDGE_FRAMES + 20]
    np.testing.assert_allclose(note[notes.STEP_FRAMES : notes.STEP_FRAMES + 20], kept, atol=1e-6)


def test_a_tone_is_heard_as_its_key_from_its_onset(model):
    audio = tone(2.5, 440.0, start=0.5, stop=1.5)  # A4, MIDI 69
    tracker = notes.NoteTracker()
    found = []
    for note, onset in model.posteriors([audio]):
        found += tracker.feed(note, onset)
    table = notes.notes_table(found + tracker.finish())
    assert table["pitch"].tolist()[:1] == [69]
    first = table.iloc[0]
    assert abs(first.onset_s - 0.5) <= 0.05 and 1.2 <= first.offset_s <= 1.7
    assert 0 < first.confidence <= 1


def posteriors(frames: int, notes_played) -> tuple[np.ndarray, np.ndarray]:
    """Hand-made posteriors: ``(key, onset frame, end frame, level)`` per note."""
    note, onset = np.zeros((frames, notes.N_KEYS)), np.zeros((frames, notes.N_KEYS))
    for key, start, end, level in notes_played:
        note[start:end, key] = level
        onset[start, key] = 0.9
        onset[start + 1, key] = 0.4  # a peak, not a plateau
    return note, onset


def test_notes_start_at_onset_peaks_bridge_short_gaps_and_end_when_struck_again():
    note, onset = posteriors(
        200, [(40, 10, 60, 0.8), (40, 60, 80, 0.6), (10, 100, 105, 0.9), (20, 120, 190, 0.7)]
    )
    note[30:36, 40] = 0.1  # a gap of 6 frames, bridged (tolerance 11)
    note[150:170, 20] = 0.0  # a gap of 20 frames: the note ends at frame 150
    tracker = notes.NoteTracker(onset_threshold=0.5, frame_threshold=0.3, min_frames=11, tolerance=11)
    found = sorted(tracker.feed(note, onset) + tracker.finish())
    starts = [(start, end, key) for start, end, key, _ in found]
    # Key 40 struck again at 60; key 10's 5 frames are too short; key 20 ends at its gap.
    assert starts == [(10, 60, 40), (60, 80, 40), (120, 150, 20)]
    confidence = {(s, k): c for s, _, k, c in found}
    assert confidence[60, 40] == pytest.approx(0.6) and confidence[120, 20] == pytest.approx(0.7)
    assert confidence[10, 40] == pytest.approx((44 * 0.8 + 6 * 0.1) / 50)


def test_tracking_in_chunks_gives_what_tracking_at_once_gives():
    rng = np.random.default_rng(1)
    note = rng.random((500, notes.N_KEYS)) ** 3
    onset = rng.random((500, notes.N_KEYS)) ** 6
    whole = notes.NoteTracker(onset_threshold=0.3, min_frames=2)
    at_once = sorted(whole.feed(note, onset) + whole.finish())
    pieces = notes.NoteTracker(onset_threshold=0.3, min_frames=2)
    found = []
    for part in np.array_split(np.arange(500), [1, 2, 77, 300, 301]):
        found += pieces.feed(note[part], onset[part])
    assert sorted(found + pieces.finish()) == at_once and len(at_once) > 20


def test_bad_tracker_settings_and_posteriors_are_refused():
    with pytest.raises(ValueError, match="thresholds"):
        notes.NoteTracker(onset_threshold=1.5)
    with pytest.raises(ValueError, match="min_frames"):
        notes.NoteTracker(min_frames=0)
    with pytest.raises(ValueError, match=r"\(frames, 88\)"):
        notes.NoteTracker().feed(np.zeros((3, 12)), np.zeros((3, 12)))
