"""Relabeling: per-note labels into per-segment and per-frame labels.

The report's first step (notebook ``01_relabeling``). MusicNet labels every
note; the model needs, for a stretch of time, the set of instruments (and
notes) sounding in it. Two views are offered:

* **Segments** (:func:`segment_labels`): split the timeline at every note onset
  and offset into non-overlapping segments; within a segment the set of
  sounding notes is constant. This is what the report trained on.
* **Frames** (:func:`frame_labels`): a fixed grid of frames; an instrument (or
  pitch) is on in a frame if it sounds for at least ``min_share`` of the frame.

Both take a label table as returned by :func:`instrid.data.read_labels` and are
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

from instrid import instruments

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
        Multi-hot instruments, columns in :data:`instrid.instruments.NAMES` order.
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

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: start, end, silent, and one bool column per instrument."""
        table = pd.DataFrame({"start": self.start, "end": self.end, "silent": self.silent})
        for j, name in enumerate(instruments.NAMES):
            table[name] = self.instruments[:, j]
        return table


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


# ---- examples: what the model is trained and evaluated on -------------------------------------


@dataclass(frozen=True)
class Examples:
    """Labelled stretches of recordings (segments), the unit the model sees.

    Attributes
    ----------
    table : pandas.DataFrame
        ``recording`` (id), ``start``, ``end`` (samples at the labels' 44.1 kHz),
        ``split`` (the recording's split), one row per example.
    targets : numpy.ndarray of bool, shape (n, 11)
        Multi-hot instruments of each example.
    """

    table: pd.DataFrame
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.table)

    def subset(self, rows) -> "Examples":
        """The examples selected by a boolean mask or an array of row positions."""
        rows = np.asarray(rows)
        return Examples(self.table.iloc[np.flatnonzero(rows) if rows.dtype == bool else rows].reset_index(drop=True),
                        self.targets[rows])

    def split(self, name: str) -> "Examples":
        """The examples of one split ("train", "validation" or "test")."""
        return self.subset(self.table["split"].to_numpy() == name)


def segment_examples(dataset, splits: pd.DataFrame, *, per_split=None, inclusive_end: bool = False,
                     include_silent: bool = True, seed: int = 0, progress: bool = True) -> Examples:
    """Segments of every recording of ``dataset`` named in ``splits``, optionally subsampled.

    Parameters
    ----------
    dataset : instrid.data.MusicNet
    splits : pandas.DataFrame
        ``id`` and ``split`` columns (see :func:`instrid.data.read_splits`);
        recordings of the dataset absent from it are skipped.
    per_split : dict, optional
        ``{split: n}``: keep ``n`` segments drawn uniformly at random without
        replacement (seeded) from all of that split's segments; ``None`` keeps all.
    inclusive_end : bool
        Segment labels with the report code's inclusive-end rule.
    include_silent : bool
        Keep segments where nothing plays (all-zero targets).
    seed : int

    Returns
    -------
    Examples, ordered by split, recording and start.
    """
    from tqdm import tqdm

    split_of = dict(zip(splits["id"].astype(int), splits["split"]))
    tables, targets = [], []
    for rid in tqdm([r for r in dataset.ids if r in split_of], desc="segments", unit="rec",
                    disable=not progress, leave=False):
        segments = segment_labels(dataset.labels(rid), dataset.n_label_samples(rid), inclusive_end=inclusive_end)
        keep = np.ones(len(segments), dtype=bool) if include_silent else ~segments.silent
        tables.append(pd.DataFrame({"recording": rid, "start": segments.start[keep], "end": segments.end[keep],
                                    "split": split_of[rid]}))
        targets.append(segments.instruments[keep])
    if not tables:
        raise ValueError("no recording of the dataset is named in splits")
    examples = Examples(pd.concat(tables, ignore_index=True), np.concatenate(targets))
    return sample(examples, per_split, seed=seed) if per_split else _ordered(examples)


def _ordered(examples: Examples) -> Examples:
    """Examples ordered by split (train, validation, test), recording and start."""
    order = np.lexsort((examples.table["start"], examples.table["recording"],
                        examples.table["split"].map({"train": 0, "validation": 1, "test": 2}).fillna(3)))
    return examples.subset(order)


def sample(examples: Examples, per_split: dict, *, seed: int = 0) -> Examples:
    """:func:`subsample`, then ordered by split, recording and start (what the study trains on).

    Within a split, rows are drawn by position, so the draw depends only on the
    order of that split's rows (recording, then start): sampling all segments
    of a dataset once per seed gives what :func:`segment_examples` gives.
    """
    return _ordered(subsample(examples, per_split, seed=seed))


def subsample(examples: Examples, per_split: dict, *, seed: int = 0) -> Examples:
    """Keep ``per_split[split]`` examples of each named split, drawn uniformly without replacement.

    Splits not named are dropped; rows keep their original order.
    """
    rng = np.random.default_rng(seed)
    split = examples.table["split"].to_numpy()
    chosen = []
    for name in sorted(per_split):
        rows = np.flatnonzero(split == name)
        chosen.append(rng.choice(rows, size=min(int(per_split[name]), len(rows)), replace=False))
    return examples.subset(np.sort(np.concatenate(chosen)))


def positional_split(examples: Examples, shares=(0.6, 0.2, 0.2)) -> Examples:
    """Re-split examples by row position, unshuffled: 60/20/20 of the pooled segments in time order.

    All segments, pooled from the train and test folders in that order (each
    recording's segments in time order), are cut into train, validation and
    test by position. Only the few recordings that straddle a cut are shared
    between splits (2 of 323 on MusicNetEM); see :func:`report_code_split` for
    what the report's code actually did.
    """
    folder = np.where(examples.table["split"].to_numpy() == "test", 1, 0)
    order = np.lexsort((examples.table["start"], examples.table["recording"], folder))
    return _cut(examples, order, shares)


def report_code_split(examples: Examples, shares=(0.6, 0.2, 0.2), *, seed: int = 0) -> Examples:
    """Re-split examples the way the report's code did: shuffle the pooled segments, then cut 60/20/20.

    The report's code shuffled its pooled segment table before the positional
    cut (commit 734ec35 of its repository), so neighbouring segments of one
    recording land in train, validation and test alike: nearly every test
    segment's recording is also in training (:func:`leak_share`). Offered only
    to audit the report's numbers; ``seed`` fixes the shuffle.
    """
    folder = np.where(examples.table["split"].to_numpy() == "test", 1, 0)
    pooled = np.lexsort((examples.table["start"], examples.table["recording"], folder))
    return _cut(examples, pooled[np.random.default_rng(seed).permutation(len(pooled))], shares)


def _cut(examples: Examples, order: np.ndarray, shares) -> Examples:
    table = examples.table.iloc[order].reset_index(drop=True)
    n = len(table)
    cut1, cut2 = int(round(shares[0] * n)), int(round((shares[0] + shares[1]) * n))
    table["split"] = np.repeat(["train", "validation", "test"], [cut1, cut2 - cut1, n - cut2])
    return Examples(table, examples.targets[order])


def leak_share(examples: Examples, split: str = "test") -> float:
    """Share of ``split``'s examples whose recording also has examples in ``train`` (0..1).

    0 for the study's split by recording; the size of the leak for the
    report code's split.
    """
    table = examples.table
    in_split = table["split"].to_numpy() == split
    if not in_split.any():
        return 0.0
    train_recordings = np.unique(table.loc[table["split"] == "train", "recording"])
    return float(np.isin(table.loc[in_split, "recording"].to_numpy(), train_recordings).mean())
