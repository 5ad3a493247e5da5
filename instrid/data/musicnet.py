"""MusicNet-format datasets: the recording index, label tables and audio.

Used by every notebook (``notebooks/00_data.ipynb`` first). One loader reads a
MusicNet-format root, whether it holds the real MusicNet (Thickstun et al.,
ICLR 2017) or the offline synthetic stand-in built by :mod:`instrid.data.synth`::

    ROOT/train_data/<id>.wav     44.1 kHz recordings (.flac also accepted)
    ROOT/train_labels/<id>.csv   one row per note
    ROOT/test_data/, ROOT/test_labels/
    ROOT/musicnet_metadata.csv   optional; the package ships MusicNet's copy

Label CSV columns: ``start_time, end_time, instrument, note, start_beat,
end_beat, note_value``. Times are integer sample indices at 44,100 Hz; a note
sounds on ``[start_time, end_time)``. ``instrument`` is the 1-based General MIDI
program (see :mod:`instrid.data.instruments`); ``note`` is the MIDI pitch.

Every problem found in a file raises :class:`~instrid.errors.DatasetError`
naming the file and the problem.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

from instrid.data import instruments
from instrid.data.variation import Variation
from instrid.errors import DatasetError
from instrid.files import atomic_path

#: MusicNet's label sample rate; every time in a label CSV is at this rate.
LABEL_SAMPLE_RATE = 44_100
#: The official MusicNet test recordings.
TEST_IDS = (1759, 1819, 2106, 2191, 2298, 2303, 2382, 2416, 2556, 2628)
SPLITS = ("train", "test")
LABEL_COLUMNS = ("start_time", "end_time", "instrument", "note", "start_beat", "end_beat", "note_value")
AUDIO_SUFFIXES = (".wav", ".flac")
METADATA_NAME = "musicnet_metadata.csv"

INDEX_COLUMNS = (
    "id",
    "split",
    "audio_path",
    "labels_path",
    "sample_rate",
    "n_samples",
    "duration_s",
    "ensemble",
    "composer",
)


def packaged_metadata_path() -> Path:
    """Path of the MusicNet metadata CSV shipped with instrid (CC BY 4.0)."""
    return Path(str(importlib.resources.files("instrid") / "tables" / METADATA_NAME))


def read_metadata(path=None) -> pd.DataFrame:
    """MusicNet's metadata table (one row per recording id, 330 rows).

    Parameters
    ----------
    path : path-like, optional
        A ``musicnet_metadata.csv``; defaults to the packaged copy.
    """
    path = Path(path) if path is not None else packaged_metadata_path()
    try:
        meta = pd.read_csv(path)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read metadata: {exc}") from exc
    missing = {"id", "composer", "ensemble"} - set(meta.columns)
    if missing:
        raise DatasetError(f"{path}: metadata is missing column(s) {sorted(missing)}")
    meta["id"] = pd.to_numeric(meta["id"], errors="raise").astype("int64")
    return meta.set_index("id", drop=False)


def find_root(path) -> Path:
    """Locate the MusicNet-format tree at or just below ``path``.

    Accepts the tree itself, Zenodo's extracted ``musicnet/`` folder and the
    Kaggle mirror's ``musicnet/musicnet/`` nesting.
    """
    path = Path(path).expanduser()
    for candidate in (path, path / "musicnet", path / "musicnet" / "musicnet"):
        if (candidate / "train_data").is_dir() or (candidate / "test_data").is_dir():
            return candidate
    raise DatasetError(
        f"{path}: not a MusicNet-format root (expected train_data/, train_labels/, "
        "test_data/, test_labels/ in it or in musicnet/ below it)"
    )


def wav_truncation(path: Path) -> str | None:
    """Describe how a RIFF/WAVE file is truncated, or return None if it is whole.

    libsndfile quietly reads a truncated WAV as a shorter one, so compare the
    size its ``data`` chunk declares with the bytes actually present.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return "not a RIFF/WAVE file"
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk = f.read(8)
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"data":
                present = size - pos - 8
                if present < chunk_size:
                    return f"truncated: data chunk declares {chunk_size} bytes, {present} present"
                return None
            pos += 8 + chunk_size + (chunk_size & 1)
    return "truncated: no data chunk"


