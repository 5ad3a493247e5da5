"""Uncertainty of the headline numbers: several seeds, and a bootstrap over recordings.

Used by notebooks ``02`` to ``14``. A number of the study is the mean over
seeds (each seed draws its own random backbone, example subsample and head)
of a metric on one split. Its 95% interval comes from a **bootstrap over the
recordings** of that split: segments of one recording are not independent
(same piece, same players, same timbre), so the unit resampled is the
recording. The bootstrap is **hierarchical**, so that the spread between
seeds is in the interval too: each replicate first draws the seeds with
replacement, then the split's recordings with replacement, weights every
segment by how often its recording was drawn, recomputes the metric for each
drawn seed on those weights and averages over the drawn seeds; the interval is
the 2.5th and 97.5th percentiles of the replicates (percentile bootstrap).
With 3 seeds the seed draw is coarse (10 distinct multisets), which is what
3 seeds can say; with one seed it is the plain recording bootstrap.

The same draws serve every rule evaluated on the same split and seeds, so the
interval of a *difference* between two rules (:func:`difference`) is paired.

With MusicNet's 10 test recordings the intervals are wide: that is what the
data can say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from instrid.data import instruments
from instrid.study import decisions, metrics

#: Bootstrap replicates per interval, and the interval's coverage.
N_BOOT = 1000
LEVEL = 0.95
#: Count-based metrics every summary carries; ``map`` is added when scores are used.
COUNT_METRICS = (
    "recall",
    "fp_per_frame",
    "precision",
    "f1_micro",
    "f1_macro",
    "predicted_per_frame",
    "true_per_frame",
)


@dataclass(frozen=True)
class Evaluation:
    """One seed's targets and scores on one split, with each example's recording.

    Attributes
    ----------
    y_true : numpy.ndarray of bool, (n, classes)
    scores : numpy.ndarray of float, (n, classes)
    recordings : numpy.ndarray of int, (n,)
    logits : numpy.ndarray of float, (n, classes), optional
        The head's logits, where a rule needs them (logit adjustment).
    """

    y_true: np.ndarray
    scores: np.ndarray
    recordings: np.ndarray
    logits: np.ndarray | None = None

    def __post_init__(self):
        if (
            self.y_true.shape != self.scores.shape
            or self.y_true.ndim != 2
            or len(self.recordings) != len(self.y_true)
        ):
            raise ValueError(
                f"y_true {self.y_true.shape}, scores {self.scores.shape} and recordings "
                f"({len(self.recordings)},) do not match"
            )

    def subset(self, rows) -> Evaluation:
        """The examples selected by a boolean mask (e.g. only sounding segments)."""
        return Evaluation(
            self.y_true[rows],
            self.scores[rows],
            self.recordings[rows],
            None if self.logits is None else self.logits[rows],
        )

    def only_classes(self, columns) -> Evaluation:
        """The same examples scored on the classes selected by a boolean mask (e.g. those a font has)."""
        return Evaluation(
            self.y_true[:, columns],
            self.scores[:, columns],
            self.recordings,
            None if self.logits is None else self.logits[:, columns],
        )


def recording_draws(recordings, *, n_boot: int = N_BOOT, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap draws of recordings: the sorted recording ids and a ``(n_boot, n_ids)`` count matrix.

    Row ``b`` says how many times each recording was drawn in replicate ``b``
    (each row sums to the number of recordings). Seeded, so every rule
    evaluated on the same recordings sees the same draws.
    """
    ids = np.unique(np.asarray(recordings))
    if len(ids) == 0:
        raise ValueError("no recordings to resample")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    counts = np.zeros((n_boot, len(ids)), dtype=np.float64)
    np.add.at(counts, (np.repeat(np.arange(n_boot), len(ids)), picks.ravel()), 1.0)
    return ids, counts


