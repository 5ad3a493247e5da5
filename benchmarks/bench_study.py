"""`make study` cold and warm, with peak memory and the dataset render -> results/study.json.

Cold: a fresh clone of this repository's HEAD with no .venv, no dataset and an empty
cache (environment, dataset render, embeddings and every notebook). Warm: the same
command again in that clone (everything cached). Peak memory is the largest resident
set of any process `make study` started (getrusage of the children). The render of
each tree is read from `instrid data synth`'s own report in the cold run's log, and
the trees' size on disk is measured; after the warm run, `git status` in the clone
must be clean (a rerun reproduces every committed output).

    python benchmarks/bench_study.py [--keep DIR]
    python benchmarks/bench_study.py --warm-here   # -> results/study_warm.json

``--warm-here`` times only the warm run, in this checkout (its dataset and the
cache already built by a `make study` of the same code); the tree must be
committed and clean before, and is checked clean after.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_result  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def timed_make(clone: Path, env: dict, log) -> float:
    start = time.perf_counter()
    subprocess.run(["make", "study"], cwd=clone, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    return time.perf_counter() - start


def warm_here() -> None:
    status = ["git", "status", "--porcelain"]
    if subprocess.run(status, cwd=REPO, capture_output=True, text=True, check=True).stdout.strip():
        sys.exit(f"{REPO}: commit or stash your changes first (the run must leave git status clean)")
    with tempfile.TemporaryFile("w+") as log:
        warm = timed_make(REPO, dict(os.environ), log)
    changed = subprocess.run(status, cwd=REPO, capture_output=True, text=True, check=True).stdout
    write_result(
        "study_warm",
        {
            "warm_s": warm,
            "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "clean_after_warm_rerun": changed.strip() == "",
            "changed_after_warm_rerun": changed.splitlines()[:20],
            "includes": "make data (trees complete, checked), every notebook (STUDY_JOBS at a time), "
            "results table, the default model retrained",
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", help="clone here (must not exist) and keep it")
    parser.add_argument("--warm-here", action="store_true", help="time a warm make study in this checkout")
    args = parser.parse_args()
    if args.warm_here:
        warm_here()
        return
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="instrid-study-"))
    clone = work / "instrid"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    seed = REPO.parent / "shared" / "data"
    env = {**os.environ, "INSTRID_CACHE": str(work / "cache")}
    if seed.is_dir():
        env["INSTRID_SEED_DIR"] = str(seed)
    try:
        with open(work / "study.log", "w") as log:
            cold = timed_make(clone, env, log)
            warm = timed_make(clone, env, log)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        log_text = (work / "study.log").read_text()
        renders = {
            root: {"recordings": int(n), "audio_hours": float(hours), "seconds": float(seconds)}
            for root, n, hours, seconds in re.findall(
                r"^(\S+): rendered (\d+) recording\(s\) \(([\d.]+) h of audio\) in ([\d.]+) s", log_text, re.M
            )
            if int(n)
        }
        disk = {
            folder: sum(p.stat().st_size for p in (clone / folder).rglob("*") if p.is_file()) / 1e9
            for folder in ("data/synth", "data/fonts")
        }
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True
        ).stdout
        write_result(
            "study",
            {
                "cold_s": cold,
                "warm_s": warm,
                "peak_mb": peak_kb / 1024,
                "renders": renders,
                "disk_gb": disk,
                "clean_after_warm_rerun": status.strip() == "",
                "changed_after_warm_rerun": status.splitlines()[:20],
                "cold_includes": "environment, dataset renders (default tree of 323 recordings and notebook "
                "07's one-font trees), embeddings, notebooks",
            },
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
