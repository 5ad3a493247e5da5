"""The notes of anyone's recording and the instrument that plays each (``instrid transcribe``).

Two passes over the file, each reading it in blocks (:func:`instrid.data.musicnet.audio_blocks`), so memory
stays flat however long it is: the notes (:mod:`instrid.models.notes`: Basic Pitch's network and the note
tracker), then each note's patch and its instrument (:mod:`instrid.models.note_instruments`). For each
file: a standard MIDI file with one track per instrument (its General MIDI program, its name as the
track's name), a CSV of the notes, a JSON summary and a piano roll coloured by instrument.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from instrid import outputs
from instrid.data import instruments, musicnet
from instrid.files import atomic_path, cache_dir, write_json_atomic
from instrid.models import note_instruments, notes

#: Where ``make model`` leaves the study's note-instrument model, and ``instrid transcribe`` looks for it.
DEFAULT_MODEL_NAME = note_instruments.MODEL_NAME
#: The outputs of one input, by suffix; the CSV's columns.
OUTPUT_SUFFIXES = (".mid", ".notes.csv", ".notes.json", ".notes.png")
COLUMNS = note_instruments.COLUMNS
SUMMARY_KEYS = {"file", "duration_s", "notes", "instruments", "note_model", "instrument_model_trained_on"}
VELOCITY = 80  # loudness is not transcribed: every note at mezzo-forte


def default_model_path() -> Path:
    """``instrid.files.cache_dir()/models/instrid-notes.pt``."""
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def summarize(table: pd.DataFrame, path, *, trained_on: dict) -> dict:
    """The JSON summary of one file's notes: per instrument, notes, sounding seconds and pitch range."""
    per = {}
    for name in instruments.NAMES:
        mine = table[table["instrument"] == name]
        if len(mine):
            per[name] = {
                "notes": len(mine),
                "seconds": round(float((mine["offset_s"] - mine["onset_s"]).sum()), 2),
                "lowest": int(mine["pitch"].min()),
                "highest": int(mine["pitch"].max()),
            }
    return {
        "file": str(path),
        "duration_s": musicnet.header_seconds(path),
        "notes": len(table),
        "instruments": per,
        "note_model": notes.PACKAGE,
        "instrument_model_trained_on": trained_on,
    }


def midi(table: pd.DataFrame):
    """A :class:`pretty_midi.PrettyMIDI` with one track per instrument playing (study order), its GM
    program and its name as the track's name."""
    import pretty_midi

    song = pretty_midi.PrettyMIDI()
    for code, name in zip(instruments.CODES, instruments.NAMES):
        mine = table[table["instrument"] == name]
        if not len(mine):
            continue
        track = pretty_midi.Instrument(program=instruments.render_program(code), name=name)
        for onset, offset, pitch in mine[["onset_s", "offset_s", "pitch"]].itertuples(index=False):
            track.notes.append(pretty_midi.Note(VELOCITY, int(pitch), float(onset), float(offset)))
        song.instruments.append(track)
    return song


def output_paths(out_dir, stem: str) -> list[Path]:
    """The files :func:`write_outputs` writes for an input named ``stem``."""
    return [Path(out_dir) / f"{stem}{suffix}" for suffix in OUTPUT_SUFFIXES]


def summary_at(path) -> dict | None:
    """The summary :func:`write_outputs` left at ``path`` (a ``.notes.json``), or None when there is none."""
    return outputs.summary_at(path, SUMMARY_KEYS)


def summary_beside(path) -> dict | None:
    """The summary of the input whose output is ``path`` (any of :func:`output_paths`), or None."""
    path = Path(path)
    suffix = next((s for s in OUTPUT_SUFFIXES if path.name.endswith(s)), None)
    if suffix is None:
        return None
    return summary_at(path.with_name(f"{path.name[: -len(suffix)]}.notes.json"))


def mark(path) -> str | None:
    """What ``instrid transcribe`` output is at ``path``, in words, or None when transcribe did not write it.

    The outputs of one input are written together: a MIDI file, CSV or PNG is transcribe's when the
    summary beside it is, and it has the right form.
    """
    path = Path(path)
    summary = summary_beside(path)
    if summary is None:
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return None
    form = next(
        start
        for suffix, start in (
            (".mid", b"MThd"),
            (".notes.csv", ",".join(COLUMNS).encode()),
            (".notes.png", b"\x89PNG\r\n\x1a\n"),
            (".notes.json", b""),
        )
        if path.name.endswith(suffix)
    )
    return f"instrid transcribe's output for {summary['file']}" if head.startswith(form) else None


def write_outputs(table: pd.DataFrame, summary: dict, out_dir, stem: str) -> list[Path]:
    """``<out_dir>/<stem>.mid``, ``.notes.csv``, ``.notes.json`` and ``.notes.png``, each atomically."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from instrid.report import plots

    paths = output_paths(out_dir, stem)
    with atomic_path(paths[0]) as tmp:
        midi(table).write(str(tmp))
    with atomic_path(paths[1]) as tmp:
        table.to_csv(tmp, index=False)
    write_json_atomic(paths[2], summary, sort_keys=False)
    duration = max(1.0, summary["duration_s"] or float(table["offset_s"].to_numpy().max(initial=1.0)))
    fig, ax = plt.subplots(figsize=(min(24, 6 + duration / 20), 5))
    plots.note_roll(ax, table)
    ax.set_title(f"{Path(summary['file']).name}: notes by instrument")
    plots.save_png(fig, paths[3])
    return paths
