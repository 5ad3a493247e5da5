"""Embedding extraction throughput against the bare backbone -> results/embedding.json.

``ratio`` = extraction throughput (seek and read each example's samples,
resample if needed, crop, front-end, backbone, write float16 to the cache)
divided by the bare backbone's forward throughput on pre-made images of the
same shape, both in one run on this machine (target: at least 0.85).
Also times head training on the extracted embeddings with the report's
settings (SGD, batch 10, 3 epochs), and gives ``musicnn_over_resnet18``: the
listening backbone's extraction throughput (musicnn, pooled features of the
same crops) over ResNet-18's on log-mel, in the same run.

    python benchmarks/bench_embedding.py [--root data/synth] [--examples 2048]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.data import examples, musicnet, splits
from instrid.models import (
    embeddings,
    features,
    model,
    train,  # noqa: E402
)


def bare_forward(net, batch_size: int, n_batches: int) -> float:
    """Backbone-only samples per second on one pre-made batch of front-end outputs."""
    crop = torch.randn(batch_size, net.front_end.crop_samples, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        image = net.front_end(crop)
        if net.backbone_kind == "resnet18":
            image = image.contiguous(memory_format=torch.channels_last)
        net.backbone(image)  # warm-up
        start = time.perf_counter()
        for _ in range(n_batches):
            net.backbone(image)
    return batch_size * n_batches / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="data/synth")
    parser.add_argument("--examples", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    os.environ["INSTRID_CACHE"] = tempfile.mkdtemp(prefix="instrid-bench-")  # cold embedding cache
    dataset = musicnet.MusicNet(args.root)
    chosen = examples.segment_examples(
        dataset, splits.read_splits(), per_split={"train": args.examples}, progress=False
    )
    figures = {
        "examples": len(chosen),
        "batch_size": args.batch_size,
        "torch_threads": torch.get_num_threads(),
        "front_ends": {},
    }
    candidates = {
        name: model.InstrumentNet(features.make_front_end(name), head="report_text", weights=None)
        for name in ("report_spectrogram", "log_mel")
    }
    candidates |= {
        # The listening backbone (pipeline.LISTENING) on the same 232 ms crops.
        "musicnn_mel": model.InstrumentNet(
            features.MusicnnMel(), backbone="musicnn", head="pooled", weights="MTT_musicnn"
        )
    }
    for name, net in candidates.items():
        bare = bare_forward(net, args.batch_size, max(4, args.examples // args.batch_size // 2))
        start = time.perf_counter()
        out = embeddings.extract(dataset, chosen, net, batch_size=args.batch_size, progress=False)
        extract_s = time.perf_counter() - start
        figures["front_ends"][name] = {
            "bare_samples_per_s": bare,
            "samples_per_s": len(chosen) / extract_s,
            "ratio": len(chosen) / extract_s / bare,
            "seconds": extract_s,
        }
        if name == "report_spectrogram":
            start = time.perf_counter()
            result = train.train_head(
                out,
                chosen.targets,
                out[:256],
                chosen.targets[:256],
                train.TrainConfig(epochs=3),
                progress=False,
            )
            figures["head_train_seconds"] = time.perf_counter() - start
            figures["head_train_examples_per_s"] = 3 * len(chosen) / result.seconds
    default = figures["front_ends"]["report_spectrogram"]
    figures.update(ratio=default["ratio"], samples_per_s=default["samples_per_s"])
    # musicnn's extraction throughput against ResNet-18's (log-mel, the corrected pipeline's), same run.
    speeds = {name: found["samples_per_s"] for name, found in figures["front_ends"].items()}
    figures["musicnn_over_resnet18"] = speeds["musicnn_mel"] / speeds["log_mel"]
    write_result("embedding", figures)


if __name__ == "__main__":
    main()
