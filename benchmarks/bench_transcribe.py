"""`instrid transcribe` on long files: real-time factor and flat memory -> results/transcribe.json.

A minute of rendered piano and flute notes (TimGM6mb, a note every 0.2 s, pitches drawn at random) is
tiled into a 10-minute and a 60-minute stereo 44.1 kHz WAV (written in blocks), and each goes through
`instrid transcribe --out DIR` in its own process, which reports its peak resident memory. The
note-instrument network is trained for seconds on a small rendered tree: speed and memory do not depend on
what it learned. Both passes (Basic Pitch's network and the tracker; the patches and the network) and the
outputs (MIDI, CSV, JSON, PNG) are timed.

Targets: rtf <= 0.1 on 2 cores, and the 60-minute peak within 10% of the 10-minute peak.

    python benchmarks/bench_transcribe.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import measured_command, write_result  # noqa: E402

RATE = 44_100


def write_audio(path: Path, minute: np.ndarray, minutes: int) -> Path:
    with soundfile.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as f:
        for _ in range(minutes):
            f.write(np.stack([minute, minute], axis=1))
    return path


def main() -> None:
    from conftest import RENDERED_TREE, SMALL, rendered_tree
    from instrid.data import musicnet
    from instrid.models import note_instruments

    with tempfile.TemporaryDirectory(prefix="instrid-transcribe-") as work:
        work = Path(work)
        os.environ["INSTRID_CACHE"] = str(work / "cache")
        tree = rendered_tree(work / "tree", {**RENDERED_TREE, 1759: ("test", 60.0)})
        model = work / "notes.pt"
        shutil.copyfile(note_instruments.train(musicnet.MusicNet(tree), SMALL, progress=False), model)
        minute, _ = soundfile.read(str(tree / "test_data" / "1759.wav"), dtype="float32")
        runs = {}
        for minutes in (10, 60):
            audio = write_audio(work / f"{minutes}min.wav", minute, minutes)
            runs[minutes] = measured_command(
                "transcribe", audio, "--model", model, "--out", work / "out", "-q"
            )
            runs[minutes]["notes"] = len(pd.read_csv(work / "out" / f"{minutes}min.notes.csv"))
            audio.unlink()
    ten, sixty = runs[10], runs[60]
    write_result(
        "transcribe",
        {
            "rtf": ten["seconds"] / 600,
            "rtf_60min": sixty["seconds"] / 3600,
            "peak_mb_10min": ten["peak_mb"],
            "peak_mb_60min": sixty["peak_mb"],
            "peak_ratio_60_to_10": sixty["peak_mb"] / ten["peak_mb"],
            "seconds_10min": ten["seconds"],
            "seconds_60min": sixty["seconds"],
            "notes_10min": ten["notes"],
            "notes_60min": sixty["notes"],
            "input": "stereo 44.1 kHz 16-bit WAV of rendered piano and flute notes (5 a second), decoded, "
            "downmixed, resampled to 22.05 kHz twice (notes, then patches); MIDI + CSV + JSON + PNG written",
        },
    )


if __name__ == "__main__":
    main()
