"""Runs on a tiny tree: each seed carries its own head and operating point; rules, renderings, subsets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import TREE, make_tree
from instrid.models import train
from instrid.study import decisions, metrics, pipeline, recipes
from instrid.study.runs import Runs, Thresholded, TopN, scored

SIZES = dict(train_examples=6, validation_examples=4, test_examples=50, progress=False)
FAST = recipes.CORRECTED.but(weights=None, lr=0.01)


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "t", TREE)


@pytest.fixture
def fitted(tree):
    return Runs.prepare(tree, FAST, [0, 1], **SIZES).fit(2, progress=False)


def test_each_seed_is_prepared_fitted_and_tuned_as_by_hand(tree, fitted):
    assert fitted.seeds == [0, 1] and all(run.recipe == FAST for run in fitted)
    by_hand = pipeline.prepare_seeds(tree, [0, 1], **FAST.model(), **SIZES)
    for run, P in zip(fitted, by_hand):
        np.testing.assert_array_equal(run.prepared.embeddings, P.embeddings)
        config = train.TrainConfig(epochs=2, seed=P.seed, **FAST.training())
        alone = pipeline.fit_head(P, config, progress=False)
        np.testing.assert_array_equal(run.head.weight.detach().numpy(), alone.head.weight.detach().numpy())
        assert run.best_epoch == alone.best_epoch
        validation = pipeline.evaluate(P, alone.head, "validation")
        best = decisions.tune_global_threshold(validation.scores, validation.y_true)
        assert run.thresholds.shape == (11,) and (run.thresholds == best).all()
    # Each seed its own draw: the two seeds' heads differ.
    assert not np.array_equal(fitted[0].head.weight.detach().numpy(), fitted[1].head.weight.detach().numpy())


def test_fit_trains_with_another_recipes_training_or_changed_fields(fitted):
    report = fitted.fit(1, recipes.REPORT, progress=False)
    assert all(run.recipe.loss == "iou_batch" and run.recipe.optimizer == "sgd" for run in report)
    assert all(run.recipe.model() == FAST.model() for run in report)  # the model stays the runs'
    deeper = fitted.fit(1, hidden=4, standardize=False, progress=False)
    assert all(run.recipe.hidden == 4 and run.recipe.loss == "bce" for run in deeper)
    assert all(len(run.head) == 3 for run in deeper)  # Linear, ReLU, Linear


def test_rules_decide_with_each_runs_own_operating_point(fitted):
    runs = fitted.fit(1, progress=False)
    runs = Runs(replace(run, thresholds=np.full(11, t)) for run, t in zip(runs, (0.3, 0.7)))
    evaluations, decided = runs.decide(Thresholded(top_n=2))
    for run, ev, predictions in zip(runs, evaluations, decided):
        want = decisions.threshold_then_top_n(ev.scores, run.thresholds, 2)
        np.testing.assert_array_equal(predictions, want)
    _, top = runs.decide(TopN(3), "validation")
    assert all((p.sum(axis=1) == 3).all() for p in top)
    reps = runs.scored(Thresholded(top_n=2))
    assert reps["f1_micro"].per_seed[1] == pytest.approx(metrics.f1_micro(evaluations[1].y_true, decided[1]))
    assert TopN(3).name == "top-3" and Thresholded(3).name == "one threshold, then at most 3"
    with pytest.raises(ValueError, match="fit it first"):
        Runs.prepare(fitted[0].prepared.dataset.root, FAST, [0], **SIZES).evaluate()


def test_per_class_thresholds_are_each_instruments_best_on_validation(fitted):
    tuned = fitted.tuned_per_class()
    for run in tuned:
        validation = run.evaluate("validation")
        want = decisions.tune_class_thresholds(validation.scores, validation.y_true)
        np.testing.assert_array_equal(run.thresholds, want)


def test_another_rendering_is_scored_with_the_same_heads_and_some_classes_only(fitted, tmp_path):
    rule = Thresholded(top_n=2)
    # The same recordings rendered into another tree, the same way: the same test segments, the same scores.
    copy = fitted.on(make_tree(tmp_path / "copy", TREE), test_examples=50)
    assert [run.head for run in copy] == fitted.heads and fitted.on(None, test_examples=1) is fitted
    assert all(set(run.prepared.examples.table["split"]) == {"test"} for run in copy)
    here, there = fitted.scored(rule), copy.scored(rule)
    for metric in ("f1_micro", "map", "recall"):
        assert np.allclose(here[metric].per_seed, there[metric].per_seed, atol=1e-3)
    # Scored on some classes only: the rule decides on all of them, the counts keep the chosen ones.
    keep = np.arange(11) != 1
    only = fitted.scored(rule, classes=keep)
    evaluations, decided = fitted.decide(rule)
    for i, (ev, predictions) in enumerate(zip(evaluations, decided)):
        want = metrics.f1_micro(ev.y_true[:, keep], predictions[:, keep])
        assert only["f1_micro"].per_seed[i] == pytest.approx(want)
    assert scored(evaluations, decided, keep)["f1_micro"].per_seed[i] == pytest.approx(want)


def test_a_subset_of_recordings_and_the_label_prior_and_config(fitted):
    only = fitted.only([2238, 1759])
    assert all(set(run.prepared.examples.table["recording"]) <= {2238, 1759} for run in only)
    assert [len(y) for y in only.train_labels] == [
        int((run.prepared.examples.table["split"] == "train").sum()) for run in only
    ]
    config = fitted.config(epochs=2)
    assert config["seeds"] == [0, 1] and config["epochs"] == 2 and "seed" not in config


def test_prepare_many_takes_options_beside_a_recipe(tree):
    many = Runs.prepare_many(
        tree, {"plain": FAST, "fewer": (FAST, dict(train_examples=2))}, [0], weights=None, **SIZES
    )
    assert list(many) == ["plain", "fewer"]
    assert many["fewer"][0].prepared.config["per_split"]["train"] == 2
    assert many["plain"][0].prepared.config["per_split"]["train"] > 2  # every training segment of the tree


def test_probe_means_are_each_seeds_mean_output_on_noise_and_bernoulli_images(fitted):
    from instrid.study import probes

    means = fitted.probe_means([-40, -6], 3)
    assert list(means) == ["-40 dBFS", "-6 dBFS", "Bernoulli(0.2) image"]
    run = fitted[1]
    want = probes.noise_scores(run.prepared.model, run.head, -6, 3, seed=1).mean(axis=0)
    np.testing.assert_array_equal(means["-6 dBFS"][1], want)
    want = probes.bernoulli_scores(run.prepared.model, run.head, 3, seed=1).mean(axis=0)
    np.testing.assert_array_equal(means["Bernoulli(0.2) image"][1], want)


def test_heads_applied_to_other_data_of_the_same_seeds(fitted):
    subset = fitted.only([2238, 2232, 1759]).fit(1, progress=False)
    on_full = subset.applied_to(fitted)
    assert [run.head for run in on_full] == subset.heads
    assert [run.prepared for run in on_full] == [run.prepared for run in fitted]
    with pytest.raises(ValueError, match="seed 1 applied to the data of seed 0"):
        fitted[1].applied_to(fitted[0])
    with pytest.raises(ValueError, match="2 runs applied to 1"):
        fitted.applied_to(Runs(fitted[:1]))


def test_cross_validation_trains_each_fold_with_the_runs_recipe(tree):
    from instrid.data import splits
    from instrid.study import runs as runs_module

    prepared = Runs.prepare(tree, FAST, [0], **SIZES)
    found, evaluations = runs_module.cross_validation(prepared, 1, 3, top_n=2, model="m", head="bce")
    run = prepared[0]
    assert evaluations[0].scores.shape == run.prepared.examples.targets.shape  # every example scored
    ids = np.unique(run.prepared.examples.table["recording"].to_numpy())
    ensembles = splits.read_splits().set_index("id")["ensemble"].loc[ids].to_numpy()
    config = train.TrainConfig(epochs=1, seed=0, **FAST.training())
    by_hand = pipeline.cross_validated(run.prepared, config, splits.recording_folds(ids, ensembles, 3))
    np.testing.assert_array_equal(evaluations[0].scores, by_hand.scores)
    assert {r["split"] for r in found} == {"3-fold CV"}
    assert {r["head"] for r in found} == {"bce", "label prior"}
