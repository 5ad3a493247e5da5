"""Metrics for multi-label instrument identification (all notebooks from ``02`` on).

Inputs are arrays of shape ``(n_frames, n_classes)``: ``y_true`` and
``y_pred`` are 0/1 (bool or int), ``scores`` are real-valued (probabilities).
A "frame" is one example (a segment in the report's setting). Counts are
pooled over all frames and classes unless a name says per instrument:

* TP, FP, FN = number of (frame, class) cells that are true positives, etc.
* :func:`recall` is what the report calls **accuracy**: TP / (TP + FN).
* :func:`fp_per_frame` is what the report calls **false positives**: FP / n_frames.
  (Its final 1.66 is its code's 16.61 per batch of 10.)

Where a ratio has a zero denominator it is 0 (scikit-learn's
``zero_division=0``); tests compare with scikit-learn. Macro averages (macro
F1, mAP, Hung & Yang's F1) are over the classes present in ``y_true`` only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instrid.data import instruments


def _binary(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(
            f"y_true and y_pred must both be (n_frames, n_classes), got {y_true.shape} and {y_pred.shape}"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.dtype != bool and not np.isin(y, (0, 1)).all():
            raise ValueError(f"{name} must be 0/1")
    return y_true.astype(bool), y_pred.astype(bool)


def _scored(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    t, s = np.asarray(y_true).astype(bool), np.asarray(scores, dtype=np.float64)
    if t.shape != s.shape or t.ndim != 2:
        raise ValueError(f"y_true and scores must both be (n_frames, n_classes), got {t.shape} and {s.shape}")
    return t, s


def _ratio(num, den):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def counts(y_true, y_pred, axis=None) -> dict:
    """TP, FP, FN, TN pooled over everything (``axis=None``) or per class (``axis=0``)."""
    t, p = _binary(y_true, y_pred)
    return {
        "tp": (t & p).sum(axis),
        "fp": (~t & p).sum(axis),
        "fn": (t & ~p).sum(axis),
        "tn": (~t & ~p).sum(axis),
    }


def recall(y_true, y_pred) -> float:
    """Pooled recall, the report's "accuracy": :math:`TP / (TP + FN)` (unitless, 0..1)."""
    c = counts(y_true, y_pred)
    return float(_ratio(c["tp"], c["tp"] + c["fn"]))


def precision(y_true, y_pred) -> float:
    """Pooled (micro) precision: :math:`TP / (TP + FP)` (unitless, 0..1)."""
    c = counts(y_true, y_pred)
    return float(_ratio(c["tp"], c["tp"] + c["fp"]))


def fp_per_frame(y_true, y_pred) -> float:
    """Mean number of false positives per frame: :math:`FP / n_{frames}` (instruments per frame)."""
    t, _ = _binary(y_true, y_pred)
    return float(counts(y_true, y_pred)["fp"] / max(1, t.shape[0]))


