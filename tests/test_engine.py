"""Splits, examples, the embedding cache and head training, on tiny fixtures."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import TINY, make_tree
from instrid import data, decisions, embeddings, features, labels, model, train

SPLITS = pd.DataFrame({"id": [1727, 1728, 1759], "split": ["train", "validation", "test"]})


def test_committed_splits_are_the_documented_rule():
    committed = data.read_splits()
    pd.testing.assert_frame_equal(committed, data.make_splits())
    assert set(committed.loc[committed.split == "test", "id"]) == set(data.TEST_IDS)
    assert committed["id"].is_unique and len(committed) == 330
    train = committed[committed.split != "test"]
    for ensemble, group in train.groupby("ensemble"):
        if len(group) >= 3:
            assert (group.split == "validation").sum() >= 1, ensemble


def test_segment_examples_and_subsampling(tiny_tree):
    ds = data.MusicNet(tiny_tree)
    ex = labels.segment_examples(ds, SPLITS, progress=False)
    assert ex.table["split"].tolist()[:1] == ["train"] and set(ex.table["split"]) == {"train", "validation", "test"}
    first = ex.split("train")
    assert first.table[["start", "end"]].values.tolist() == [[0, 11025], [11025, 22050], [22050, 33075], [33075, 44100]]
    assert first.targets[:, [0, 2, 3]].astype(int).tolist() == [[0, 0, 1], [1, 0, 1], [1, 0, 0], [0, 1, 0]]
    sampled = labels.segment_examples(ds, SPLITS, per_split={"train": 2, "test": 1}, seed=1, progress=False)
    assert sampled.table["split"].value_counts().to_dict() == {"train": 2, "test": 1}
    again = labels.segment_examples(ds, SPLITS, per_split={"train": 2, "test": 1}, seed=1, progress=False)
    pd.testing.assert_frame_equal(sampled.table, again.table)
    voiced = labels.segment_examples(ds, SPLITS, include_silent=False, progress=False)
    assert voiced.targets.any(axis=1).all() and len(voiced) < len(ex)


def test_positional_and_report_code_splits(tiny_tree):
    ex = labels.segment_examples(data.MusicNet(tiny_tree), SPLITS, progress=False)
    positional = labels.positional_split(ex)
    counts = positional.table["split"].value_counts()
    assert counts["train"] == round(0.6 * len(ex)) and counts.sum() == len(ex)
    # Unshuffled, the test folder's recording comes last, so the tail of the pool is test.
    assert positional.table["recording"].iloc[-1] == 1759 and positional.table["split"].iloc[-1] == "test"
    shuffled = labels.report_code_split(ex, seed=0)
    assert shuffled.table["split"].value_counts().to_dict() == counts.to_dict()
    assert not shuffled.table[["recording", "start"]].equals(positional.table[["recording", "start"]])
    pd.testing.assert_frame_equal(shuffled.table, labels.report_code_split(ex, seed=0).table)
    # Targets travel with their rows.
    key = {(r, s): t.tolist() for r, s, t in zip(ex.table.recording, ex.table.start, ex.targets)}
    assert all(key[(r, s)] == t.tolist() for r, s, t in zip(shuffled.table.recording, shuffled.table.start,
                                                           shuffled.targets))


def test_leak_share():
    table = pd.DataFrame({"recording": [1, 1, 2, 2, 3, 3], "start": range(6),
                          "split": ["train", "test", "train", "validation", "test", "test"]})
    ex = labels.Examples(table, np.zeros((6, 11), bool))
    assert labels.leak_share(ex) == pytest.approx(1 / 3)       # test rows: recording 1 (in train), 3, 3
    assert labels.leak_share(ex, "validation") == 1.0
    assert labels.leak_share(ex.subset(np.array([0, 2, 3]))) == 0.0  # no test rows


@pytest.fixture
def tree_and_examples(tmp_path):
    tree = make_tree(tmp_path / "tiny", TINY)
    ds = data.MusicNet(tree)
    return ds, labels.segment_examples(ds, SPLITS, progress=False)


def net(front=None):
    return model.InstrumentNet(front or features.ReportSpectrogram(), head="report_text", weights=None)


def test_crops_cut_the_right_samples(tree_and_examples):
    ds, _ = tree_and_examples
    audio = ds.audio(1727)
    out = embeddings.crops(ds, 1727, np.array([100, 0]), np.array([20_000, 50]), 44_100, 128)
    np.testing.assert_array_equal(out[0], audio[100:228])
    np.testing.assert_array_equal(out[1], np.tile(audio[:50], 3)[:128])
    low = embeddings.crops(ds, 1727, np.array([22_050]), np.array([44_100]), 16_000, 1000)
    np.testing.assert_allclose(low[0], ds.audio(1727, sample_rate=16_000)[8000:9000], atol=1e-4)


def test_cache_hit_miss_and_invalidation(tree_and_examples, monkeypatch):
    ds, ex = tree_and_examples
    first = embeddings.extract(ds, ex, net(), batch_size=3, progress=False)
    assert first.shape == (len(ex), 512) and first.dtype == np.float16
    direct = net().embed(torch.from_numpy(embeddings.crops(ds, 1727, ex.table.start[:2], ex.table.end[:2],
                                                           44_100, 10_240)))
    np.testing.assert_allclose(first[:2].astype(np.float32), direct.detach().numpy(), rtol=2e-3, atol=2e-3)

    calls = []
    original = model.InstrumentNet.embed
    monkeypatch.setattr(model.InstrumentNet, "embed", lambda self, x: calls.append(len(x)) or original(self, x))
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
    embeddings.extract(data.MusicNet(ds.root), ex, net(), progress=False)
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


MIXING = np.random.default_rng(99).normal(size=(11, 16))


def toy(seed, n=300):
    """Embeddings that a linear head can decode: targets mixed linearly, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, 11)) < 0.25
    x = (y @ MIXING + 0.1 * rng.normal(size=(n, 16))).astype(np.float16)
    return x, y


