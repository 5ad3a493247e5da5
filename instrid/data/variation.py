"""Performance and room: seeded variation of the synthetic dataset (``instrid data synth``; notebook 10).

MusicNetEM gives every note velocity 127, and a SoundFont renders each note
the same way every time, in no room. Models trained on such audio learn the
font as much as the instrument. This module draws, per recording and seeded by
``(seed, recording id)``, a performance and a room, and applies them:

* **dynamics** -- a base velocity for the recording (40 to 115), a slow
  phrase curve around it (up to +-15, over 4 to 12 s) and per-note jitter
  (sd 6): one MIDI velocity per note;
* **timing** -- a smooth time warp of the whole recording (slow drifts of about
  20 ms, periods of 2 to 10 s: rubato), applied to every onset and offset, so
  notes struck together stay together; the labels are written from the moved
  notes, so audio and labels still agree to the sample;
* **tuning** -- the whole recording detuned by -25 to +25 cents (an
  orchestra tuned a little off A440; pitch labels stay true to the nearest
  semitone);
* **room** -- reverberation by a synthetic impulse response: exponentially
  decaying noise with a reverberation time RT60 of a small (0.3 s), medium
  (0.8 s) or large (1.6 s) room, or none, mixed in at a wet share of 0.1 to 0.4;
* **equalisation** -- a low shelf at 200 Hz and a high shelf at 4 kHz, each
  -6 to +6 dB (RBJ cookbook biquads);
* **level** -- the peak set to -20 to -1 dBFS;
* **noise** -- pink background noise 25 to 50 dB below the signal (RMS).

Every effect can be switched off on its own (:class:`Variation`); with all off
(:data:`NONE`) the synthesizer's output is untouched, which reproduces the
single-font dataset of earlier instrid versions sample for sample. Nothing
ever clips: the last step scales the recording so its peak is at most -1 dBFS.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd

#: The effects, in the order they are applied.
EFFECTS = ("dynamics", "timing", "tuning", "room", "equalisation", "level", "noise")
#: Reverberation times of the rooms, seconds (0: no room).
ROOMS = {"none": 0.0, "small": 0.3, "medium": 0.8, "large": 1.6}
#: Standard deviation of the timing drift, milliseconds.
TIMING_SD_MS = 20.0
#: The synthesizer's fixed velocity when dynamics are off (what earlier versions rendered with).
FIXED_VELOCITY = 100
#: The highest peak after every effect, linear (-1 dBFS).
MAX_PEAK = 10 ** (-1 / 20)


@dataclass(frozen=True)
class Variation:
    """Which effects are on, and the seed of their draws; stored in the tree's ``synth.json``."""

    dynamics: bool = True
    timing: bool = True
    tuning: bool = True
    room: bool = True
    equalisation: bool = True
    level: bool = True
    noise: bool = True
    seed: int = 0

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in EFFECTS)

    @classmethod
    def parse(cls, text: str, *, seed: int = 0) -> Variation:
        """``"all"``, ``"none"`` or a comma-separated list of effects, e.g. ``"dynamics,room"``."""
        text = text.strip().lower()
        if text in ("all", "none"):
            return cls(**{name: text == "all" for name in EFFECTS}, seed=seed)
        chosen = [part.strip() for part in text.split(",") if part.strip()]
        unknown = sorted(set(chosen) - set(EFFECTS))
        if unknown or not chosen:
            raise ValueError(
                f"variation must be 'all', 'none' or effects from {', '.join(EFFECTS)}; got {text!r}"
            )
        return cls(**{name: name in chosen for name in EFFECTS}, seed=seed)

    def describe(self) -> str:
        on = [name for name in EFFECTS if getattr(self, name)]
        return "none" if not on else ("all" if len(on) == len(EFFECTS) else ",".join(on))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> Variation:
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


NONE = Variation(**{name: False for name in EFFECTS})
#: Every effect on, seed 0: the default dataset's variation.
ALL = Variation()