def seed_draws(n_seeds: int, *, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """The seed level of the hierarchical bootstrap: a ``(n_boot, n_seeds)`` matrix of seed indices.

    Row ``b`` lists the seeds drawn (with replacement) in replicate ``b``. Seeded
    apart from the recording draws, and the same for every rule with as many
    seeds, so differences between rules stay paired.
    """
    if n_seeds < 1:
        raise ValueError("no seeds to resample")
    return np.random.default_rng([seed, n_seeds]).integers(0, n_seeds, size=(n_boot, n_seeds))


def hierarchical_mean(values, *, seed: int = 0) -> np.ndarray:
    """Replicates of the seed mean from per-seed replicates ``(n_seeds, n_boot)``: each replicate averages
    the seeds of its :func:`seed_draws` row (NaN where a drawn seed has none)."""
    values = np.asarray(values, dtype=np.float64)
    picks = seed_draws(values.shape[0], n_boot=values.shape[1], seed=seed)
    return values[picks, np.arange(values.shape[1])[:, None]].mean(axis=1)


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)


def count_metrics(tp, fp, fn, frames) -> dict:
    """The count-based metrics from per-class counts, for any number of leading (replicate) axes.

    Parameters
    ----------
    tp, fp, fn : numpy.ndarray, (..., classes)
        (Weighted) true positives, false positives and false negatives per class.
    frames : numpy.ndarray, (...)
        (Weighted) number of frames.

    Returns
    -------
    dict of arrays of shape ``(...)``: pooled recall, false positives per frame,
    precision, micro F1, macro F1 over the classes present (``tp + fn > 0``),
    predicted and true instruments per frame. Formulas as in :mod:`instrid.study.metrics`.
    """
    tp_all, fp_all, fn_all = tp.sum(-1), fp.sum(-1), fn.sum(-1)
    present = (tp + fn) > 0
    f1_class = _ratio(2 * tp, 2 * tp + fp + fn)
    n_present = present.sum(-1)
    return {
        "recall": _ratio(tp_all, tp_all + fn_all),
        "fp_per_frame": _ratio(fp_all, frames),
        "precision": _ratio(tp_all, tp_all + fp_all),
        "f1_micro": _ratio(2 * tp_all, 2 * tp_all + fp_all + fn_all),
        "f1_macro": _ratio(np.where(present, f1_class, 0.0).sum(-1), n_present),
        "predicted_per_frame": _ratio(tp_all + fp_all, frames),
        "true_per_frame": _ratio(tp_all + fn_all, frames),
    }


def grouped_map(y_true, scores, groups, counts) -> np.ndarray:
    """Mean average precision under example weights shared by group, for many weight rows at once.

    Example ``i`` weighs ``counts[b, groups[i]]`` in row ``b`` (the recording
    bootstrap: a segment counts as often as its recording was drawn). For each
    row, the mean over classes with positive weight of

    .. math:: AP_k = \\sum_i (R_i - R_{i-1}) P_i

    with precision and recall from weighted counts at each distinct score:
    scikit-learn's ``average_precision_score`` with ``sample_weight``, for all
    rows at once. Weighted counts are products of the counts with per-group
    running counts, and only the distinct scores where recall can rise (those
    with a positive example) enter the sum, so a call costs ``n_boot`` times the
    number of positives: on a 5,000-segment split with 1,000 rows, 0.3 s, where
    the same sums over a ``(n_boot, n)`` weight matrix took 4.4 s and
    per-row scikit-learn calls about 30 times longer again.

    Parameters
    ----------
    y_true : numpy.ndarray of bool, (n, classes)
    scores : numpy.ndarray of float, (n, classes)
    groups : numpy.ndarray of int, (n,)
        Each example's group, ``0 <= groups < n_groups``.
    counts : numpy.ndarray of float, (n_boot, n_groups)
        Each group's weight in each row.

    Returns
    -------
    numpy.ndarray, (n_boot,): mAP in ``[0, 1]`` per row; NaN where no class has positive weight.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups)
    c = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    if y.shape != s.shape or y.ndim != 2 or g.shape != (len(y),):
        raise ValueError(f"y_true {y.shape}, scores {s.shape} and groups {g.shape} do not match")
    if len(g) and (g.min() < 0 or g.max() >= c.shape[1]):
        raise ValueError(f"groups must lie in [0, {c.shape[1]}), the columns of counts")
    ap = np.full((c.shape[0], y.shape[1]), np.nan)
    n_groups = c.shape[1]
    for k in range(y.shape[1]):
        if not y[:, k].any():
            continue
        order = np.argsort(-s[:, k], kind="stable")
        sk, yk, gk = s[order, k], y[order, k], g[order]
        # Runs of equal scores, and the runs holding a positive: the only points where recall can rise.
        ends = np.flatnonzero(np.append(sk[1:] != sk[:-1], True))
        run = np.repeat(np.arange(len(ends)), np.diff(ends, prepend=-1))
        rising = np.unique(run[yk])
        # Each example counts from the first rising point at or after its run (none after the last).
        point = np.searchsorted(rising, run)
        per_point = [
            np.bincount(point[m] * n_groups + gk[m], minlength=len(rising) * n_groups)
            .reshape(len(rising), n_groups)
            .cumsum(axis=0, dtype=np.float64)
            for m in ((point < len(rising)) & yk, (point < len(rising)) & ~yk)
        ]
        tp, fp = per_point[0] @ c.T, per_point[1] @ c.T  # (points, n_boot)
        total = tp[-1:]
        value = (np.diff(_ratio(tp, total), axis=0, prepend=0.0) * _ratio(tp, tp + fp)).sum(axis=0)
        ap[:, k] = np.where(total[0] > 0, value, np.nan)
    with np.errstate(invalid="ignore"):
        present = np.isfinite(ap)
        return np.where(
            present.any(axis=1), np.nansum(ap, axis=1) / np.maximum(1, present.sum(axis=1)), np.nan
        )


@dataclass(frozen=True)
class Replicates:
    """A metric's value per seed, their mean, and the hierarchical bootstrap replicates of the mean."""

    per_seed: np.ndarray  # (n_seeds,)
    boot: np.ndarray  # (n_boot,)

    @property
    def mean(self) -> float:
        return float(self.per_seed.mean())

    def interval(self, level: float = LEVEL) -> tuple[float, float]:
        """Percentile bootstrap interval of the seed mean."""
        tail = 100 * (1 - level) / 2
        finite = self.boot[np.isfinite(self.boot)]
        if not len(finite):
            return float("nan"), float("nan")
        low, high = np.percentile(finite, [tail, 100 - tail])
        return float(low), float(high)

    def __sub__(self, other: Replicates) -> Replicates:
        return Replicates(self.per_seed - other.per_seed, self.boot - other.boot)

    def to_dict(self, level: float = LEVEL) -> dict:
        low, high = self.interval(level)
        return {"mean": self.mean, "low": low, "high": high, "per_seed": self.per_seed.tolist()}


