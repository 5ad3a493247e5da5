"""Performance and room variation (data.variation): seeded draws, each effect on its own, no clipping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import signal

from instrid.data import variation as v
from instrid.data.labels import segment_labels

SR = 44_100


def test_parse_and_describe():
    assert v.Variation.parse("all") == v.ALL and v.Variation.parse("none") == v.NONE
    only = v.Variation.parse("dynamics, room", seed=3)
    assert only.dynamics and only.room and not only.noise and only.seed == 3
    assert only.describe() == "dynamics,room" and v.ALL.describe() == "all" and v.NONE.describe() == "none"
    assert v.Variation.from_dict(only.to_dict()) == only and not v.NONE.any
    with pytest.raises(ValueError, match="reverb"):
        v.Variation.parse("dynamics,reverb")


def test_draws_are_seeded_per_recording_and_independent_per_effect():
    a, b = v.draw(2382, v.ALL), v.draw(2382, v.ALL)
    assert a == b and a != v.draw(2383, v.ALL) and a != v.draw(2382, v.Variation(seed=1))
    no_room = v.draw(2382, v.Variation(room=False))
    assert no_room["room"] == "none" and no_room["wet"] == 0
    # Switching one effect off leaves the others' draws as they were.
    assert {k: x for k, x in no_room.items() if k not in ("room", "rt60_s", "wet")} == {
        k: x for k, x in a.items() if k not in ("room", "rt60_s", "wet")
    }
    neutral = v.draw(2382, v.NONE)
    assert neutral["velocity"] == v.FIXED_VELOCITY and neutral["detune_cents"] == 0
    assert neutral["peak_dbfs"] is None and neutral["snr_db"] is None and neutral["timing_sd_ms"] == 0
    # Over many recordings the draws cover their ranges and every room.
    draws = [v.draw(r, v.ALL) for r in range(400)]
    assert {d["room"] for d in draws} == set(v.ROOMS)
    assert 40 <= min(d["velocity"] for d in draws) < 45 and 110 < max(d["velocity"] for d in draws) <= 115
    assert all(-20 <= d["peak_dbfs"] <= -1 and 25 <= d["snr_db"] <= 50 for d in draws)


def labels(rows):
    return pd.DataFrame(rows, columns=["start_time", "end_time", "instrument", "note"])


def test_timing_is_one_smooth_warp_that_keeps_chords_together():
    rng = np.random.default_rng(0)
    # Chords of three notes every 100 ms for 50 s, then a note at the very end.
    rows = [(i * 4410, i * 4410 + 3000, 1, 60 + k) for i in range(500) for k in (0, 4, 7)] + [
        (2_204_000, 2_205_000, 1, 60)
    ]
    table = labels(rows)
    moved = v.vary_timing(table, 20.0, 2_205_000, rng)
    assert len(moved) == len(table) and moved["start_time"].is_monotonic_increasing
    # Notes struck together are still struck together, and the segments are as many as before.
    assert (moved.groupby(np.arange(len(moved)) // 3)["start_time"].nunique()[:500] == 1).all()
    n = 2_205_000
    assert len(segment_labels(moved, n)) == len(segment_labels(table, n))
    shift = (moved["start_time"] - table["start_time"]).to_numpy() / SR * 1000
    assert 12 < shift.std() < 28 and np.abs(shift).max() < 80  # about 20 ms, smooth
    assert np.abs(np.diff(shift[3::3])).max() < 20  # smooth: 100 ms apart, shifts differ by under 20 ms
    assert (moved["end_time"] > moved["start_time"]).all() and moved["end_time"].max() <= n
    assert v.vary_timing(table, 0.0, n, rng) is table


def test_velocities():
    table = labels([(i * SR, i * SR + 100, 1, 60) for i in range(200)])
    fixed = v.velocities(table, v.draw(1, v.NONE), np.random.default_rng(0))
    assert (fixed == v.FIXED_VELOCITY).all()
    params = {**v.draw(1, v.ALL), "velocity": 60.0, "phrase_depth": 15.0, "phrase_s": 8.0}
    varied = v.velocities(table, params, np.random.default_rng(0))
    assert varied.min() >= 1 and varied.max() <= 127 and 40 < varied.mean() < 80 and varied.std() > 8


def test_shelves_reach_their_gain_at_the_band_edges():
    for kind, where in (("low", 0), ("high", -1)):
        for gain in (-6.0, 4.0):
            _, response = signal.sosfreqz(
                v.shelf_sos(kind, 200.0 if kind == "low" else 4000.0, gain, SR), 4096
            )
            assert 20 * np.log10(abs(response[where])) == pytest.approx(gain, abs=0.05)
            other = -1 if kind == "low" else 0
            assert abs(20 * np.log10(abs(response[other]))) < 0.5


def test_impulse_response_decays_60_db_over_rt60():
    ir = v.impulse_response(0.8, SR, np.random.default_rng(0))
    assert len(ir) == int(0.8 * SR) and np.sum(ir.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-4)
    tenth = len(ir) // 10
    first, last = np.mean(ir[:tenth] ** 2), np.mean(ir[-tenth:] ** 2)
    assert 10 * np.log10(first / last) == pytest.approx(54, abs=3)  # 60 dB over 90% of the length


def tone(seconds=2.0, amplitude=0.5):
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def apply(audio, **changes):
    params = {**v.draw(1, v.NONE), **changes}
    return v.apply_room_and_channel(audio, params, np.random.default_rng(1), np.random.default_rng(2))


def test_level_noise_and_no_clipping():
    x = tone()
    assert np.array_equal(apply(x), x)  # nothing on: untouched
    apply(x, peak_dbfs=-20.0, snr_db=30.0)
    assert np.array_equal(x, tone())  # the input is never changed in place
    quiet = apply(x, peak_dbfs=-20.0)
    assert 20 * np.log10(np.abs(quiet).max()) == pytest.approx(-20, abs=0.01)
    noisy = apply(x, peak_dbfs=-6.0, snr_db=30.0)
    clean = apply(x, peak_dbfs=-6.0)
    noise = noisy - clean
    snr = 10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise.astype(np.float64) ** 2))
    assert snr == pytest.approx(30, abs=0.5)
    # Whatever the gains, nothing clips: the peak ends at or below -1 dBFS.
    loud = apply(tone(amplitude=0.99), low_shelf_db=6.0, high_shelf_db=6.0, rt60_s=1.6, wet=0.4, snr_db=25.0)
    assert loud.dtype == np.float32 and len(loud) == len(x) and np.abs(loud).max() <= v.MAX_PEAK + 1e-6


def test_reverberation_keeps_onsets_and_adds_a_tail():
    x = np.zeros(SR, dtype=np.float32)
    x[SR // 4 : SR // 4 + 2205] = tone(0.05)
    wet = apply(x, rt60_s=0.8, wet=0.4)
    assert np.abs(wet[: SR // 4]).max() < 1e-5  # nothing before the note (FFT round-off aside)
    after = slice(SR // 4 + 2205 + 4410, SR // 4 + 2205 + 8820)  # 100 to 200 ms after the note
    assert np.abs(x[after]).max() == 0 and np.abs(wet[after]).max() > 1e-3
