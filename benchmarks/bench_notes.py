"""The note front-end on the default dataset: its settings chosen on validation, its notes scored on test,
its speed -> results/notes.json.

Basic Pitch's posteriors are computed once per recording (instrid.models.notes); the tracker's onset and
frame thresholds, minimum length and the latency subtracted from every note are swept over six validation
recordings and scored by note onset F1 (onset within 50 ms, pitch within 50 cents; mir_eval). The
module's defaults are then scored on the ten test recordings, without and with the offset criterion, and
timed (network and tracker, from the audio file): the real-time factor on this machine's cores.

    python benchmarks/bench_notes.py [--root data/synth]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.data import musicnet, splits  # noqa: E402
from instrid.models import notes  # noqa: E402
from instrid.study import metrics  # noqa: E402

GRID = {
    "onset_threshold": (0.5, 0.6, 0.7),
    "frame_threshold": (0.15, 0.2, 0.3),
    "min_frames": (3, 4, 5, 7),
    "latency_s": (0.015, 0.025, 0.035),
}


def posteriors(model, dataset, rid):
    parts = list(
        model.posteriors(musicnet.audio_blocks(dataset.recording(rid)["audio_path"], notes.SAMPLE_RATE))
    )
    return np.concatenate([n for n, _ in parts]), np.concatenate([o for _, o in parts])


def tracked(note, onset, latency_s, **settings):
    tracker = notes.NoteTracker(**settings)
    return notes.notes_table(tracker.feed(note, onset) + tracker.finish(), latency_s=latency_s)


def pooled(tables, references, **options) -> dict:
    counts = [metrics.note_counts(ref, est, **options) for est, ref in zip(tables, references)]
    return metrics.note_f1(metrics.pool_note_counts(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="data/synth", help="the default dataset (make data)")
    args = parser.parse_args()
    dataset, split_of = musicnet.MusicNet(args.root), splits.read_splits().set_index("id")["split"]
    chosen = {s: [r for r in dataset.ids if split_of.get(r) == s] for s in ("validation", "test")}
    chosen["validation"] = chosen["validation"][:6]
    model = notes.NoteModel()

    validation = [posteriors(model, dataset, rid) for rid in chosen["validation"]]
    references = [dataset.notes(rid) for rid in chosen["validation"]]
    sweep = []
    for values in itertools.product(*GRID.values()):
        settings = dict(zip(GRID, values))
        tables = [tracked(n, o, **settings) for n, o in validation]
        sweep.append({**settings, **pooled(tables, references)})
        print(sweep[-1], flush=True)
    best = max(sweep, key=lambda row: row["f1"])
    defaults = dict(
        onset_threshold=notes.ONSET_THRESHOLD,
        frame_threshold=notes.FRAME_THRESHOLD,
        min_frames=notes.MIN_FRAMES,
        latency_s=notes.LATENCY_S,
    )
    at_defaults = next(row for row in sweep if all(row[k] == v for k, v in defaults.items()))

    tables, references, seconds, audio_s = [], [], 0.0, 0.0
    for rid in chosen["test"]:
        start = time.perf_counter()
        note, onset = posteriors(model, dataset, rid)
        tables.append(tracked(note, onset, **defaults))
        seconds += time.perf_counter() - start
        audio_s += dataset.n_label_samples(rid) / musicnet.LABEL_SAMPLE_RATE
        references.append(dataset.notes(rid))
    test = {
        "onset": pooled(tables, references),
        "onset_offset": pooled(tables, references, with_offsets=True),
        "recordings": chosen["test"],
        "notes": int(sum(len(r) for r in references)),
    }
    figures = {
        "validation_recordings": chosen["validation"],
        "grid": GRID,
        "best": best,
        "defaults": at_defaults,
        "defaults_within_0.005_of_best": bool(best["f1"] - at_defaults["f1"] <= 0.005),
        "test": test,
        "real_time_factor": seconds / audio_s,
        "audio_s": audio_s,
    }
    print({k: v for k, v in figures.items() if k != "grid"})
    write_result("notes", figures)


if __name__ == "__main__":
    main()
