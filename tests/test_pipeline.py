"""The notebooks' entry point on a tiny tree: both split kinds, both front-ends, config recorded."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_tree
from instrid import data, pipeline, train

# Ids from the committed splits: 2238 train, 2232 validation, 1759 test.
TREE = {
    2238: ("train", 1.0, [(0, 22050, 1, 60), (11025, 33075, 41, 67), (33075, 44100, 43, 48)]),
    2232: ("train", 0.8, [(100, 20000, 72, 70), (20000, 35000, 1, 60)]),
    1759: ("test", 0.8, [(0, 30000, 1, 62), (0, 30000, 41, 66)]),
}


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "t", TREE)


def test_prepare_by_recordings_with_log_mel(tree):
    assert data.read_splits().set_index("id").loc[[2238, 2232, 1759], "split"].tolist() == ["train", "validation", "test"]
    prepared = pipeline.prepare(tree, front_end="log_mel", head="report_text", weights=None, train_examples=3,
                                validation_examples=2, test_examples=2, progress=False)
    assert prepared.config["per_split"] == {"train": 3, "validation": 2, "test": 2}
    assert prepared.config["model"]["front_end"]["band_stats"] is not None  # fitted on training crops
    assert prepared.config["model"]["weights"] == "random:seed=0"
    x, y = prepared.split("validation")
    assert x.shape == (2, 512) and x.dtype == np.float32 and y.shape == (2, 11)
    by_split = prepared.examples.table.groupby("split")["recording"].unique()
    assert list(by_split["train"]) == [2238] and list(by_split["test"]) == [1759]
    result = pipeline.fit_head(prepared, train.TrainConfig(epochs=1), progress=False)
    targets, probabilities, logits = pipeline.predict(prepared, result.head, "test")
    assert probabilities.shape == targets.shape == logits.shape == (2, 11)


def test_prepare_with_the_report_codes_leaky_split(tree):
    prepared = pipeline.prepare(tree, weights=None, train_examples=100, validation_examples=100,
                                test_examples=100, split_kind="report_code", progress=False)
    table = prepared.examples.table
    assert prepared.config["split_kind"] == "report_code"
    assert table.groupby("recording")["split"].nunique().max() > 1  # recordings leak across splits
    with pytest.raises(ValueError, match="split_kind"):
        pipeline.prepare(tree, weights=None, split_kind="random", progress=False)