def test_training_is_reproducible_bit_for_bit_and_learns():
    x, y = toy(0)
    vx, vy = toy(1)
    config = train.TrainConfig(loss="iou_batch", optimizer="adam", lr=0.01, epochs=4, seed=5)
    a = train.train_head(x, y, vx, vy, config, progress=False)
    b = train.train_head(x, y, vx, vy, config, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.head.state_dict().values(), b.head.state_dict().values()))
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    c = train.train_head(x, y, vx, vy, train.TrainConfig(**{**config.__dict__, "seed": 6}), progress=False)
    assert not torch.equal(a.head.weight, c.head.weight)
    assert a.history["val_loss"].iloc[-1] < a.history["val_loss"].iloc[0]
    assert a.history["val_loss"].min() == pytest.approx(a.history.loc[a.best_epoch - 1, "val_loss"])
    p = decisions.sigmoid(train.predict_logits(a.head, vx))
    assert ((p > 0.5) == vy).mean() > 0.9


def test_report_optimizer_schedule():
    x, y = toy(0, n=40)
    result = train.train_head(x, y, x, y, train.TrainConfig(epochs=3), progress=False)
    assert result.history["lr"].tolist() == pytest.approx([1e-3, 5e-4, 2.5e-4])
    assert result.config.batch_size == 10 and result.config.optimizer == "sgd" and result.config.momentum == 0
    with pytest.raises(ValueError, match="optimizer must be"):
        train.train_head(x, y, x, y, train.TrainConfig(optimizer="rmsprop"), progress=False)


def test_finetune_updates_the_backbone_and_refreezes_it(tree_and_examples):
    ds, ex = tree_and_examples
    network = net()
    before = network.backbone.conv1.weight.clone()
    result = train.finetune(network, ds, ex, train.TrainConfig(loss="bce", optimizer="adam", lr=1e-3, epochs=1,
                                                               batch_size=4), device="cpu", progress=False)
    assert result.history["epoch"].tolist() == [1] and np.isfinite(result.history["val_loss"]).all()
    assert not torch.equal(network.backbone.conv1.weight, before)
    assert not any(p.requires_grad for p in network.backbone.parameters()) and not network.backbone.training


def test_dataset_fingerprint_ignores_how_the_root_is_spelled(tree_and_examples, tmp_path, monkeypatch):
    ds, _ = tree_and_examples
    monkeypatch.chdir(ds.root.parent)
    relative = data.MusicNet(ds.root.name)
    assert str(relative.root) != str(ds.root)
    assert embeddings.dataset_fingerprint(relative) == embeddings.dataset_fingerprint(ds)
    (tmp_path / "link").symlink_to(ds.root)
    assert embeddings.dataset_fingerprint(data.MusicNet(tmp_path / "link")) == embeddings.dataset_fingerprint(ds)
    # What the files are still counts.
    before = embeddings.dataset_fingerprint(ds)
    os.utime(ds.index["labels_path"].iloc[0], ns=(1, 1))
    assert embeddings.dataset_fingerprint(ds) != before


def test_half_written_cache_entries_of_dead_processes_are_swept(tmp_path):
    import subprocess
    import sys

    from instrid.files import remove_stale_parts

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale, live = tmp_path / f".0a1b2c.{dead}.k3j4", tmp_path / f".0a1b2c.{os.getpid()}.q9r8"
    entry = tmp_path / "0a1b2c"  # a finished entry
    for folder in (stale, live, entry):
        folder.mkdir()
        (folder / "embeddings.npy").write_bytes(b"x")
    assert remove_stale_parts(tmp_path, embeddings.STAGING) == [stale]
    assert live.exists() and entry.exists() and not stale.exists()
