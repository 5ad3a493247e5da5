"""What the study's sample sizes buy: heads trained on fractions of notebook 07's draws -> results/scale.json.

The backbone passes set a cold `make study`'s time (benchmarks/results/study.json), and the number of
segments drawn per split sets the passes. Would fewer segments do? For each pipeline of notebook 07
(the report's: raw power spectrogram, 1000-logit head, IoU-like loss, top-3; the corrected one:
log-mel, 512-d head, BCE + Adam, one threshold then at most 3), on its 3 seeds, the training and
validation segments are cut to a seeded random fraction (1, 1/2, 1/4, 1/8), the head is trained and
its rule tuned again, and it is tested on the whole test draw (5,000 segments: its intervals are set by
the 10 test recordings). Each fraction's difference from the full draw is paired over the same test
recordings. A random fraction of a uniform random draw is a uniform random draw of that size, so this
reads what notebook 07 would report with smaller `train_examples` and `validation_examples`, with
notebook 07's embeddings read from the cache (computed first if they are missing: about an hour on 2
cores).

    python benchmarks/bench_scale.py [--root data/synth]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

from instrid.study import (
    pipeline,
    recipes,
    uncertainty,  # noqa: E402
)
from instrid.study.runs import Runs, Thresholded, TopN  # noqa: E402

SEEDS = (0, 1, 2)
FRACTIONS = (1.0, 0.5, 0.25, 0.125)
METRICS = ("recall", "fp_per_frame", "precision", "f1_micro", "map")
#: notebook 07's two pipelines and their decision rules
PIPELINES = {"report": (recipes.REPORT, TopN(3)), "corrected": (recipes.CORRECTED, Thresholded(3))}


def shrunk(prepared: pipeline.Prepared, fraction: float) -> pipeline.Prepared:
    """``prepared`` keeping a seeded random ``fraction`` of its training and validation segments."""
    rng = np.random.default_rng([prepared.seed, int(fraction * 1000)])
    split = prepared.examples.table["split"].to_numpy()
    keep = split == "test"
    for name in ("train", "validation"):
        rows = np.flatnonzero(split == name)
        keep[rng.choice(rows, int(round(len(rows) * fraction)), replace=False)] = True
    return pipeline.Prepared(
        prepared.dataset,
        prepared.examples.subset(keep),
        prepared.model,
        np.asarray(prepared.embeddings[keep]),
        prepared.config,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default="data/synth", help="the default dataset (make data)")
    args = parser.parse_args()
    figures = {"seeds": list(SEEDS), "fractions": list(FRACTIONS), "pipelines": {}}
    for name, (recipe, rule) in PIPELINES.items():
        full = Runs.prepare(args.root, recipe, SEEDS, progress=False)
        replicates, rows = {}, {}
        for fraction in FRACTIONS:
            runs = Runs(replace(run, prepared=shrunk(run.prepared, fraction)) for run in full)
            replicates[fraction] = runs.fit(3, progress=False).scored(rule)
            rows[str(fraction)] = {
                **{
                    f"{split}_segments": int((runs[0].prepared.examples.table["split"] == split).sum())
                    for split in ("train", "validation", "test")
                },
                **{m: replicates[fraction][m].to_dict() for m in METRICS},
                "minus_full": uncertainty.difference(replicates[fraction], replicates[1.0], METRICS),
            }
            print(
                name,
                fraction,
                {m: uncertainty.format_interval(rows[str(fraction)][m]) for m in ("f1_micro", "map")},
                flush=True,
            )
        figures["pipelines"][name] = rows
    write_result("scale", figures)


if __name__ == "__main__":
    main()
