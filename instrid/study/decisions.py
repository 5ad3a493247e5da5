"""Decision rules: from scores to the set of instruments declared playing.

Notebooks ``03`` (threshold), ``05_normalization`` (bias subtraction,
class-specific thresholds), ``06_top_n`` (top-N, and the two mixes of top-N
with class thresholds), ``07_final_test`` (the chosen rule) and
``09_decision_rules`` (every rule on test, at equal false positives). All take
``scores`` of shape ``(n_frames, n_classes)`` and return
a bool array of the same shape; none loops over frames.

Ties (equal scores) are broken towards the lower class index, i.e. the
instrument earlier in :data:`instrid.data.instruments.NAMES`.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from instrid.data import instruments


def _scores(scores) -> np.ndarray:
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2:
        raise ValueError(f"scores must be (n_frames, n_classes), got shape {s.shape}")
    return s


def _vector(values, n_classes: int) -> np.ndarray:
    """A scalar or per-class value as a (n_classes,) array."""
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (n_classes,))


def argmax_mask(scores) -> np.ndarray:
    """One-hot of each frame's highest score (ties: lowest index)."""
    s = _scores(scores)
    out = np.zeros(s.shape, dtype=bool)
    if s.shape[0] and s.shape[1]:
        out[np.arange(s.shape[0]), np.argmax(s, axis=1)] = True
    return out


def threshold(scores, t, *, always_argmax: bool = False, strict: bool = False) -> np.ndarray:
    """Classes whose score is at least ``t`` (a scalar or one threshold per class).

    ``always_argmax=True`` also switches on each frame's best class, as the
    report's code did, so that no frame is left empty. ``strict=True`` asks
    for a score above ``t`` (Hung & Yang's ``>``).
    """
    s = _scores(scores)
    t = _vector(t, s.shape[1])
    out = s > t if strict else s >= t
    return out | argmax_mask(s) if always_argmax else out


def threshold_at(t, *, always_argmax: bool = False):
    """:func:`threshold` at ``t`` as a rule (scores -> decisions), e.g. for a sweep over ``t``
    (:func:`instrid.study.uncertainty.curve` takes ``partial(threshold_at, always_argmax=...)``)."""
    return partial(threshold, t=t, always_argmax=always_argmax)


def subtract_bias(scores, bias) -> np.ndarray:
    """Scores minus a per-class bias vector (the report's "normalization").

    The report's code tried three bias vectors: each class's label frequency
    (:func:`label_frequency`), its mean score on validation (:func:`mean_score`)
    and its mean score on white noise (``mean_score`` of noise scores).
    """
    s = _scores(scores)
    return s - _vector(bias, s.shape[1])


def label_frequency(y_true) -> np.ndarray:
    """Share of frames in which each class is on: :math:`\\pi_k = \\frac{1}{n}\\sum_f y_{fk}`."""
    return np.asarray(y_true, dtype=np.float64).mean(axis=0)


def mean_score(scores) -> np.ndarray:
    """Mean score of each class over frames."""
    return _scores(scores).mean(axis=0)


def logit_adjust(logits, prior, tau: float = 1.0, eps: float = 1e-6) -> np.ndarray:
    """Logits minus ``tau`` times the log prior odds, a principled bias correction.

    .. math:: z'_{fk} = z_{fk} - \\tau \\log \\frac{\\pi_k}{1 - \\pi_k}

    For independent sigmoid outputs this is the per-class form of logit
    adjustment (Menon et al., ICLR 2021): with ``tau=1`` it removes the label
    prior from a calibrated posterior, so that 0 (probability 0.5) is the
    balanced decision boundary. ``prior`` is clipped to ``[eps, 1 - eps]``.
    """
    z = _scores(logits)
    pi = np.clip(_vector(prior, z.shape[1]), eps, 1 - eps)
    return z - tau * np.log(pi / (1 - pi))