def f1_micro(y_true, y_pred) -> float:
    """Micro F1: :math:`2TP / (2TP + FP + FN)` with counts pooled over all cells."""
    c = counts(y_true, y_pred)
    return float(_ratio(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"]))


def per_class(y_true, y_pred) -> dict:
    """Per-class precision, recall and F1 (arrays of length n_classes) and support."""
    c = counts(y_true, y_pred, axis=0)
    return {
        "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
        "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        "f1": _ratio(2 * c["tp"], 2 * c["tp"] + c["fp"] + c["fn"]),
        "support": c["tp"] + c["fn"],
    }


def f1_macro(y_true, y_pred) -> float:
    """Macro F1: the unweighted mean of per-class F1 over the classes **present** in ``y_true``.

    .. math:: F1_{macro} = \\frac{1}{|K^+|} \\sum_{k \\in K^+} F1_k, \\quad K^+ = \\{k : \\sum_f y_{fk} > 0\\}

    Classes without a positive frame are left out (not counted as 0), the same
    convention as :func:`mean_average_precision` and :func:`hung_yang_f1`: the
    MusicNet test set has 7 of the 11 instruments, and a class that cannot be
    found says nothing about the model. 0 when no class is present.
    """
    stats = per_class(y_true, y_pred)
    present = stats["support"] > 0
    return float(stats["f1"][present].mean()) if present.any() else 0.0


def absent_classes(y_true) -> list[str]:
    """Names of the instruments with no positive frame in ``y_true`` (left out of macro averages)."""
    support = np.asarray(y_true).astype(bool).sum(axis=0)
    return [name for name, n in zip(instruments.NAMES, support) if n == 0]


def average_precision(y_true, scores) -> np.ndarray:
    """Per-class average precision (area under the precision-recall step curve).

    .. math:: AP_k = \\sum_i (R_i - R_{i-1}) P_i

    over thresholds at each distinct score, as scikit-learn computes it. NaN for
    a class without positives.
    """
    from sklearn.metrics import average_precision_score

    t, s = _scored(y_true, scores)
    return np.array(
        [average_precision_score(t[:, k], s[:, k]) if t[:, k].any() else np.nan for k in range(t.shape[1])]
    )


def mean_average_precision(y_true, scores) -> float:
    """mAP: mean of :func:`average_precision` over the classes present (with positives)."""
    return _nanmean(average_precision(y_true, scores))


def _nanmean(values) -> float:
    """Mean over the non-NaN entries; NaN when there are none (no class present)."""
    values = np.asarray(values, dtype=np.float64)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def oracle_f1(y_true, scores) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 at the best of **every** distinct score as threshold (``>=``): an upper bound.

    The threshold is chosen on the very data being evaluated, over a finer
    grid than any real protocol: no per-class threshold rule can score more on
    these data. Use :func:`hung_yang_f1` to compare with Hung & Yang.

    Returns
    -------
    f1 : numpy.ndarray, shape (n_classes,), NaN for classes without positives
    threshold : numpy.ndarray, shape (n_classes,)
    """
    from sklearn.metrics import precision_recall_curve

    t, s = _scored(y_true, scores)
    f1 = np.full(t.shape[1], np.nan)
    threshold = np.full(t.shape[1], np.nan)
    for k in range(t.shape[1]):
        if not t[:, k].any():
            continue
        p, r, th = precision_recall_curve(t[:, k], s[:, k])
        f = _ratio(2 * p[:-1] * r[:-1], p[:-1] + r[:-1])
        best = int(np.argmax(f))
        f1[k], threshold[k] = f[best], th[best]
    return f1, threshold


#: Hung & Yang's threshold grid (their evaluation code sweeps ``np.arange(0, 1, 0.01)``).
HUNG_YANG_GRID = np.round(np.arange(0.0, 1.0, 0.01), 2)


def hung_yang_f1(y_true, scores, grid=HUNG_YANG_GRID) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 at the best threshold of a grid, with a strict ``score > t``: Hung & Yang's protocol.

    Hung & Yang (ISMIR 2018) report, for each MusicNet instrument, the F1 at
    the threshold of the grid 0.00, 0.01, ..., 0.99 that maximizes it **on the
    evaluated data** (so it is optimistic), and macro-average over the
    instruments present. Ties between grid values go to the smallest.

    Returns
    -------
    f1 : numpy.ndarray, shape (n_classes,), NaN for classes without positives
    threshold : numpy.ndarray, shape (n_classes,), NaN likewise
    """
    t, s = _scored(y_true, scores)
    grid = np.asarray(grid, dtype=np.float64)
    on = s[None] > grid[:, None, None]  # (grid, frames, classes)
    tp = (on & t).sum(axis=1)
    fp = (on & ~t).sum(axis=1)
    fn = t.sum(axis=0) - tp
    f = _ratio(2 * tp, 2 * tp + fp + fn)
    best = np.argmax(f, axis=0)
    present = t.any(axis=0)
    cols = np.arange(t.shape[1])
    return np.where(present, f[best, cols], np.nan), np.where(present, grid[best], np.nan)


def pareto_front(fp_per_frame, recall) -> np.ndarray:
    """Which operating points no other point beats: fewer or equal false positives and more or equal recall.

    Point :math:`i` is dominated when some :math:`j` has
    :math:`FP_j \\le FP_i` and :math:`R_j \\ge R_i`, one of them strictly.
    Identical points do not dominate each other (both stay on the front).

    Parameters
    ----------
    fp_per_frame, recall : array_like, shape (n,)

    Returns
    -------
    numpy.ndarray of bool, shape (n,): True on the front.
    """
    fp, r = np.asarray(fp_per_frame, dtype=np.float64), np.asarray(recall, dtype=np.float64)
    if fp.shape != r.shape or fp.ndim != 1:
        raise ValueError(f"fp_per_frame and recall must be 1-d of one length, got {fp.shape} and {r.shape}")
    if not (np.isfinite(fp).all() and np.isfinite(r).all()):
        raise ValueError("operating points must be finite")
    no_worse = (fp[None, :] <= fp[:, None]) & (r[None, :] >= r[:, None])  # [i, j]: j at least as good as i
    better = (fp[None, :] < fp[:, None]) | (r[None, :] > r[:, None])
    return ~(no_worse & better).any(axis=1)


def declared_when_alone(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """What a decision names when one instrument plays alone: a confusion matrix for multi-label data.

    Over the frames where instrument :math:`k` is the only one labelled
    (:math:`A_k = \\{i : y_i = e_k\\}`), the share on which instrument
    :math:`j` is declared:

    .. math:: D_{kj} = \\frac{|\\{i \\in A_k : \\hat y_{ij} = 1\\}|}{|A_k|}

    The diagonal is the recall on solo frames; a row's off-diagonal entries
    say what the instrument is taken for. Rows need not sum to 1 (a frame may
    be given several instruments, or none).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n_frames, n_classes)
        0/1 labels and decisions.

    Returns
    -------
    shares : numpy.ndarray, shape (n_classes, n_classes)
        :math:`D`, between 0 and 1; a row of NaN where the instrument never plays alone.
    alone : numpy.ndarray, shape (n_classes,)
        :math:`|A_k|`, the number of frames with instrument :math:`k` alone.
    """
    t, p = _binary(y_true, y_pred)
    solo = t & (t.sum(axis=1) == 1)[:, None]
    alone = solo.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = (solo.T.astype(np.int64) @ p.astype(np.int64)) / alone[:, None]
    return shares, alone


def summary(y_true, y_pred, scores=None) -> dict:
    """The study's headline numbers for one decision: a flat dict of floats."""
    out = {
        "recall": recall(y_true, y_pred),
        "fp_per_frame": fp_per_frame(y_true, y_pred),
        "precision": precision(y_true, y_pred),
        "f1_micro": f1_micro(y_true, y_pred),
        "f1_macro": f1_macro(y_true, y_pred),
        "predicted_per_frame": float(np.asarray(y_pred).sum() / max(1, len(y_pred))),
        "true_per_frame": float(np.asarray(y_true).sum() / max(1, len(y_true))),
        "frames": int(len(y_true)),
    }
    if scores is not None:
        out["map"] = mean_average_precision(y_true, scores)
        out["hung_yang_f1_macro"] = _nanmean(hung_yang_f1(y_true, scores)[0])
        out["oracle_f1_macro"] = _nanmean(oracle_f1(y_true, scores)[0])
    return out


def per_instrument_table(y_true, y_pred, scores=None) -> pd.DataFrame:
    """One row per instrument (report order): support, precision, recall, F1 and AP.

    ``present`` is False for instruments absent from ``y_true``; their F1 is
    shown as NaN, as they are left out of every macro average.
    """
    stats = per_class(y_true, y_pred)
    table = pd.DataFrame(
        {"instrument": instruments.NAMES, **{k: stats[k] for k in ("support", "precision", "recall", "f1")}}
    )
    table["present"] = table["support"] > 0
    table.loc[~table["present"], "f1"] = np.nan
    if scores is not None:
        table["average_precision"] = average_precision(y_true, scores)
    return table


def _hz(pitches) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(pitches, dtype=np.float64) - 69.0) / 12.0)


def note_counts(
    reference: pd.DataFrame,
    estimated: pd.DataFrame,
    *,
    onset_tolerance: float = 0.05,
    with_offsets: bool = False,
    by_instrument: bool = False,
) -> dict:
    """Matched, estimated and reference note counts, as ``mir_eval.transcription`` matches notes.

    A note matches a reference note of the same pitch (within 50 cents) whose onset is within
    ``onset_tolerance`` seconds; ``with_offsets`` also asks its offset to be within 20% of the reference
    note's duration or 50 ms, whichever is larger. Each note matches at most one (a maximum matching).
    ``by_instrument`` asks the instrument to match too, as MT3's multi-instrument F1 does: each
    instrument's notes are matched on their own and the counts pooled.

    Tables hold ``onset_s``, ``offset_s``, ``pitch`` (MIDI) and, ``by_instrument``, ``instrument``.
    Counts pool over recordings by addition; :func:`note_f1` turns them into precision, recall and F1.

    .. math:: P = \\frac{\\text{matched}}{\\text{estimated}},\\quad
              R = \\frac{\\text{matched}}{\\text{reference}},\\quad F_1 = \\frac{2PR}{P + R}
    """
    import mir_eval.transcription  # 1.2 s to import (its dependencies): only where notes are scored

    needed = ["onset_s", "offset_s", "pitch", *(["instrument"] if by_instrument else [])]
    for name, table in (("reference", reference), ("estimated", estimated)):
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(f"note_counts: {name} notes lack column(s) {missing}")
        if len(table) and (table["offset_s"] <= table["onset_s"]).any():
            raise ValueError(f"note_counts: {name} notes must end after they start")
    groups = sorted(set(reference["instrument"]) | set(estimated["instrument"])) if by_instrument else [None]
    matched = 0
    for group in groups:
        ref = reference if group is None else reference[reference["instrument"] == group]
        est = estimated if group is None else estimated[estimated["instrument"] == group]
        if len(ref) and len(est):
            matched += len(
                mir_eval.transcription.match_notes(
                    ref[["onset_s", "offset_s"]].to_numpy(np.float64),
                    _hz(ref["pitch"]),
                    est[["onset_s", "offset_s"]].to_numpy(np.float64),
                    _hz(est["pitch"]),
                    onset_tolerance=onset_tolerance,
                    pitch_tolerance=50.0,
                    offset_ratio=0.2 if with_offsets else None,
                    offset_min_tolerance=0.05,
                )
            )
    return {"matched": matched, "estimated": len(estimated), "reference": len(reference)}


def pool_note_counts(counts) -> dict:
    """:func:`note_counts` of several recordings added up: one pooled count per key."""
    return {k: sum(c[k] for c in counts) for k in ("matched", "estimated", "reference")}


def note_f1(counts: dict) -> dict:
    """Precision, recall and F1 of pooled :func:`note_counts` (0 where a count is 0)."""
    precision = counts["matched"] / counts["estimated"] if counts["estimated"] else 0.0
    recall = counts["matched"] / counts["reference"] if counts["reference"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