def draw(recording: int, variation: Variation) -> dict:
    """The performance and room of one recording: plain numbers, written to ``synth.json``.

    Each effect draws from its own generator seeded by ``(seed, recording,
    effect)``, so switching one effect off leaves the others' draws unchanged.
    Effects that are off get their neutral value.
    """

    def rng(effect: str) -> np.random.Generator:
        return np.random.default_rng([variation.seed, int(recording), EFFECTS.index(effect)])

    params = {
        "velocity": float(FIXED_VELOCITY),
        "phrase_depth": 0.0,
        "phrase_s": 0.0,
        "timing_sd_ms": 0.0,
        "detune_cents": 0.0,
        "room": "none",
        "rt60_s": 0.0,
        "wet": 0.0,
        "low_shelf_db": 0.0,
        "high_shelf_db": 0.0,
        "peak_dbfs": None,
        "snr_db": None,
    }
    if variation.dynamics:
        r = rng("dynamics")
        params.update(
            velocity=float(r.uniform(40, 115)),
            phrase_depth=float(r.uniform(0, 15)),
            phrase_s=float(r.uniform(4, 12)),
        )
    if variation.timing:
        params["timing_sd_ms"] = TIMING_SD_MS
    if variation.tuning:
        params["detune_cents"] = float(rng("tuning").uniform(-25, 25))
    if variation.room:
        r = rng("room")
        room = str(r.choice(list(ROOMS)))
        params.update(room=room, rt60_s=ROOMS[room], wet=float(r.uniform(0.1, 0.4)) if ROOMS[room] else 0.0)
    if variation.equalisation:
        r = rng("equalisation")
        params.update(low_shelf_db=float(r.uniform(-6, 6)), high_shelf_db=float(r.uniform(-6, 6)))
    if variation.level:
        params["peak_dbfs"] = float(rng("level").uniform(-20, -1))
    if variation.noise:
        params["snr_db"] = float(rng("noise").uniform(25, 50))
    return params


def note_rng(recording: int, variation: Variation, effect: str) -> np.random.Generator:
    """The generator for per-note or per-sample draws of one effect (separate from :func:`draw`'s)."""
    return np.random.default_rng([variation.seed, int(recording), EFFECTS.index(effect), 1])


def time_warp(
    times: np.ndarray, sd_ms: float, rng: np.random.Generator, *, sample_rate: int = 44_100
) -> np.ndarray:
    """``t + d(t)`` for sample indices ``t``: ``d`` a sum of three slow sinusoids (periods 2 to 10 s,
    random phases), scaled to a standard deviation of ``sd_ms``; int64 samples.

    Smooth and increasing (``d`` changes by at most a fifth as fast as ``t`` for 20 ms and 2 s periods),
    so notes struck together stay together and the order of every onset and offset is kept.
    """
    periods = rng.uniform(2.0, 10.0, size=3) * sample_rate
    phases = rng.uniform(0, 2 * np.pi, size=3)
    weights = rng.uniform(0.5, 1.0, size=3)
    # Each sinusoid has variance w^2 / 2: scale the sum to the wanted standard deviation.
    scale = sd_ms * sample_rate / 1000 / np.sqrt(np.sum(weights**2) / 2)
    t = np.asarray(times, dtype=np.float64)
    d = scale * np.sum(weights * np.sin(2 * np.pi * t[:, None] / periods + phases), axis=1)
    return np.round(t + d).astype(np.int64)


def vary_timing(
    labels: pd.DataFrame, sd_ms: float, n_samples: int, rng: np.random.Generator, *, sample_rate: int = 44_100
) -> pd.DataFrame:
    """Onsets and offsets moved by one smooth time warp (:func:`time_warp`): expressive timing, rubato.

    Every note sounding at a time moves with it, so chords stay chords and the
    segment structure of the labels is kept. Times stay inside ``[0,
    n_samples]`` and every note keeps at least one sample; the table is
    re-sorted as :func:`instrid.data.synth.midi_to_labels` sorts it.
    """
    if sd_ms <= 0 or labels.empty:
        return labels
    n = len(labels)
    both = np.concatenate([labels["start_time"].to_numpy(np.int64), labels["end_time"].to_numpy(np.int64)])
    warped = np.clip(time_warp(both, sd_ms, rng, sample_rate=sample_rate), 0, n_samples)
    start = np.minimum(warped[:n], n_samples - 1)
    end = np.maximum(warped[n:], start + 1)
    moved = labels.assign(start_time=start, end_time=end)
    return moved.sort_values(["start_time", "end_time", "instrument", "note"], kind="stable").reset_index(
        drop=True
    )


