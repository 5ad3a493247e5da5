"""Files written whole or not at all, and temporaries of dead processes swept (instrid.files)."""

from __future__ import annotations

import os
import subprocess
import sys


def test_stale_parts_of_dead_processes_are_removed_and_live_ones_kept(tmp_path):
    from instrid.files import remove_stale_parts

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f".9001.flac.{dead}.x1y2.part.flac"
    live = tmp_path / f".9002.flac.{os.getpid()}.a1b2.part.flac"
    foreign = tmp_path / ".notes.part.txt"
    for path in (stale, live, foreign):
        path.write_bytes(b"x")
    assert remove_stale_parts(tmp_path) == [stale]
    assert live.exists() and foreign.exists() and not stale.exists()
