"""The instrument of each note: patches around each note from streamed audio, the network, its file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import RENDERED_TREE, SMALL, rendered_tree
from instrid.data import instruments, musicnet
from instrid.errors import ModelError
from instrid.models import note_instruments as ni

SR = ni.SAMPLE_RATE


def sine(seconds: float, midi: int, rate: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * 440.0 * 2 ** ((midi - 69) / 12) * t)).astype(np.float32)


def spectrogram(audio: np.ndarray, cuts=()) -> np.ndarray:
    return np.concatenate(list(ni.LogSpectrogram().frames(np.split(audio, list(cuts)))))


def test_each_stft_bin_is_shared_out_whole_among_the_bands_it_overlaps():
    weights = ni.band_weights()
    assert weights.shape == (ni.N_FFT // 2 + 1, ni.N_BANDS)
    bin_hz = SR / ni.N_FFT
    lowest_edge = 440 * 2 ** ((ni.LOWEST_MIDI - 1 / 6 - 69) / 12)
    # Bins wholly inside the bands' range give all of themselves; the bands above Nyquist get nothing.
    inside = (np.arange(len(weights)) * bin_hz - bin_hz / 2 > lowest_edge) & (
        np.arange(len(weights)) < len(weights) - 1
    )
    np.testing.assert_allclose(weights[inside].sum(axis=1), 1.0, rtol=1e-5)
    band_hz = 440 * 2 ** ((ni.LOWEST_MIDI + np.arange(ni.N_BANDS) / 3 - 69) / 12)
    assert not weights[:, band_hz > SR / 2 + bin_hz].any()


@pytest.mark.parametrize("samples", [1, 255, 256, 2047, 2048, 30_000])
def test_one_frame_per_256_samples_centred_on_it_however_the_audio_is_cut(samples):
    audio = np.random.default_rng(samples).normal(0, 0.1, samples).astype(np.float32)
    whole = spectrogram(audio)
    assert whole.shape == (-(-samples // ni.HOP), ni.N_BANDS)
    np.testing.assert_allclose(
        spectrogram(audio, [samples // 3, samples // 3 + 1]), whole, rtol=1e-5, atol=1e-7
    )
    # Frame k is the windowed spectrum of samples k*256 - 1024 .. k*256 + 1024 (zeros outside the audio).
    k = len(whole) // 2
    padded = np.concatenate([np.zeros(ni.N_FFT // 2), audio, np.zeros(ni.N_FFT)]).astype(np.float32)
    piece = padded[k * ni.HOP : k * ni.HOP + ni.N_FFT] * np.hanning(ni.N_FFT + 1)[:-1]
    direct = np.abs(np.fft.rfft(piece)) @ ni.band_weights() * 2 / np.hanning(ni.N_FFT + 1)[:-1].sum()
    np.testing.assert_allclose(whole[k], direct, rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("midi", [45, 60, 69, 84, 100])
def test_a_tone_peaks_on_the_patch_row_of_its_pitch(midi):
    x = ni.patches(ni.LogSpectrogram().frames([sine(1.0, midi)]), [40], [midi])
    assert x.shape == (1, ni.PATCH_ROWS, ni.PATCH_FRAMES) and x.dtype == np.float16
    # Row 0 is 2 semitones below the note, three rows a semitone.
    assert int(np.argmax(x[0, :, 10].astype(np.float32))) == 2 * ni.BINS_PER_SEMITONE


def test_patches_are_the_spectrogram_cut_around_each_note_whatever_the_chunks_and_the_order():
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, 3 * SR).astype(np.float32)
    full = spectrogram(audio)
    onsets = np.array([200, 0, 1, 120, 120, len(full) - 1, 50])
    pitches = np.array([60, 21, 108, 40, 90, 70, 64])
    x = ni.patches(iter(np.array_split(full, 7)), onsets, pitches)
    padded = np.concatenate([np.zeros((ni.BEFORE, ni.N_BANDS)), full, np.zeros((ni.AFTER, ni.N_BANDS))])
    for j, (onset, pitch) in enumerate(zip(onsets, pitches)):
        row = (pitch - 2 - ni.LOWEST_MIDI) * ni.BINS_PER_SEMITONE
        want = np.log1p(100 * padded[onset : onset + ni.PATCH_FRAMES, row : row + ni.PATCH_ROWS].T)
        np.testing.assert_allclose(x[j].astype(np.float32), want, rtol=2e-3, atol=2e-3)
    np.testing.assert_array_equal(ni.patches(iter([full]), onsets, pitches), x)
    assert ni.patches(iter([full]), [], []).shape == (0, ni.PATCH_ROWS, ni.PATCH_FRAMES)
    with pytest.raises(ValueError, match="piano keys"):
        ni.patches(iter([full]), [3], [20])


def test_mean_f_is_over_the_instruments_present():
    f, per = ni.mean_f(np.array([0, 0, 3, 3]), np.array([0, 3, 3, 3]))
    assert per == {"violin": pytest.approx(2 / 3), "piano": pytest.approx(0.8)}
    assert f == pytest.approx((2 / 3 + 0.8) / 2)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return musicnet.MusicNet(rendered_tree(tmp_path_factory.mktemp("rendered"), RENDERED_TREE))


def test_the_network_learns_to_tell_piano_from_flute_notes_and_its_file_is_cached(rendered, monkeypatch):
    path = ni.train(rendered, SMALL, progress=False)
    network, state = ni.load(path)
    assert state["validation"]["mean_f"] > 0.9
    assert state["trained_on"]["recordings"] == 1 and state["trained_on"]["notes"] == 197
    test = ni.note_set(rendered, [1759], per_recording=None, seed=0)
    p = ni.probabilities(network, test.x, test.table["pitch"])
    assert p.shape == (len(test.y), instruments.N_INSTRUMENTS)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
    assert ni.mean_f(test.y, p.argmax(1))[0] > 0.9

    def untrainable(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(ni, "fit", untrainable)
    assert ni.train(rendered, SMALL, progress=False) == path
    with pytest.raises(AssertionError, match="trained again"):
        ni.train(rendered, ni.Training(**{**SMALL.__dict__, "seed": 1}), progress=False)


def test_training_is_seeded_and_trains_on_one_thread_whatever_the_callers_count(rendered, monkeypatch):
    small = ni.Training(**{**SMALL.__dict__, "epochs": 2})
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        first = ni.load(ni.train(rendered, small, use_cache=False, progress=False))[0].state_dict()
        torch.set_num_threads(3)
        seen, fit = [], ni._fit
        monkeypatch.setattr(
            ni, "_fit", lambda *args, **kwargs: seen.append(torch.get_num_threads()) or fit(*args, **kwargs)
        )
        second = ni.load(ni.train(rendered, small, use_cache=False, progress=False))[0].state_dict()
        assert seen == [1] and torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(threads)
    for name, value in first.items():
        torch.testing.assert_close(value, second[name], rtol=0, atol=0)


def test_a_bad_model_file_is_named(tmp_path, rendered):
    with pytest.raises(ModelError, match="missing.pt: no such note-instrument model file"):
        ni.load(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="junk.pt: not an instrid note-instrument model file"):
        ni.load(junk)
    assert ni.mark(junk) is None
    other = tmp_path / "other.pt"
    torch.save({"a": 1}, other)
    with pytest.raises(ModelError, match="other.pt: not an instrid note-instrument model file"):
        ni.load(other)
    weights = ni.NoteInstrumentNet(width=8).state_dict()
    wrong = ni.save(tmp_path / "wrong.pt", weights, ni.Training(), trained_on={"root": "x"}, validation={})
    with pytest.raises(ModelError, match="wrong.pt: its network does not match its settings"):
        ni.load(wrong)
    good = ni.save(
        tmp_path / "good.pt",
        ni.NoteInstrumentNet().state_dict(),
        ni.Training(),
        trained_on={"root": "x"},
        validation={},
    )
    assert ni.mark(good) == "an instrid note-instrument model trained on x"
    older = tmp_path / "older.pt"
    torch.save({**torch.load(good, weights_only=True), "format_version": ni.FORMAT_VERSION - 1}, older)
    with pytest.raises(ModelError, match="older.pt: made by another instrid version; train it again"):
        ni.load(older)
    assert ni.mark(older) == "an instrid note-instrument model trained on x (by another instrid version)"


def test_training_needs_training_and_validation_recordings(tmp_path):
    tree = rendered_tree(tmp_path / "tree", {1759: ("test", 2.0)})
    with pytest.raises(ModelError, match="needs training and validation recordings"):
        ni.train(musicnet.MusicNet(tree), SMALL, progress=False)


def test_patches_come_out_in_batches_as_soon_as_their_frames_have_come():
    full = spectrogram(np.random.default_rng(1).normal(0, 0.1, 4 * SR).astype(np.float32))
    onsets, pitches = np.array([300, 10, 12, 150, 151, 5]), np.array([60, 61, 62, 63, 64, 65])
    consumed = []

    def chunks():
        for k, chunk in enumerate(np.array_split(full, 10)):
            consumed.append(k)
            yield chunk

    seen = []
    for indices, batch in ni.patch_batches(chunks(), onsets, pitches, batch=2):
        seen.append((len(consumed), indices.tolist()))
        np.testing.assert_array_equal(batch, ni.patches(iter([full]), onsets[indices], pitches[indices]))
    # By onset, two at a time; the first pair (onsets 5 and 10) before most of the audio was read.
    assert [i for _, i in seen] == [[5, 1], [2, 3], [4, 0]]
    assert seen[0][0] <= 2 and seen[-1][0] == 10


def test_a_margin_widens_each_patch_by_the_same_frames_either_side():
    full = spectrogram(np.random.default_rng(2).normal(0, 0.1, 2 * SR).astype(np.float32))
    onsets, pitches = np.array([0, 40, len(full) - 3]), np.array([50, 70, 90])
    plain = ni.patches(iter([full]), onsets, pitches)
    wide = ni.patches(iter(np.array_split(full, 4)), onsets, pitches, margin=3)
    assert wide.shape == (3, ni.PATCH_ROWS, ni.PATCH_FRAMES + 6)
    np.testing.assert_array_equal(wide[:, :, 3:-3], plain)
    np.testing.assert_array_equal(
        wide[1, :, :3].astype(np.float32), ni.patches(iter([full]), [37], [70])[0, :, :3].astype(np.float32)
    )
    with pytest.raises(ValueError, match="2 frames of margin"):
        ni.fit(
            ni.NoteSet(pd.DataFrame({"pitch": [60]}), plain[:1], np.array([3])),
            ni.NoteSet(pd.DataFrame({"pitch": [60]}), plain[:1], np.array([3])),
            ni.Training(),
        )