def mean_replicates(estimates: list[Replicates]) -> Replicates:
    """The replicates of the mean of several estimates over the same seeds and bootstrap draws (e.g. two
    heads' scores, each on its own test set, averaged)."""
    if not estimates:
        raise ValueError("mean_replicates: no estimates")
    n = len(estimates)
    return Replicates(sum(r.per_seed for r in estimates) / n, sum(r.boot for r in estimates) / n)


def replicates(
    evaluations, predictions, *, with_map: bool = False, n_boot: int = N_BOOT, seed: int = 0
) -> dict[str, Replicates]:
    """Per-seed values and bootstrap replicates of every metric for one rule.

    Parameters
    ----------
    evaluations : list of Evaluation
        One per seed, all on the same split (the same recordings).
    predictions : list of numpy.ndarray of bool
        The rule's decisions for each seed, shaped like ``y_true``.
    with_map : bool
        Also mAP of the scores (threshold-free, the same for every rule).
    n_boot, seed : int
        Replicates, and the seed of the recording draws (keep it fixed to pair rules).

    Returns
    -------
    dict: metric name -> :class:`Replicates`.
    """
    if len(evaluations) != len(predictions) or not evaluations:
        raise ValueError("one prediction per evaluation (seed) is needed")
    ids, counts = recording_draws(
        np.concatenate([e.recordings for e in evaluations]), n_boot=n_boot, seed=seed
    )
    per_seed, boot = {}, {}
    for ev, pred in zip(evaluations, predictions):
        t, p = ev.y_true.astype(bool), np.asarray(pred).astype(bool)
        if p.shape != t.shape:
            raise ValueError(f"predictions {p.shape} and targets {t.shape} differ")
        rec = np.searchsorted(ids, ev.recordings)
        # One row of counts per recording: (recordings, classes).
        by_rec = [np.zeros((len(ids), t.shape[1])) for _ in range(3)]
        for acc, cell in zip(by_rec, (t & p, ~t & p, t & ~p)):
            np.add.at(acc, rec, cell)
        frames = np.bincount(rec, minlength=len(ids)).astype(np.float64)
        full = count_metrics(*(c.sum(0) for c in by_rec), frames.sum())
        drawn = count_metrics(*(counts @ c for c in by_rec), counts @ frames)
        if with_map:
            full["map"] = grouped_map(t, ev.scores, rec, np.ones((1, len(ids))))[0]
            drawn["map"] = grouped_map(t, ev.scores, rec, counts)
        for name in full:
            per_seed.setdefault(name, []).append(float(full[name]))
            boot.setdefault(name, []).append(drawn[name])
    return {
        name: Replicates(np.array(per_seed[name]), hierarchical_mean(boot[name], seed=seed))
        for name in per_seed
    }


