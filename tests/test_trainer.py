"""instrid train's model: each of the study's models on one seed, saved as one file."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import TREE, make_tree
from instrid.app import trainer
from instrid.models import modelfile
from instrid.study import decisions, metrics, recipes
from instrid.study.runs import Runs


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "t", TREE)


def test_train_model_names_its_model_and_keeps_the_resnets_options_to_it(tree, tmp_path):
    with pytest.raises(ValueError, match="model_name must be one of"):
        trainer.train_model(tree, tmp_path / "m.pt", model_name="vggish")
    for options in ({"weights": None}, {"backbone_epochs": 1}):
        with pytest.raises(ValueError, match="the listening model has its own weights"):
            trainer.train_model(tree, tmp_path / "m.pt", model_name="listening", **options)
    assert not (tmp_path / "m.pt").exists()


def test_the_saved_model_is_the_seeds_run_at_its_operating_point(tree, tmp_path):
    sizes = dict(train_examples=6, validation_examples=4, test_examples=4)
    out = tmp_path / "m.pt"
    summary = trainer.train_model(
        tree, out, model_name="corrected", weights=None, epochs=1, progress=False, **sizes
    )
    (run,) = Runs.prepare(tree, recipes.CORRECTED.but(weights=None), [0], progress=False, **sizes).fit(
        1, progress=False
    )
    net, state = modelfile.load_model(out)
    np.testing.assert_array_equal(state["thresholds"], run.thresholds)
    assert state["top_n"] == 3 and state["config"]["model_name"] == "corrected"
    np.testing.assert_array_equal(net.head.weight.detach().numpy(), run.head.weight.detach().numpy())
    validation = run.evaluate("validation")
    decided = decisions.threshold_then_top_n(validation.scores, run.thresholds, 3)
    assert summary == metrics.summary(validation.y_true, decided)
