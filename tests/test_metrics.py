"""Metrics against hand-computed values and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn import metrics as sk

from conftest import SETTINGS, matrices
from instrid.study import metrics

Y = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=bool)
P = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0], [0, 1, 1]], dtype=bool)
# TP: (0,0) (2,0) (3,1) = 3; FP: (0,1) (1,1) (3,2) = 3; FN: (0,2) (2,1) = 2


def test_report_numbers_by_hand():
    assert metrics.recall(Y, P) == pytest.approx(3 / 5)  # the report's "accuracy"
    assert metrics.fp_per_frame(Y, P) == pytest.approx(3 / 4)  # false positives per frame
    assert metrics.precision(Y, P) == pytest.approx(3 / 6)
    assert metrics.f1_micro(Y, P) == pytest.approx(6 / 11)


def test_per_class_by_hand():
    stats = metrics.per_class(Y, P)
    np.testing.assert_allclose(stats["precision"], [1.0, 1 / 3, 0.0])
    np.testing.assert_allclose(stats["recall"], [1.0, 1 / 2, 0.0])
    np.testing.assert_allclose(stats["f1"], [1.0, 0.4, 0.0])
    assert stats["support"].tolist() == [2, 2, 1]
    assert metrics.f1_macro(Y, P) == pytest.approx(1.4 / 3)


def test_macro_averages_skip_absent_classes():
    y = np.zeros((4, 11), bool)
    y[:, :3] = Y
    p = np.zeros((4, 11), bool)
    p[:, :3] = P
    # 8 classes never play: left out, not counted as F1 = 0.
    assert metrics.f1_macro(y, p) == pytest.approx(1.4 / 3)
    assert metrics.absent_classes(y) == list(metrics.instruments.NAMES[3:])
    assert metrics.f1_macro(np.zeros((2, 3), bool), np.ones((2, 3), bool)) == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_against_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.random((200, 11)) < 0.2
    y[:, 10] = False  # a class that never plays
    scores = np.clip(y * 0.3 + rng.random((200, 11)) * 0.8, 0, 1)
    pred = scores > 0.5
    assert metrics.recall(y, pred) == pytest.approx(
        sk.recall_score(y, pred, average="micro", zero_division=0)
    )
    assert metrics.precision(y, pred) == pytest.approx(
        sk.precision_score(y, pred, average="micro", zero_division=0)
    )
    assert metrics.f1_micro(y, pred) == pytest.approx(sk.f1_score(y, pred, average="micro", zero_division=0))
    present = y.any(axis=0)
    assert metrics.f1_macro(y, pred) == pytest.approx(
        sk.f1_score(y[:, present], pred[:, present], average="macro", zero_division=0)
    )
    np.testing.assert_allclose(
        metrics.per_class(y, pred)["f1"], sk.f1_score(y, pred, average=None, zero_division=0)
    )
    ap = metrics.average_precision(y, scores)
    assert np.isnan(ap[10])
    np.testing.assert_allclose(
        ap[:10], [sk.average_precision_score(y[:, k], scores[:, k]) for k in range(10)]
    )
    assert metrics.mean_average_precision(y, scores) == pytest.approx(np.mean(ap[:10]))
    # The oracle: no threshold of any grid does better on these data.
    best, thresholds = metrics.oracle_f1(y, scores)
    for k in range(0, 10, 3):
        sweep = max(sk.f1_score(y[:, k], scores[:, k] >= t, zero_division=0) for t in np.unique(scores[:, k]))
        assert best[k] == pytest.approx(sweep)
        assert sk.f1_score(y[:, k], scores[:, k] >= thresholds[k]) == pytest.approx(best[k])
    # Hung & Yang's grid and strict '>': a brute-force loop over their grid, and never above the oracle.
    hy, hy_t = metrics.hung_yang_f1(y, scores)
    for k in range(10):
        loop = [sk.f1_score(y[:, k], scores[:, k] > t, zero_division=0) for t in np.arange(0, 1, 0.01)]
        assert hy[k] == pytest.approx(max(loop)) and hy_t[k] == pytest.approx(np.argmax(loop) / 100)
        assert hy[k] <= best[k] + 1e-12
    assert np.isnan(hy[10]) and np.isnan(hy_t[10])


def test_hung_yang_strict_threshold_by_hand():
    y = np.array([[1], [1], [0], [0]], dtype=bool)
    scores = np.array([[0.5], [0.9], [0.5], [0.1]])
    # '>' 0.09 takes all four (F1 4/6); '>' 0.10 and 0.49 take 0.5, 0.9, 0.5 (F1 0.8, the first wins);
    # '>' 0.50 takes only 0.9 (F1 2/3). With '>=', 0.50 would still take both 0.5s.
    f1, t = metrics.hung_yang_f1(y, scores, grid=[0.09, 0.10, 0.49, 0.50])
    assert f1[0] == pytest.approx(0.8) and t[0] == pytest.approx(0.10)
    assert metrics.hung_yang_f1(y, scores, grid=[0.50])[0][0] == pytest.approx(2 / 3)
    assert metrics.oracle_f1(y, scores)[0][0] == pytest.approx(0.8)


def test_declared_when_alone_by_hand():
    y = np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    p = np.array([[1, 0, 0], [0, 1, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=bool)
    shares, alone = metrics.declared_when_alone(y, p)
    # Class 0 alone in frames 0-2 (declared 0 once, 1 twice, 2 once); class 1 alone in frame 3; class 2 never.
    np.testing.assert_array_equal(alone, [3, 1, 0])
    np.testing.assert_allclose(shares[:2], [[1 / 3, 2 / 3, 1 / 3], [1.0, 1.0, 0.0]])
    assert np.isnan(shares[2]).all()  # frames 4 (two labelled) and 5 (none) count for no row
    # The diagonal is the recall on solo frames.
    solo = y.sum(axis=1) == 1
    np.testing.assert_allclose(np.diag(shares)[:2], metrics.per_class(y[solo], p[solo])["recall"][:2])
    with pytest.raises(ValueError, match="must both be"):
        metrics.declared_when_alone(y, p[:, :2])
    with pytest.raises(ValueError, match="0/1"):
        metrics.declared_when_alone(y, p * 0.5)


def test_summary_and_table():
    s = metrics.summary(Y, P)
    assert s["frames"] == 4 and s["predicted_per_frame"] == 1.5 and s["true_per_frame"] == 1.25
    y11 = np.zeros((4, 11), bool)
    y11[:, :3] = Y
    p11 = np.zeros((4, 11), bool)
    p11[:, :3] = P
    table = metrics.per_instrument_table(y11, p11)
    assert table["instrument"].tolist()[:3] == ["violin", "viola", "cello"]
    assert table["f1"].tolist()[:3] == pytest.approx([1.0, 0.4, 0.0])
    assert table["present"].tolist() == [True] * 3 + [False] * 8 and table["f1"].iloc[3:].isna().all()


def test_validation():
    with pytest.raises(ValueError, match="both be"):
        metrics.recall(Y, P[:, :2])
    with pytest.raises(ValueError, match="y_pred must be 0/1"):
        metrics.recall(Y, P * 0.5)


@SETTINGS
@given(matrices, st.data())
def test_metrics_stay_in_range(scores, draw):
    y = draw.draw(hnp.arrays(bool, scores.shape))
    pred = scores >= draw.draw(st.floats(0, 1))
    for value in (
        metrics.recall(y, pred),
        metrics.precision(y, pred),
        metrics.f1_micro(y, pred),
        metrics.f1_macro(y, pred),
    ):
        assert 0 <= value <= 1
    assert 0 <= metrics.fp_per_frame(y, pred) <= scores.shape[1]
    c = metrics.counts(y, pred)
    assert c["tp"] + c["fp"] + c["fn"] + c["tn"] == y.size


def test_pareto_front_by_hand_ties_included():
    fp = [0.5, 1.0, 1.0, 2.0, 0.5, 3.0]
    recall = [0.4, 0.7, 0.6, 0.7, 0.4, 0.9]
    # (1.0, 0.6) is beaten by (1.0, 0.7); (2.0, 0.7) by (1.0, 0.7); the two identical (0.5, 0.4) both stay.
    assert metrics.pareto_front(fp, recall).tolist() == [True, True, False, False, True, True]
    assert metrics.pareto_front([], []).tolist() == []
    with pytest.raises(ValueError, match="one length"):
        metrics.pareto_front([1.0], [0.1, 0.2])
    with pytest.raises(ValueError, match="finite"):
        metrics.pareto_front([np.nan], [0.1])


def test_note_counts_match_as_mir_eval_does_and_pool_by_instrument():
    import pandas as pd

    ref = pd.DataFrame(
        {
            "onset_s": [0.0, 1.0, 2.0],
            "offset_s": [0.5, 1.5, 3.0],
            "pitch": [60, 62, 64],
            "instrument": [1, 41, 1],
        }
    )
    est = pd.DataFrame(
        {
            "onset_s": [0.03, 1.2, 2.01, 2.0],  # in time, too late, in time but a wrong pitch
            "offset_s": [0.5, 1.5, 2.2, 3.0],
            "pitch": [60, 62, 64, 65],
            "instrument": [1, 41, 41, 1],
        }
    )
    onsets = metrics.note_counts(ref, est)
    assert onsets == {"matched": 2, "estimated": 4, "reference": 3}
    # With offsets, the third note's 0.2 s against 1.0 s is out of its 20%.
    assert metrics.note_counts(ref, est, with_offsets=True)["matched"] == 1
    # With instruments, the third note is the violin's, the reference the piano's.
    assert metrics.note_counts(ref, est, by_instrument=True)["matched"] == 1
    assert metrics.note_f1(onsets) == pytest.approx({"precision": 0.5, "recall": 2 / 3, "f1": 4 / 7})
    assert metrics.note_f1({"matched": 0, "estimated": 0, "reference": 5}) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
    }
    with pytest.raises(ValueError, match="estimated notes lack column"):
        metrics.note_counts(ref, est.drop(columns="pitch"))
    with pytest.raises(ValueError, match="must end after they start"):
        metrics.note_counts(ref.assign(offset_s=0.0), est)


def test_note_counts_pool_by_addition():
    pooled = metrics.pool_note_counts(
        [{"matched": 2, "estimated": 3, "reference": 4}, {"matched": 1, "estimated": 5, "reference": 1}]
    )
    assert pooled == {"matched": 3, "estimated": 8, "reference": 5}
    assert metrics.note_f1(pooled)["precision"] == pytest.approx(3 / 8)