def share_replicates(evaluations, flags, *, n_boot: int = N_BOOT, seed: int = 0) -> Replicates:
    """The share of examples flagged (e.g. frames where a rule declares nothing), per seed and bootstrapped
    as :func:`replicates` does (the same draws, so it pairs with the rules' metrics)."""
    if len(evaluations) != len(flags) or not evaluations:
        raise ValueError("one flag vector per evaluation (seed) is needed")
    ids, counts = recording_draws(
        np.concatenate([e.recordings for e in evaluations]), n_boot=n_boot, seed=seed
    )
    per_seed, boot = [], []
    for ev, flag in zip(evaluations, flags):
        flag = np.asarray(flag, dtype=np.float64)
        if flag.shape != (len(ev.recordings),):
            raise ValueError(f"flags {flag.shape} for {len(ev.recordings)} examples")
        rec = np.searchsorted(ids, ev.recordings)
        hits = np.bincount(rec, weights=flag, minlength=len(ids))
        frames = np.bincount(rec, minlength=len(ids)).astype(np.float64)
        per_seed.append(hits.sum() / frames.sum())
        boot.append(_ratio(counts @ hits, counts @ frames))
    return Replicates(np.array(per_seed), hierarchical_mean(boot, seed=seed))


def summarize(
    evaluations,
    predictions,
    *,
    with_map: bool = False,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
) -> dict:
    """Every metric as ``{"mean", "low", "high", "per_seed"}`` (see :func:`replicates`)."""
    reps = replicates(evaluations, predictions, with_map=with_map, n_boot=n_boot, seed=seed)
    return {name: r.to_dict(level) for name, r in reps.items()}


def difference(
    a: dict, b: dict, metrics=("recall", "fp_per_frame", "f1_micro"), level: float = LEVEL
) -> dict:
    """Paired difference ``a - b`` of two rules' :func:`replicates` (same split, seeds and draws)."""
    return {name: (a[name] - b[name]).to_dict(level) for name in metrics}


def paired(a: dict, b: dict, metrics=("f1_micro", "map"), names=("a", "b", "difference")) -> dict:
    """Two :func:`replicates` on the same recordings, ``a`` and ``b``, and their :func:`difference`, as dicts.

    ``names`` labels the three parts, e.g. ``("in_font", "unseen_font", "gap")``.
    """
    return dict(
        zip(
            names,
            (
                {m: a[m].to_dict() for m in metrics},
                {m: b[m].to_dict() for m in metrics},
                difference(a, b, metrics),
            ),
        )
    )


def format_interval(value: dict, digits: int = 3) -> str:
    """``"0.733 [0.651, 0.802]"``: the seed mean and its interval."""
    if value is None or value.get("mean") is None:
        return "—"
    text = f"{value['mean']:.{digits}f}"
    if value.get("low") is not None and value.get("high") is not None:
        text += f" [{value['low']:.{digits}f}, {value['high']:.{digits}f}]"
    return text


def apply(evaluations, rule) -> list[np.ndarray]:
    """``rule(scores)`` for every seed's evaluation: the decisions to pass to :func:`replicates`."""
    return [rule(ev.scores) for ev in evaluations]


def seed_stats(values) -> dict:
    """A per-seed quantity without a bootstrap: ``{"mean", "min", "max", "per_seed"}``."""
    values = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(values.mean()),
        "min": float(values.min()),
        "max": float(values.max()),
        "per_seed": values.tolist(),
    }