def _audio_info(path: Path) -> tuple[int, int]:
    """(sample_rate, n_samples) of an audio file, checked for truncation."""
    if path.suffix.lower() == ".wav":
        problem = wav_truncation(path)
        if problem:
            raise DatasetError(f"{path}: {problem}")
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise DatasetError(f"{path}: unreadable audio: {exc}") from exc
    if info.frames <= 0:
        raise DatasetError(f"{path}: audio holds no samples")
    return int(info.samplerate), int(info.frames)


#: The integer columns of a label CSV.
INTEGER_COLUMNS = ("start_time", "end_time", "instrument", "note")


def _typed_labels(path: Path) -> pd.DataFrame | None:
    """A well-formed label CSV read by pandas' C parser with integer columns, or None to take the slow path.

    About ten times faster than parsing every column as text; any file this does not read cleanly (a
    missing file, other headers, a value that is not a plain integer) goes through :func:`read_labels`'
    text path, which says what is wrong, or accepts it with the same values.
    """
    text_columns = {c: str for c in LABEL_COLUMNS if c not in INTEGER_COLUMNS}
    try:
        typed = pd.read_csv(path, dtype=text_columns, keep_default_na=False, skipinitialspace=True)
    except Exception:
        return None
    if tuple(typed.columns) != LABEL_COLUMNS:
        return None
    if not all(pd.api.types.is_signed_integer_dtype(typed[c].dtype) for c in INTEGER_COLUMNS):
        return None
    return typed


