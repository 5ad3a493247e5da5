"""`make study` cold and warm, with peak memory and the dataset render -> results/study.json.

Cold: a fresh clone of this repository's HEAD with no .venv, no dataset and an empty
cache (environment, dataset render, embeddings and every notebook). Warm: the same
command again in that clone (everything cached). Peak memory is the largest resident
set of any process `make study` started (getrusage of the children). The render of
each tree is read from `instrid data synth`'s own report in the cold run's log, and
the trees' size on disk is measured; after the warm run, `git status` in the clone
must be clean (a rerun reproduces every committed output).

    python benchmarks/bench_study.py [--keep DIR] [--seed-download FILE ...]
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


def timed_make(clone: Path, env: dict, log) -> tuple[float, list[tuple[float, str]]]:
    """Run `make study`, each output line written to ``log`` after its time (s since the start).

    Returns the wall time and the ``(seconds, line)`` events, for :func:`breakdown`.
    """
    start = time.perf_counter()
    events = []
    with subprocess.Popen(
        ["make", "study"], cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as make:
        for line in make.stdout:
            events.append((time.perf_counter() - start, line.rstrip("\n")))
            log.write(f"[{events[-1][0]:8.1f}] {line}")
            log.flush()
    if make.returncode:
        raise subprocess.CalledProcessError(make.returncode, "make study")
    return time.perf_counter() - start, events


def breakdown(events: list[tuple[float, str]]) -> dict:
    """Where a `make study` spent its time, from its output lines (see :func:`timed_make`).

    ``environment`` ends when the first dataset command starts, ``data`` (the renders, or the check that
    the trees are complete) when `instrid data info` starts, ``notebooks`` when the results table is
    written; ``notebook_s`` is each notebook's own run time (STUDY_JOBS of them run side by side).
    """

    def first(pattern: str) -> float | None:
        return next((t for t, line in events if re.search(pattern, line)), None)

    data_start, notebooks_start, table_start = (
        first(r"instrid data synth"),
        first(r"instrid data info"),
        first(r"instrid results-table"),
    )
    notebook_s = {
        Path(m.group(1)).stem: float(m.group(2))
        for _, line in events
        if (m := re.match(r"^(\S+\.ipynb): ran in ([\d.]+) s$", line))
    }
    if None in (data_start, notebooks_start, table_start):
        return {"notebook_s": notebook_s}
    return {
        "environment_s": data_start,
        "data_s": notebooks_start - data_start,
        "notebooks_s": table_start - notebooks_start,
        "results_and_model_s": events[-1][0] - table_start if events else 0.0,
        "notebook_s": notebook_s,
    }


def warm_here() -> None:
    status = ["git", "status", "--porcelain"]
    if subprocess.run(status, cwd=REPO, capture_output=True, text=True, check=True).stdout.strip():
        sys.exit(f"{REPO}: commit or stash your changes first (the run must leave git status clean)")
    with tempfile.TemporaryFile("w+") as log:
        warm, events = timed_make(REPO, dict(os.environ), log)
    changed = subprocess.run(status, cwd=REPO, capture_output=True, text=True, check=True).stdout
    write_result(
        "study_warm",
        {
            "warm_s": warm,
            "warm_breakdown": breakdown(events),
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
    parser.add_argument(
        "--seed-download", nargs="*", metavar="FILE", help="files to put in the clone's download cache first"
    )
    args = parser.parse_args()
    if args.warm_here:
        warm_here()
        return
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="instrid-study-"))
    clone = work / "instrid"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    seed = REPO.parent / "shared" / "data"
    # Downloads the offline seed folder lacks (the held-out fonts' Debian packages), copied from this
    # machine's cache into the clone's, as a run with a network would have fetched them.
    (work / "cache" / "downloads").mkdir(parents=True, exist_ok=True)
    for name in args.seed_download or ():
        shutil.copy2(name, work / "cache" / "downloads")
    env = {**os.environ, "INSTRID_CACHE": str(work / "cache")}
    if seed.is_dir():
        env["INSTRID_SEED_DIR"] = str(seed)
    try:
        with open(work / "study.log", "w") as log:
            cold, cold_events = timed_make(clone, env, log)
            warm, warm_events = timed_make(clone, env, log)
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        log_text = "\n".join(line for _, line in cold_events)
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
                "cold_breakdown": breakdown(cold_events),
                "warm_breakdown": breakdown(warm_events),
                "peak_mb": peak_kb / 1024,
                "renders": renders,
                "disk_gb": disk,
                "clean_after_warm_rerun": status.strip() == "",
                "changed_after_warm_rerun": status.splitlines()[:20],
                "cold_includes": "environment, dataset renders (default tree of 323 recordings and the "
                "one-font trees), embeddings, the notebooks of make study (not make study-full's), results "
                "table, model",
            },
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