def curve(
    evaluations,
    rule_at,
    values,
    metrics=("recall", "fp_per_frame", "f1_micro"),
    *,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = LEVEL,
):
    """A rule swept over ``values`` (e.g. thresholds): one row per value and metric.

    ``rule_at(value)`` returns a rule (scores -> decisions). Columns: ``value``,
    ``metric``, ``mean``, ``low``, ``high``, ``per_seed``.
    """
    rows = []
    for value in values:
        reps = replicates(evaluations, apply(evaluations, rule_at(value)), n_boot=n_boot, seed=seed)
        rows += [{"value": value, "metric": m, **reps[m].to_dict(level)} for m in metrics]
    return pd.DataFrame(rows)


def table(
    summaries: dict, metrics=("recall", "fp_per_frame", "precision", "f1_micro", "map"), digits: int = 3
):
    """Rules x metrics as ``"mean [low, high]"`` strings, for display in a notebook."""
    return pd.DataFrame(
        {name: {m: format_interval(s[m], digits) for m in metrics if m in s} for name, s in summaries.items()}
    ).T


def sweep(evaluation: Evaluation, rule_at, values) -> pd.DataFrame:
    """One seed's recall and false positives per frame for a rule swept over ``values`` (no bootstrap)."""
    rows = []
    for value in values:
        pred = rule_at(value)(evaluation.scores)
        rows.append(
            {
                "value": value,
                "recall": metrics.recall(evaluation.y_true, pred),
                "fp_per_frame": metrics.fp_per_frame(evaluation.y_true, pred),
            }
        )
    return pd.DataFrame(rows)


def choose_top_n(evaluations, max_n: int) -> tuple[int, list[float]]:
    """The study's one criterion for N: the largest seed-mean micro F1 of top-N, N in ``1..max_n``.

    Apply it to validation evaluations. Ties go to the smaller N. Returns N and
    the seed-mean micro F1 of every N.
    """
    f1 = [
        float(np.mean([metrics.f1_micro(ev.y_true, decisions.top_n(ev.scores, n)) for ev in evaluations]))
        for n in range(1, max_n + 1)
    ]
    return int(np.argmax(f1)) + 1, f1


#: A class found in this few recordings of the evaluated split or fewer gets a warning: its numbers rest on
#: one or two pieces (MusicNet's test split has horn, bassoon, clarinet and viola in two recordings each).
FEW_RECORDINGS = 2


def per_instrument_f1(evaluations, predictions) -> pd.DataFrame:
    """Per-instrument F1 over seeds: ``mean``, ``min``, ``max`` (NaN where absent from the split), with what
    stands behind each: ``recordings`` where the instrument sounds and its ``segments`` (first seed's
    examples), and ``few_recordings`` where that is :data:`FEW_RECORDINGS` or fewer."""
    f1 = pd.concat(
        [
            metrics.per_instrument_table(ev.y_true, p).set_index("instrument")["f1"]
            for ev, p in zip(evaluations, predictions)
        ],
        axis=1,
    )
    first = evaluations[0]
    recordings = [len(np.unique(first.recordings[first.y_true[:, k]])) for k in range(first.y_true.shape[1])]
    counts = pd.DataFrame(
        {"recordings": recordings, "segments": first.y_true.sum(axis=0).astype(int)},
        index=pd.Index(instruments.NAMES, name="instrument"),
    )
    table = pd.DataFrame(
        {
            "mean": f1.mean(axis=1, skipna=False),
            "min": f1.min(axis=1, skipna=False),
            "max": f1.max(axis=1, skipna=False),
        }
    ).join(counts)
    return table.assign(few_recordings=table["recordings"] <= FEW_RECORDINGS)


def per_instrument_scores(evaluations, predictions, classes=None) -> pd.DataFrame:
    """:func:`per_instrument_f1` with each instrument's average precision (seed mean, ``ap``) and a chance
    ranking's (its share of the examples, ``chance_ap``); instruments outside ``classes`` (a boolean mask:
    a font that lacks them) are left empty."""
    table = per_instrument_f1(evaluations, predictions)
    table["ap"] = np.mean([metrics.average_precision(ev.y_true, ev.scores) for ev in evaluations], axis=0)
    table["chance_ap"] = np.mean([ev.y_true.mean(axis=0) for ev in evaluations], axis=0)
    if classes is not None:
        table.loc[~np.asarray(classes), ["mean", "min", "max", "ap", "chance_ap"]] = np.nan
    return table