def top_n(scores, n: int) -> np.ndarray:
    """The ``n`` highest-scoring classes of every frame (ties: lower index first)."""
    s = _scores(scores)
    if not 0 <= n <= s.shape[1]:
        raise ValueError(f"n must be in 0..{s.shape[1]}, got {n}")
    out = np.zeros(s.shape, dtype=bool)
    if n:
        # A stable sort of -s keeps equal scores in class order.
        order = np.argsort(-s, axis=1, kind="stable")[:, :n]
        np.put_along_axis(out, order, True, axis=1)
    return out


def top_n_then_threshold(scores, n: int, thresholds) -> np.ndarray:
    """Top-``n``, then drop any of those below its class threshold (at most ``n``, possibly none).

    Scores ``[0.9, 0.5]``, thresholds ``[0.95, 0.1]``, ``n = 1``: the top class
    fails its threshold, so nothing is declared.
    """
    return top_n(scores, n) & threshold(scores, thresholds)


def threshold_then_top_n(scores, thresholds, n: int) -> np.ndarray:
    """Class thresholds, then keep the ``n`` highest-scoring classes **among those that pass**.

    The other reading of the report's closing idea ("a mix between top-n and
    class-specific thresholding"): scores ``[0.9, 0.5]``, thresholds
    ``[0.95, 0.1]``, ``n = 1`` declare the second class, which
    :func:`top_n_then_threshold` never reaches. Ties: lower index first.
    """
    s = _scores(scores)
    passing = threshold(s, thresholds)
    ranked = top_n(np.where(passing, s, -np.inf), min(n, s.shape[1]))
    return ranked & passing


