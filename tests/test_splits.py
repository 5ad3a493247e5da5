"""The committed recording split (instrid.splits)."""

from __future__ import annotations

import pandas as pd

from instrid import data, splits


def test_committed_splits_are_the_documented_rule():
    committed = splits.read_splits()
    pd.testing.assert_frame_equal(committed, splits.make_splits())
    assert set(committed.loc[committed.split == "test", "id"]) == set(data.TEST_IDS)
    assert committed["id"].is_unique and len(committed) == 330
    train = committed[committed.split != "test"]
    for ensemble, group in train.groupby("ensemble"):
        if len(group) >= 3:
            assert (group.split == "validation").sum() >= 1, ensemble
