"""Training examples: labelled stretches of recordings, their splits and their audio crops.

What the model is trained and evaluated on (notebooks ``00_data`` and ``02`` on).
:func:`segment_examples` cuts every recording into the segments of
:func:`instrid.data.labels.segment_labels`; :func:`sample` draws a seeded subsample
per split; :func:`report_code_split` and :func:`positional_split` re-split
pooled segments the way the report's code did, for the audit. :func:`crops`
reads the audio of examples (only the samples needed) and cuts each into the
fixed-length crop the front-end takes (:func:`crop_or_tile`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from instrid.data.labels import frame_labels, segment_labels
from instrid.data.musicnet import LABEL_SAMPLE_RATE


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

    def subset(self, rows) -> Examples:
        """The examples selected by a boolean mask or an array of row positions."""
        rows = np.asarray(rows)
        return Examples(
            self.table.iloc[np.flatnonzero(rows) if rows.dtype == bool else rows].reset_index(drop=True),
            self.targets[rows],
        )

    def split(self, name: str) -> Examples:
        """The examples of one split ("train", "validation" or "test")."""
        return self.subset(self.table["split"].to_numpy() == name)


def segment_examples(
    dataset,
    splits: pd.DataFrame,
    *,
    per_split=None,
    inclusive_end: bool = False,
    include_silent: bool = True,
    seed: int = 0,
    progress: bool = True,
) -> Examples:
    """Segments of every recording of ``dataset`` named in ``splits``, optionally subsampled.

    Parameters
    ----------
    dataset : instrid.data.musicnet.MusicNet
    splits : pandas.DataFrame
        ``id`` and ``split`` columns (see :func:`instrid.data.splits.read_splits`);
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
    for rid in tqdm(
        [r for r in dataset.ids if r in split_of],
        desc="segments",
        unit="rec",
        disable=not progress,
        leave=False,
    ):
        segments = segment_labels(
            dataset.labels(rid), dataset.n_label_samples(rid), inclusive_end=inclusive_end
        )
        keep = np.ones(len(segments), dtype=bool) if include_silent else ~segments.silent
        tables.append(
            pd.DataFrame(
                {
                    "recording": rid,
                    "start": segments.start[keep],
                    "end": segments.end[keep],
                    "split": split_of[rid],
                }
            )
        )
        targets.append(segments.instruments[keep])
    if not tables:
        raise ValueError("no recording of the dataset is named in splits")
    examples = Examples(pd.concat(tables, ignore_index=True), np.concatenate(targets))
    return sample(examples, per_split, seed=seed) if per_split else _ordered(examples)


#: Hung & Yang's (ISMIR 2018) evaluation frame: 9 hops of 512 samples at 44.1 kHz, about 104.5 ms.
HUNG_YANG_FRAME_SAMPLES = 9 * 512


def frame_examples(
    dataset,
    recordings,
    *,
    frame_samples: int = HUNG_YANG_FRAME_SAMPLES,
    min_share: float = 0.5,
    max_frames: int | None = None,
    split: str = "test",
    progress: bool = True,
) -> Examples:
    """Every whole frame of ``recordings`` on a fixed grid, as examples (for frame-level protocols).

    Frame ``i`` of a recording is samples ``[i L, (i + 1) L)`` at the labels'
    44.1 kHz, ``L = frame_samples`` (default :data:`HUNG_YANG_FRAME_SAMPLES`,
    104.49 ms); a trailing partial frame is dropped. Its targets are the
    instruments sounding for at least ``min_share`` of it
    (:func:`instrid.data.labels.frame_labels`). Each example's crop, like a short
    segment's, holds only the frame's own audio. ``max_frames`` keeps only the
    first frames of each recording (a quick run; ``None`` keeps all).
    """
    from tqdm import tqdm

    tables, targets = [], []
    for rid in tqdm(list(recordings), desc="frames", unit="rec", disable=not progress, leave=False):
        frames = frame_labels(
            dataset.labels(rid),
            dataset.n_label_samples(rid),
            sample_rate=LABEL_SAMPLE_RATE,
            frame_s=frame_samples / LABEL_SAMPLE_RATE,
            min_share=min_share,
        )
        keep = slice(None) if max_frames is None else slice(0, max_frames)
        start = frames.start[keep]
        tables.append(
            pd.DataFrame({"recording": rid, "start": start, "end": start + frame_samples, "split": split})
        )
        targets.append(frames.instruments[keep])
    if not tables:
        raise ValueError("no recordings given")
    return Examples(pd.concat(tables, ignore_index=True), np.concatenate(targets))


def _ordered(examples: Examples) -> Examples:
    """Examples ordered by split (train, validation, test), recording and start."""
    order = np.lexsort(
        (
            examples.table["start"],
            examples.table["recording"],
            examples.table["split"].map({"train": 0, "validation": 1, "test": 2}).fillna(3),
        )
    )
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


# ---- audio of examples -----------------------------------------------------------------------


