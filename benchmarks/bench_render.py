"""Full synthetic render of MusicNetEM (the default: two fonts, varied), all cores -> results/render.json.

Renders all 323 recordings into a fresh temporary tree (removed afterwards),
so the figure is a cold render, not a resume. Also compares the two audio
formats on one rendered recording (disk and read speed), which is why the
default is FLAC.

    python benchmarks/bench_render.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import soundfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.data import synth  # noqa: E402
from instrid.data.musicnet import MusicNet  # noqa: E402


def format_comparison(dataset: MusicNet, rid: int) -> dict:
    audio = dataset.audio(rid)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("wav", "flac"):
            path = Path(tmp) / f"x.{fmt}"
            soundfile.write(str(path), audio, 44_100, subtype="PCM_16", format=fmt.upper())
            reads = []
            for _ in range(3):
                start = time.perf_counter()
                soundfile.read(str(path), dtype="float32")
                reads.append(time.perf_counter() - start)
            out[fmt] = {
                "bytes_per_audio_second": os.path.getsize(path) / (len(audio) / 44_100),
                "read_x_realtime": (len(audio) / 44_100) / min(reads),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", help="render here and keep the tree (must not exist)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="instrid-render-", dir="data"))
    try:
        start = time.perf_counter()
        result = synth.build_synthetic_musicnet(root, jobs=args.jobs)
        seconds = time.perf_counter() - start
        dataset = MusicNet(root)
        disk = sum(p.stat().st_size for p in root.rglob("*.flac"))
        longest = int(dataset.index.sort_values("duration_s").iloc[-1]["id"])
        figures = {
            "seconds": seconds,
            "recordings": result["recordings"],
            "audio_hours": result["seconds"] / 3600,
            "rtf": result["seconds"] / seconds,
            "jobs": args.jobs or os.cpu_count(),
            "max_raw_peak": result["max_raw_peak"],
            "transposed_notes": result["transposed_notes"],
            "rendering": dataset.rendering(),
            "target_s": 600,
            "flac_gb": disk / 1e9,
            "format_comparison": format_comparison(dataset, longest),
        }
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    write_result("render", figures)


if __name__ == "__main__":
    main()