def read_labels(path, *, n_samples: int | None = None) -> pd.DataFrame:
    """Read and validate one MusicNet label CSV.

    Parameters
    ----------
    path : path-like
        ``<split>_labels/<id>.csv``.
    n_samples : int, optional
        Length of the recording in samples at 44.1 kHz; if given, a note ending
        past it is an error.

    Returns
    -------
    pandas.DataFrame
        Columns ``start_time``, ``end_time`` (int64, samples at 44.1 kHz),
        ``instrument`` (int16, MusicNet code), ``note`` (int16, MIDI pitch),
        ``start_beat``, ``end_beat`` (float64, NaN where unknown) and
        ``note_value`` (str, empty where unknown), sorted by start time as in
        the file.

    Raises
    ------
    DatasetError
        Missing file or columns, non-numeric or non-integer times, a note
        ending before it starts or past the audio, an unknown instrument code,
        or a pitch outside 0..127.
    """
    path = Path(path)
    typed = _typed_labels(path)
    try:
        raw = (
            typed
            if typed is not None
            else pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        )
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: label file is missing") from exc
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot parse label CSV: {exc}") from exc
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in LABEL_COLUMNS if c not in raw.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {missing}; expected {list(LABEL_COLUMNS)}")

    def integers(column: str) -> np.ndarray:
        if typed is not None:
            values = typed[column].to_numpy(dtype=np.int64)
            huge = np.abs(values) >= 2**53
            if huge.any():
                row = int(np.flatnonzero(huge)[0])
                raise DatasetError(
                    f"{path}: line {row + 2}: {column} is out of range, got {str(int(values[row]))!r}"
                )
            return values
        values = pd.to_numeric(raw[column].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DatasetError(
                f"{path}: line {row + 2}: {column} must be an integer, got {raw[column].iloc[row]!r}"
            )
        # float64 holds integers exactly only below 2**53, and int64 overflows past 2**63.
        huge = np.abs(values) >= 2.0**53
        if huge.any():
            row = int(np.flatnonzero(huge)[0])
            raise DatasetError(
                f"{path}: line {row + 2}: {column} is out of range, got {raw[column].iloc[row]!r}"
            )
        return values.astype(np.int64)

    start, end = integers("start_time"), integers("end_time")
    code, note = integers("instrument"), integers("note")
    checks = (
        (start < 0, "start_time is negative"),
        (end < start, "note ends before it starts"),
        ((note < 0) | (note > 127), "note is not a MIDI pitch 0..127"),
    )
    if n_samples is not None:
        checks += ((end > n_samples, f"note ends past the end of the audio ({n_samples} samples)"),)
    for bad, problem in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DatasetError(
                f"{path}: line {row + 2}: {problem} "
                f"(start_time={start[row]}, end_time={end[row]}, note={note[row]}); "
                f"{int(bad.sum())} such row(s)"
            )
    instruments.index_of(code, source=str(path))

    def floats(column: str) -> np.ndarray:
        if (raw[column] == "").all():  # MusicNetEM's synthetic labels: no beats
            return np.full(len(raw), np.nan)
        return pd.to_numeric(raw[column].str.strip().replace("", np.nan), errors="coerce").to_numpy(
            dtype=np.float64
        )

    return pd.DataFrame(
        {
            "start_time": start,
            "end_time": end,
            "instrument": code.astype(np.int16),
            "note": note.astype(np.int16),
            "start_beat": floats("start_beat"),
            "end_beat": floats("end_beat"),
            "note_value": raw["note_value"].astype(str).to_numpy(),
        }
    )


def write_labels(path, labels: pd.DataFrame) -> None:
    """Write a label table as a MusicNet label CSV (atomically)."""
    with atomic_path(path) as tmp:
        labels.loc[:, list(LABEL_COLUMNS)].to_csv(tmp, index=False)


def build_index(root) -> pd.DataFrame:
    """Index a MusicNet-format tree (reads audio headers only, not samples).

    Returns
    -------
    pandas.DataFrame
        One row per recording, ordered by split (train, test) then id, with
        columns ``id`` (int64), ``split`` ("train"/"test"), ``audio_path``,
        ``labels_path`` (str), ``sample_rate``, ``n_samples`` (int64),
        ``duration_s`` (float64), ``ensemble``, ``composer`` (str, empty if the
        id is not in the metadata).

    Raises
    ------
    DatasetError
        A recording without labels or labels without a recording, a missing or
        truncated audio file, or no recordings at all.
    """
    root = find_root(root)
    meta_path = root / METADATA_NAME
    meta = read_metadata(meta_path if meta_path.exists() else None)
    rows = []
    for split in SPLITS:
        data_dir, label_dir = root / f"{split}_data", root / f"{split}_labels"
        if not data_dir.is_dir() and not label_dir.is_dir():
            continue
        audio = {}
        for p in sorted(data_dir.iterdir()) if data_dir.is_dir() else ():
            if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith("."):
                if p.stem in audio:
                    raise DatasetError(f"{p}: two audio files for recording {p.stem}")
                audio[p.stem] = p
        labels = {
            p.stem: p
            for p in (sorted(label_dir.glob("*.csv")) if label_dir.is_dir() else ())
            if not p.name.startswith(".")
        }
        for stem in sorted(set(labels) - set(audio)):
            raise DatasetError(f"{labels[stem]}: labels for a missing recording ({data_dir / stem}.wav)")
        for stem in sorted(audio):
            if stem not in labels:
                raise DatasetError(f"{audio[stem]}: recording without labels ({label_dir / stem}.csv)")
            if not stem.isdigit():
                raise DatasetError(f"{audio[stem]}: recording ids must be integers")
            sample_rate, n_samples = _audio_info(audio[stem])
            rid = int(stem)
            info = meta.loc[rid] if rid in meta.index else None
            rows.append(
                {
                    "id": rid,
                    "split": split,
                    "audio_path": str(audio[stem]),
                    "labels_path": str(labels[stem]),
                    "sample_rate": sample_rate,
                    "n_samples": n_samples,
                    "duration_s": n_samples / sample_rate,
                    "ensemble": "" if info is None else str(info["ensemble"]),
                    "composer": "" if info is None else str(info["composer"]),
                }
            )
    if not rows:
        raise DatasetError(f"{root}: no recordings found in train_data/ or test_data/")
    seen = {}
    for row in rows:
        if row["id"] in seen:
            raise DatasetError(
                f"{row['audio_path']}: recording {row['id']} is also {seen[row['id']]}; "
                "each id may be in one split only"
            )
        seen[row["id"]] = row["audio_path"]
    index = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
    return index.astype({"id": "int64", "sample_rate": "int64", "n_samples": "int64"}).reset_index(drop=True)


class MusicNet:
    """A MusicNet-format dataset: index, labels and audio of each recording.

    Parameters
    ----------
    root : path-like
        The tree (see the module docstring) or a folder just above it.

    Examples
    --------
    >>> ds = MusicNet("data/synth")                      # doctest: +SKIP
    >>> ds.index.groupby("split").duration_s.sum() / 3600  # doctest: +SKIP
    >>> labels = ds.labels(1759)                          # doctest: +SKIP
    >>> audio = ds.audio(1759, sample_rate=16_000)         # doctest: +SKIP
    """

    root: Path
    index: pd.DataFrame

    def __init__(self, root):
        self.root = find_root(root)
        self.index = build_index(self.root)
        self._by_id = self.index.set_index("id", drop=False)

    @property
    def ids(self) -> list[int]:
        return self.index["id"].tolist()

    def recording(self, rid: int) -> pd.Series:
        """The index row of recording ``rid``."""
        try:
            return self._by_id.loc[int(rid)]
        except KeyError:
            raise DatasetError(f"{self.root}: no recording with id {rid}") from None

    def n_label_samples(self, rid: int) -> int:
        """Length of recording ``rid`` in samples at the labels' 44.1 kHz."""
        rec = self.recording(rid)
        return int(round(rec["n_samples"] * LABEL_SAMPLE_RATE / rec["sample_rate"]))

    def fingerprint(self) -> str:
        """A short hash of what the study reads here, independent of where the tree lives.

        Covers every recording's id, split, rate and length, the bytes of every
        label CSV and the synthetic tree's ``synth.json`` when present; not the
        audio bytes (a re-render with the same settings gives the same audio).
        Results files record it instead of a machine's path.
        """
        digest = hashlib.sha256()
        for row in self.index.itertuples():
            digest.update(f"{row.id}|{row.split}|{row.sample_rate}|{row.n_samples}|".encode())
            digest.update(hashlib.sha256(Path(row.labels_path).read_bytes()).digest())
        manifest = self.root / SYNTH_MANIFEST_NAME
        if manifest.is_file():
            import json

            # What was rendered, not where the SoundFonts happened to be installed.
            where = ("soundfont", "font_files")
            settings = {k: v for k, v in read_synth_manifest(manifest).items() if k not in where}
            digest.update(json.dumps(settings, sort_keys=True).encode())
        return digest.hexdigest()[:16]

    def synth_settings(self) -> dict:
        """A synthetic tree's ``synth.json`` (fonts, variation, draws per recording); ``{}`` otherwise."""
        manifest = self.root / SYNTH_MANIFEST_NAME
        return read_synth_manifest(manifest) if manifest.is_file() else {}

    def rendering(self) -> dict:
        """How a synthetic tree was rendered: ``{"fonts": [...], "variation": "all"}``; ``{}`` otherwise."""
        settings = self.synth_settings()
        if not settings:
            return {}
        fonts = settings.get("fonts") or [Path(settings.get("soundfont", "?")).stem]
        varied = Variation.from_dict(settings["variation"]).describe() if "variation" in settings else "none"
        return {"fonts": list(fonts), "variation": varied}

    def rendered_with(self) -> pd.DataFrame:
        """For a synthetic tree, what each recording was rendered with (``synth.json``): one row per id.

        Columns ``font`` and the drawn performance and room (see
        :mod:`instrid.data.variation`); empty for a tree without ``synth.json``
        (real MusicNet) or one of instrid 0.1 (one font, no variation: ``font``
        is then that font for every recording).
        """
        settings = self.synth_settings()
        if not settings:
            return pd.DataFrame(index=pd.Index([], name="id", dtype="int64"))
        table = pd.DataFrame.from_dict(settings.get("recordings", {}), orient="index")
        table.index = table.index.astype("int64").rename("id")
        if "font" not in table:
            table = pd.DataFrame(
                {"font": Path(settings.get("soundfont", "")).stem}, index=pd.Index(self.ids, name="id")
            )
        return table.reindex(self.ids)

    def all_labels(self) -> pd.DataFrame:
        """Every recording's label rows, one table (e.g. the notes a font must play)."""
        return pd.concat([self.labels(rid) for rid in self.ids], ignore_index=True)

    def labels(self, rid: int) -> pd.DataFrame:
        """The validated label table of recording ``rid`` (see :func:`read_labels`)."""
        return read_labels(self.recording(rid)["labels_path"], n_samples=self.n_label_samples(rid))

    def notes(self, rid: int) -> pd.DataFrame:
        """Recording ``rid``'s notes in seconds, by onset: ``onset_s``, ``offset_s``, ``pitch`` (MIDI),
        ``instrument`` (its MusicNet code), as :func:`instrid.study.metrics.note_counts` reads them."""
        table = self.labels(rid)
        return (
            pd.DataFrame(
                {
                    "onset_s": table["start_time"].to_numpy(np.float64) / LABEL_SAMPLE_RATE,
                    "offset_s": table["end_time"].to_numpy(np.float64) / LABEL_SAMPLE_RATE,
                    "pitch": table["note"].to_numpy(np.int64),
                    "instrument": table["instrument"].to_numpy(np.int64),
                }
            )
            .sort_values(["onset_s", "pitch"], kind="stable")
            .reset_index(drop=True)
        )

    def read(self, rid: int, start: int, stop: int) -> np.ndarray:
        """Samples ``[start, stop)`` of recording ``rid`` at its own rate, float32 mono.

        Reads only that stretch (seeking in the file): cutting a few examples
        from a recording costs a fraction of a millisecond each.
        """
        return self.read_spans(rid, [(start, stop)])[0]

    def read_spans(self, rid: int, spans) -> list[np.ndarray]:
        """Several stretches ``[(start, stop), ...]`` of one recording, opening it once."""
        rec = self.recording(rid)
        path, n_samples = rec["audio_path"], int(rec["n_samples"])
        out = []
        try:
            with soundfile.SoundFile(path) as f:
                for start, stop in spans:
                    if not 0 <= start < stop <= n_samples:
                        raise DatasetError(f"{path}: cannot read [{start}, {stop}) of {n_samples} samples")
                    f.seek(start)
                    audio = f.read(stop - start, dtype="float32", always_2d=True)
                    if audio.shape[0] != stop - start:
                        raise DatasetError(
                            f"{path}: truncated: read {audio.shape[0]} of {stop - start} samples from {start}"
                        )
                    out.append(to_mono(check_samples(path, audio, start, int(rec["sample_rate"]))))
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise DatasetError(f"{path}: unreadable audio: {exc}") from exc
        return out

    def audio(self, rid: int, sample_rate: int = LABEL_SAMPLE_RATE) -> np.ndarray:
        """Recording ``rid`` as float32 mono at ``sample_rate`` Hz.

        Multichannel audio is averaged to mono, then resampled (soxr, high
        quality) when ``sample_rate`` is not the file's. Nothing is cached: the
        study reads only the windows it needs (:meth:`read_spans`), and the
        embeddings it computes from them are what the cache keeps.
        """
        rec = self.recording(rid)
        return np.ascontiguousarray(read_audio(Path(rec["audio_path"]), int(sample_rate)), dtype=np.float32)


def check_audio(path, n_samples: int, *, decode: bool = False) -> None:
    """Read an audio file's end, or decode all of it, and raise :class:`DatasetError` on a fault.

    Headers can promise more than a file holds: a FLAC cut in half keeps its
    full length in STREAMINFO. Reading the last samples finds a truncation
    cheaply (``decode=False``); decoding every block also finds corruption and
    non-finite samples anywhere (``decode=True``, about 2,000 times real time).
    """
    if decode:
        # Decoding everything is what audio_blocks does, checks included (native rate: nothing resampled).
        for _ in audio_blocks(path, None):
            pass
        return
    try:
        with soundfile.SoundFile(str(path)) as f:
            tail = min(n_samples, 4096)
            f.seek(n_samples - tail)
            done = (
                n_samples
                - tail
                + len(
                    check_samples(
                        path, f.read(tail, dtype="float32", always_2d=True), n_samples - tail, f.samplerate
                    )
                )
            )
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise DatasetError(f"{path}: unreadable audio: {exc}") from exc
    if done != n_samples:
        raise DatasetError(f"{path}: truncated: header says {n_samples} samples, decoded {done}")


def open_audio(path) -> soundfile.SoundFile:
    """Open any file soundfile reads, or raise :class:`DatasetError` saying why not (missing, a dangling
    link, a truncated WAV, not audio)."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(
            f"{path}: audio file not found" + (" (a dangling symbolic link)" if path.is_symlink() else "")
        )
    if path.is_dir():
        raise DatasetError(f"{path}: is a folder, not an audio file")
    if path.suffix.lower() == ".wav":
        problem = wav_truncation(path)
        if problem and problem != "not a RIFF/WAVE file":
            raise DatasetError(f"{path}: {problem}")
    try:
        return soundfile.SoundFile(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise DatasetError(f"{path}: unreadable audio: {exc}") from exc


def header_seconds(path) -> float | None:
    """A file's length in seconds from its header (for progress bars), or None when unknown."""
    try:
        info = soundfile.info(str(path))
        return round(info.frames / info.samplerate, 1)
    except (RuntimeError, soundfile.LibsndfileError, OSError, ZeroDivisionError):
        return None


def audio_blocks(path, sample_rate: int | None, *, block_s: float = 30.0):
    """Any audio file as float32 mono at ``sample_rate`` Hz (None: its own rate), in consecutive blocks.

    Read, downmixed and resampled (soxr's streaming resampler) a block at a
    time, so memory does not grow with the length of the file. Every sample
    is checked (:func:`check_samples`); a file that ends before its header
    says raises :class:`DatasetError`.
    """
    import soxr

    with open_audio(path) as f:
        rate, expected = f.samplerate, f.frames
        sample_rate = sample_rate or rate
        if expected <= 0:
            raise DatasetError(f"{path}: audio holds no samples")
        stream = soxr.ResampleStream(rate, sample_rate, 1, dtype="float32") if rate != sample_rate else None
        done = 0
        try:
            for block in f.blocks(blocksize=max(1, int(block_s * rate)), dtype="float32", always_2d=True):
                mono = to_mono(check_samples(path, block, done, rate))
                done += len(block)
                yield stream.resample_chunk(mono, last=False) if stream else mono
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise DatasetError(f"{path}: unreadable audio after sample {done}: {exc}") from exc
        if done != expected:
            raise DatasetError(f"{path}: truncated: header says {expected} samples, decoded {done}")
        if stream:
            yield stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


#: Raw PCM sample formats ``instrid predict --stream`` reads: numpy dtype and full scale.
PCM_FORMATS = {"s16": ("<i2", 32768.0), "s32": ("<i4", 2147483648.0), "f32": ("<f4", 1.0)}


def wav_stream_header(stream) -> tuple[int, int, str]:
    """Read a WAV header from a non-seekable byte stream up to its ``data`` chunk: (rate, channels, format).

    Accepts 16- and 32-bit integer PCM and 32-bit float; raises
    :class:`DatasetError` for anything else.
    """
    head = stream.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise DatasetError("<stdin>: not a WAV stream (give --rate, --channels and --format for raw PCM)")
    rate = channels = fmt = None
    while True:
        chunk = stream.read(8)
        if len(chunk) < 8:
            raise DatasetError("<stdin>: WAV stream ended before its data chunk")
        kind, size = chunk[:4], int.from_bytes(chunk[4:], "little")
        if kind == b"data":
            if rate is None:
                raise DatasetError("<stdin>: WAV stream has no fmt chunk before its data")
            return rate, channels, fmt
        body = stream.read(size + (size & 1))
        if kind == b"fmt ":
            tag, channels, rate = (int.from_bytes(body[i:j], "little") for i, j in ((0, 2), (2, 4), (4, 8)))
            bits = int.from_bytes(body[14:16], "little")
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the real tag opens the sub-format
                tag = int.from_bytes(body[24:26], "little")
            fmt = {(1, 16): "s16", (1, 32): "s32", (3, 32): "f32"}.get((tag, bits))
            if fmt is None:
                raise DatasetError(
                    f"<stdin>: WAV format {tag} with {bits} bits is not supported "
                    "(16/32-bit PCM or 32-bit float)"
                )


def stream_blocks(
    stream,
    sample_rate: int,
    *,
    rate: int,
    channels: int,
    sample_format: str = "s16",
    block_frames: int = 2048,
):
    """Raw interleaved PCM from a byte stream as float32 mono blocks at ``sample_rate``, as it arrives."""
    import soxr

    if sample_format not in PCM_FORMATS:
        raise DatasetError(
            f"<stdin>: sample format must be one of {sorted(PCM_FORMATS)}, got {sample_format!r}"
        )
    dtype, scale = PCM_FORMATS[sample_format]
    frame_bytes = np.dtype(dtype).itemsize * channels
    resampler = soxr.ResampleStream(rate, sample_rate, 1, dtype="float32") if rate != sample_rate else None
    pending, done = b"", 0
    while True:
        chunk = stream.read(block_frames * frame_bytes)
        if not chunk:
            break
        pending += chunk
        usable = len(pending) - len(pending) % frame_bytes
        frames = np.frombuffer(pending[:usable], dtype=dtype).reshape(-1, channels).astype(np.float32) / scale
        pending = pending[usable:]
        mono = to_mono(check_samples("<stdin>", frames, done, rate))
        done += len(frames)
        yield resampler.resample_chunk(mono, last=False) if resampler else mono
    if resampler:
        yield resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)


