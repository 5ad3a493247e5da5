"""`instrid predict` on long files: real-time factor and flat memory -> results/predict.json.

A 10-minute and a 60-minute stereo 44.1 kHz WAV (tones and noise, written in
blocks) go through `instrid predict --out DIR`, each in its own process, which
reports its peak resident memory. The model has the study's architecture
(log-mel front-end, ResNet-18, 512-d head), trained for a moment on a tiny
tree: speed and memory do not depend on what it learned.

Targets (issue 11): rtf <= 0.05 for 10 minutes including decoding, and the
60-minute peak within 10% of the 10-minute peak.

    python benchmarks/bench_predict.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import measured_command, write_result  # noqa: E402

RATE = 44_100


def write_audio(path: Path, minutes: float) -> Path:
    rng = np.random.default_rng(0)
    block = 60 * RATE
    with soundfile.SoundFile(str(path), "w", RATE, 2, subtype="PCM_16") as f:
        for i in range(int(minutes)):
            t = (np.arange(block) + i * block) / RATE
            tone = 0.2 * np.sin(2 * np.pi * (220 + 20 * (i % 12)) * t)
            f.write(np.stack([tone, tone], axis=1) + 0.02 * rng.standard_normal((block, 2)))
    return path


def main() -> None:
    from conftest import TINY_TRAINING, TREE, make_tree
    from instrid.app import cli

    with tempfile.TemporaryDirectory(prefix="instrid-predict-") as work:
        work = Path(work)
        os.environ["INSTRID_CACHE"] = str(work / "cache")  # the tiny model's embeddings stay out of yours
        model = work / "model.pt"
        tree = make_tree(work / "tree", TREE)
        assert (
            cli.main(
                ["train", "--root", str(tree), "--out", str(model), *TINY_TRAINING, "--test-examples", "2"]
            )
            == 0
        )
        runs = {}
        for minutes in (10, 60):
            audio = write_audio(work / f"{minutes}min.wav", minutes)
            started = time.perf_counter()
            runs[minutes] = measured_command("predict", audio, "--model", model, "--out", work / "out")
            runs[minutes]["wall_s"] = time.perf_counter() - started
            audio.unlink()
    ten, sixty = runs[10], runs[60]
    write_result(
        "predict",
        {
            "rtf": ten["seconds"] / 600,
            "rtf_60min": sixty["seconds"] / 3600,
            "peak_mb_10min": ten["peak_mb"],
            "peak_mb_60min": sixty["peak_mb"],
            "peak_ratio_60_to_10": sixty["peak_mb"] / ten["peak_mb"],
            "seconds_10min": ten["seconds"],
            "seconds_60min": sixty["seconds"],
            "input": "stereo 44.1 kHz 16-bit WAV, decoded, downmixed, windows of 232 ms, "
            "CSV + JSON + PNG written",
        },
    )


if __name__ == "__main__":
    main()