def velocities(
    labels: pd.DataFrame, params: dict, rng: np.random.Generator, *, sample_rate: int = 44_100
) -> np.ndarray:
    """One MIDI velocity (1..127) per note: base, slow phrase curve at the onset, jitter."""
    n = len(labels)
    if params["phrase_depth"] == 0 and params["velocity"] == FIXED_VELOCITY:
        return np.full(n, FIXED_VELOCITY, dtype=np.int64)
    onset_s = labels["start_time"].to_numpy(np.float64) / sample_rate
    phase = rng.uniform(0, 2 * np.pi)
    curve = params["phrase_depth"] * np.sin(2 * np.pi * onset_s / params["phrase_s"] + phase)
    return np.clip(np.round(params["velocity"] + curve + rng.normal(0, 6, size=n)), 1, 127).astype(np.int64)


def impulse_response(rt60_s: float, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: Gaussian noise decaying by 60 dB over ``rt60_s``, unit energy, lasting ``rt60_s``."""
    n = max(1, int(rt60_s * sample_rate))
    t = np.arange(n) / sample_rate
    ir = rng.normal(size=n) * 10 ** (-3 * t / rt60_s)
    return (ir / np.sqrt(np.sum(ir**2))).astype(np.float32)


def shelf_sos(kind: str, frequency: float, gain_db: float, sample_rate: int) -> np.ndarray:
    """A shelving biquad (RBJ Audio EQ Cookbook, shelf slope 1) as one second-order section."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * frequency / sample_rate
    alpha = np.sin(w0) / 2 * np.sqrt(2)
    cos, root = np.cos(w0), 2 * np.sqrt(a) * alpha
    sign = 1 if kind == "low" else -1
    b0 = a * ((a + 1) - sign * (a - 1) * cos + root)
    b1 = sign * 2 * a * ((a - 1) - sign * (a + 1) * cos)
    b2 = a * ((a + 1) - sign * (a - 1) * cos - root)
    a0 = (a + 1) + sign * (a - 1) * cos + root
    a1 = -sign * 2 * ((a - 1) + sign * (a + 1) * cos)
    a2 = (a + 1) + sign * (a - 1) * cos - root
    return np.array([[b0, b1, b2, a0, a1, a2]]) / a0


#: Paul Kellet's economy pink-noise filter (within 0.5 dB of 1/f above 10 Hz at 44.1 kHz).
PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)


def apply_room_and_channel(
    audio: np.ndarray,
    params: dict,
    room_rng: np.random.Generator,
    noise_rng: np.random.Generator,
    *,
    sample_rate: int = 44_100,
) -> np.ndarray:
    """Reverberation, equalisation, level and noise, in that order; float32, peak at most -1 dBFS.

    The output has the input's length (a reverberation tail past the end is cut,
    as a recording's end is).
    """
    from scipy import signal

    # float32 throughout (the convolution is 4 times faster than in float64, and the audio is 16-bit),
    # in place where possible, and sums of squares by dot products: a recording is tens of millions
    # of samples, and every temporary array costs as much as the arithmetic.
    out = np.array(audio, dtype=np.float32)  # a copy: the caller's audio is left as it was
    if params["rt60_s"] > 0 and params["wet"] > 0:
        wet = signal.oaconvolve(out, impulse_response(params["rt60_s"], sample_rate, room_rng))[: len(out)]
        dry, reverberant = _rms(out), _rms(wet)
        if reverberant > 0:
            out *= np.float32(1 - params["wet"])
            out += wet * np.float32(params["wet"] * dry / reverberant)
        del wet
    if params["low_shelf_db"] or params["high_shelf_db"]:
        sos = np.vstack(
            [
                shelf_sos("low", 200.0, params["low_shelf_db"], sample_rate),
                shelf_sos("high", 4000.0, params["high_shelf_db"], sample_rate),
            ]
        )
        out = signal.sosfilt(sos.astype(np.float32), out).astype(np.float32, copy=False)
    if params["peak_dbfs"] is not None and _peak(out) > 0:
        out *= np.float32(10 ** (params["peak_dbfs"] / 20) / _peak(out))
    if params["snr_db"] is not None and len(out):
        white = noise_rng.standard_normal(size=len(out), dtype=np.float32)
        pink = signal.lfilter(np.float32(PINK_B), np.float32(PINK_A), white).astype(np.float32, copy=False)
        level, noise = _rms(out), _rms(pink)
        if level > 0 and noise > 0:
            out += pink * np.float32(level / noise * 10 ** (-params["snr_db"] / 20))
    peak = _peak(out)
    if peak > MAX_PEAK:
        out *= np.float32(MAX_PEAK / peak)
    return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.dot(x, x) / len(x))) if len(x) else 0.0


def _peak(x: np.ndarray) -> float:
    return float(max(x.max(), -x.min())) if len(x) else 0.0
