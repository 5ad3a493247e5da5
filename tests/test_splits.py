"""The committed recording split (instrid.data.splits)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instrid.data import musicnet, splits


def test_committed_splits_are_the_documented_rule():
    committed = splits.read_splits()
    pd.testing.assert_frame_equal(committed, splits.make_splits())
    assert set(committed.loc[committed.split == "test", "id"]) == set(musicnet.TEST_IDS)
    assert committed["id"].is_unique and len(committed) == 330
    train = committed[committed.split != "test"]
    for ensemble, group in train.groupby("ensemble"):
        if len(group) >= 3:
            assert (group.split == "validation").sum() >= 1, ensemble


def test_recording_folds_are_stratified_by_ensemble_and_balanced():
    ids = np.arange(100, 130)
    ensembles = np.array(["quartet"] * 13 + ["solo piano"] * 11 + ["trio"] * 6, dtype=object)
    folds = splits.recording_folds(ids, ensembles, 5, seed=1)
    assert set(folds) == set(ids.tolist()) and set(folds.values()) == set(range(5))
    sizes = np.bincount(list(folds.values()))
    assert sizes.max() - sizes.min() <= 1
    for ensemble in set(ensembles):
        per_fold = np.bincount([folds[int(r)] for r in ids[ensembles == ensemble]], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1  # every ensemble spread over the folds
    assert folds == splits.recording_folds(ids[::-1], ensembles[::-1], 5, seed=1)  # order does not matter
    assert folds != splits.recording_folds(ids, ensembles, 5, seed=2)
    with pytest.raises(ValueError, match="folds must lie in"):
        splits.recording_folds(ids[:3], ensembles[:3], 4)
    with pytest.raises(ValueError, match="each recording once"):
        splits.recording_folds([1, 1], ["a", "a"], 2)
