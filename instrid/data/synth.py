"""The offline default dataset: MusicNetEM labels rendered into a MusicNet-format tree.

No real MusicNet audio can be fetched offline, so the default dataset is
synthesized: MusicNetEM (Maman & Bermano, ICML 2022; CC BY-NC-SA 4.0) gives
note labels for 323 of MusicNet's 330 recordings as MIDI files aligned to the
real recordings. :func:`build_synthetic_musicnet` converts each MIDI file into
a MusicNet label CSV and renders it with a General MIDI SoundFont, writing the
same layout as MusicNet (see :mod:`instrid.data.musicnet`), so every later step runs
unchanged on real or synthetic data. Used by ``instrid data synth`` and
``notebooks/00_data.ipynb``.

Label conversion (:func:`midi_to_labels`):

* times: MIDI ticks through the file's tempo map to seconds, then rounded to
  integer samples at 44.1 kHz;
* instrument: MusicNetEM's 0-based program ``p`` becomes MusicNet code
  ``p + 1``, except program 45 (GM pizzicato strings), which MusicNetEM uses
  for the contrabass: code 44;
* a key struck again before it was released is paired first-in first-out;
  either pairing gives the same sounding intervals per pitch, hence the same
  segment and frame labels;
* ``start_beat``, ``end_beat`` and ``note_value`` are left empty: MusicNetEM's
  files carry no tempo or metre of the score (the default 120 bpm stands in),
  so MIDI beats would not be score beats.

Rendering (:func:`render_labels`) is driven by the label table itself, so the
audio and its labels cannot disagree: each instrument gets its own MIDI
channel and GM program ``code - 1``; a key struck again while held is released
first and struck again (otherwise tinysoundfont stacks voices and levels jump
by 10-14 dB) and released when its last note ends; the stereo output is
averaged to mono; the synthesizer runs 12 dB below unity gain and each
recording is then peak-normalised to -1 dBFS, so nothing clips.

Timbre and performance. The default tree is rendered with two General MIDI
SoundFonts, TimGM6mb (shipped by pretty_midi) and FluidR3_GM (downloaded once
and verified, see :func:`instrid.data.sources.fetch_fluidr3_gm`), assigned per
recording (:func:`assign_fonts`: seeded, balanced within every split and
ensemble), and with a seeded performance and room per recording
(:mod:`instrid.data.variation`: dynamics, timing, tuning, reverberation,
equalisation, level, noise). A font's presets cover limited key ranges: a note
a font cannot play (:func:`playable_keys`) is moved by whole octaves to the
nearest key it can, and labelled with that key (:func:`fit_to_font`; FluidR3_GM's
contrabass stops at key 58, and MusicNetEM's contrabass goes up to key 88).
``synth.json`` records the fonts, the variation
settings and, per recording, its font and drawn parameters. One font and no
variation (``instrid data synth --single-font``) reproduces the dataset of
earlier versions sample for sample.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.util
import io
import os
import signal
import zipfile
from collections import defaultdict, deque
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import mido
import numpy as np
import pandas as pd
import soundfile
from tqdm import tqdm

import instrid
from instrid import outputs
from instrid.data import instruments, musicnet, sources, variation
from instrid.data.splits import read_splits
from instrid.errors import DatasetError
from instrid.files import PART, atomic_path, file_digest, remove_stale_parts, write_json_atomic

#: MusicNetEM programs (0-based) that do not map to ``program + 1``.
EM_PROGRAM_TO_CODE = {45: 44}
MANIFEST_NAME = musicnet.SYNTH_MANIFEST_NAME
#: Silence kept after the last note so release tails are not cut.
TAIL_S = 1.0
PEAK = 10 ** (-1 / 20)  # -1 dBFS
SYNTH_GAIN_DB = -12.0


#: The SoundFonts instrid knows by name; any other .sf2 is named by its path.
FONTS = ("TimGM6mb", "FluidR3_GM")
#: Fonts downloaded on demand that no model of the study trains on (notebook 10 tests on them).
HELD_OUT_FONTS = (*sources.HELD_OUT_FONTS, *sources.CONVERTED_FONTS)
#: Those with all 11 instruments (a converted GUS set lacks some): a notebook that scores every class tests
#: on these; one that scores a font on the instruments it has (notebook 11) takes all of them.
COMPLETE_HELD_OUT_FONTS = tuple(sources.HELD_OUT_FONTS)
#: The default dataset's fonts, assigned per recording.
DEFAULT_FONTS = FONTS


def default_soundfont() -> Path:
    """The TimGM6mb General MIDI SoundFont that pretty_midi ships (GPL v2, 6 MB)."""
    spec = importlib.util.find_spec("pretty_midi")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("pretty_midi is not installed; it ships the default SoundFont TimGM6mb.sf2")
    return Path(spec.submodule_search_locations[0]) / "TimGM6mb.sf2"


def resolve_font(spec: str, *, sha256: str | None = None, progress: bool = True) -> tuple[str, Path]:
    """``(name, path)`` of a font given by name (:data:`FONTS`, :data:`HELD_OUT_FONTS`) or by path.

    ``FluidR3_GM`` is fetched once into the download cache and verified
    (``sha256`` overrides the published digest), the held-out fonts likewise
    (:func:`instrid.data.sources.fetch_held_out_font`). A path whose content is a
    known font's takes that font's name, so a local copy of FluidR3_GM gives
    the same dataset as the download; any other path is named by its file name.
    """
    if spec == "TimGM6mb":
        return spec, default_soundfont()
    if spec == "FluidR3_GM":
        return spec, sources.fetch_fluidr3_gm(sha256=sha256, progress=progress)
    if spec in sources.HELD_OUT_FONTS:
        return spec, sources.fetch_held_out_font(spec, progress=progress)
    if spec in sources.CONVERTED_FONTS:
        return spec, sources.fetch_converted_font(spec, progress=progress)
    path = Path(spec).expanduser()
    if not path.exists():
        raise DatasetError(
            f"{path}: SoundFont not found (give a path, or one of {', '.join((*FONTS, *HELD_OUT_FONTS))})"
        )
    if not path.is_file():
        raise DatasetError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 148_398_306 and file_digest(path) == sources.FLUIDR3_GM_SHA256:
        return "FluidR3_GM", path
    for name, font in sources.HELD_OUT_FONTS.items():
        if size == font.size and file_digest(path) == font.sha256:
            return name, path
    for name, converted in sources.CONVERTED_FONTS.items():
        if file_digest(path) == converted.converted_sha256:
            return name, path
    if default_soundfont().is_file() and path.resolve() == default_soundfont().resolve():
        return "TimGM6mb", path
    return path.name, path


@functools.lru_cache(maxsize=8)
def playable_keys(path: str) -> dict[int, np.ndarray]:
    """Which of the 128 MIDI keys sound in the SoundFont at ``path``, per GM program MusicNetEM uses.

    Probed by striking each key (23 ms) and listening; a SoundFont's presets
    cover limited key ranges (FluidR3_GM's contrabass stops at key 58, while
    MusicNetEM writes contrabass notes up to key 88, nearly half its time).
    """
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=musicnet.LABEL_SAMPLE_RATE)
    sfid = synth.sfload(str(path))
    block = bytearray(4 * 2 * 1024)
    playable = {}
    covered = font_coverage(str(path))
    for code in instruments.CODES:
        program = instruments.render_program(code)
        keys = np.zeros(128, dtype=bool)
        playable[program] = keys
        if code not in covered:  # the font lacks the program: no key sounds
            continue
        synth.program_select(0, sfid, 0, program)
        for key in range(128):
            synth.noteon(0, key, 100)
            synth.generate(1024, memoryview(block))
            synth.sounds_off(0)
            keys[key] = np.abs(np.frombuffer(block, dtype=np.float32)).max() > 1e-6
    return playable


def fit_to_font(labels: pd.DataFrame, playable: dict[int, np.ndarray]) -> tuple[pd.DataFrame, int]:
    """Notes a SoundFont cannot play moved by whole octaves to the nearest key it can; the labels follow.

    The instrument stays the same and the labels stay true to the audio (a
    moved note is labelled with the pitch that sounds). Returns the table
    (unchanged when nothing moves) and the number of notes moved.
    """
    codes = labels["instrument"].to_numpy(np.int64)
    notes = labels["note"].to_numpy(np.int64)
    moved = notes.copy()
    for code, note in set(zip(codes.tolist(), notes.tolist())):
        keys = playable[instruments.render_program(code)]
        if keys[note] or not keys.any():
            continue
        candidates = [note + 12 * k for k in sorted(range(-10, 11), key=lambda k: (abs(k), k > 0))]
        target = next((c for c in candidates if 0 <= c < 128 and keys[c]), note)
        moved[(codes == code) & (notes == note)] = target
    n_moved = int((moved != notes).sum())
    if not n_moved:
        return labels, 0
    out = labels.assign(note=moved.astype(labels["note"].dtype))
    return out.sort_values(["start_time", "end_time", "instrument", "note"], kind="stable").reset_index(
        drop=True
    ), n_moved


def assign_fonts(ids, fonts, *, seed: int = 0) -> dict[int, str]:
    """Each recording's font: seeded, and balanced within every (split, ensemble) group.

    Within a group (the study's split of :mod:`instrid.data.splits` and the metadata
    ensemble) the ids, shuffled by a generator seeded with ``seed``, take the
    fonts in turn, starting where the previous group stopped; so every split
    and every kind of ensemble hears every font, in shares as equal as the
    group sizes allow.
    """
    fonts = list(fonts)
    ids = sorted({int(i) for i in ids})
    if len(fonts) == 1:
        return {rid: fonts[0] for rid in ids}
    table = read_splits().set_index("id")
    rng = np.random.default_rng(seed)
    groups = defaultdict(list)
    for rid in ids:
        key = tuple(table.loc[rid, ["split", "ensemble"]]) if rid in table.index else ("other", "")
        groups[key].append(rid)
    assigned, turn = {}, 0
    for key in sorted(groups):
        members = np.array(groups[key])[rng.permutation(len(groups[key]))]
        for rid in members.tolist():
            assigned[rid] = fonts[turn % len(fonts)]
            turn += 1
    return assigned


def recordings_of_font(font: str, *, fonts=DEFAULT_FONTS, seed: int = 0, progress: bool = False) -> list[int]:
    """The MusicNetEM recordings that :func:`assign_fonts` gives ``font`` (for trees rendered to match)."""
    if font not in fonts:
        raise DatasetError(f"{font}: not one of the fonts {list(fonts)}")
    with zipfile.ZipFile(sources.fetch_musicnet_em(progress=progress)) as archive:
        ids = [int(Path(n).stem) for n in archive.namelist() if n.endswith(".mid") and Path(n).stem.isdigit()]
    return sorted(rid for rid, name in assign_fonts(ids, fonts, seed=seed).items() if name == font)


def _seconds_of_ticks(ticks: np.ndarray, tempo_ticks: np.ndarray, tempos: np.ndarray, ppq: int) -> np.ndarray:
    """Seconds at absolute ``ticks`` under a tempo map (tempo in microseconds per beat)."""
    seconds_per_tick = tempos / 1e6 / ppq
    seconds_at_change = np.concatenate(([0.0], np.cumsum(np.diff(tempo_ticks) * seconds_per_tick[:-1])))
    k = np.searchsorted(tempo_ticks, ticks, side="right") - 1
    return seconds_at_change[k] + (ticks - tempo_ticks[k]) * seconds_per_tick[k]


def midi_to_labels(
    midi, *, source: str = "midi", sample_rate: int = musicnet.LABEL_SAMPLE_RATE
) -> pd.DataFrame:
    """Convert a MusicNetEM MIDI file into a MusicNet label table.

    Parameters
    ----------
    midi : path-like, bytes or mido.MidiFile
    source : str
        Named in error messages.

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`instrid.data.musicnet.read_labels` returns, sorted by
        (start_time, end_time, instrument, note). Zero-length notes are dropped.
    """
    try:
        if isinstance(midi, mido.MidiFile):
            mid = midi
        elif isinstance(midi, (bytes, bytearray)):
            mid = mido.MidiFile(file=io.BytesIO(midi))
        else:
            mid = mido.MidiFile(midi)
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise DatasetError(f"{source}: unreadable MIDI file: {exc}") from exc
    if mid.type == 2:
        raise DatasetError(f"{source}: MIDI type 2 (independent sequences) is not supported")

    tempo_changes = {0: 500_000}
    for track in mid.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempo_changes[tick] = msg.tempo
    tempo_ticks = np.array(sorted(tempo_changes), dtype=np.int64)
    tempos = np.array([tempo_changes[t] for t in tempo_ticks], dtype=np.float64)

    starts, ends, programs, pitches = [], [], [], []
    for number, track in enumerate(mid.tracks):
        program = defaultdict(int)  # per channel, GM default 0
        held = defaultdict(deque)
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "program_change":
                program[msg.channel] = msg.program
            elif msg.type == "note_on" and msg.velocity > 0:
                held[msg.channel, msg.note].append(tick)
            elif msg.type in ("note_off", "note_on"):
                queue = held[msg.channel, msg.note]
                if not queue:
                    continue  # a release without a strike sounds nothing
                starts.append(queue.popleft())
                ends.append(tick)
                programs.append(program[msg.channel])
                pitches.append(msg.note)
        for (channel, note), queue in held.items():
            if queue:
                raise DatasetError(
                    f"{source}: track {number}: note {note} on channel {channel} is never released"
                )

    start_s = _seconds_of_ticks(np.array(starts, dtype=np.int64), tempo_ticks, tempos, mid.ticks_per_beat)
    end_s = _seconds_of_ticks(np.array(ends, dtype=np.int64), tempo_ticks, tempos, mid.ticks_per_beat)
    program = np.array(programs, dtype=np.int64)
    code = program + 1
    for em_program, musicnet_code in EM_PROGRAM_TO_CODE.items():
        code[program == em_program] = musicnet_code
    instruments.index_of(code, source=source)
    labels = pd.DataFrame(
        {
            "start_time": np.round(start_s * sample_rate).astype(np.int64),
            "end_time": np.round(end_s * sample_rate).astype(np.int64),
            "instrument": code.astype(np.int16),
            "note": np.array(pitches, dtype=np.int16),
            "start_beat": np.nan,
            "end_beat": np.nan,
            "note_value": "",
        }
    )
    labels = labels[labels["end_time"] > labels["start_time"]]
    return labels.sort_values(["start_time", "end_time", "instrument", "note"], kind="stable").reset_index(
        drop=True
    )


#: Samples rendered (and dropped) between two uses of one synthesizer: 0.2 s, far beyond its quick fade.
FLUSH_SAMPLES = 8_820


@functools.lru_cache(maxsize=4)
def _loaded_synth(soundfont: str, gain_db: float, sample_rate: int):
    """One synthesizer per SoundFont and process: loading FluidR3_GM (148 MB) costs more than rendering
    a minute of audio. :func:`render_labels` silences it before and after each use, which gives what a
    fresh one gives, sample for sample (tested)."""
    import tinysoundfont

    synth = tinysoundfont.Synth(gain=gain_db, samplerate=sample_rate)
    return synth, synth.sfload(soundfont)


def render_labels(
    labels: pd.DataFrame,
    n_samples: int,
    soundfont,
    *,
    sample_rate: int = musicnet.LABEL_SAMPLE_RATE,
    gain_db: float = SYNTH_GAIN_DB,
    peak: float | None = PEAK,
    velocities: np.ndarray | None = None,
    detune_cents: float = 0.0,
):
    """Render a label table to mono float32 audio with a General MIDI SoundFont.

    Parameters
    ----------
    labels : pandas.DataFrame
        Times in samples at ``sample_rate``.
    n_samples : int
        Length of the output.
    soundfont : path-like
        Any .sf2/.sf3 file.
    peak : float or None
        Peak-normalise to this absolute level (None: leave the level as rendered).
    velocities : numpy.ndarray of int, shape (n_notes,), optional
        MIDI velocity of each note, in the table's row order (default: all
        :data:`instrid.data.variation.FIXED_VELOCITY`).
    detune_cents : float
        Every channel tuned this far from A440.

    Returns
    -------
    audio : numpy.ndarray of float32, shape (n_samples,)
    raw_peak : float
        The peak before normalisation (for gain staging checks).
    """
    synth, sfid = _loaded_synth(str(soundfont), float(gain_db), int(sample_rate))
    for channel in range(16):  # a synthesizer used before: silence every voice, undo every tuning
        synth.sounds_off(channel)
        synth.set_tuning(channel, 0.0)
    # sounds_off fades voices out over a few milliseconds: let them finish before this recording starts.
    synth.generate(FLUSH_SAMPLES, memoryview(bytearray(8 * FLUSH_SAMPLES)))
    codes = sorted(set(labels["instrument"].tolist()))
    # One channel per instrument, skipping the GM drum channel 9.
    channels = [c for c in range(16) if c != 9]
    channel_of = {code: channels[i] for i, code in enumerate(codes)}
    for code, channel in channel_of.items():
        synth.program_select(channel, sfid, 0, instruments.render_program(code))
        if detune_cents:
            synth.set_tuning(channel, detune_cents / 100)

    n = len(labels)
    times = np.concatenate([labels["start_time"].to_numpy(np.int64), labels["end_time"].to_numpy(np.int64)])
    is_on = np.concatenate([np.ones(n, dtype=bool), np.zeros(n, dtype=bool)])
    chans = np.tile(np.array([channel_of[c] for c in labels["instrument"].tolist()], dtype=np.int64), 2)
    keys = np.tile(labels["note"].to_numpy(np.int64), 2)
    if velocities is None:
        velocities = np.full(n, variation.FIXED_VELOCITY, dtype=np.int64)
    if len(velocities) != n:
        raise ValueError(f"velocities: one per note expected ({n}), got {len(velocities)}")
    strike = np.tile(np.asarray(velocities, dtype=np.int64), 2)
    # Releases before strikes at the same instant: a note ending where the
    # next begins is a re-articulation, not a held note.
    order = np.lexsort((is_on, times))

    stereo = np.zeros((n_samples, 2), dtype=np.float32)
    flat = stereo.reshape(-1)
    position = 0
    held = defaultdict(int)
    for t, on, channel, key, velocity in zip(
        times[order].tolist(),
        is_on[order].tolist(),
        chans[order].tolist(),
        keys[order].tolist(),
        strike[order].tolist(),
    ):
        t = min(t, n_samples)
        if t > position:
            synth.generate(t - position, memoryview(flat[2 * position : 2 * t]).cast("B"))
            position = t
        if on:
            if held[channel, key]:
                synth.noteoff(channel, key)
            synth.noteon(channel, key, velocity)
            held[channel, key] += 1
        else:
            held[channel, key] -= 1
            if held[channel, key] == 0:
                synth.noteoff(channel, key)
    if position < n_samples:
        synth.generate(n_samples - position, memoryview(flat[2 * position :]).cast("B"))
    # (left + right) / 2, as stereo.mean(axis=1) gives it to the bit, without its slow strided reduction.
    audio = np.add(flat[0::2], flat[1::2])
    audio *= np.float32(0.5)
    raw_peak = float(max(audio.max(), -audio.min())) if n_samples else 0.0
    if peak is not None and raw_peak > 0:
        audio *= np.float32(peak / raw_peak)
    return audio, raw_peak


@dataclass(frozen=True)
class SynthSettings:
    """What determines the rendered audio; stored as ``synth.json`` in the tree."""

    source_sha256: str
    fonts: list  # names, in assignment order
    font_sha256: dict  # name -> SHA-256 of its file
    font_files: dict  # name -> path (where it was found; not part of the dataset's identity)
    font_seed: int
    variation: dict  # instrid.data.variation.Variation as a dict
    sample_rate: int
    audio_format: str
    gain_db: float
    peak: float
    tail_s: float
    instrid_version: str


def _render_one(task) -> dict:
    rid, midi_bytes, split, n_seconds, root, settings, font, params = task
    root = Path(root)
    suffix = "." + settings["audio_format"]
    audio_path = root / f"{split}_data" / f"{rid}{suffix}"
    labels_path = root / f"{split}_labels" / f"{rid}.csv"
    labels = midi_to_labels(midi_bytes, source=f"musicnet_em.zip:{rid}.mid")
    last_end = int(labels["end_time"].max()) if len(labels) else 0
    n_samples = max(
        int(round(n_seconds * musicnet.LABEL_SAMPLE_RATE)),
        last_end + int(settings["tail_s"] * musicnet.LABEL_SAMPLE_RATE),
    )
    varied = variation.Variation.from_dict(settings["variation"])
    left_out = 0
    if settings.get("covered_parts_only"):
        # A font without an instrument's program renders no part for it, and its labels say so.
        covered = labels["instrument"].isin(font_coverage(settings["font_files"][font]))
        labels, left_out = labels[covered].reset_index(drop=True), int((~covered).sum())
        if not len(labels):
            return {
                "id": rid,
                "seconds": 0.0,
                "notes": 0,
                "raw_peak": 0.0,
                "transposed_notes": 0,
                "left_out_notes": left_out,
                "empty": True,
            }
    labels, transposed = fit_to_font(labels, playable_keys(settings["font_files"][font]))
    if params["timing_sd_ms"]:
        labels = variation.vary_timing(
            labels, params["timing_sd_ms"], n_samples, variation.note_rng(rid, varied, "timing")
        )
    audio, raw_peak = render_labels(
        labels,
        n_samples,
        settings["font_files"][font],
        gain_db=settings["gain_db"],
        peak=settings["peak"],
        velocities=variation.velocities(labels, params, variation.note_rng(rid, varied, "dynamics")),
        detune_cents=params["detune_cents"],
    )
    if varied.any:
        audio = variation.apply_room_and_channel(
            audio, params, variation.note_rng(rid, varied, "room"), variation.note_rng(rid, varied, "noise")
        )
    subtype = "PCM_16"
    with atomic_path(audio_path) as tmp:
        soundfile.write(
            str(tmp),
            audio,
            musicnet.LABEL_SAMPLE_RATE,
            subtype=subtype,
            format=settings["audio_format"].upper(),
        )
    # Labels last: a recording counts as done when both files exist.
    musicnet.write_labels(labels_path, labels)
    return {
        "id": rid,
        "seconds": n_samples / musicnet.LABEL_SAMPLE_RATE,
        "notes": len(labels),
        "raw_peak": raw_peak,
        "transposed_notes": transposed,
        "left_out_notes": left_out,
        "empty": False,
    }


@functools.lru_cache(maxsize=8)
def font_coverage(path: str) -> frozenset[int]:
    """The instrument codes whose General MIDI program the SoundFont at ``path`` holds (bank 0).

    Raises
    ------
    DatasetError
        Not a SoundFont the synthesizer can load.
    """
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=musicnet.LABEL_SAMPLE_RATE)
    try:
        sfid = synth.sfload(str(path))
    except Exception as exc:  # tinysoundfont raises a bare Exception for a bad file
        raise DatasetError(f"{path}: not a SoundFont the synthesizer can load ({exc})") from None
    return frozenset(
        code
        for code in instruments.CODES
        if synth.sfpreset_name(sfid, 0, instruments.render_program(code)) is not None
    )


def covered_classes(root) -> np.ndarray:
    """Which of the 11 instruments a rendered tree can hold: ``(11,)`` bool, in the classes' order.

    All of them, unless the tree was rendered with ``--covered-parts-only``:
    then those every font of its ``synth.json`` has.
    """
    manifest = musicnet.read_synth_manifest(Path(root) / MANIFEST_NAME)
    if not manifest.get("covered_parts_only"):
        return np.ones(instruments.N_INSTRUMENTS, dtype=bool)
    covered = set(instruments.CODES)
    for name, path in manifest["font_files"].items():
        # Where the font was found at render time, or (another machine) where instrid keeps it now.
        found = Path(path) if Path(path).is_file() else resolve_font(name, progress=False)[1]
        covered &= font_coverage(str(found))
    return np.array([code in covered for code in instruments.CODES])


def check_soundfont(path, *, covered_parts_only: bool = False) -> None:
    """Raise :class:`DatasetError` unless ``path`` is a SoundFont the synthesizer can load.

    It must also hold, in bank 0, every General MIDI program MusicNetEM uses
    (one per instrument), or those instruments would render as silence; with
    ``covered_parts_only`` (a held-out font that lacks some, rendered with only
    the parts it has), at least one.
    """
    covered = font_coverage(str(path))
    missing = [
        f"{instruments.render_program(code) + 1} ({name})"
        for code, name in zip(instruments.CODES, instruments.NAMES)
        if code not in covered
    ]
    if missing and not (covered_parts_only and covered):
        raise DatasetError(
            f"{path}: the SoundFont lacks General MIDI program(s) {', '.join(missing)} that MusicNetEM uses"
            + ("" if covered_parts_only else " (--covered-parts-only renders the parts it has)")
        )


def _raise_on_signal(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _exit_quietly(signum, frame):
    # SystemExit, unlike KeyboardInterrupt, ends a pool worker without a traceback; the temporary file of
    # the recording being rendered is removed on the way out (atomic_path).
    raise SystemExit(128 + signum)


def _workers_born_deaf_to_ctrl_c(jobs: int):
    """A spawn pool of render workers that ignore SIGINT from their first instruction.

    A signal ignored at exec stays ignored in the new process, so a Ctrl-C that
    arrives while a worker is still starting (before :func:`_worker_init` runs)
    cannot print its traceback; the parent's own handler is restored at once.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return get_context("spawn").Pool(jobs, initializer=_worker_init)
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_init() -> None:
    """In each render worker: die with the parent, quietly, cleaning up (temporary files) when told to stop.

    Ctrl-C reaches every process of the terminal's group; the parent alone
    answers it (one line) and stops the workers with SIGTERM.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:  # Linux: the kernel sends SIGTERM to this worker when its parent dies, however it dies.
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def _interrupt_on_termination():
    """SIGTERM and SIGHUP stop the render like Ctrl-C does: workers stopped, temporary files removed."""
    handled = [s for s in (signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]
    try:
        previous = {s: signal.signal(s, _raise_on_signal) for s in handled}
    except ValueError:  # not the main thread: leave signals alone
        previous = {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


#: The settings of ``synth.json`` that fix a tree's audio: a resumed render must match them all.
SETTINGS_COMPARED = (
    "source_sha256",
    "fonts",
    "font_sha256",
    "font_seed",
    "variation",
    "sample_rate",
    "audio_format",
    "gain_db",
    "peak",
    "tail_s",
    "covered_parts_only",  # absent (None) from a tree rendered without it
)


def _recording_files(root: Path, rid: int) -> list[Path]:
    """Every file a tree may hold for recording ``rid``: audio of any format and labels, in any split."""
    found = []
    for split in musicnet.SPLITS:
        found += sorted((root / f"{split}_data").glob(f"{rid}.*"))
        found += [p for p in [root / f"{split}_labels" / f"{rid}.csv"] if p.exists()]
    return found


def check_tree(root: Path) -> dict:
    """``root``'s ``synth.json`` ({} for a new or empty folder); DatasetError when instrid did not render it.

    A folder that holds anything but instrid's own files (its metadata copy,
    temporaries of a killed run) and no ``synth.json`` is someone else's: a
    render must never write its labels and audio among them.
    """
    if not root.is_dir():
        return {}
    manifest = root / MANIFEST_NAME
    if manifest.exists() or manifest.is_symlink():
        return musicnet.read_synth_manifest(manifest, required=musicnet.SYNTH_MANIFEST_KEYS)
    ours = {musicnet.METADATA_NAME}
    foreign = sorted(p.name for p in root.iterdir() if p.name not in ours and not PART.match(p.name))
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise DatasetError(
            f"{root}: holds files instrid did not render ({shown}; no {MANIFEST_NAME}); "
            "give a new or empty --root"
        )
    return {}


def claim_tree(root: Path, settings: dict, drawn: dict) -> None:
    """Record in ``root``'s ``synth.json`` what each recording of ``drawn`` will be rendered with.

    Under a lock on the folder, so of two renders started into one root at
    the same moment the second sees the first's manifest: with the same
    settings both go on (the files are written atomically), with other
    settings it is refused. Refused too: a tree rendered with other settings,
    and a recording's files that the manifest does not list (the user's).
    """
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        previous = check_tree(root)
        changed = [k for k in SETTINGS_COMPARED if previous and previous.get(k) != settings.get(k)]
        if changed:
            raise DatasetError(
                f"{root / MANIFEST_NAME}: this tree was rendered with different settings "
                f"({', '.join(changed)}); use another --root or delete this one"
            )
        listed = previous.get("recordings", {})
        suffix = "." + settings["audio_format"]
        for rid in drawn:
            for path in _recording_files(root, rid):
                if str(rid) not in listed or path.suffix not in (suffix, ".csv"):
                    raise DatasetError(
                        f"{path}: not rendered by instrid (recording {rid} is not in {MANIFEST_NAME} "
                        f"with this format); move it away or use another --root"
                    )
        # Per recording, what it is rendered with: written before rendering (it is known in advance).
        recorded = {**listed, **{str(rid): drawn[rid] for rid in drawn}}
        write_json_atomic(root / MANIFEST_NAME, {**settings, "recordings": dict(sorted(recorded.items()))})
    finally:
        os.close(fd)  # releases the lock


def _is_done(root: Path, rid: int, split: str, suffix: str) -> bool:
    return (root / f"{split}_data" / f"{rid}{suffix}").exists() and (
        root / f"{split}_labels" / f"{rid}.csv"
    ).exists()


def build_synthetic_musicnet(
    root,
    *,
    fonts=DEFAULT_FONTS,
    font_seed: int = 0,
    font_sha256: str | None = None,
    varied: variation.Variation = variation.ALL,
    soundfont=None,
    recordings=None,
    jobs: int | None = None,
    audio_format: str = "flac",
    source_zip=None,
    covered_parts_only: bool = False,
    progress: bool = True,
) -> dict:
    """Render MusicNetEM into a MusicNet-format tree at ``root`` (resumable).

    Parameters
    ----------
    root : path-like
        Output tree; created if missing.
    fonts : sequence of str
        Font names (:data:`FONTS`) or paths of GM .sf2 files, assigned per
        recording by :func:`assign_fonts` (seeded with ``font_seed``).
    font_sha256 : str, optional
        Accept a FluidR3_GM download with this digest instead of the published one.
    varied : instrid.data.variation.Variation
        Performance and room variation (``variation.NONE``: none).
    soundfont : path-like, optional
        One font for every recording (overrides ``fonts``).
    recordings : iterable of int, optional
        Recording ids to build (default: all 323).
    jobs : int, optional
        Worker processes (default: all cores).
    audio_format : {"flac", "wav"}
        16-bit, 44.1 kHz mono either way.
    source_zip : path-like, optional
        A local ``musicnet_em.zip``; default: fetched and verified into the cache.
    covered_parts_only : bool
        For a font that lacks some instruments' programs (a held-out font,
        e.g. Freepats: no viola, no contrabass): render each recording with
        only the parts the font has, its labels likewise; a recording left
        with no part is not written. Recorded in ``synth.json``. Without it
        such a font is refused.

    Returns
    -------
    dict
        ``recordings`` built now, ``skipped`` (already done), ``seconds`` of
        audio rendered, ``max_raw_peak``, ``transposed_notes``,
        ``left_out_notes`` (of instruments the font lacks) and ``empty``
        (recordings with no part the font has, not written).

    Raises
    ------
    DatasetError
        Unknown recording ids, or ``root`` was rendered with other settings.
    """
    if audio_format not in ("flac", "wav"):
        raise ValueError(f"audio_format must be 'flac' or 'wav', got {audio_format!r}")
    root = outputs.check_folder(Path(root).expanduser(), option="--root")
    check_tree(root)  # before any download: a foreign folder is refused at once (and again under the lock)
    specs = [str(soundfont)] if soundfont else [str(f) for f in fonts]
    if not specs:
        raise ValueError("give at least one font")
    resolved = {}
    for spec in specs:
        name, path = resolve_font(spec, sha256=font_sha256, progress=progress)
        if name in resolved:
            same = resolved[name].resolve() == path.resolve() or file_digest(resolved[name]) == file_digest(
                path
            )
            raise DatasetError(
                f"{spec}: the font {name} is named twice"
                if same
                else f"{spec}: another font, {resolved[name]}, has the same name {name!r}; rename one of them"
            )
        resolved[name] = path
    for path in resolved.values():
        # Before synth.json is written: a bad font must not claim the tree.
        check_soundfont(path, covered_parts_only=covered_parts_only)
    source_zip = Path(source_zip) if source_zip else sources.fetch_musicnet_em(progress=progress)
    settings = SynthSettings(
        source_sha256=file_digest(source_zip),
        fonts=list(resolved),
        font_sha256={name: file_digest(path) for name, path in resolved.items()},
        font_files={name: str(path.resolve()) for name, path in resolved.items()},
        font_seed=int(font_seed),
        variation=varied.to_dict(),
        sample_rate=musicnet.LABEL_SAMPLE_RATE,
        audio_format=audio_format,
        gain_db=SYNTH_GAIN_DB,
        peak=PEAK,
        tail_s=TAIL_S,
        instrid_version=instrid.__version__,
    )
    with zipfile.ZipFile(source_zip) as archive:
        midi_names = {
            int(Path(n).stem): n for n in archive.namelist() if n.endswith(".mid") and Path(n).stem.isdigit()
        }
        wanted = sorted(midi_names) if recordings is None else sorted({int(r) for r in recordings})
        unknown = [r for r in wanted if r not in midi_names]
        if unknown:
            raise DatasetError(f"{source_zip}: no MusicNetEM labels for recording(s) {unknown}")
        suffix = "." + audio_format
        font_of = assign_fonts(midi_names, settings.fonts, seed=font_seed)
        drawn = {rid: {"font": font_of[rid], **variation.draw(rid, varied)} for rid in wanted}
        # Only when asked, so that every tree rendered without it keeps its manifest (and fingerprint).
        manifest = {**asdict(settings), **({"covered_parts_only": True} if covered_parts_only else {})}
        claim_tree(root, manifest, drawn)
        meta = musicnet.read_metadata()
        if not (root / musicnet.METADATA_NAME).exists():
            with atomic_path(root / musicnet.METADATA_NAME) as tmp:
                tmp.write_bytes(musicnet.packaged_metadata_path().read_bytes())
        todo, skipped = [], 0
        for rid in wanted:
            split = "test" if rid in musicnet.TEST_IDS else "train"
            if _is_done(root, rid, split, suffix):
                skipped += 1
                continue
            seconds = float(meta.loc[rid, "seconds"]) if rid in meta.index else 0.0
            params = {k: v for k, v in drawn[rid].items() if k != "font"}
            todo.append(
                (
                    rid,
                    archive.read(midi_names[rid]),
                    split,
                    seconds,
                    str(root),
                    manifest,
                    font_of[rid],
                    params,
                )
            )
    # Longest first keeps all workers busy to the end.
    todo.sort(key=lambda task: -len(task[1]))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    for folder in (root / f"{split}_{kind}" for split in musicnet.SPLITS for kind in ("data", "labels")):
        remove_stale_parts(folder)
    results = []
    bar = tqdm(total=len(todo), desc="render", unit="rec", disable=not progress)
    with _interrupt_on_termination():
        if jobs == 1:
            for task in todo:
                results.append(_render_one(task))
                bar.update()
        else:
            # Leaving the block for any reason (an error, Ctrl-C, SIGTERM) terminates the workers.
            with _workers_born_deaf_to_ctrl_c(jobs) as pool:
                for result in pool.imap_unordered(_render_one, todo):
                    results.append(result)
                    bar.update()
                # Done: let the workers exit by themselves (terminating them would interrupt idle ones).
                pool.close()
                pool.join()
    bar.close()
    return {
        "recordings": sum(not r["empty"] for r in results),
        "skipped": skipped,
        "seconds": float(sum(r["seconds"] for r in results)),
        "max_raw_peak": float(max((r["raw_peak"] for r in results), default=0.0)),
        "transposed_notes": int(sum(r["transposed_notes"] for r in results)),
        "left_out_notes": int(sum(r["left_out_notes"] for r in results)),
        "empty": sorted(int(r["id"]) for r in results if r["empty"]),
    }


def font_tree(root, font: str, *, varied: bool = True) -> Path:
    """Where :func:`build_font_trees` renders the test recordings with one font: ``<root>/<font>-varied``
    (performance and room varied as in the default tree) or ``<root>/<font>-plain`` (no variation)."""
    return Path(root) / f"{font}-{'varied' if varied else 'plain'}"


def build_font_trees(
    root, like, *, held_out=None, jobs: int | None = None, progress: bool = True
) -> list[Path]:
    """Render the test recordings of the default tree ``like`` with one font each, under ``root``.

    The trees the generalization notebooks test on (:func:`font_tree` names
    them): each training font (:data:`FONTS`), varied and plain; each held-out
    font (default :data:`HELD_OUT_FONTS`), varied, with only the parts it has
    when it lacks some instruments. The first font's plain tree also holds the
    training and validation recordings that ``like`` rendered with that font
    (a model trained without the variation learns on them). Resumable: a tree
    already rendered is skipped.

    Returns
    -------
    list of Path
        The trees, in the order above.
    """
    held_out = list(HELD_OUT_FONTS if held_out is None else held_out)
    unknown = [f for f in held_out if f not in HELD_OUT_FONTS]
    if unknown:
        raise DatasetError(f"{', '.join(unknown)}: not a held-out font (known: {', '.join(HELD_OUT_FONTS)})")
    default = musicnet.MusicNet(like)
    fonts_of = default.rendered_with()
    if fonts_of.empty or "font" not in fonts_of:
        raise DatasetError(f"{default.root}: not a synthetic tree (no {MANIFEST_NAME}): render it first")
    test = default.index.loc[default.index["split"] == "test", "id"].tolist()
    if not test:
        raise DatasetError(f"{default.root}: no test recordings to render with other fonts")
    first_font_ids = sorted(set(test) | {int(r) for r in fonts_of.index[fonts_of["font"] == FONTS[0]]})
    plan = [(font_tree(root, f), f, variation.ALL, test, False) for f in FONTS]
    plan += [(font_tree(root, FONTS[0], varied=False), FONTS[0], variation.NONE, first_font_ids, False)]
    plan += [(font_tree(root, FONTS[-1], varied=False), FONTS[-1], variation.NONE, test, False)]
    for f in held_out:
        path = resolve_font(f, progress=progress)[1]
        lacks = set(instruments.CODES) - font_coverage(str(path))
        plan.append((font_tree(root, f), f, variation.ALL, test, bool(lacks)))
    for tree, font, varied, ids, covered_only in plan:
        build_synthetic_musicnet(
            tree,
            fonts=[font],
            varied=varied,
            recordings=ids,
            jobs=jobs,
            covered_parts_only=covered_only,
            progress=progress,
        )
    return [tree for tree, *_ in plan]
