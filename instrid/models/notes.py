"""Notes: which pitches sound when, from Basic Pitch's network, with the notes tracked from its posteriors.

Basic Pitch (Bittner et al., "A lightweight instrument-agnostic model for polyphonic note transcription
and multipitch estimation", ICASSP 2022; Apache-2.0) ships its trained network inside its PyPI wheel; this
module runs the ONNX copy (``nmp.onnx``, 230 KB) with onnxruntime alone, without importing the package
(which looks for TensorFlow, CoreML and TFLite). The network hears 2-s windows of 22,050 Hz mono audio
(43,844 samples) and gives, per frame of 256 samples (11.6 ms) and per piano key (A0 to C8), the
posterior that a note sounds (``note``) and that one starts (``onset``).

Windows overlap: the first and last :data:`EDGE_FRAMES` frames of each are dropped and the windows step
by the :data:`STEP_FRAMES` frames kept, so frame ``k`` of the whole recording is the network's view of
samples around ``k * 256``. Audio is read in blocks and the posteriors are consumed as they come
(:class:`NoteTracker`), so memory does not grow with the recording's length.

Notes are tracked as usual for onset/frame models (:class:`NoteTracker`): a note starts at a peak of the
onset posterior above ``onset_threshold``, lasts while the note posterior stays above ``frame_threshold``
(gaps of up to ``tolerance`` frames bridged), ends at a new onset of the same key, and is kept if it
lasts at least ``min_frames`` frames; its confidence is its mean note posterior.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from instrid.errors import ModelError

PACKAGE = "basic-pitch==0.4.0"
INSTALL = f"pip install --no-deps {PACKAGE} onnxruntime"
#: The network's file inside the package, and its SHA-256 as released in the 0.4.0 wheel.
MODEL_FILE = Path("saved_models") / "icassp_2022" / "nmp.onnx"
MODEL_SHA256 = "2c3c1d144bfa61ad236e92e169c13535c880469a12a047d4e73451f2c059a0ec"
SAMPLE_RATE = 22_050
HOP = 256
WINDOW_SAMPLES = 2 * SAMPLE_RATE - HOP  # 43,844
WINDOW_FRAMES = 172
EDGE_FRAMES = 15
STEP_FRAMES = WINDOW_FRAMES - 2 * EDGE_FRAMES  # 142 frames kept per window
STEP_SAMPLES = STEP_FRAMES * HOP
#: MIDI number of the lowest of the 88 keys (A0).
LOWEST_PITCH = 21
N_KEYS = 88
#: Windows given to the network at once.
BATCH = 8
#: How much later than its true onset the network's onset peak comes, subtracted from every note's times,
#: and the tracker's defaults: chosen by note onset F1 (50 ms, mir_eval) on six validation recordings of
#: the default dataset (benchmarks/bench_notes.py measures the grid: F1 0.705 there, flat around it).
LATENCY_S = 0.025
ONSET_THRESHOLD, FRAME_THRESHOLD, MIN_FRAMES, TOLERANCE = 0.6, 0.2, 4, 11


def frame_seconds(frames) -> np.ndarray:
    """Start time in seconds of whole-recording frame(s) ``frames``."""
    return np.asarray(frames, dtype=np.float64) * HOP / SAMPLE_RATE


def model_path() -> Path:
    """The ONNX network inside the installed basic-pitch, checked against the released file's SHA-256.

    Raises :class:`ModelError` when basic-pitch is missing (the message says how to install it) or the file
    differs from the released one.
    """
    # find_spec does not import the package (whose __init__ looks for TensorFlow and friends).
    spec = importlib.util.find_spec("basic_pitch")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"basic-pitch is not installed; install the note model with: {INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"{path}: missing from the installed basic-pitch; reinstall it with: {INSTALL}")
    if hashlib.sha256(path.read_bytes()).hexdigest() != MODEL_SHA256:
        raise ModelError(f"{path}: differs from {PACKAGE}'s file (SHA-256); reinstall it with: {INSTALL}")
    return path


class NoteModel:
    """Basic Pitch's network on any length of audio, as per-frame posteriors (frames x 88 keys)."""

    def __init__(self, path=None, *, threads: int | None = None):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = options.inter_op_num_threads = int(threads)
        self.session = onnxruntime.InferenceSession(
            str(path or model_path()), options, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0].name
        names = {o.name for o in self.session.get_outputs()}
        # The exported graph's outputs: 1 the note posteriors, 2 the onsets, 0 the pitch contours (unused).
        self.outputs = ["StatefulPartitionedCall:1", "StatefulPartitionedCall:2"]
        if not set(self.outputs) <= names:
            raise ModelError(f"{path}: not Basic Pitch's network (outputs {sorted(names)})")

    def windows(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Note and onset posteriors ``(n, 172, 88)`` of ``n`` windows of :data:`WINDOW_SAMPLES` samples."""
        x = np.ascontiguousarray(windows, dtype=np.float32)[..., None]
        note, onset = self.session.run(self.outputs, {self.input: x})
        return note, onset

    def posteriors(self, blocks):
        """Note and onset posteriors of a recording given as blocks of 22,050 Hz mono samples, in time order.

        Yields ``(note, onset)`` arrays of consecutive frames (each ``(frames, 88)``), together the
        recording's ``ceil(samples / 256)`` frames.
        """
        pending = np.zeros(EDGE_FRAMES * HOP, dtype=np.float32)  # the first kept frame is sample 0
        total = emitted = 0
        batch = []
        for block in blocks:
            block = np.asarray(block, dtype=np.float32).reshape(-1)
            total += len(block)
            pending = np.concatenate([pending, block])
            while len(pending) >= WINDOW_SAMPLES:
                batch.append(pending[:WINDOW_SAMPLES])
                pending = pending[STEP_SAMPLES:]
                if len(batch) == BATCH:
                    note, onset = self._kept(batch)
                    emitted, batch = emitted + len(note), []
                    yield note, onset
        frames = -(-total // HOP)
        while emitted + len(batch) * STEP_FRAMES < frames:  # the rest of the audio, then silence
            window = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
            window[: min(len(pending), WINDOW_SAMPLES)] = pending[:WINDOW_SAMPLES]
            batch.append(window)
            pending = pending[STEP_SAMPLES:]
        if batch:
            note, onset = self._kept(batch)
            yield note[: frames - emitted], onset[: frames - emitted]

    def _kept(self, batch) -> tuple[np.ndarray, np.ndarray]:
        """The frames each window keeps, joined in time order."""
        note, onset = self.windows(np.stack(batch))
        kept = slice(EDGE_FRAMES, EDGE_FRAMES + STEP_FRAMES)
        return note[:, kept].reshape(-1, N_KEYS), onset[:, kept].reshape(-1, N_KEYS)


@dataclass
class NoteTracker:
    """Notes from note and onset posteriors fed in time order, one chunk of frames at a time."""

    onset_threshold: float = ONSET_THRESHOLD
    frame_threshold: float = FRAME_THRESHOLD
    min_frames: int = MIN_FRAMES  # 46 ms
    tolerance: int = TOLERANCE  # frames below frame_threshold bridged inside a note

    def __post_init__(self):
        if not (0 < self.onset_threshold < 1 and 0 < self.frame_threshold < 1):
            raise ValueError("thresholds must be in (0, 1)")
        if self.min_frames < 1 or self.tolerance < 0:
            raise ValueError("min_frames must be at least 1 and tolerance at least 0")
        self.frame = 0  # whole-recording index of the next frame to decide
        self.held = None  # the last frame fed, held back until the next shows whether its onset peaks
        self.previous_onset = np.zeros(N_KEYS)
        self.active = np.zeros(N_KEYS, dtype=bool)
        self.start = np.zeros(N_KEYS, dtype=np.int64)
        self.last_above = np.zeros(N_KEYS, dtype=np.int64)
        self.below = np.zeros(N_KEYS, dtype=np.int64)
        self.total = np.zeros(N_KEYS)  # note posteriors summed since the note started
        self.kept_total = np.zeros(N_KEYS)  # the same, up to the last frame above frame_threshold
        self.found: list[tuple[int, int, int, float]] = []

    def feed(self, note: np.ndarray, onset: np.ndarray) -> list[tuple[int, int, int, float]]:
        """Consume frames; return the notes finished so far as ``(start, end, key, confidence)`` (frames,
        end exclusive), removing them from the tracker."""
        note, onset = np.asarray(note, dtype=np.float64), np.asarray(onset, dtype=np.float64)
        if note.shape != onset.shape or note.ndim != 2 or note.shape[1] != N_KEYS:
            raise ValueError(f"note and onset posteriors must both be (frames, {N_KEYS}), got {note.shape}")
        for n, o in zip(note, onset):
            if self.held is not None:
                self._decide(*self.held, next_onset=o)
            self.held = (n, o)
        out, self.found = self.found, []
        return out

    def finish(self) -> list[tuple[int, int, int, float]]:
        """Decide the held frame and close every note still sounding; return the notes not yet returned."""
        if self.held is not None:
            self._decide(*self.held, next_onset=np.zeros(N_KEYS))
            self.held = None
        for key in np.flatnonzero(self.active):
            self._close(key, self.last_above[key] + 1, self.kept_total[key])
        out, self.found = self.found, []
        return out

    def _decide(self, note, onset, next_onset):
        t = self.frame
        peak = (onset >= self.onset_threshold) & (onset >= self.previous_onset) & (onset > next_onset)
        for key in np.flatnonzero(peak & self.active):  # the same key struck again: the note ends here
            self._close(key, t, self.total[key])
        self.active[peak], self.start[peak], self.below[peak], self.total[peak] = True, t, 0, 0.0
        above = self.active & ((note >= self.frame_threshold) | peak)  # a note's onset frame counts
        self.total[self.active] += note[self.active]
        self.last_above[above], self.below[above], self.kept_total[above] = t, 0, self.total[above]
        self.below[self.active & ~above] += 1
        for key in np.flatnonzero(self.active & (self.below > self.tolerance)):
            self._close(key, self.last_above[key] + 1, self.kept_total[key])
        self.previous_onset = onset
        self.frame = t + 1

    def _close(self, key: int, end: int, summed: float) -> None:
        """End ``key``'s note before frame ``end``; ``summed``: its note posteriors over its frames."""
        start = int(self.start[key])
        if end - start >= self.min_frames:
            self.found.append((start, int(end), int(key), float(summed / (end - start))))
        self.active[key] = False


def notes_table(tracked, *, latency_s: float = LATENCY_S) -> pd.DataFrame:
    """Tracked notes as a table: ``onset_s``, ``offset_s`` (``latency_s`` earlier than their frames),
    ``pitch`` (MIDI), ``confidence``, by onset."""
    rows = sorted(tracked)
    start = np.array([r[0] for r in rows], dtype=np.int64)
    end = np.array([r[1] for r in rows], dtype=np.int64)
    return pd.DataFrame(
        {
            "onset_s": np.maximum(frame_seconds(start) - latency_s, 0.0),
            "offset_s": np.maximum(frame_seconds(end) - latency_s, 0.0),
            "pitch": np.array([r[2] for r in rows], dtype=np.int64) + LOWEST_PITCH,
            "confidence": np.array([r[3] for r in rows], dtype=np.float64),
        }
    )
