"""Decision rules on small matrices, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import SETTINGS, matrices
from instrid.study import decisions
from instrid.study import decisions as d

S = np.array([[0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.2, 0.2], [0.1, 0.7, 0.6, 0.65]])


def test_threshold_scalar_and_per_class():
    assert d.threshold(S, 0.5).astype(int).tolist() == [[1, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]]
    per_class = d.threshold(S, [0.95, 0.5, 0.55, 0.6])
    assert per_class.astype(int).tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 1, 1, 1]]


def test_threshold_with_argmax_fills_empty_frames_ties_to_lowest_index():
    out = d.threshold(S, 0.95, always_argmax=True)
    assert out.astype(int).tolist() == [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0]]


def test_top_n_ties_break_towards_lower_index():
    assert d.top_n(S, 2).astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 1, 0, 1]]
    assert d.top_n(S, 0).sum() == 0 and d.top_n(S, 4).all()
    assert (d.top_n(S, 3).sum(axis=1) == 3).all()
    with pytest.raises(ValueError, match="n must be in 0..4"):
        d.top_n(S, 5)


def test_bias_subtraction_and_vectors():
    y = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(d.label_frequency(y), [2 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(d.mean_score(S), [0.4, 1.4 / 3, 1.3 / 3, 0.95 / 3])
    np.testing.assert_allclose(d.subtract_bias(S, d.mean_score(S)).mean(axis=0), 0, atol=1e-12)


def test_logit_adjustment_removes_the_prior_odds():
    logits = np.zeros((1, 3))
    out = d.logit_adjust(logits, [0.5, 0.2, 0.8])
    np.testing.assert_allclose(out, [[0.0, np.log(4), -np.log(4)]])
    assert np.isfinite(d.logit_adjust(logits, [0.0, 1.0, 0.5])).all()


def test_mixed_rules():
    thresholds = [0.5, 0.65, 0.5, 0.5]
    # Top-2, then drop what is under its class threshold.
    assert d.top_n_then_threshold(S, 2, thresholds).astype(int).tolist() == [
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 1, 0, 1],
    ]
    # Thresholds, then the best 1 of those that pass.
    assert d.threshold_then_top_n(S, 0.5, 1).astype(int).tolist() == [
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 1, 0, 0],
    ]
    # Ties among the passing classes go to the lower index (row 0: classes 1 and 2 both score 0.5).
    assert d.threshold_then_top_n(S, [0.95, 0.5, 0.5, 0.0], 1).astype(int).tolist() == [
        [0, 1, 0, 0],
        [0, 0, 0, 1],
        [0, 1, 0, 0],
    ]


def test_the_two_mixes_differ_where_the_top_class_fails_its_threshold():
    scores, thresholds = np.array([[0.9, 0.5]]), [0.95, 0.1]
    assert d.top_n_then_threshold(scores, 1, thresholds).tolist() == [[False, False]]
    assert d.threshold_then_top_n(scores, thresholds, 1).tolist() == [[False, True]]
    # With n at least the number of passing classes, the second mix is plain class thresholds.
    assert (d.threshold_then_top_n(S, 0.3, 4) == d.threshold(S, 0.3)).all()
    assert d.threshold_then_top_n(S, 0.3, 0).sum() == 0


def test_sigmoid_and_normalizations():
    np.testing.assert_allclose(d.sigmoid([0.0, 800.0, -800.0]), [0.5, 1.0, 0.0])
    prior = np.array([0.5, 0.2, 0.1, 0.05])
    variants = d.normalizations(S, prior, logits=np.zeros_like(S), noise_scores=S[:1])
    assert list(variants) == [
        "plain",
        "minus label frequency",
        "minus mean validation output",
        "minus mean noise output",
        "logit adjustment",
    ]
    np.testing.assert_allclose(variants["minus mean noise output"], S - S[:1])
    np.testing.assert_allclose(variants["logit adjustment"][0], d.sigmoid(-np.log(prior / (1 - prior))))
    assert list(d.normalizations(S, prior)) == [
        "plain",
        "minus label frequency",
        "minus mean validation output",
    ]


def test_tuned_class_thresholds():
    scores = np.array([[0.9, 0.3], [0.8, 0.6], [0.2, 0.7], [0.1, 0.2]])
    y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]], dtype=bool)
    grid = np.round(np.linspace(0, 1, 11), 2)
    t = d.tune_class_thresholds(scores, y, grid=grid)
    # Class 0: any threshold in (0.2, 0.8] separates perfectly; the smallest such grid value is 0.3.
    # Class 1: 0.4..0.6 separate perfectly (at 0.3 the negative scoring 0.3 is on); 0.4 is the smallest.
    np.testing.assert_allclose(t, [0.3, 0.4])
    assert d.tune_class_thresholds(scores, np.zeros_like(y), grid=[0.1, 0.9]).tolist() == [0.9, 0.9]


@SETTINGS
@given(matrices, st.data())
def test_decision_rules(scores, draw):
    k = scores.shape[1]
    n = draw.draw(st.integers(0, k))
    assert (decisions.top_n(scores, n).sum(axis=1) == n).all()  # exactly N, ties or not
    low, high = sorted(draw.draw(st.lists(st.floats(0, 1), min_size=2, max_size=2)))
    assert (decisions.threshold(scores, high) <= decisions.threshold(scores, low)).all()  # monotone
    t = draw.draw(hnp.arrays(np.float64, k, elements=st.floats(0, 1)))
    then_top = decisions.threshold_then_top_n(scores, t, n)
    assert (then_top <= decisions.threshold(scores, t)).all() and (then_top.sum(axis=1) <= n).all()
    # It keeps min(n, passing) classes: as many as it can.
    assert (then_top.sum(axis=1) == np.minimum(n, decisions.threshold(scores, t).sum(axis=1))).all()
    top_then = decisions.top_n_then_threshold(scores, n, t)
    assert (top_then <= decisions.top_n(scores, n)).all() and (
        top_then <= decisions.threshold(scores, t)
    ).all()
    # Whatever the top-N-first mix declares, the thresholds-first mix declares too (it can only add).
    assert (top_then <= then_top).all()


# ---- notebook 09: rules compared at equal false positives ------------------------------------

Y = np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1]], dtype=bool)


def test_threshold_strict_excludes_equal_scores():
    assert d.threshold(S, 0.5, strict=True).astype(int).tolist() == [[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 1]]


def test_tune_class_thresholds_strict_moves_below_the_tied_score():
    scores = np.array([[0.5], [0.5], [0.2]])
    y = np.array([[1], [1], [0]], dtype=bool)
    grid = [0.2, 0.4, 0.5]
    assert d.tune_class_thresholds(scores, y, grid=grid).tolist() == [0.4]  # >=: 0.4 and 0.5 tie, smallest
    assert d.tune_class_thresholds(scores, y, grid=grid, strict=True).tolist() == [0.2]  # > 0.5 loses both


def test_tune_global_threshold_by_hand():
    # Y has 3 positives. At 0.65: declared (0,0) (2,1) (2,3) -> TP 3, FP 0: F1 = 1.
    assert d.tune_global_threshold(S, Y, grid=[0.1, 0.5, 0.65, 0.8]) == 0.65
    # Ties go to the smallest: at 0.7 TP 2 (0,0), (2,1) FP 0 FN 1 -> F1 0.8; at 0.75 the same.
    assert d.tune_global_threshold(S, Y, grid=[0.75, 0.7]) == 0.7


def test_tune_global_threshold_without_true_positives_takes_the_largest():
    # No positives: every F1 is 0, so the rule should declare as little as it can.
    assert d.tune_global_threshold(S, np.zeros_like(Y), grid=[0.1, 0.5, 0.9]) == 0.9
    # Positives that no grid value reaches: F1 0 everywhere as well.
    y = np.zeros((1, 2), dtype=bool)
    y[0, 0] = True
    assert d.tune_global_threshold(np.array([[0.05, 0.2]]), y, grid=[0.1, 0.3]) == 0.3


def test_threshold_at_fp_by_hand_with_ties():
    # Negative scores, highest first: 0.6, 0.5, 0.5, 0.2 x4, 0.1, 0.1 (9 cells of 12).
    assert d.threshold_at_fp(S, Y, 0.0) == np.nextafter(0.6, 1)  # no negative may pass
    assert d.threshold_at_fp(S, Y, 1 / 3) == np.nextafter(0.5, 1)  # one FP allowed: 0.6 only
    # Two allowed, but 0.5 is tied with a third: both stay out, leaving one.
    t = d.threshold_at_fp(S, Y, 2 / 3)
    assert t == np.nextafter(0.5, 1)
    assert d.threshold(S, t)[~Y].sum() == 1
    assert d.threshold_at_fp(S, Y, 3.0) == S.min()  # every negative allowed: everything on
    with pytest.raises(ValueError, match="at least 0"):
        d.threshold_at_fp(S, Y, -0.1)


@SETTINGS
@given(matrices, st.floats(0, 3), st.data())
def test_threshold_at_fp_never_exceeds_the_target(scores, target, draw):
    y = draw.draw(hnp.arrays(bool, scores.shape))
    t = d.threshold_at_fp(scores, y, target)
    declared = d.threshold(scores, t)
    assert (declared & ~y).sum() <= np.floor(len(y) * target + 1e-9)


def test_break_even_thresholds_declare_each_class_as_often_as_it_plays():
    t = d.break_even_thresholds(S, Y)
    # Class 0: one positive -> its highest score 0.9; class 1: 0.7; class 3: 0.65; class 2 has none.
    assert t.tolist() == [0.9, 0.7, np.inf, 0.65]
    declared = d.threshold(S, t)
    assert declared.sum(axis=0).tolist() == Y.sum(axis=0).tolist()
    # A tie at the threshold declares both tied frames.
    tied = d.break_even_thresholds(np.array([[0.5], [0.5], [0.1]]), np.array([[1], [0], [0]], dtype=bool))
    assert tied.tolist() == [0.5] and d.threshold(np.array([[0.5], [0.5], [0.1]]), tied).sum() == 2