def crop_or_tile(audio: np.ndarray, start: int, end: int, n: int) -> np.ndarray:
    """The first ``n`` samples of ``audio[start:end]``, tiled by repetition if shorter.

    Parameters
    ----------
    audio : numpy.ndarray, shape (n_samples,)
    start, end : int
        The example's stretch, ``0 <= start < end <= len(audio)``.
    n : int
        Output length in samples.

    Returns
    -------
    numpy.ndarray of float32, shape (n,)
    """
    if not 0 <= start < end <= len(audio):
        raise ValueError(f"need 0 <= start < end <= {len(audio)}, got start={start}, end={end}")
    piece = audio[start : min(end, start + n)]
    if len(piece) < n:
        piece = np.tile(piece, -(-n // len(piece)))[:n]
    return np.asarray(piece, dtype=np.float32)


def centred_windows(
    start: np.ndarray, end: np.ndarray, length: int, n_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``length`` samples centred on each example's stretch, kept inside the recording.

    For a backbone that hears context around an example (the example's labels
    stay those of its stretch). A window that would cross an end of the
    recording is shifted inside it; a recording shorter than ``length`` gives
    the whole recording.

    Parameters
    ----------
    start, end : numpy.ndarray of int
        The stretches, ``0 <= start < end <= n_samples``.
    length : int
        Window length, samples (>= 1).
    n_samples : int
        The recording's length, samples.

    Returns
    -------
    start, end : numpy.ndarray of int64
        ``end - start == min(length, n_samples)`` for every window.
    """
    start, end = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
    if length < 1:
        raise ValueError(f"length must be at least 1, got {length}")
    if len(start) and not (0 <= start.min() and (start < end).all() and end.max() <= n_samples):
        raise ValueError(f"need 0 <= start < end <= {n_samples}")
    first = np.clip((start + end) // 2 - length // 2, 0, max(0, n_samples - length))
    return first, np.minimum(first + length, n_samples)


#: Context read on each side of a crop that is resampled, in samples at the file's rate.
RESAMPLE_PAD = 256


def crops(
    dataset, rid: int, start: np.ndarray, end: np.ndarray, sample_rate: int, crop_samples: int
) -> np.ndarray:
    """``(len(start), crop_samples)`` float32 crops of one recording's examples.

    ``start``/``end`` are in samples at the labels' 44.1 kHz. Each crop is the
    stretch's first ``crop_samples`` samples at ``sample_rate``, or the stretch
    tiled when shorter (:func:`crop_or_tile`). Only the
    needed samples are read. When ``sample_rate`` differs from the file's, each
    piece is resampled (soxr) from a read that starts on a sample shared by
    both rates' grids, with :data:`RESAMPLE_PAD` samples of context on each
    side, so crops agree with resampling the whole recording.
    """
    import soxr

    rec = dataset.recording(rid)
    native, n_native = int(rec["sample_rate"]), int(rec["n_samples"])
    common = math.gcd(native, int(sample_rate))
    step, up = native // common, int(sample_rate) // common  # step native samples = up target samples
    n_target = n_native * up // step
    to_target = sample_rate / LABEL_SAMPLE_RATE
    t0 = np.minimum(np.floor(np.asarray(start) * to_target).astype(np.int64), n_target - 1)
    t1 = np.ceil(np.asarray(end) * to_target).astype(np.int64)
    t1 = np.minimum(np.minimum(np.maximum(t1, t0 + 1), t0 + crop_samples), n_target)
    if sample_rate == native:
        pieces = dataset.read_spans(rid, zip(t0.tolist(), t1.tolist()))
    else:
        blocks = np.maximum(0, (t0 * step // up - RESAMPLE_PAD) // step)
        lo = blocks * step
        hi = np.minimum(n_native, -(-t1 * step // up) + RESAMPLE_PAD)
        pieces = []
        for wide, a, b, first in zip(
            dataset.read_spans(rid, zip(lo.tolist(), hi.tolist())),
            t0.tolist(),
            t1.tolist(),
            (blocks * up).tolist(),
        ):
            wide = soxr.resample(wide, native, int(sample_rate))
            # soxr may return a sample less at the very end of a recording.
            pieces.append(wide[a - first : b - first] if a - first < len(wide) else wide[-1:])
    out = np.empty((len(pieces), crop_samples), dtype=np.float32)
    for i, piece in enumerate(pieces):
        out[i] = crop_or_tile(piece, 0, len(piece), crop_samples)
    return out


def training_crops(
    dataset, examples: Examples, sample_rate: int, crop_samples: int, *, n: int = 512, seed: int = 0
) -> np.ndarray:
    """Crops of up to ``n`` training examples drawn at random (seeded), to fit a front-end's statistics on.

    Returns ``(min(n, n_train), crop_samples)`` float32, ordered by recording
    and start.
    """
    train_rows = np.flatnonzero(examples.table["split"].to_numpy() == "train")
    chosen = np.sort(
        np.random.default_rng(seed).choice(train_rows, size=min(n, len(train_rows)), replace=False)
    )
    table = examples.table.iloc[chosen]
    return np.concatenate(
        [
            crops(dataset, rid, part["start"].to_numpy(), part["end"].to_numpy(), sample_rate, crop_samples)
            for rid, part in table.groupby("recording", sort=True)
        ]
    )
