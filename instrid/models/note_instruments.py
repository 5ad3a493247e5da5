"""The instrument of each note: a small network that hears a note's pitch-centred spectrum.

A note (its onset and MIDI pitch, from the labels or from :mod:`instrid.models.notes`) is shown to the
network as a **patch** of a log-frequency spectrogram cut around it: rows from 2 semitones below its
fundamental to 4 octaves above (:data:`BINS_PER_SEMITONE` rows a semitone, 150 rows), frames from 2
before its onset to 22 after (24 frames of 256 samples at 22,050 Hz, 280 ms). Centred on the pitch, the
same rows hold the same harmonics for every note, so what differs between instruments is their harmonic
profile, attack and decay, which is what tells a violin from a clarinet at the same pitch.

The spectrogram (:class:`LogSpectrogram`: STFT of 2,048 samples every 256, magnitudes summed into
third-semitone bands by how much of each STFT bin falls in each band) is computed from audio streamed in
blocks on the same frame grid as the note model (frame ``k`` is centred on sample ``k * 256``), and the
patches are cut as the frames come (:func:`patch_batches`), so memory stays flat in the recording's length.
:func:`transcribe` runs both: a recording's notes, then the instrument of each.

The network (:class:`NoteInstrumentNet`: three convolution blocks, the rows pooled to 6 bands, the pitch
added, one linear layer to the 11 instruments) is trained (:func:`train`) on the notes of the default
dataset's training recordings with class-weighted cross-entropy, each patch shifted by up to
:attr:`Training.jitter` frames (found onsets are off by a frame or two), seeded, keeping the epoch with the
best mean F on validation notes; it is cached by what it was trained from and saved as one file
(:func:`save`, :func:`load`) that ``instrid transcribe`` reads.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

import instrid
from instrid import cache
from instrid.data import instruments, musicnet, splits
from instrid.errors import ModelError
from instrid.files import atomic_path, cache_dir
from instrid.models import notes

VERSION = 3
SAMPLE_RATE = notes.SAMPLE_RATE
HOP = notes.HOP
N_FFT = 2048
BINS_PER_SEMITONE = 3
#: The spectrogram's lowest band: 2 semitones below A0, the lowest note's lowest patch row.
LOWEST_MIDI = notes.LOWEST_PITCH - 2
#: Bands from LOWEST_MIDI to 4 octaves above C8 (bands above Nyquist stay 0).
N_BANDS = (notes.LOWEST_PITCH + notes.N_KEYS - 1 + 48 - LOWEST_MIDI + 1) * BINS_PER_SEMITONE
PATCH_ROWS = (2 + 48) * BINS_PER_SEMITONE  # 150
BEFORE, AFTER = 2, 22  # frames around the onset frame
PATCH_FRAMES = BEFORE + AFTER  # 24
MODEL_NAME = "instrid-notes.pt"
FORMAT_VERSION = 2  # a file of another version is refused by load, still recognised by mark
#: The columns of a transcription (:func:`transcribe`).
COLUMNS = ("onset_s", "offset_s", "pitch", "instrument", "confidence", "note_confidence")
KEYS = ("format_version", "instrid_version", "network", "settings", "trained_on", "validation", "instruments")


def band_weights() -> np.ndarray:
    """``(N_FFT // 2 + 1, N_BANDS)``: how much of each STFT bin falls in each third-semitone band.

    Band ``b`` spans MIDI ``LOWEST_MIDI + (b - 0.5) / 3`` to ``LOWEST_MIDI + (b + 0.5) / 3``; an STFT bin
    spans half a bin either side of its frequency. A band narrower than a bin (below ~600 Hz) takes the
    share of the bin it covers, so low notes keep their spectrum instead of empty rows.
    """
    spacing = SAMPLE_RATE / N_FFT
    bins = np.arange(N_FFT // 2 + 1) * spacing
    lo_bin, hi_bin = np.maximum(bins - spacing / 2, 0), bins + spacing / 2
    band = np.arange(N_BANDS)
    edges = 440.0 * 2.0 ** ((LOWEST_MIDI + (np.concatenate([band - 0.5, [band[-1] + 0.5]])) / 3 - 69) / 12)
    lo_band, hi_band = edges[:-1], edges[1:]
    overlap = np.clip(
        np.minimum(hi_bin[:, None], hi_band[None]) - np.maximum(lo_bin[:, None], lo_band[None]), 0, None
    )
    return (overlap / spacing).astype(np.float32)


class LogSpectrogram:
    """Third-semitone magnitudes of audio streamed in blocks, frame ``k`` centred on sample ``k * 256``."""

    def __init__(self):
        self.window = torch.hann_window(N_FFT, dtype=torch.float32)
        # Magnitudes scaled so that a full-scale sinusoid's peak bin is about 1.
        self.weights = torch.from_numpy(band_weights()) * (2.0 / float(self.window.sum()))

    def _frames(self, audio: np.ndarray) -> np.ndarray:
        frames = torch.from_numpy(audio).unfold(0, N_FFT, HOP) * self.window
        return (torch.fft.rfft(frames).abs() @ self.weights).numpy()

    def frames(self, blocks):
        """Yield ``(frames, N_BANDS)`` float32 arrays, together the recording's ``ceil(samples / 256)``."""
        pending = np.zeros(N_FFT // 2, dtype=np.float32)  # the first frame is centred on sample 0
        total = emitted = 0
        for block in blocks:
            block = np.asarray(block, dtype=np.float32).reshape(-1)
            total += len(block)
            pending = np.concatenate([pending, block])
            n = (len(pending) - N_FFT) // HOP + 1 if len(pending) >= N_FFT else 0
            if n > 0:
                yield self._frames(pending[: (n - 1) * HOP + N_FFT])
                emitted, pending = emitted + n, pending[n * HOP :]
        frames = -(-total // HOP)
        if frames > emitted:
            need = (frames - emitted - 1) * HOP + N_FFT
            tail = np.zeros(max(need, len(pending)), dtype=np.float32)
            tail[: len(pending)] = pending
            yield self._frames(tail[:need])


def onset_frames(onset_s) -> np.ndarray:
    """The frame (of 256 samples at 22,050 Hz) nearest each onset."""
    return np.round(np.asarray(onset_s, dtype=np.float64) * SAMPLE_RATE / HOP).astype(np.int64)


def patch_batches(frames, onsets, pitches, *, batch: int = 512, margin: int = 0):
    """The patches of notes with onset frames ``onsets`` and MIDI ``pitches``, cut from streamed ``frames``
    as soon as they are complete, in batches.

    ``frames``: an iterable of ``(n, N_BANDS)`` arrays in time order (:meth:`LogSpectrogram.frames`).
    Yields ``(indices, patches)``: positions in ``onsets`` (by onset) and their ``(k, PATCH_ROWS,
    PATCH_FRAMES)`` float16 ``log1p(100 * magnitude)``; frames before the start or after the end are 0.
    Only the frames still needed and one batch are held, so memory does not grow with the recording.
    ``margin`` frames more on each side (``PATCH_FRAMES + 2 * margin`` in all) let training shift a patch.
    """
    onsets, pitches = np.asarray(onsets, dtype=np.int64), np.asarray(pitches, dtype=np.int64)
    if onsets.shape != pitches.shape or onsets.ndim != 1:
        raise ValueError("onsets and pitches must be 1-d and of the same length")
    if len(pitches) and (
        pitches.min() < notes.LOWEST_PITCH or pitches.max() >= notes.LOWEST_PITCH + notes.N_KEYS
    ):
        raise ValueError(
            f"pitches must be piano keys, MIDI {notes.LOWEST_PITCH} to {notes.LOWEST_PITCH + 87}"
        )
    order = np.argsort(onsets, kind="stable")
    before, width = BEFORE + margin, PATCH_FRAMES + 2 * margin
    buffer, first = np.zeros((0, N_BANDS), dtype=np.float32), 0  # buffer[0] is frame `first`
    done, ready = 0, []

    def cut(upto):
        nonlocal done
        while done < len(order) and (upto is None or onsets[order[done]] - before + width <= upto):
            j = order[done]
            start = onsets[j] - before
            lo, hi = max(start, first), min(start + width, first + len(buffer))
            row = (pitches[j] - 2 - LOWEST_MIDI) * BINS_PER_SEMITONE
            patch = np.zeros((PATCH_ROWS, width), dtype=np.float16)
            if hi > lo:
                piece = buffer[lo - first : hi - first, row : row + PATCH_ROWS].T
                patch[:, lo - start : hi - start] = np.log1p(100.0 * piece)
            ready.append((j, patch))
            done += 1

    def batches(final: bool):
        while len(ready) >= batch or (final and ready):
            taken = ready[:batch]
            del ready[:batch]
            yield np.array([j for j, _ in taken], dtype=np.int64), np.stack([x for _, x in taken])

    for chunk in frames:
        buffer = np.concatenate([buffer, np.asarray(chunk, dtype=np.float32)])
        cut(first + len(buffer))
        keep = len(buffer) if done == len(order) else max(0, onsets[order[done]] - before - first)
        keep = min(keep, len(buffer))
        buffer, first = buffer[keep:], first + keep
        yield from batches(final=False)
    cut(None)
    yield from batches(final=True)


def patches(frames, onsets, pitches, *, margin: int = 0) -> np.ndarray:
    """Every patch of :func:`patch_batches` in one array, in the notes' order: ``(notes, PATCH_ROWS,
    PATCH_FRAMES + 2 * margin)`` float16."""
    out = np.zeros((len(np.atleast_1d(onsets)), PATCH_ROWS, PATCH_FRAMES + 2 * margin), dtype=np.float16)
    for indices, batch in patch_batches(frames, onsets, pitches, margin=margin):
        out[indices] = batch
    return out


def recording_patches(path, onset_s, pitch, *, margin: int = 0) -> np.ndarray:
    """The patches of a recording's notes (onsets in seconds, MIDI pitches), its audio read in blocks."""
    blocks = musicnet.audio_blocks(path, SAMPLE_RATE)
    return patches(LogSpectrogram().frames(blocks), onset_frames(onset_s), pitch, margin=margin)


class NoteInstrumentNet(nn.Module):
    """Patch and pitch -> one logit per instrument."""

    def __init__(self, width: int = 16, dropout: float = 0.3):
        super().__init__()
        layers, channels = [], 1
        for out in (width, 2 * width, 4 * width):
            # Pooled before the normalization and the ReLU, and channels-last: on a CPU these layers are
            # bound by memory, not arithmetic, so each block's normalization and ReLU then touch a quarter
            # of the values, and max-pooling runs on contiguous channels.
            layers += [
                nn.Conv2d(channels, out, 3, padding=1),
                nn.MaxPool2d(2),
                nn.BatchNorm2d(out),
                nn.ReLU(),
            ]
            channels = out
        self.convolutions = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((6, 1)), nn.Flatten())
        self.classify = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(channels * 6 + 1, instruments.N_INSTRUMENTS)
        )
        self.to(memory_format=torch.channels_last)

    def forward(self, patch: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
        pitch = ((pitch.float() - 60.0) / 24.0)[:, None]
        patch = patch[:, None].float().contiguous(memory_format=torch.channels_last)
        return self.classify(torch.cat([self.convolutions(patch), pitch], dim=1))


@dataclass(frozen=True)
class Training:
    """How the network is trained; every field is in its cache key."""

    notes_per_recording: int = 400  # drawn at random from each training recording (seeded)
    validation_notes_per_recording: int = 100
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    width: int = 16
    dropout: float = 0.3
    # Each training patch shifted by up to this many frames (11.6 ms) either way, drawn anew every epoch:
    # the onsets a note model finds are off by a frame or two, and an unshifted network loses a tenth of
    # its accuracy for each frame.
    jitter: int = 2
    seed: int = 0
    recordings: int | None = None  # the first N training and validation recordings only (a quick run)


@dataclass
class NoteSet:
    """Notes with their patches: ``table`` (recording, onset_s, offset_s, pitch, instrument), ``x``, ``y``."""

    table: pd.DataFrame
    x: np.ndarray
    y: np.ndarray


def note_set(
    dataset, ids, *, per_recording: int | None, seed: int, margin: int = 0, progress: bool = False
) -> NoteSet:
    """Labelled notes of recordings ``ids`` of ``dataset`` (at most ``per_recording`` each, drawn at random,
    seeded per recording) with their patches (``margin`` frames wider each side: :func:`patch_batches`)."""
    tables, xs = [], []
    for rid in tqdm(list(ids), desc="note patches", unit="recording", disable=not progress, leave=False):
        table = dataset.notes(rid)
        table = table[table["pitch"].between(notes.LOWEST_PITCH, notes.LOWEST_PITCH + notes.N_KEYS - 1)]
        if per_recording is not None and len(table) > per_recording:
            rows = np.random.default_rng([seed, int(rid)]).choice(len(table), per_recording, replace=False)
            table = table.iloc[np.sort(rows)]
        table = table.reset_index(drop=True).assign(recording=int(rid))
        path = dataset.recording(rid)["audio_path"]
        xs.append(recording_patches(path, table["onset_s"], table["pitch"], margin=margin))
        tables.append(table)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["recording"])
    x = np.concatenate(xs) if xs else np.zeros((0, PATCH_ROWS, PATCH_FRAMES + 2 * margin), dtype=np.float16)
    return NoteSet(table, x, instruments.index_of(table["instrument"].to_numpy(np.int64)))


def mean_f(y_true, y_pred) -> tuple[float, dict]:
    """Mean F over the instruments present in ``y_true``, and each instrument's F (sklearn's ``f1_score``)."""
    from sklearn.metrics import f1_score

    present = np.unique(y_true)
    per = f1_score(y_true, y_pred, labels=present, average=None, zero_division=0)
    return float(np.mean(per)) if len(per) else 0.0, {
        instruments.NAMES[c]: float(f) for c, f in zip(present, per)
    }


@torch.no_grad()
def probabilities(network: NoteInstrumentNet, x: np.ndarray, pitch, *, batch_size: int = 512) -> np.ndarray:
    """``(notes, 11)`` instrument probabilities of patches ``x`` at MIDI ``pitch``."""
    network.eval()
    pitch = torch.from_numpy(np.array(pitch, dtype=np.int64))
    out = [
        torch.softmax(network(torch.from_numpy(x[i : i + batch_size]), pitch[i : i + batch_size]), dim=1)
        for i in range(0, len(x), batch_size)
    ]
    return torch.cat(out).double().numpy() if out else np.zeros((0, instruments.N_INSTRUMENTS))


@contextlib.contextmanager
def one_torch_thread():
    """Run the block on one torch thread, then restore the count.

    The trained network's last bits depend on torch's thread count; training on one thread on any machine
    lets notebook 15, ``make model`` and ``instrid train-notes`` (whichever runs first) cache the same
    network.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def fit(
    train: NoteSet, validation: NoteSet, settings: Training, *, progress: bool = False
) -> tuple[dict, dict]:
    """Train the network (on one torch thread: :func:`one_torch_thread`); return its weights at the epoch of
    best validation mean F, and their scores."""
    if not len(train.y) or not len(validation.y):
        raise ValueError("training the note instruments needs training and validation notes")
    with one_torch_thread():
        return _fit(train, validation, settings, progress=progress)


def _fit(train: NoteSet, validation: NoteSet, settings: Training, *, progress: bool) -> tuple[dict, dict]:
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    network = NoteInstrumentNet(settings.width, settings.dropout)
    counts = np.bincount(train.y, minlength=instruments.N_INSTRUMENTS).astype(np.float64)
    # Class-weighted: rare instruments (oboe, harpsichord) count as much as the strings and piano.
    weight = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / max(1, (counts > 0).sum()), 0.0)
    loss = nn.CrossEntropyLoss(weight=torch.tensor(weight, dtype=torch.float32))
    optimizer = torch.optim.Adam(network.parameters(), lr=settings.lr)
    steps = -(-len(train.y) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs * steps)
    pitch = torch.from_numpy(train.table["pitch"].to_numpy(np.int64, copy=True))
    y = torch.from_numpy(train.y)
    margin = (train.x.shape[2] - PATCH_FRAMES) // 2
    if margin < settings.jitter or validation.x.shape[2] != PATCH_FRAMES:
        raise ValueError(f"training patches need {settings.jitter} frames of margin, validation patches none")
    frames = np.arange(PATCH_FRAMES)
    best, scores = None, {"mean_f": -1.0}
    for epoch in range(settings.epochs):
        network.train()
        order = rng.permutation(len(train.y))
        for i in tqdm(
            range(steps), desc=f"note instruments, epoch {epoch + 1}", disable=not progress, leave=False
        ):
            rows = order[i * settings.batch_size : (i + 1) * settings.batch_size]
            shift = margin + rng.integers(-settings.jitter, settings.jitter + 1, len(rows))
            x = np.take_along_axis(train.x[rows], (shift[:, None] + frames)[:, None, :], axis=2)
            value = loss(network(torch.from_numpy(x), pitch[rows]), y[rows])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
        p = probabilities(network, validation.x, validation.table["pitch"])
        f, per = mean_f(validation.y, p.argmax(1))
        if f > scores["mean_f"]:
            best = copy.deepcopy(network.state_dict())
            scores = {
                "epoch": epoch + 1,
                "mean_f": f,
                "accuracy": float(np.mean(p.argmax(1) == validation.y)),
            }
    return best, scores


def training_key(dataset, settings: Training) -> str:
    """The cache key of the network trained on ``dataset`` with ``settings``."""
    return cache.key(
        {"version": VERSION, "dataset": cache.dataset_fingerprint(dataset), "settings": asdict(settings)}
    )


def split_ids(dataset, split: str, limit: int | None = None) -> list[int]:
    """``dataset``'s recordings of ``split`` (the packaged splits), the first ``limit`` of them."""
    split_of = splits.read_splits().set_index("id")["split"]
    ids = [rid for rid in dataset.ids if split_of.get(rid) == split]
    return ids[:limit] if limit is not None else ids


def train(dataset, settings: Training = Training(), *, use_cache: bool = True, progress: bool = True) -> Path:
    """Path of the model file trained on ``dataset``'s training notes (cached: a second call reads it)."""
    dest = cache_dir() / "note_models" / f"{training_key(dataset, settings)}.pt"
    with cache.entry_lock(dest.with_suffix("")):
        if use_cache and dest.is_file():
            cache.mark_used(dest)
            return dest
        train_ids = split_ids(dataset, "train", settings.recordings)
        validation_ids = split_ids(dataset, "validation", settings.recordings)
        if not train_ids or not validation_ids:
            raise ModelError(
                f"{dataset.root}: training the note instruments needs training and validation recordings"
            )
        chosen = [
            note_set(dataset, ids, per_recording=n, seed=settings.seed, margin=margin, progress=progress)
            for ids, n, margin in (
                (train_ids, settings.notes_per_recording, settings.jitter),
                (validation_ids, settings.validation_notes_per_recording, 0),
            )
        ]
        weights, scores = fit(*chosen, settings, progress=progress)
        trained_on = {
            "root": str(dataset.root),
            "fingerprint": dataset.fingerprint(),
            "recordings": len(train_ids),
            "notes": len(chosen[0].y),
        }
        save(dest, weights, settings, trained_on=trained_on, validation=scores)
    return dest


def save(path, weights: dict, settings: Training, *, trained_on: dict, validation: dict) -> Path:
    """Write a note-instrument model file atomically."""
    state = {
        "format_version": FORMAT_VERSION,
        "instrid_version": instrid.__version__,
        "network": {k: v.cpu() for k, v in weights.items()},
        "settings": asdict(settings),
        "trained_on": trained_on,
        "validation": validation,
        "instruments": list(instruments.NAMES),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def _contents(path) -> dict:
    """A note-instrument model file's contents, of any format version; :class:`ModelError` if not one."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such note-instrument model file") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file that is not its own
        raise ModelError(
            f"{path}: not an instrid note-instrument model file ({type(exc).__name__})"
        ) from None
    if not isinstance(state, dict) or not set(KEYS) <= set(state) or "network" not in state:
        raise ModelError(f"{path}: not an instrid note-instrument model file")
    return state


def load(path) -> tuple[NoteInstrumentNet, dict]:
    """The network saved by :func:`save` (eval mode) and the file's contents.

    Raises :class:`ModelError` naming a file that is not one, or one another instrid version wrote.
    """
    state = _contents(path)
    if state["format_version"] != FORMAT_VERSION or state["instruments"] != list(instruments.NAMES):
        raise ModelError(f"{path}: made by another instrid version; train it again (instrid train-notes)")
    settings = state["settings"]
    network = NoteInstrumentNet(settings["width"], settings["dropout"])
    try:
        network.load_state_dict(state["network"])
    except RuntimeError:
        raise ModelError(f"{path}: its network does not match its settings") from None
    return network.eval(), state


def mark(path) -> str | None:
    """What note-instrument model file is at ``path``, in words, or None when it is not one.

    A file another instrid version wrote is still instrid's, so the command that made it may replace it.
    """
    try:
        state = _contents(path)
    except ModelError:
        return None
    older = "" if state["format_version"] == FORMAT_VERSION else " (by another instrid version)"
    return f"an instrid note-instrument model trained on {state['trained_on'].get('root', '?')}{older}"


def transcribe(note_model, network, path, *, progress: bool = False) -> pd.DataFrame:
    """The notes of one audio file (``note_model``: a :class:`instrid.models.notes.NoteModel`) with their
    instruments (``network``), in two passes over the file, each reading it in blocks.

    Returns
    -------
    pandas.DataFrame
        One row per note, by onset: ``onset_s``, ``offset_s``, ``pitch`` (MIDI), ``instrument`` (name),
        ``confidence`` (the instrument's probability for this note) and ``note_confidence`` (the note
        model's mean posterior over the note).
    """
    seconds = musicnet.header_seconds(path)
    with tqdm(
        total=None if seconds is None else round(2 * seconds, 1),
        desc=Path(path).name,
        unit="s",
        disable=None if progress else True,
        leave=False,
    ) as bar:
        tracker, tracked = notes.NoteTracker(), []
        for note, onset in note_model.posteriors(musicnet.audio_blocks(path, notes.SAMPLE_RATE)):
            tracked += tracker.feed(note, onset)
            bar.update(round(len(note) * notes.HOP / notes.SAMPLE_RATE, 1))
        table = notes.notes_table(tracked + tracker.finish())

        def frames():
            for chunk in LogSpectrogram().frames(musicnet.audio_blocks(path, notes.SAMPLE_RATE)):
                bar.update(round(len(chunk) * notes.HOP / notes.SAMPLE_RATE, 1))
                yield chunk

        p = np.zeros((len(table), instruments.N_INSTRUMENTS))
        pitch = table["pitch"].to_numpy(np.int64)
        for indices, batch in patch_batches(frames(), onset_frames(table["onset_s"]), pitch):
            p[indices] = probabilities(network, batch, pitch[indices])
    chosen = p.argmax(1) if len(p) else np.zeros(0, dtype=np.int64)
    return pd.DataFrame(
        {
            "onset_s": np.round(table["onset_s"].to_numpy(), 4),
            "offset_s": np.round(table["offset_s"].to_numpy(), 4),
            "pitch": table["pitch"].to_numpy(np.int64),
            "instrument": np.asarray(instruments.NAMES, dtype=object)[chosen],
            "confidence": np.round(p[np.arange(len(p)), chosen], 4) if len(p) else np.zeros(0),
            "note_confidence": np.round(table["confidence"].to_numpy(), 4),
        },
        columns=list(COLUMNS),
    )
