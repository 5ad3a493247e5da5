"""Head training: instrid's numpy steps against the same training in torch autograd -> results/head.json.

``ratio`` = torch-autograd seconds / ``train.train_head`` seconds for one head, both in one run on
this machine, on the study's sizes (20,000 training and 5,000 validation embeddings of 512
dimensions, 11 instruments, 3 epochs, batches of 10) and both of its heads: the report's (IoU-like
loss, SGD) and the corrected one (BCE, Adam). The embeddings are seeded standard Gaussian noise,
as z-scored ones are: the step's cost does not depend on their values. Each figure is the best of
``--repeats`` runs.

    python benchmarks/bench_head.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.models import train  # noqa: E402

HEADS = {
    "report": train.TrainConfig(loss="iou_batch", optimizer="sgd", lr=1e-3),
    "corrected": train.TrainConfig(loss="bce", optimizer="adam", lr=1e-3),
}


def best_seconds(run, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, vx = (rng.normal(size=(n, 512)).astype(np.float32) for n in (20_000, 5_000))
    y, vy = ((rng.random((n, 11)) < 0.2).astype(np.float32) for n in (20_000, 5_000))
    figures = {
        "train_examples": len(x),
        "epochs": 3,
        "batch_size": 10,
        "torch_threads": torch.get_num_threads(),
    }
    for name, config in HEADS.items():
        numpy_s = best_seconds(
            lambda c=config: train.train_head(x, y, vx, vy, c, progress=False), args.repeats
        )
        autograd_s = best_seconds(lambda c=config: train.train_head_autograd(x, y, vx, vy, c), args.repeats)
        figures[name] = {
            "numpy_seconds": numpy_s,
            "autograd_seconds": autograd_s,
            "ratio": autograd_s / numpy_s,
        }
    figures["ratio"] = min(figures[name]["ratio"] for name in HEADS)
    write_result("head", figures)


if __name__ == "__main__":
    main()
