"""`make model` from a built dataset and an empty cache -> results/model.json (target: at most 10 minutes).

Runs ``instrid train`` (its default: the listening model) on the default tree
into a temporary cache, as a user's first `make model` after `make data`
does: relabeling, 30,000 segments embedded by musicnn, the head, the
threshold. Also records the model file's size and its validation summary.

    python benchmarks/bench_model.py [--root data/synth]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

TARGET_S = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="data/synth")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="instrid-bench-model-") as scratch:
        out = Path(scratch) / "model.pt"
        env = {**os.environ, "INSTRID_CACHE": str(Path(scratch) / "cache")}
        command = [
            sys.executable,
            "-m",
            "instrid.app.cli",
            "train",
            "--root",
            args.root,
            "--out",
            str(out),
            "-q",
        ]
        start = time.perf_counter()
        said = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout.strip()
        seconds = time.perf_counter() - start
        size = out.stat().st_size
    write_result(
        "model",
        {
            "seconds": seconds,
            "target_seconds": TARGET_S,
            "within_target": seconds <= TARGET_S,
            "model_bytes": size,
            "said": said,
            "torch_threads": torch.get_num_threads(),
        },
    )


if __name__ == "__main__":
    main()