def sigmoid(logits) -> np.ndarray:
    """Probabilities from logits, elementwise (tanh form: no overflow for large logits)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(logits, dtype=np.float64)))


def tune_class_thresholds(scores, y_true, *, grid=None, strict: bool = False) -> np.ndarray:
    """Per-class thresholds that maximize each class's F1 on (validation) data.

    Parameters
    ----------
    scores, y_true : (n_frames, n_classes)
    grid : array_like, optional
        Candidate thresholds (default 0.00, 0.01, ..., 1.00). For bias-subtracted
        scores pass a grid that covers their range.
    strict : bool
        Declare a class when its score is above the threshold (``>``) rather than
        at least it (``>=``), as Hung & Yang's protocol does.

    Returns
    -------
    numpy.ndarray, shape (n_classes,): the best grid value per class (the
    smallest one among ties); classes without positives get the largest.
    """
    s = _scores(scores)
    t = np.asarray(y_true).astype(bool)
    if t.shape != s.shape:
        raise ValueError(f"scores and y_true shapes differ: {s.shape} vs {t.shape}")
    grid = np.linspace(0.0, 1.0, 101) if grid is None else np.sort(np.asarray(grid, dtype=np.float64))
    on = s[None, :, :] > grid[:, None, None] if strict else s[None, :, :] >= grid[:, None, None]
    tp = (on & t).sum(axis=1)
    fp = (on & ~t).sum(axis=1)
    pos = t.sum(axis=0)
    fn = pos - tp
    value = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(tp.shape), where=(2 * tp + fp + fn) > 0)
    best = grid[np.argmax(value, axis=0)]
    return np.where(pos > 0, best, grid[-1])


def _checked(scores, y_true) -> tuple[np.ndarray, np.ndarray]:
    s, t = _scores(scores), np.asarray(y_true).astype(bool)
    if t.shape != s.shape:
        raise ValueError(f"scores and y_true shapes differ: {s.shape} vs {t.shape}")
    return s, t


def tune_global_threshold(scores, y_true, *, grid=None) -> float:
    """The one threshold (``>=``) of ``grid`` that maximizes micro F1 over all classes on these data.

    .. math:: F_1 = \\frac{2\\,TP}{2\\,TP + FP + FN}\\ \\text{summed over frames and classes}

    ``grid`` defaults to 0.00, 0.01, ..., 1.00; ties go to the smallest value,
    except when no value earns a true positive (every F1 is 0, as on data
    without positives): then the largest, so that the rule declares least, as
    :func:`tune_class_thresholds` does for a class without positives.
    """
    s, t = _checked(scores, y_true)
    grid = np.linspace(0.0, 1.0, 101) if grid is None else np.sort(np.asarray(grid, dtype=np.float64))
    f1 = []
    for value in grid:
        on = s >= value
        tp = int((on & t).sum())
        wrong = int((on ^ t).sum())  # false positives plus false negatives
        f1.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    if max(f1) == 0.0:
        return float(grid[-1])
    return float(grid[int(np.argmax(f1))])


def threshold_at_fp(scores, y_true, fp_per_frame: float) -> float:
    """The lowest global threshold (``>=``) with at most ``fp_per_frame`` false positives per frame.

    With :math:`n` frames at most :math:`k = \\lfloor n \\cdot \\text{fp\\_per\\_frame} \\rfloor`
    negative cells may pass: the threshold is the smallest float above the
    :math:`(k+1)`-th highest negative score (so tied negatives are all kept
    out), or the lowest score when there are at most :math:`k` negatives.
    Used to compare a rule with top-N **at equal false positives**, the
    level matched on validation.
    """
    s, t = _checked(scores, y_true)
    if fp_per_frame < 0:
        raise ValueError(f"fp_per_frame must be at least 0, got {fp_per_frame}")
    allowed = int(np.floor(len(s) * fp_per_frame + 1e-9))
    negatives = np.sort(s[~t])[::-1]
    if allowed >= len(negatives):
        return float(s.min()) if s.size else 0.0
    return float(np.nextafter(negatives[allowed], np.inf))


def break_even_thresholds(scores, y_true) -> np.ndarray:
    """Per-class thresholds at which each class is declared as often as it is on (``>=``).

    For a class with :math:`m_k` positive frames the threshold is its
    :math:`m_k`-th highest score, so (without ties) it is declared in exactly
    :math:`m_k` frames and its precision equals its recall: the
    precision-recall break-even point. Unlike the F1-optimal threshold it keeps
    each instrument's declared share equal to its share in the labels (a rare
    instrument is neither over- nor under-declared). Tied scores at the
    threshold are all declared. Classes without positives get ``+inf`` (never declared).
    """
    s, t = _checked(scores, y_true)
    out = np.full(s.shape[1], np.inf)
    for k in range(s.shape[1]):
        m = int(t[:, k].sum())
        if m:
            out[k] = np.sort(s[:, k])[::-1][m - 1]
    return out


def normalizations(scores, prior, *, logits=None, noise_scores=None) -> dict:
    """The plain scores and every bias correction the study compares (notebooks ``05`` and ``06``).

    The report's three bias vectors subtracted from the probabilities (the
    training label frequency ``prior``, the mean score on these data, the
    mean score on white noise when ``noise_scores`` is given), and logit
    adjustment by the log prior odds when ``logits`` is given (ours).
    """
    variants = {
        "plain": _scores(scores),
        "minus label frequency": subtract_bias(scores, prior),
        "minus mean validation output": subtract_bias(scores, mean_score(scores)),
    }
    if noise_scores is not None:
        variants["minus mean noise output"] = subtract_bias(scores, mean_score(noise_scores))
    if logits is not None:
        variants["logit adjustment"] = sigmoid(logit_adjust(logits, prior))
    return variants


def declared(table) -> np.ndarray:
    """``(windows, 11)`` bool: a window table's ``;``-separated ``instruments`` column (what
    :func:`instrid.app.predict.predict_file` declares) as a mask in :data:`instruments.NAMES` order."""
    names = table["instruments"].fillna("").str.split(";")
    return np.array([[name in chosen for name in instruments.NAMES] for chosen in names], dtype=bool).reshape(
        len(table), instruments.N_INSTRUMENTS
    )
