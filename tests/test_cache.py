"""instrid's cache: reads mark entries used; prune removes by age and size, least recently used first,
never a download, the model or an entry being computed; a pruned entry is computed again."""

from __future__ import annotations

import os
import shutil
import time
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import one_line, run
from instrid import cache
from instrid.app import cli
from instrid.data import musicnet
from instrid.files import cache_dir
from instrid.models import embeddings
from instrid.study import pipeline

DAY = 86_400.0


def fake_model():
    return SimpleNamespace(
        front_end=SimpleNamespace(config=lambda: {"name": "fake"}),
        weights_used="random:seed=0",
        head_kind="report_text",
        batch_norm="eval",
    )


def probe(seed: int, calls: list, size: int = 100) -> np.ndarray:
    """A cached probe entry of ``size`` float32 values; ``calls`` counts computations."""

    def compute():
        calls.append(seed)
        return np.full(size, seed, dtype=np.float32)

    return embeddings.probe_outputs(fake_model(), {"kind": "test", "seed": seed, "size": size}, compute)


def age(entry_folder, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(entry_folder / "meta.json", (then, then))


def folder_of(seed: int) -> os.PathLike:
    (found,) = [
        e.path
        for e in cache.entries()
        if (e.path / "embeddings.npy").exists() and np.load(e.path / "embeddings.npy")[0] == seed
    ]
    return found


def test_a_read_marks_the_entry_used_and_prune_by_age_removes_only_the_unused(capsys):
    calls = []
    probe(1, calls), probe(2, calls)
    old, read_again = folder_of(1), folder_of(2)
    age(old, 10), age(read_again, 10)
    assert np.array_equal(probe(2, calls), np.full(100, 2, np.float32))
    assert calls == [1, 2]  # read, not computed
    assert time.time() - (read_again / "meta.json").stat().st_mtime < DAY  # marked used by the read
    assert [e.path for e in cache.select(cache.entries(), unused_s=5 * DAY)] == [old]

    said = out(capsys, "cache", "prune", "--unused-days", "5", "--dry-run")
    assert "would remove 1 entries" in said and f"  embeddings 0.00 GB  {old}" in said  # each one listed
    assert old.exists()  # a dry run removes nothing
    (cache_dir() / "downloads").mkdir()
    (cache_dir() / "downloads" / "musicnet_em.zip").write_bytes(b"x" * 10)
    (cache_dir() / "models").mkdir()
    (cache_dir() / "models" / "instrid-default.pt").write_bytes(b"y" * 10)
    for path in (
        cache_dir() / "downloads" / "musicnet_em.zip",
        cache_dir() / "models" / "instrid-default.pt",
    ):
        os.utime(path, (0, 0))  # older than anything: still kept
    assert "removed 1 entries" in out(capsys, "cache", "prune", "--unused-days", "5")
    assert not old.exists() and read_again.exists()
    assert (cache_dir() / "downloads" / "musicnet_em.zip").exists()
    assert (cache_dir() / "models" / "instrid-default.pt").exists()
    staging_left = [p for p in (cache_dir() / "embeddings").iterdir() if p.name.startswith(".")]
    assert not staging_left
    assert np.array_equal(probe(1, calls), np.full(100, 1, np.float32)) and calls == [
        1,
        2,
        1,
    ]  # computed again


def test_entries_being_written_are_not_entries(tiny_tree, monkeypatch):
    calls = []
    probe(5, calls)
    (complete,) = cache.entries()
    staging = complete.path.parent / f".{complete.path.name}.{os.getpid()}.abc123"
    shutil.copytree(complete.path, staging)  # as _publish has it just before the rename
    part = cache_dir() / "segments" / f".x.npz.{os.getpid()}.abc.part.npz"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"partial")
    assert [e.path for e in cache.entries()] == [complete.path]
    assert cache.usage()["segments"]["entries"] == 0


def test_a_size_limit_removes_the_least_recently_used_first():
    found = [
        cache.Entry("embeddings", cache_dir() / f"e{i}", size, last_used)
        for i, (size, last_used) in enumerate([(400, 10.0), (300, 20.0), (200, 30.0), (100, 40.0)])
    ]
    names = lambda chosen: [e.path.name for e in chosen]  # noqa: E731
    assert names(cache.select(found, max_bytes=300, now=50.0)) == ["e0", "e1"]  # 200 + 100 left
    assert names(cache.select(found, max_bytes=1000, now=50.0)) == []
    assert names(cache.select(found, max_bytes=0, now=50.0)) == ["e0", "e1", "e2", "e3"]
    # By age first (e0 and e1 unused for more than 25 s), then by size among the rest.
    assert names(cache.select(found, unused_s=25.0, max_bytes=150, now=50.0)) == ["e0", "e1", "e2"]
    with pytest.raises(ValueError, match="say what to remove"):
        cache.select(found)


def test_an_entry_being_computed_is_kept_and_a_vanished_one_is_computed_again(capsys):
    calls = []
    probe(3, calls)
    busy = folder_of(3)
    age(busy, 10)
    with cache.entry_lock(busy):  # another run holds it
        assert cache.remove(cache.entries()[0]) is False
        assert "being computed by another run, kept" in out(capsys, "cache", "prune", "--max-gb", "0")
    assert busy.exists()
    # Removed between a reader's check and its read: the reader computes it again.
    (busy / "embeddings.npy").unlink()
    assert np.array_equal(probe(3, calls), np.full(100, 3, np.float32)) and calls == [3, 3]


def test_a_pruned_relabeling_is_made_again(tiny_tree, monkeypatch):
    tree = tiny_tree
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    first = pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    (entry,) = [e for e in cache.entries() if e.kind == "segments"]
    os.utime(entry.path, (0, 0))
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    assert time.time() - entry.path.stat().st_mtime < DAY  # the read marked it used
    assert cache.remove(entry) and not entry.path.exists()
    monkeypatch.setattr(pipeline, "_SEGMENTS", {})
    again = pipeline.all_segments(musicnet.MusicNet(tree), progress=False)
    assert entry.path.exists() and again.table.equals(first.table)


def test_prune_needs_a_criterion_and_info_lists_every_part(capsys):
    code, err = run(capsys, "cache", "prune")
    assert code == 2 and "--unused-days N, --max-gb X or both" in one_line(err)
    code, err = run(capsys, "cache", "prune", "--unused-days", "-1")
    assert code == 2 and "argument --unused-days: must be a number from 0" in one_line(err)
    probe(4, [])
    info = out(capsys, "cache", "info").splitlines()
    assert info[0] == str(cache_dir())
    assert [line.split()[:3] for line in info[1:8]] == [
        ["downloads", "0", "files"],
        ["embeddings", "1", "entries"],
        ["segments", "0", "entries"],
        ["backbones", "0", "entries"],
        ["note_models", "0", "entries"],
        ["models", "0", "files"],
        ["locks", "1", "files"],
    ]


def out(capsys, *argv) -> str:
    """What ``instrid ARGV`` printed, after checking it succeeded."""
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_one_key_function_names_every_entry_by_what_it_depends_on():
    import hashlib
    import json

    description = {"b": [1, 2], "a": {"y": None, "x": "z"}}
    assert cache.key(description) == cache.key({"a": {"x": "z", "y": None}, "b": [1, 2]})  # order-free
    want = hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:24]
    assert cache.key(description) == want and len(want) == 24  # the keys entries already have
    assert cache.key({**description, "b": [2, 1]}) != cache.key(description)
