"""Notes and their instruments, scored against the labels (notebook 15).

Two measurements, as the literature makes them:

* **Instrument assignment on the true notes** (Lordelo et al. 2021's setting): every labelled note of a
  recording is given to the network (:mod:`instrid.models.note_instruments`) with its true onset and pitch;
  per instrument, F of the instrument named (precision and recall over notes), and their mean over the
  instruments present.
* **Notes with instruments** (MT3's multi-instrument setting): the notes a recording's audio gives
  (:func:`instrid.models.note_instruments.transcribe`) against the labelled notes, with
  ``mir_eval.transcription`` (:func:`instrid.study.metrics.note_counts`): a note counts when its onset is
  within 50 ms and its pitch within 50 cents of a labelled note's; then also its offset; then also its
  instrument (each instrument's notes matched on their own, counts pooled), without and with the offset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support
from tqdm import tqdm

from instrid.data import instruments
from instrid.models import note_instruments
from instrid.study import metrics, records

#: The note-with-instrument criteria, weakest first: name -> (with_offsets, by_instrument).
CRITERIA = {
    "onset": (False, False),
    "onset, offset": (True, False),
    "onset, instrument": (False, True),
    "onset, offset, instrument": (True, True),
}


def reference_notes(dataset, rid: int) -> pd.DataFrame:
    """A recording's labelled notes: ``onset_s``, ``offset_s``, ``pitch`` and ``instrument`` (its name)."""
    table = dataset.notes(rid)
    names = np.asarray(instruments.NAMES, dtype=object)[instruments.index_of(table["instrument"])]
    return table.assign(instrument=names)


def assignment(network, dataset, ids, *, progress: bool = False) -> pd.DataFrame:
    """Instrument assignment on every true note of recordings ``ids``.

    Returns
    -------
    pandas.DataFrame
        One row per instrument present in the labels (study order): ``notes`` (labelled), ``precision``,
        ``recall``, ``f`` (over notes), then a row ``mean`` (``f`` the mean over those instruments,
        ``precision``/``recall`` likewise; ``notes`` the total) with ``accuracy`` (share of notes named
        right) in its own column.
    """
    chosen = note_instruments.note_set(dataset, ids, per_recording=None, seed=0, progress=progress)
    named = note_instruments.probabilities(network, chosen.x, chosen.table["pitch"]).argmax(1)
    present = np.unique(chosen.y)
    precision, recall, f, support = precision_recall_fscore_support(
        chosen.y, named, labels=present, zero_division=0
    )
    table = pd.DataFrame(
        {"notes": support, "precision": precision, "recall": recall, "f": f},
        index=pd.Index([instruments.NAMES[c] for c in present], name="instrument"),
    )
    table.loc["mean"] = [int(support.sum()), precision.mean(), recall.mean(), f.mean()]
    table["accuracy"] = np.nan
    table.loc["mean", "accuracy"] = float(np.mean(named == chosen.y)) if len(named) else 0.0
    return table.astype({"notes": int})


def assignment_records(table: pd.DataFrame, *, recordings: int, **fields) -> list[dict]:
    """Records of :func:`assignment`'s table: ``f`` per instrument, ``mean_f`` and ``accuracy``."""
    found = [
        records.record("f", row.f, instrument=name, segments=int(row.notes), recordings=recordings, **fields)
        for name, row in table.drop(index="mean").iterrows()
    ]
    mean = table.loc["mean"]
    for metric, value in (("mean_f", mean.f), ("accuracy", mean.accuracy)):
        found.append(records.record(metric, value, segments=int(mean.notes), recordings=recordings, **fields))
    return found


def transcriptions(note_model, network, dataset, ids, *, progress: bool = False) -> dict[int, pd.DataFrame]:
    """``{recording: its notes with instruments}`` (:func:`instrid.models.note_instruments.transcribe`)."""
    return {
        rid: note_instruments.transcribe(note_model, network, dataset.recording(rid)["audio_path"])
        for rid in tqdm(list(ids), desc="transcribe", unit="recording", disable=not progress, leave=False)
    }


def note_scores(estimated: dict, references: dict) -> pd.DataFrame:
    """Precision, recall and F1 of notes pooled over recordings, under each of :data:`CRITERIA`.

    ``estimated`` and ``references``: ``{recording: notes}`` with ``instrument`` names in both.
    """
    rows = {
        name: _pooled(
            ((references[r], estimated[r]) for r in references),
            with_offsets=with_offsets,
            by_instrument=by_instrument,
        )
        for name, (with_offsets, by_instrument) in CRITERIA.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("criterion")


def per_instrument_notes(estimated: dict, references: dict, *, with_offsets: bool = False) -> pd.DataFrame:
    """Notes with instruments, per instrument present in the labels: precision, recall, F1 pooled over
    recordings (a note counts when its onset, pitch and instrument match)."""
    present = sorted(
        {n for t in references.values() for n in t["instrument"]}, key=lambda n: instruments.NAMES.index(n)
    )
    rows = {
        name: _pooled(
            (
                (
                    references[r][references[r]["instrument"] == name],
                    estimated[r][estimated[r]["instrument"] == name],
                )
                for r in references
            ),
            with_offsets=with_offsets,
        )
        for name in present
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("instrument")


def _pooled(pairs, **options) -> dict:
    """Precision, recall, F1 and the counts of notes pooled over ``(reference, estimated)`` pairs
    (:func:`instrid.study.metrics.note_counts` with ``options``)."""
    total = metrics.pool_note_counts([metrics.note_counts(ref, est, **options) for ref, est in pairs])
    return {**metrics.note_f1(total), **total}


def note_score_records(scores: pd.DataFrame, *, recordings: int, **fields) -> list[dict]:
    """Records of :func:`note_scores` (``at``: the criterion) or of :func:`per_instrument_notes`."""
    by = "at" if scores.index.name == "criterion" else "instrument"
    return [
        records.record(
            metric, row[metric], segments=int(row.reference), recordings=recordings, **{by: name}, **fields
        )
        for name, row in scores.iterrows()
        for metric in ("precision", "recall", "f1")
    ]
