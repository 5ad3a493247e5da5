"""Relabeling: per-note labels into per-segment and per-frame labels.

The report's first step (notebook ``01_relabeling``). MusicNet labels every
note; the model needs, for a stretch of time, the set of instruments (and
notes) sounding in it. Two views are offered:

* **Segments** (:func:`segment_labels`): split the timeline at every note onset
  and offset into non-overlapping segments; within a segment the set of
  sounding notes is constant. This is what the report trained on.
* **Frames** (:func:`frame_labels`): a fixed grid of frames; an instrument (or
  pitch) is on in a frame if it sounds for at least ``min_share`` of the frame.

Both take a label table as returned by :func:`instrid.data.musicnet.read_labels` and are
vectorized (no loop over notes or boundaries): relabeling all 323 MusicNetEM
recordings takes seconds, see ``benchmarks/bench_relabel.py``.

A note sounds on the half-open interval ``[start_time, end_time)``. The
report's code treated the end as inclusive, so that a note ending at ``t``
still sounds in the segment that starts at ``t``; rests then inherit the
instruments of the notes just before them. ``inclusive_end=True`` reproduces
that, so the study can measure the difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from instrid.data import instruments

N_PITCHES = 128


@dataclass(frozen=True)
class Segments:
    """Non-overlapping segments of one recording and what sounds in each.

    Attributes
    ----------
    start, end : numpy.ndarray of int64, shape (n,)
        Sample indices (at the labels' rate); segment ``i`` is
        ``[start[i], end[i])`` and ``end[i] == start[i + 1]``.
    instruments : numpy.ndarray of bool, shape (n, 11)
        Multi-hot instruments, columns in :data:`instrid.data.instruments.NAMES` order.
    notes : numpy.ndarray of bool, shape (n, 128)
        Multi-hot MIDI pitches (any instrument).
    """

    start: np.ndarray
    end: np.ndarray
    instruments: np.ndarray
    notes: np.ndarray

    def __len__(self) -> int:
        return len(self.start)

    @property
    def silent(self) -> np.ndarray:
        """True where no instrument sounds (a rest)."""
        return ~self.instruments.any(axis=1)

    @property
    def length(self) -> np.ndarray:
        """Segment lengths in samples."""
        return self.end - self.start


@dataclass(frozen=True)
class Frames:
    """A fixed grid of frames of one recording and what sounds in each.

    Attributes
    ----------
    start : numpy.ndarray of int64, shape (n,)
        First sample of each frame; frame ``i`` is ``[start[i], start[i] + frame_length)``.
    frame_length, hop : int
        In samples at ``sample_rate``.
    sample_rate : int
    instruments : numpy.ndarray of bool, shape (n, 11)
    notes : numpy.ndarray of bool, shape (n, 128)
    """

    start: np.ndarray
    frame_length: int
    hop: int
    sample_rate: int
    instruments: np.ndarray
    notes: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


def _note_arrays(labels: pd.DataFrame, n_samples: int):
    start = labels["start_time"].to_numpy(dtype=np.int64)
    end = labels["end_time"].to_numpy(dtype=np.int64)
    inst = instruments.index_of(labels["instrument"].to_numpy(), source="labels")
    note = labels["note"].to_numpy(dtype=np.int64)
    if n_samples <= 0:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    if len(start) and (start.min() < 0 or (end < start).any() or end.max() > n_samples):
        raise ValueError(f"labels need 0 <= start_time <= end_time <= n_samples ({n_samples})")
    if len(note) and (note.min() < 0 or note.max() >= N_PITCHES):
        raise ValueError("labels: note must be a MIDI pitch 0..127")
    return start, end, inst, note


def _coverage(first: np.ndarray, stop: np.ndarray, column: np.ndarray, n_rows: int, n_columns: int):
    """Multi-hot (n_rows, n_columns): row r is on in ``column[k]`` if first[k] <= r < stop[k].

    A difference array: +1 at (first, column), -1 at (stop, column), summed
    down the rows; overlapping intervals of one column simply add up.
    """
    size = (n_rows + 1) * n_columns
    diff = np.bincount(first * n_columns + column, minlength=size) - np.bincount(
        stop * n_columns + column, minlength=size
    )
    return np.cumsum(diff.reshape(n_rows + 1, n_columns)[:-1], axis=0) > 0


def segment_labels(labels: pd.DataFrame, n_samples: int, *, inclusive_end: bool = False) -> Segments:
    """Split a recording at every note onset and offset into labelled segments.

    Parameters
    ----------
    labels : pandas.DataFrame
        A label table (``start_time``, ``end_time``, ``instrument``, ``note``).
    n_samples : int
        Length of the recording, in samples at the labels' rate. The first
        segment starts at 0 and the last ends at ``n_samples``; silent segments
        (rests, leading and trailing silence) are kept and marked silent.
    inclusive_end : bool
        False (default): a note sounds on ``[start, end)``. True: the report
        code's rule, a note also sounds in the segment starting at its end.

    Returns
    -------
    Segments
    """
    start, end, inst, note = _note_arrays(labels, n_samples)
    bounds = np.unique(np.concatenate(([0, n_samples], start, end)))
    n_seg = len(bounds) - 1
    # Every start and end is a boundary, so searchsorted finds exact positions.
    first = np.searchsorted(bounds, start)
    stop = np.searchsorted(bounds, end)
    if inclusive_end:
        stop = np.minimum(stop + 1, n_seg)
    return Segments(
        start=bounds[:-1],
        end=bounds[1:],
        instruments=_coverage(first, stop, inst, n_seg, instruments.N_INSTRUMENTS),
        notes=_coverage(first, stop, note, n_seg, N_PITCHES),
    )


def frame_labels(
    labels: pd.DataFrame,
    n_samples: int,
    *,
    sample_rate: int = 44_100,
    frame_s: float = 0.010,
    hop_s: float | None = None,
    min_share: float = 0.5,
) -> Frames:
    """Multi-hot instruments and pitches on a fixed grid of frames.

    An instrument (a pitch) is on in a frame when it sounds for at least
    ``min_share`` of the frame's duration, overlapping notes of the same
    instrument counted once:

    .. math:: y_{f,k} = [\\,|\\bigcup_{n \\in k} [s_n, e_n) \\cap F_f| \\ge \\text{min\\_share} \\cdot L\\,]

    Parameters
    ----------
    labels : pandas.DataFrame
        A label table; times in samples at ``sample_rate``.
    n_samples : int
        Recording length in samples. Only whole frames are kept:
        ``n = (n_samples - L) // H + 1`` frames.
    sample_rate : int
        Rate of the label times, Hz.
    frame_s, hop_s : float
        Frame length and hop in seconds (hop defaults to the frame length);
        rounded to whole samples.
    min_share : float in (0, 1]
        Share of the frame an instrument must sound for.

    Returns
    -------
    Frames
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    frame_length = int(round(frame_s * sample_rate))
    hop = int(round((frame_s if hop_s is None else hop_s) * sample_rate))
    if frame_length <= 0 or hop <= 0:
        raise ValueError(f"frame and hop must be at least one sample, got {frame_s=} {hop_s=}")
    segments = segment_labels(labels, n_samples)
    n_frames = max(0, (n_samples - frame_length) // hop + 1)
    frame_start = np.arange(n_frames, dtype=np.int64) * hop
    bounds = np.append(segments.start, n_samples)
    # Segment of each frame's first and last sample. Most frames lie inside one
    # segment and simply take its labels; only frames across a boundary need
    # the sounding time measured.
    first_seg = np.searchsorted(bounds, frame_start, side="right") - 1
    last_seg = np.searchsorted(bounds, frame_start + frame_length - 1, side="right") - 1
    across = np.flatnonzero(first_seg != last_seg)
    edge_start, edge_end = frame_start[across], frame_start[across] + frame_length
    # For those, the sounding time of each column up to t is a piecewise-linear
    # integral: cum[j] at boundary j, plus (t - bounds[j]) inside segment j.
    edge_first, edge_last = first_seg[across], last_seg[across]
    need = min_share * frame_length

    def on(active: np.ndarray) -> np.ndarray:
        out = active[first_seg]
        used = np.flatnonzero(active.any(axis=0))
        if across.size == 0 or used.size == 0:
            return out
        act = active[:, used]
        cum = np.zeros((len(segments) + 1, used.size), dtype=np.int64)
        np.cumsum(act * segments.length[:, None], axis=0, out=cum[1:])
        sounding = (cum[edge_last] + (edge_end - bounds[edge_last])[:, None] * act[edge_last]) - (
            cum[edge_first] + (edge_start - bounds[edge_first])[:, None] * act[edge_first]
        )
        out[np.ix_(across, used)] = sounding >= need
        return out

    return Frames(
        start=frame_start,
        frame_length=frame_length,
        hop=hop,
        sample_rate=sample_rate,
        instruments=on(segments.instruments),
        notes=on(segments.notes),
    )
