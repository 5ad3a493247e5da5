"""`make study` cold and warm, with peak memory -> results/study.json.

Cold: a fresh clone of this repository's HEAD with no .venv, no dataset and an empty
cache (environment, dataset render, embeddings and every notebook). Warm: the same
command again in that clone (everything cached). Peak memory is the largest resident
set of any process `make study` started (getrusage of the children).

    python benchmarks/bench_study.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", help="clone here (must not exist) and keep it")
    args = parser.parse_args()
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
        write_result(
            "study",
            {
                "cold_s": cold,
                "warm_s": warm,
                "peak_mb": peak_kb / 1024,
                "cold_includes": "environment, dataset render (323 recordings), embeddings, notebooks",
            },
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