def read_audio(path, sample_rate: int) -> np.ndarray:
    """A whole audio file as float32 mono at ``sample_rate`` (see :func:`audio_blocks`)."""
    return np.concatenate(list(audio_blocks(path, sample_rate))).astype(np.float32, copy=False)


#: A synthetic tree's record of how it was rendered (written by :mod:`instrid.data.synth`).
SYNTH_MANIFEST_NAME = "synth.json"
#: What every ``synth.json`` holds, whatever instrid version wrote it.
SYNTH_MANIFEST_KEYS = ("source_sha256", "fonts", "font_seed", "variation", "audio_format", "recordings")


def read_synth_manifest(path, required: tuple = ()) -> dict:
    """A synthetic tree's ``synth.json``, or :class:`DatasetError` when it is no manifest instrid wrote.

    ``required`` names keys it must hold (:data:`SYNTH_MANIFEST_KEYS` before a
    render resumes into its tree); instrid 0.1's (one ``soundfont``) passes.
    """
    import json

    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise DatasetError(f"{path}: unreadable synth manifest ({reason}); use another --root") from None
    if not isinstance(manifest, dict):
        raise DatasetError(
            f"{path}: not a synth manifest instrid wrote (not a JSON object); use another --root"
        )
    missing = [] if "soundfont" in manifest else [k for k in required if k not in manifest]
    if missing or not isinstance(manifest.get("recordings", {}), dict):
        raise DatasetError(
            f"{path}: not a synth manifest instrid wrote (lacks {', '.join(missing) or 'recordings'}); "
            "use another --root"
        )
    return manifest


