"""The embedding cache (instrid.models.embeddings)."""

from __future__ import annotations

import os
import tarfile
import threading
import time

import numpy as np
import pytest
import torch

from conftest import make_tar, net
from instrid import cache
from instrid.data import examples, musicnet
from instrid.data.download import safe_extract
from instrid.models import embeddings, features, model


def test_cache_hit_miss_and_invalidation(tree_and_examples, monkeypatch):
    ds, ex = tree_and_examples
    first = embeddings.extract(ds, ex, net(), batch_size=3, progress=False)
    assert first.shape == (len(ex), 512) and first.dtype == np.float16
    direct = net().embed(
        torch.from_numpy(examples.crops(ds, 1727, ex.table.start[:2], ex.table.end[:2], 44_100, 10_240))
    )
    np.testing.assert_allclose(first[:2].astype(np.float32), direct.detach().numpy(), rtol=2e-3, atol=2e-3)

    calls = []
    original = model.InstrumentNet.embed
    monkeypatch.setattr(
        model.InstrumentNet, "embed", lambda self, x: calls.append(len(x)) or original(self, x)
    )
    np.testing.assert_array_equal(embeddings.extract(ds, ex, net(), progress=False), first)
    assert calls == []  # read from the cache
    embeddings.extract(ds, ex, net(features.LogMel()), progress=False)
    assert sum(calls) == len(ex)  # another front-end is another key
    calls.clear()
    embeddings.extract(ds, ex.subset(np.arange(len(ex)) < 3), net(), progress=False)
    assert sum(calls) == 3  # other examples
    calls.clear()
    path = ds.recording(1728)["audio_path"]
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    embeddings.extract(musicnet.MusicNet(ds.root), ex, net(), progress=False)
    assert sum(calls) == len(ex)  # the dataset changed


def test_cache_never_reads_half_written_entries(tree_and_examples, monkeypatch):
    ds, ex = tree_and_examples
    key, _ = embeddings.cache_key(ds, ex, net(), batch_size=64)
    folder = embeddings.cache_dir() / "embeddings" / key
    folder.mkdir(parents=True)
    np.save(folder / "embeddings.npy", np.zeros((1, 1), np.float16))  # no meta.json: incomplete
    out = embeddings.extract(ds, ex, net(), progress=False)
    assert out.shape == (len(ex), 512)

    def crash(self, x):
        raise KeyboardInterrupt

    other = ex.subset(np.arange(len(ex)) < 4)
    monkeypatch.setattr(model.InstrumentNet, "embed", crash)
    with pytest.raises(KeyboardInterrupt):
        embeddings.extract(ds, other, net(), batch_size=2, progress=False)
    key, _ = embeddings.cache_key(ds, other, net(), batch_size=64)
    assert not (embeddings.cache_dir() / "embeddings" / key).exists()
    assert [p.name for p in (embeddings.cache_dir() / "embeddings").iterdir()] == [folder.name]


def test_dataset_fingerprint_ignores_how_the_root_is_spelled(tree_and_examples, tmp_path, monkeypatch):
    ds, _ = tree_and_examples
    monkeypatch.chdir(ds.root.parent)
    relative = musicnet.MusicNet(ds.root.name)
    assert str(relative.root) != str(ds.root)
    assert cache.dataset_fingerprint(relative) == cache.dataset_fingerprint(ds)
    (tmp_path / "link").symlink_to(ds.root)
    assert cache.dataset_fingerprint(musicnet.MusicNet(tmp_path / "link")) == cache.dataset_fingerprint(ds)
    # What the files are still counts.
    before = cache.dataset_fingerprint(ds)
    os.utime(ds.index["labels_path"].iloc[0], ns=(1, 1))
    assert cache.dataset_fingerprint(ds) != before


def test_half_written_cache_entries_of_dead_processes_are_swept(tmp_path):
    import subprocess
    import sys

    from instrid.files import remove_stale_parts

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale, live = tmp_path / f".0a1b2c.{dead}.k3j4", tmp_path / f".0a1b2c.{os.getpid()}.q9r8"
    entry = tmp_path / "0a1b2c"  # a finished entry
    for folder in (stale, live, entry):
        folder.mkdir()
        (folder / "embeddings.npy").write_bytes(b"x")
    assert remove_stale_parts(tmp_path, embeddings.STAGING) == [stale]
    assert live.exists() and entry.exists() and not stale.exists()


def test_extraction_stopped_midway_leaves_nothing_and_a_rerun_extracts_all(tmp_path, monkeypatch):
    # What SIGTERM becomes in the CLI (KeyboardInterrupt; see the train and synth tests) arriving mid-archive.
    archive = make_tar(
        tmp_path / "a.tar.gz", {f"musicnet/train_data/{i}.bin": bytes([i]) * 1000 for i in range(20)}
    )
    real = tarfile.TarFile.extract
    count = {"n": 0}

    def stop_at_ten(self, member, *args, **kwargs):
        count["n"] += 1
        if count["n"] == 10:
            raise KeyboardInterrupt("signal 15")
        return real(self, member, *args, **kwargs)

    monkeypatch.setattr(tarfile.TarFile, "extract", stop_at_ten)
    with pytest.raises(KeyboardInterrupt):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tar.gz"]  # no tree, no staging folder
    monkeypatch.setattr(tarfile.TarFile, "extract", real)
    out = safe_extract(archive, tmp_path / "out", progress=False)
    assert len(list((out / "musicnet" / "train_data").iterdir())) == 20


def test_concurrent_extractions_of_one_entry_compute_it_once(tree_and_examples, monkeypatch):
    # make study runs notebooks side by side: two asking for the same embeddings must not both compute them.
    ds, ex = tree_and_examples
    calls, started = [], threading.Event()
    original = model.InstrumentNet.embed

    def slow(self, x):
        calls.append(len(x))
        started.set()
        time.sleep(0.2)  # long enough that the second caller arrives while the first computes
        return original(self, x)

    monkeypatch.setattr(model.InstrumentNet, "embed", slow)
    results = {}
    first = threading.Thread(
        target=lambda: results.update(a=embeddings.extract(ds, ex, net(), progress=False))
    )
    first.start()
    assert started.wait(30)
    results["b"] = embeddings.extract(ds, ex, net(), progress=False)  # waits on the lock, then reads
    first.join()
    assert sum(calls) == len(ex)
    np.testing.assert_array_equal(results["a"], results["b"])
