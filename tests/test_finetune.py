"""Training the backbone: the augmentation, a cached and deterministic weights file the pipeline takes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import TREE, make_tree
from instrid import cache
from instrid.files import cache_dir
from instrid.models import finetune
from instrid.study import pipeline

FAST = finetune.BackboneTraining(epochs=2, batch_size=2)
# The small run every test trains from: log-mel, the 512-d head, a random backbone, a few segments.
SMALL = dict(
    front_end="log_mel",
    head="report_text",
    weights=None,
    train_examples=4,
    validation_examples=2,
    test_examples=2,
    progress=False,
)


@pytest.fixture
def run(tmp_path):
    tree = make_tree(tmp_path / "t", TREE)
    return pipeline.prepare(tree, **SMALL)


def test_augment_adds_one_smooth_curve_per_example_and_masks_bands():
    settings = finetune.BackboneTraining(masks=0)
    flat = np.zeros((3, 128, 5), dtype=np.float16)
    out = finetune.augment(flat, np.random.default_rng(0), settings)
    assert out.dtype == np.float32 and out.shape == flat.shape
    assert np.allclose(out, out[:, :, :1])  # the same curve in every frame
    assert not np.allclose(out[0], out[1])  # each example its own
    assert np.abs(np.diff(out[:, :, 0], axis=1)).max() < 0.1  # smooth: at most 4 cosines over 128 bands
    again = finetune.augment(flat, np.random.default_rng(0), settings)
    assert np.array_equal(out, again)  # seeded
    masked = finetune.augment(
        np.ones((50, 16, 2)), np.random.default_rng(1), finetune.BackboneTraining(eq_sd=0.0, mask_bands=4)
    )
    zero_bands = (masked == 0).all(axis=2).sum(axis=1)
    assert zero_bands.max() <= 8 and zero_bands.max() > 0
    assert ((masked == 0) | (masked == 1)).all()  # eq_sd 0: only the masks change anything
    with pytest.raises(ValueError, match="batch, bands, frames"):
        finetune.augment(np.zeros((3, 4)), np.random.default_rng(0), settings)


def test_trained_backbone_is_cached_deterministic_and_taken_by_the_pipeline(run):
    path = finetune.train_backbone(run, FAST, progress=False)
    assert path.parent == cache_dir() / "backbones" and path.suffix == ".pth"
    state = torch.load(path, weights_only=True)
    assert not any(k.startswith("fc.") for k in state)
    start = run.model.backbone.state_dict()
    assert not torch.equal(state["conv1.weight"], start["conv1.weight"])  # trained
    stamp = path.stat().st_mtime_ns
    assert finetune.train_backbone(run, FAST, progress=False) == path  # cached
    assert path.stat().st_mtime_ns >= stamp
    again = torch.load(finetune.train_backbone(run, FAST, use_cache=False, progress=False), weights_only=True)
    assert all(torch.equal(state[k], again[k]) for k in state)  # the same seed and data: the same weights
    other = finetune.train_backbone(run, finetune.BackboneTraining(epochs=1, batch_size=2), progress=False)
    assert other != path  # the settings are part of the key
    assert [e.kind for e in cache.entries()].count("backbones") == 2

    trained = pipeline.prepare(run.dataset.root, **{**SMALL, "weights": str(path)})
    assert trained.config["model"]["weights"].startswith(f"file:{path.name}#sha256=")
    assert not np.array_equal(np.asarray(trained.embeddings), np.asarray(run.embeddings))
    bare = pipeline.prepare(run.dataset.root, **SMALL, embed=False)
    assert bare.embeddings is None and finetune.backbone_key(bare, FAST) == finetune.backbone_key(run, FAST)
    with pytest.raises(ValueError, match="no 1000-way ImageNet layer"):
        pipeline.prepare(run.dataset.root, head="report_code", weights=str(path), progress=False)


def test_train_backbone_refuses_runs_it_cannot_train(run, tmp_path):
    report = pipeline.prepare(
        run.dataset.root,
        weights=None,
        train_examples=4,
        validation_examples=2,
        test_examples=2,
        progress=False,
    )
    with pytest.raises(ValueError, match="head='report_text'"):
        finetune.train_backbone(report, FAST, progress=False)
    no_validation = run.only(run.examples.table.query("split != 'validation'")["recording"].unique())
    with pytest.raises(ValueError, match="training and validation examples"):
        finetune.train_backbone(no_validation, FAST, progress=False)


def test_prune_removes_a_trained_backbone_unless_it_is_being_trained(run):
    path = finetune.train_backbone(run, finetune.BackboneTraining(epochs=1, batch_size=2), progress=False)
    (entry,) = [e for e in cache.entries() if e.kind == "backbones"]
    with cache.entry_lock(path.with_suffix("")):
        assert cache.remove(entry) is False and path.exists()
    assert cache.remove(entry) is True and not path.exists()