#: The largest sample magnitude instrid reads: 80 dB above full scale. Float audio beyond it is no
#: recording (a file of garbage, or of another unit), and its power overflows float32 in the front-ends.
MAX_SAMPLE = 1e4


def check_samples(path, audio: np.ndarray, first: int = 0, sample_rate: int | None = None) -> np.ndarray:
    """``audio`` unchanged, or :class:`DatasetError` naming the first NaN, infinite or absurd sample.

    Absurd: beyond :data:`MAX_SAMPLE` in magnitude. ``first`` is the file
    position of ``audio[0]``, so the message gives the sample's place in the
    file (and its time when ``sample_rate`` is given).
    """
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(audio) <= MAX_SAMPLE)  # NaN compares false
    if bad.any():
        frames, bad_frames = audio.reshape(len(audio), -1), bad.reshape(len(audio), -1)
        row = int(np.flatnonzero(bad_frames.any(axis=1))[0])
        position = first + row
        when = f" ({position / sample_rate:.3f} s)" if sample_rate else ""
        value = float(frames[row][bad_frames[row]][0])
        if np.isfinite(value):
            raise DatasetError(
                f"{path}: sample {position}{when} is {value:.3g}, far outside audio's [-1, 1] "
                f"(more than {MAX_SAMPLE:g})"
            )
        raise DatasetError(f"{path}: non-finite sample (NaN or infinity) at sample {position}{when}")
    return audio


def to_mono(audio: np.ndarray) -> np.ndarray:
    """``(samples, channels)`` float32 audio averaged over channels: ``(samples,)``."""
    return audio.mean(axis=1, dtype=np.float32) if audio.shape[1] > 1 else audio[:, 0].copy()
