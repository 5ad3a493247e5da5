"""Shared by the benchmarks: the machine and commit a result was measured on."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from instrid.files import write_json_atomic

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = None
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "gpu": gpu, "python": platform.python_version()}


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, cwd=RESULTS.parent
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            cwd=RESULTS.parent,
        ).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_result(name: str, figures: dict) -> Path:
    """Write benchmarks/results/<name>.json with the machine, the commit and ``figures``."""
    path = RESULTS / f"{name}.json"
    write_json_atomic(
        path,
        {
            "benchmark": name,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
            "commit": commit(),
            **figures,
        },
    )
    print(f"wrote {path}")
    return path


#: One instrid command in a fresh process, printing its exit code, seconds and peak resident memory.
_MEASURED = (
    "import json, resource, sys, time; from instrid.app import cli; t = time.perf_counter(); "
    "code = cli.main(sys.argv[1:]); print(json.dumps({'code': code, 'seconds': time.perf_counter() - t, "
    "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
)


def measured_command(*argv) -> dict:
    """``instrid ARGV`` in its own process: ``{"code", "seconds", "peak_mb"}`` (peak resident memory)."""
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED, *map(str, argv)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
