"""The study's data for any model: fixed windows of audio around labelled frames.

For a researcher who wants only the data: every recording of a MusicNet-format
tree (real MusicNet, or the synthetic default) cut into a grid of label frames,
each with its 11 instrument targets (and, if asked, the 128 sounding pitches),
and each heard through a window of real audio centred on the frame, so a model
gets the context around the moment it names (the study's own examples tile a
short segment by repetition instead; this module never does). Samples of a
window that fall outside the recording are zeros, so the labelled frame is
always at the window's centre.

>>> from instrid.data.windows import LabelledWindows                           # doctest: +SKIP
>>> train = LabelledWindows("data/synth", split="train", sample_rate=16_000)  # doctest: +SKIP
>>> item = train[0]      # {"audio": (16000,), "instruments": (11,), "recording", "start_s"}  # doctest: +SKIP
>>> loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True)  # doctest: +SKIP

:class:`LabelledWindows` is a :class:`torch.utils.data.Dataset` (reads each
window from disk when asked, so it fits any tree in memory);
:func:`labelled_windows` gives a seeded draw of them as plain arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import soxr
import torch
from tqdm import tqdm

from instrid.data.examples import RESAMPLE_PAD
from instrid.data.labels import frame_labels
from instrid.data.musicnet import LABEL_SAMPLE_RATE, MusicNet
from instrid.data.splits import SPLIT_NAMES, read_splits


class LabelledWindows(torch.utils.data.Dataset):
    """Windows of audio centred on a grid of label frames, with their targets.

    Frame ``i`` of a recording covers ``[i * hop, i * hop + frame)`` seconds;
    an instrument (a pitch) is on when it sounds for at least ``min_share`` of
    the frame (:func:`instrid.data.labels.frame_labels`). Its window is
    ``window_s`` seconds of mono audio centred on the frame, zeros outside the
    recording, resampled to ``sample_rate`` (soxr) when that differs from the
    file's rate.

    Parameters
    ----------
    root : path-like
        A MusicNet-format tree (:class:`instrid.data.musicnet.MusicNet`).
    split : {"train", "validation", "test"} or None
        The study's committed split of MusicNet's recordings (the official
        test set; a validation set drawn from the training recordings,
        stratified by ensemble). ``None``: every recording of the tree.
        Recordings the committed split does not name keep the tree's own
        folder (``train`` or ``test``).
    recordings : iterable of int, optional
        Only these recordings (after ``split``).
    frame_s, hop_s : float
        Label frame length and hop, seconds (hop defaults to the frame).
    window_s : float
        Audio heard per frame, seconds (at least ``frame_s``).
    sample_rate : int, optional
        Rate of the returned audio, Hz; ``None`` keeps the files' rate.
    min_share : float in (0, 1]
        Share of the frame a label must sound for.
    pitches : bool
        Also return the sounding MIDI pitches (128 multi-hot) of each frame.
    progress : bool
        A progress bar while the frames are labelled.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per window: ``recording``, ``split``, ``start`` (the frame's
        first sample at the labels' 44.1 kHz).
    instruments : numpy.ndarray of bool, shape (n, 11)
        Targets, in :data:`instrid.data.instruments.NAMES` order.
    pitches : numpy.ndarray of bool, shape (n, 128), or None
    """

    def __init__(
        self,
        root,
        split: str | None = "train",
        *,
        recordings=None,
        frame_s: float = 0.1,
        hop_s: float | None = None,
        window_s: float = 1.0,
        sample_rate: int | None = None,
        min_share: float = 0.5,
        pitches: bool = False,
        progress: bool = True,
    ):
        if split is not None and split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES} or None, got {split!r}")
        if not frame_s > 0 or not window_s >= frame_s:
            raise ValueError(f"need 0 < frame_s <= window_s, got frame_s={frame_s}, window_s={window_s}")
        if sample_rate is not None and int(sample_rate) <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self.dataset = MusicNet(root)
        self.sample_rate = None if sample_rate is None else int(sample_rate)
        self.frame_samples = int(round(frame_s * LABEL_SAMPLE_RATE))
        self.window_s = float(window_s)
        splits = read_splits()
        committed = dict(zip(splits["id"].astype(int), splits["split"]))
        split_of = {rid: committed.get(rid, self.dataset.recording(rid)["split"]) for rid in self.dataset.ids}
        chosen = [rid for rid in self.dataset.ids if split is None or split_of[rid] == split]
        if recordings is not None:
            wanted = {int(r) for r in recordings}
            chosen = [rid for rid in chosen if rid in wanted]
        if not chosen:
            raise ValueError(f"{self.dataset.root}: no recording in split {split!r} (of those asked for)")
        tables, targets, notes = [], [], []
        for rid in tqdm(chosen, desc="label frames", unit="rec", disable=not progress, leave=False):
            frames = frame_labels(
                self.dataset.labels(rid),
                self.dataset.n_label_samples(rid),
                sample_rate=LABEL_SAMPLE_RATE,
                frame_s=frame_s,
                hop_s=hop_s,
                min_share=min_share,
            )
            tables.append(pd.DataFrame({"recording": rid, "split": split_of[rid], "start": frames.start}))
            targets.append(frames.instruments)
            notes.append(frames.notes if pitches else None)
        self.table = pd.concat(tables, ignore_index=True)
        self.instruments = np.concatenate(targets)
        self.pitches = np.concatenate(notes) if pitches else None

    def __len__(self) -> int:
        return len(self.table)

    def audio(self, i: int) -> np.ndarray:
        """Window ``i``'s audio, float32 mono, ``window_s`` seconds at the output rate."""
        row = self.table.iloc[int(i)]
        rec = self.dataset.recording(int(row["recording"]))
        native, n_native = int(rec["sample_rate"]), int(rec["n_samples"])
        rate = self.sample_rate or native
        length = int(round(self.window_s * rate))
        centre_s = (int(row["start"]) + self.frame_samples / 2) / LABEL_SAMPLE_RATE
        first = int(round(centre_s * rate - length / 2))  # the window's first sample at the output rate
        # `step` native samples are `up` output samples; reading from a multiple of `step` keeps both grids.
        common = math.gcd(native, rate)
        step, up = native // common, rate // common
        pad = 0 if rate == native else RESAMPLE_PAD
        lo = (first * step // up - pad) // step * step
        hi = -(-((first + length) * step // up + 1 + pad) // step) * step
        wide = np.zeros(hi - lo, dtype=np.float32)
        a, b = max(lo, 0), min(hi, n_native)
        if a < b:
            wide[a - lo : b - lo] = self.dataset.read(int(rec["id"]), a, b)
        if rate != native:
            wide = soxr.resample(wide, native, rate).astype(np.float32)
        out = np.zeros(length, dtype=np.float32)
        piece = wide[first - lo * up // step :][:length]
        out[: len(piece)] = piece
        return out

    def __getitem__(self, i: int) -> dict:
        """``audio`` (float32, window samples), ``instruments`` (float32, 11), ``pitches`` (float32, 128,
        when asked), ``recording`` (int) and ``start_s`` (the frame's start, seconds)."""
        if not -len(self) <= int(i) < len(self):
            raise IndexError(f"window {i} of {len(self)}")
        i = int(i) % len(self)
        row = self.table.iloc[i]
        item = {
            "audio": torch.from_numpy(self.audio(i)),
            "instruments": torch.from_numpy(self.instruments[i].astype(np.float32)),
            "recording": int(row["recording"]),
            "start_s": float(row["start"]) / LABEL_SAMPLE_RATE,
        }
        if self.pitches is not None:
            item["pitches"] = torch.from_numpy(self.pitches[i].astype(np.float32))
        return item


@dataclass(frozen=True)
class WindowArrays:
    """Windows as arrays (:func:`labelled_windows`)."""

    audio: np.ndarray  # float32 (n, window samples)
    instruments: np.ndarray  # bool (n, 11), instrid.data.instruments.NAMES order
    pitches: np.ndarray | None  # bool (n, 128) MIDI pitches, when asked for
    table: pd.DataFrame  # the windows' rows: recording, split, start (samples at 44.1 kHz)


def labelled_windows(
    root, split: str | None = "train", *, max_windows: int | None = None, seed: int = 0, **options
) -> WindowArrays:
    """A seeded draw of :class:`LabelledWindows`, read into arrays.

    ``max_windows`` draws that many windows uniformly without replacement
    (``None``: all of them; for a whole tree, many gigabytes); the rows stay
    in recording order. ``options`` are :class:`LabelledWindows`'s.
    """
    windows = LabelledWindows(root, split, **options)
    rows = np.arange(len(windows))
    if max_windows is not None and max_windows < len(windows):
        rows = np.sort(np.random.default_rng(seed).choice(len(windows), size=int(max_windows), replace=False))
    reading = tqdm(rows, desc="windows", unit="win", disable=not options.get("progress", True), leave=False)
    audio = [windows.audio(i) for i in reading]
    return WindowArrays(
        audio=np.stack(audio) if audio else np.zeros((0, 0), np.float32),
        instruments=windows.instruments[rows],
        pitches=None if windows.pitches is None else windows.pitches[rows],
        table=windows.table.iloc[rows].reset_index(drop=True),
    )
