"""Relabeling speed on all MusicNetEM recordings -> results/relabel.json.

``seconds``: all recordings into segments and into 10 ms frames with
:mod:`instrid.data.labels` (label CSVs parsed beforehand, not timed).
``speedup``: against a straightforward implementation of the report code's
method, written below: for each boundary, scan the notes for those sounding
(end inclusive, as that code did). Both must give identical segments.

    python benchmarks/bench_relabel.py [--root data/synth]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.data import instruments  # noqa: E402
from instrid.data import labels as relabel
from instrid.data.musicnet import MusicNet  # noqa: E402


def reference_segments(table, n_samples: int):
    """The report code's relabeling: per boundary, scan all notes."""
    start = table["start_time"].to_numpy()
    end = table["end_time"].to_numpy()
    inst = instruments.index_of(table["instrument"].to_numpy())
    note = table["note"].to_numpy()
    bounds = sorted(set([0, n_samples]) | set(start.tolist()) | set(end.tolist()))
    inst_rows, note_rows = [], []
    for b in bounds[:-1]:
        sounding = (start <= b) & (end >= b)
        row_i = np.zeros(instruments.N_INSTRUMENTS, dtype=bool)
        row_i[inst[sounding]] = True
        row_n = np.zeros(relabel.N_PITCHES, dtype=bool)
        row_n[note[sounding]] = True
        inst_rows.append(row_i)
        note_rows.append(row_n)
    return np.array(bounds[:-1]), np.array(inst_rows), np.array(note_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="data/synth")
    args = parser.parse_args()
    dataset = MusicNet(args.root)
    tables = [(dataset.labels(rid), dataset.n_label_samples(rid)) for rid in tqdm(dataset.ids, desc="read")]
    n_notes = sum(len(t) for t, _ in tables)

    start = time.perf_counter()
    n_segments = sum(len(relabel.segment_labels(t, n)) for t, n in tables)
    segment_s = time.perf_counter() - start
    start = time.perf_counter()
    n_frames = sum(len(relabel.frame_labels(t, n, frame_s=0.010)) for t, n in tables)
    frame_s = time.perf_counter() - start

    start = time.perf_counter()
    ours_inclusive = [relabel.segment_labels(t, n, inclusive_end=True) for t, n in tables]
    ours_inclusive_s = time.perf_counter() - start
    start = time.perf_counter()
    reference = [reference_segments(t, n) for t, n in tqdm(tables, desc="reference")]
    reference_s = time.perf_counter() - start
    for ours, (ref_start, ref_inst, ref_notes) in zip(ours_inclusive, reference):
        assert np.array_equal(ours.start, ref_start)
        assert np.array_equal(ours.instruments, ref_inst) and np.array_equal(ours.notes, ref_notes)

    write_result(
        "relabel",
        {
            "root": str(dataset.root),
            "recordings": len(tables),
            "notes": n_notes,
            "segments": n_segments,
            "frames_10ms": n_frames,
            "segments_seconds": segment_s,
            "frames_seconds": frame_s,
            "seconds": segment_s + frame_s,
            "reference_seconds": reference_s,
            "speedup": reference_s / ours_inclusive_s,
            "speedup_note": "reference per-boundary note scan vs segment_labels(inclusive_end=True), "
            "same output",
        },
    )


if __name__ == "__main__":
    main()
