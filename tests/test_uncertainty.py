"""Seeds and the bootstrap over recordings, against direct computation and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from instrid.study import metrics
from instrid.study import uncertainty as u


def evaluation(seed: int, n: int = 120, recordings: int = 6) -> u.Evaluation:
    rng = np.random.default_rng(seed)
    y = rng.random((n, 5)) < 0.3
    y[:, 4] = False  # an instrument absent from the split
    scores = np.clip(0.4 * y + rng.random((n, 5)) * 0.7, 0, 1)
    return u.Evaluation(y, scores, np.sort(rng.integers(100, 100 + recordings, n)))


def test_draws_are_seeded_counts_of_recordings():
    ids, counts = u.recording_draws([5, 5, 7, 9], n_boot=50, seed=1)
    assert ids.tolist() == [5, 7, 9] and counts.shape == (50, 3)
    assert (counts.sum(axis=1) == 3).all() and (counts >= 0).all()
    assert np.array_equal(counts, u.recording_draws([9, 7, 5], n_boot=50, seed=1)[1])
    with pytest.raises(ValueError, match="no recordings"):
        u.recording_draws([])


def test_point_estimates_are_the_plain_metrics_per_seed():
    evs = [evaluation(s) for s in range(3)]
    preds = [ev.scores > 0.5 for ev in evs]
    reps = u.replicates(evs, preds, with_map=True, n_boot=200)
    for i, (ev, p) in enumerate(zip(evs, preds)):
        assert reps["recall"].per_seed[i] == pytest.approx(metrics.recall(ev.y_true, p))
        assert reps["fp_per_frame"].per_seed[i] == pytest.approx(metrics.fp_per_frame(ev.y_true, p))
        assert reps["f1_micro"].per_seed[i] == pytest.approx(metrics.f1_micro(ev.y_true, p))
        assert reps["f1_macro"].per_seed[i] == pytest.approx(metrics.f1_macro(ev.y_true, p))
        assert reps["map"].per_seed[i] == pytest.approx(metrics.mean_average_precision(ev.y_true, ev.scores))
    summary = u.summarize(evs, preds, n_boot=200)
    assert summary["recall"]["mean"] == pytest.approx(np.mean(reps["recall"].per_seed))
    assert summary["recall"]["low"] <= summary["recall"]["mean"] <= summary["recall"]["high"]


def test_a_replicate_is_the_metric_on_the_drawn_recordings():
    ev = evaluation(0)
    pred = ev.scores > 0.5
    ids, counts = u.recording_draws(ev.recordings, n_boot=5, seed=0)
    reps = u.replicates([ev], [pred], with_map=True, n_boot=5, seed=0)
    for b in range(5):
        # Build the resampled data explicitly: each recording repeated as often as it was drawn.
        rows = np.concatenate(
            [
                np.repeat(np.flatnonzero(ev.recordings == rid)[None], int(c), axis=0).ravel()
                for rid, c in zip(ids, counts[b])
                if c
            ]
        )
        assert reps["recall"].boot[b] == pytest.approx(metrics.recall(ev.y_true[rows], pred[rows]))
        assert reps["f1_macro"].boot[b] == pytest.approx(metrics.f1_macro(ev.y_true[rows], pred[rows]))
        assert reps["map"].boot[b] == pytest.approx(
            metrics.mean_average_precision(ev.y_true[rows], ev.scores[rows])
        )


@pytest.mark.parametrize("seed", [3, 4])
def test_grouped_map_matches_scikit_learn_with_ties_and_group_weights(seed):
    rng = np.random.default_rng(seed)
    y = rng.random((80, 4)) < 0.4
    y[:, 3] = False  # a class without positives is left out of the mean
    scores = np.round(rng.random((80, 4)), 1)  # many ties
    groups = rng.integers(0, 5, size=80)
    counts = rng.integers(0, 3, size=(6, 5)).astype(float)
    counts[0] = [0, 0, 1, 0, 0]  # one group drawn alone
    got = u.grouped_map(y, scores, groups, counts)
    for b in range(len(counts)):
        w = counts[b, groups]
        present = [k for k in range(4) if (w * y[:, k]).sum() > 0]
        expected = np.mean([average_precision_score(y[:, k], scores[:, k], sample_weight=w) for k in present])
        assert got[b] == pytest.approx(expected, rel=1e-12)


def test_grouped_map_without_positive_weight_and_bad_groups():
    y = np.array([[True], [False]])
    scores = np.array([[0.9], [0.1]])
    got = u.grouped_map(y, scores, np.array([0, 1]), np.array([[0.0, 1.0], [1.0, 1.0]]))
    assert np.isnan(got[0]) and got[1] == 1.0
    with pytest.raises(ValueError, match="groups must lie"):
        u.grouped_map(y, scores, np.array([0, 2]), np.ones((1, 2)))
    with pytest.raises(ValueError, match="do not match"):
        u.grouped_map(y, scores, np.array([0]), np.ones((1, 2)))


def test_paired_difference_and_intervals():
    evs = [evaluation(s) for s in range(2)]
    a = u.replicates(evs, [ev.scores > 0.4 for ev in evs], n_boot=300)
    b = u.replicates(evs, [ev.scores > 0.6 for ev in evs], n_boot=300)
    diff = u.difference(a, b)
    # A lower threshold declares more: more recall and more false positives in every replicate.
    assert diff["recall"]["low"] > 0 and diff["fp_per_frame"]["low"] > 0
    assert diff["recall"]["mean"] == pytest.approx(a["recall"].mean - b["recall"].mean)
    assert (a["recall"] - b["recall"]).boot.min() >= 0
    assert u.format_interval({"mean": 0.5, "low": 0.25, "high": 0.75}) == "0.500 [0.250, 0.750]"
    both = u.paired(a, b, ("recall",), names=("low_t", "high_t", "gain"))
    assert list(both) == ["low_t", "high_t", "gain"] and both["gain"] == u.difference(a, b, ("recall",))
    assert (
        both["low_t"]["recall"] == a["recall"].to_dict() and both["high_t"]["recall"] == b["recall"].to_dict()
    )


def test_resampling_recordings_not_segments_widens_the_interval_when_recordings_differ():
    # Ten recordings of 100 segments; the model finds everything in half of them and nothing in the rest.
    rng = np.random.default_rng(0)
    recordings = np.repeat(np.arange(10), 100)
    y = np.ones((1000, 2), bool)
    pred = np.repeat(rng.permutation([True] * 5 + [False] * 5), 100)[:, None] & y
    by_recording = u.replicates([u.Evaluation(y, pred * 1.0, recordings)], [pred])["recall"].interval()
    by_segment = u.replicates([u.Evaluation(y, pred * 1.0, np.arange(1000))], [pred])["recall"].interval()
    assert by_recording[1] - by_recording[0] > 5 * (by_segment[1] - by_segment[0])
    assert by_recording[0] < 0.35 and by_recording[1] > 0.65


def test_the_interval_holds_the_spread_between_seeds():
    # Three seeds on the same recordings: two find everything, one nothing. A bootstrap over recordings
    # alone would give a zero-width interval (every recording looks alike); resampling seeds does not.
    recordings = np.repeat(np.arange(10), 20)
    y = np.ones((200, 2), bool)
    evs = [u.Evaluation(y, y * 1.0, recordings) for _ in range(3)]
    preds = [y, y, ~y]
    recall = u.replicates(evs, preds, n_boot=400)["recall"]
    assert recall.mean == pytest.approx(2 / 3)
    low, high = recall.interval()
    # All three draws land on the failing seed in 1 of 27 replicates (3.7%, beyond the 2.5% tail).
    assert low == pytest.approx(0.0) and high == pytest.approx(1.0)
    # One seed: the seed level changes nothing (every draw picks seed 0).
    one = u.replicates(evs[:1], preds[:1], n_boot=50)["recall"]
    assert one.interval() == (1.0, 1.0)


def test_seed_draws_are_seeded_and_shared_between_rules():
    a, b = u.seed_draws(3, n_boot=20, seed=4), u.seed_draws(3, n_boot=20, seed=4)
    assert np.array_equal(a, b) and a.shape == (20, 3) and set(np.unique(a)) <= {0, 1, 2}
    assert not np.array_equal(a, u.seed_draws(3, n_boot=20, seed=5))
    values = np.arange(6.0).reshape(3, 2)  # seed i, replicate b -> 2 i + b
    means = u.hierarchical_mean(np.repeat(values, 10, axis=1)[:, :20], seed=4)
    assert means.shape == (20,)
    with pytest.raises(ValueError, match="no seeds"):
        u.seed_draws(0)


def test_curve_and_validation():
    evs = [evaluation(s) for s in range(2)]
    table = u.curve(evs, lambda t: lambda s: s >= t, [0.2, 0.8], n_boot=50)
    recall = table[table.metric == "recall"]
    assert recall["value"].tolist() == [0.2, 0.8] and recall["mean"].is_monotonic_decreasing
    assert len(recall["per_seed"].iloc[0]) == 2
    with pytest.raises(ValueError, match="one prediction per evaluation"):
        u.replicates(evs, [evs[0].scores > 0.5])
    with pytest.raises(ValueError, match="do not match"):
        u.Evaluation(np.zeros((2, 3), bool), np.zeros((2, 3)), np.zeros(3))
    stats = u.seed_stats([0.2, 0.4])
    assert stats == {"mean": pytest.approx(0.3), "min": 0.2, "max": 0.4, "per_seed": [0.2, 0.4]}


def test_choose_top_n_by_micro_f1_ties_to_smaller_n():
    S = np.array([[0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.2, 0.2], [0.1, 0.7, 0.6, 0.65]])
    y = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0]], dtype=bool)
    n, f1 = u.choose_top_n([u.Evaluation(y, S, np.zeros(3))], 4)
    # Top-1: 3 TP, 0 FP, 2 FN (F1 6/8); top-2: 4 TP, 2 FP, 1 FN (F1 8/11).
    assert f1[:2] == pytest.approx([6 / 8, 8 / 11]) and n == 1
    n_tie, _ = u.choose_top_n([u.Evaluation(np.ones((2, 4), bool), np.zeros((2, 4)), np.zeros(2))], 4)
    assert n_tie == 4
    assert (
        u.choose_top_n([u.Evaluation(np.zeros((2, 4), bool), S[:2], np.zeros(2))], 3)[0] == 1
    )  # all F1 0: the smallest N


def test_share_replicates_count_flagged_examples_per_recording():
    recordings = np.repeat(np.arange(4), 25)
    y = np.zeros((100, 2), bool)
    evs = [u.Evaluation(y, y * 1.0, recordings)] * 2
    flags = [recordings < 2, recordings < 1]  # seed 0: half the examples, seed 1: a quarter
    share = u.share_replicates(evs, flags, n_boot=300)
    assert share.per_seed.tolist() == [0.5, 0.25] and share.mean == pytest.approx(0.375)
    low, high = share.interval()
    assert 0 <= low < 0.375 < high <= 1
    with pytest.raises(ValueError, match="flags"):
        u.share_replicates(evs, [recordings < 2, np.ones(3, bool)])


def test_per_instrument_numbers_say_how_many_recordings_stand_behind_them():
    recordings = np.repeat(np.arange(5), 20)
    y = np.zeros((100, 11), bool)
    y[:, 0] = True  # in all five recordings
    y[recordings == 3, 5] = True  # in one recording only
    evs = [u.Evaluation(y, y * 1.0, recordings)] * 2
    table = u.per_instrument_f1(evs, [y, y])
    assert table.loc["violin", "recordings"] == 5 and not table.loc["violin", "few_recordings"]
    assert table.loc[table.index[5], "recordings"] == 1 and table.loc[table.index[5], "segments"] == 20
    assert table.loc[table.index[5], "few_recordings"]
    assert table.loc[table.index[5], "mean"] == 1.0 and np.isnan(table.loc[table.index[1], "mean"])


def test_mean_replicates_average_per_seed_values_and_draws_alike():
    a = u.Replicates(np.array([0.2, 0.4]), np.array([0.1, 0.3, 0.5]))
    b = u.Replicates(np.array([0.6, 0.8]), np.array([0.3, 0.5, 0.7]))
    mean = u.mean_replicates([a, b])
    np.testing.assert_allclose(mean.per_seed, [0.4, 0.6])
    np.testing.assert_allclose(mean.boot, [0.2, 0.4, 0.6])
    with pytest.raises(ValueError, match="no estimates"):
        u.mean_replicates([])
