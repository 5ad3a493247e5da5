"""The measurements behind the report's claims about its model, as flat records.

One function per question, used wherever the question is asked (notebooks
03, 05 and 06 on the report's pipeline, 07 on the listening model, 08 under
each protocol), so the verdict rules of :mod:`instrid.report.judges` read the same
records from every notebook:

* :func:`prior_records` -- the label-prior rule on the same examples (the
  training split's most frequent instruments, declared in every frame; for
  mAP a constant ranking), and the model's rule minus it: whether a claim
  about the model is informative at all.
* :func:`loss_records` -- MSE against the IoU-like loss (and BCE beside
  them): at the report's threshold with and without the argmax rule, the
  frames left empty, mAP; the (seed, threshold) pairs where IoU recalls less.
* :func:`top_n_records` -- top-N for every N, with and without the report's
  normalizations, and top-3 minus each other N.
* :func:`normalization_records` -- each bias vector against the plain scores
  under rules where a per-class constant can change the decisions (top-3, one
  global threshold), and the per-class thresholds' operating point.
"""

from __future__ import annotations

import numpy as np

from instrid.study import decisions, metrics, records, uncertainty

#: The report's threshold (its Figure 2) and the grid of notebook 03's curves.
REPORT_THRESHOLD = 0.6
LOSS_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
PRIOR = "label prior"
COUNT = ("recall", "fp_per_frame", "f1_micro", "predicted_per_frame", "true_per_frame")


def prior_evaluations(train_labels, evaluations) -> list[uncertainty.Evaluation]:
    """Each seed's training label frequency as every frame's scores: the rule that never listens."""
    return [
        uncertainty.Evaluation(
            ev.y_true, np.broadcast_to(decisions.label_frequency(y), ev.scores.shape).copy(), ev.recordings
        )
        for y, ev in zip(train_labels, evaluations)
    ]


def prior_records(train_labels, evaluations, *, top_n: int = 3, prior=None, **fields) -> list[dict]:
    """The label prior's top-``top_n`` and the model's top-``top_n`` minus it, paired (same examples).

    ``fields`` name the model (``model``, ``split``, ...); the prior's own
    records carry ``head="label prior"``. ``prior``: the prior's evaluations
    where they are not each seed's ``train_labels`` frequency (a
    cross-validation's, one frequency per fold); ``train_labels`` is then unused.
    """
    constant = prior if prior is not None else prior_evaluations(train_labels, evaluations)
    rule = f"top-{top_n}"
    prior = uncertainty.replicates(
        constant, uncertainty.apply(constant, lambda s: decisions.top_n(s, top_n)), with_map=True
    )
    model = uncertainty.replicates(
        evaluations, uncertainty.apply(evaluations, lambda s: decisions.top_n(s, top_n)), with_map=True
    )
    base = {**fields, "claim": "prior", "rule": rule}
    return [
        *records.from_replicates(prior, (*COUNT, "map"), evaluations=evaluations, **{**base, "head": PRIOR}),
        *records.from_replicates(model, (*COUNT, "map"), evaluations=evaluations, **base),
        *records.from_replicates(
            {m: model[m] - prior[m] for m in ("f1_micro", "map")},
            ("f1_micro", "map"),
            evaluations=evaluations,
            **{**base, "minus": f"{PRIOR} {rule}"},
        ),
    ]


def loss_records(
    evaluations: dict, *, reference: str = "iou_batch", **fields
) -> tuple[list[dict], list[dict]]:
    """MSE against the report's loss, and any other heads beside them, on one split.

    Parameters
    ----------
    evaluations : dict
        loss name -> one Evaluation per seed (``"mse"``, ``reference``, and
        optionally ``"bce"``, ``"iou_frame"``).
    reference : str
        The report's loss, compared with ``"mse"``.
    fields
        The records' model, protocol, split, ...

    Returns
    -------
    records, and the (seed, threshold) pairs of :data:`LOSS_THRESHOLDS` where
    the reference head recalls no more than MSE (argmax on, as the report's
    code), each ``{"seed", "threshold", reference, "mse"}``.
    """
    base = {**fields, "claim": "loss"}
    out, reps = [], {}
    for loss, evs in evaluations.items():
        for argmax in (True, False):
            rule = f"threshold {REPORT_THRESHOLD}" + (", argmax on" if argmax else "")
            reps[loss, argmax] = uncertainty.replicates(
                evs,
                uncertainty.apply(evs, decisions.threshold_at(REPORT_THRESHOLD, always_argmax=argmax)),
                with_map=True,
            )
            out += records.from_replicates(
                reps[loss, argmax], COUNT, evaluations=evs, **base, head=loss, rule=rule
            )
        out += records.from_replicates(
            reps[loss, True], ("map",), evaluations=evs, **base, head=loss, rule=""
        )
        empty = uncertainty.share_replicates(
            evs, [~decisions.threshold(e.scores, REPORT_THRESHOLD).any(axis=1) for e in evs]
        )
        out += records.from_replicates(
            {"empty_frames": empty},
            ("empty_frames",),
            evaluations=evs,
            **base,
            head=loss,
            rule=f"threshold {REPORT_THRESHOLD}",
        )
    diff = {
        m: reps[reference, True][m] - reps["mse", True][m]
        for m in ("recall", "fp_per_frame", "f1_micro", "map")
    }
    out += records.from_replicates(
        {m: diff[m] for m in ("recall", "fp_per_frame", "f1_micro")},
        ("recall", "fp_per_frame", "f1_micro"),
        evaluations=evaluations[reference],
        **base,
        head=reference,
        minus="mse",
        rule=f"threshold {REPORT_THRESHOLD}, argmax on",
    )
    out += records.from_replicates(
        {"map": diff["map"]},
        ("map",),
        evaluations=evaluations[reference],
        **base,
        head=reference,
        minus="mse",
        rule="",
    )
    losing = [
        {
            "seed": i,
            "threshold": t,
            reference: float(metrics.recall(a.y_true, decisions.threshold(a.scores, t, always_argmax=True))),
            "mse": float(metrics.recall(b.y_true, decisions.threshold(b.scores, t, always_argmax=True))),
        }
        for i, (a, b) in enumerate(zip(evaluations[reference], evaluations["mse"]))
        for t in LOSS_THRESHOLDS
    ]
    pairs = len(losing)
    losing = [p for p in losing if p[reference] <= p["mse"]]
    out.append(
        records.record(
            "pairs_recall_above",
            pairs - len(losing),
            high=pairs,
            **base,
            head=reference,
            minus="mse",
            rule="every threshold, argmax on",
            seeds=len(evaluations[reference]),
        )
    )
    return out, losing


def top_n_records(train_labels, evaluations, *, max_n: int = 5, top_n: int = 3, **fields) -> list[dict]:
    """Top-N for N = 1..``max_n``, plain, with the report's two normalizations and by the label prior (the N
    most frequent training instruments, always); top-``top_n`` minus each other N (plain) and each
    normalization minus plain at top-``top_n``; the N the study's criterion picks
    (:func:`instrid.study.uncertainty.choose_top_n`) as a record ``chosen_n``."""
    base = {**fields, "claim": "top_n"}
    variants = [
        decisions.normalizations(ev.scores, decisions.label_frequency(y))
        for y, ev in zip(train_labels, evaluations)
    ]
    reps = {
        name: {
            n: uncertainty.replicates(evaluations, [decisions.top_n(v[name], n) for v in variants])
            for n in range(1, max_n + 1)
        }
        for name in variants[0]
    }
    out = []
    for name, by_n in reps.items():
        for n, r in by_n.items():
            out += records.from_replicates(
                r, COUNT, evaluations=evaluations, **base, head=name, rule=f"top-{n}"
            )
    # Beside each N, the rule that never listens: the N instruments most frequent in training, always.
    constant = prior_evaluations(train_labels, evaluations)
    for n in range(1, max_n + 1):
        r = uncertainty.replicates(constant, [decisions.top_n(ev.scores, n) for ev in constant])
        out += records.from_replicates(r, COUNT, evaluations=evaluations, **base, head=PRIOR, rule=f"top-{n}")
    plain = reps["plain"]
    for n in range(1, max_n + 1):
        if n != top_n:
            out += records.from_replicates(
                {"f1_micro": plain[top_n]["f1_micro"] - plain[n]["f1_micro"]},
                ("f1_micro",),
                evaluations=evaluations,
                **base,
                head="plain",
                rule=f"top-{top_n}",
                minus=f"top-{n}",
            )
    for name in reps:
        if name != "plain":
            out += records.from_replicates(
                {"f1_micro": reps[name][top_n]["f1_micro"] - plain[top_n]["f1_micro"]},
                ("f1_micro",),
                evaluations=evaluations,
                **base,
                head=name,
                rule=f"top-{top_n}",
                minus="plain",
            )
    chosen, _ = uncertainty.choose_top_n(evaluations, max_n)
    out.append(
        records.record(
            "chosen_n", chosen, **base, head="plain", rule="best seed-mean micro F1", seeds=len(evaluations)
        )
    )
    return out


def normalization_records(
    train_labels, evaluations, noise_scores=None, *, top_n: int = 3, with_logits: bool = False, **fields
) -> tuple[list[dict], dict]:
    """Each of the report's bias vectors against the plain scores, on one split.

    Three rules: top-``top_n`` and one global threshold (tuned for micro F1 on
    the same examples, for every variant alike), where subtracting a per-class
    constant reorders the classes and so can change the decisions; and a
    threshold tuned per class (F1), where it can change only the argmax that
    the report's code keeps on. Records: each rule's metrics per variant, and
    variant minus plain (micro F1). ``with_logits`` adds logit adjustment (the
    evaluations' logits minus the log prior: ours, not the report's). Also
    returns each variant's decisions per rule, ``{rule: {variant: [per seed]}}``,
    for figures.
    """
    base = {**fields, "claim": "normalization"}
    noise_scores = noise_scores or [None] * len(evaluations)
    by_rule: dict = {}
    for y, ev, noise in zip(train_labels, evaluations, noise_scores):
        logits = ev.logits if with_logits else None
        variants = decisions.normalizations(
            ev.scores, decisions.label_frequency(y), logits=logits, noise_scores=noise
        )
        for name, s in variants.items():
            grid = np.linspace(s.min(), s.max(), 101)
            t_class = decisions.tune_class_thresholds(s, ev.y_true, grid=grid)
            t_global = decisions.tune_global_threshold(s, ev.y_true, grid=grid)
            for rule, pred in (
                (f"top-{top_n}", decisions.top_n(s, top_n)),
                ("one threshold (micro F1), argmax on", decisions.threshold(s, t_global, always_argmax=True)),
                ("class thresholds (F1), argmax on", decisions.threshold(s, t_class, always_argmax=True)),
            ):
                by_rule.setdefault(rule, {}).setdefault(name, []).append(pred)
    out = []
    for rule, variants in by_rule.items():
        reps = {name: uncertainty.replicates(evaluations, preds) for name, preds in variants.items()}
        for name, r in reps.items():
            out += records.from_replicates(r, COUNT, evaluations=evaluations, **base, head=name, rule=rule)
            if name != "plain":
                out += records.from_replicates(
                    {"f1_micro": r["f1_micro"] - reps["plain"]["f1_micro"]},
                    ("f1_micro",),
                    evaluations=evaluations,
                    **base,
                    head=name,
                    rule=rule,
                    minus="plain",
                )
    return out, by_rule


def rendering_records(decided: dict, classes: dict, *, reference: str = "default", **fields) -> list[dict]:
    """One model's scores on several renderings of the test recordings, and the reference rendering minus
    each other, as records (``claim="renderings"``, ``tested_on`` the rendering).

    Parameters
    ----------
    decided : dict
        rendering -> (evaluations, decisions), one per seed (:meth:`instrid.study.runs.Runs.decide`).
    classes : dict
        rendering -> boolean mask of the instruments it is scored on (a font that lacks some); missing: all.
    reference : str
        The rendering the others are set against (``minus`` names the other), each time scored on the
        other's classes; paired over recordings where both hold the same ones, else drawn independently.
    """
    base = {**fields, "claim": "renderings", "split": "test"}
    metrics_kept = ("recall", "fp_per_frame", "f1_micro", "map")

    def scored(name, mask, seed=0):
        evs, preds = decided[name]
        if mask is not None:
            evs, preds = [ev.only_classes(mask) for ev in evs], [p[:, mask] for p in preds]
        return evs, uncertainty.replicates(evs, preds, with_map=True, seed=seed)

    out = []
    for name in decided:
        evs, reps = scored(name, classes.get(name))
        out += records.from_replicates(reps, metrics_kept, evaluations=evs, **base, tested_on=name)
        if name == reference:
            continue
        ref_evs, ref = scored(reference, classes.get(name))
        same = {int(r) for ev in evs for r in ev.recordings} == {
            int(r) for ev in ref_evs for r in ev.recordings
        }
        if not same:
            _, reps = scored(name, classes.get(name), seed=1)
        diff = {m: ref[m] - reps[m] for m in ("f1_micro", "map")}
        out += records.from_replicates(diff, diff, evaluations=evs, **base, tested_on=reference, minus=name)
    return out


def named_records(
    reps: dict, evaluations: dict, fields: dict, metrics, *, minus=None, **common
) -> list[dict]:
    """Records of several rules' :func:`uncertainty.replicates` ``{row: replicates}``, each row named
    by its record ``fields[row]`` and counted on ``evaluations[row]``; with ``minus`` ``{row: other}``, also
    each such row minus the other, paired, its ``minus`` naming the other's head and rule."""
    found = [
        r
        for row, named in fields.items()
        for r in records.from_replicates(reps[row], metrics, evaluations=evaluations[row], **common, **named)
    ]
    for row, other in (minus or {}).items():
        less = f"{fields[other]['head']} {fields[other]['rule']}"
        found += records.from_replicates(
            reps[row],
            metrics,
            evaluations=evaluations[row],
            less=reps[other],
            minus=less,
            **common,
            **fields[row],
        )
    return found


def _named(fields: tuple, names: dict | None):
    names = names or {}
    return lambda key: {field: names.get(item, item) for field, item in zip(fields, key)}


def keyed_records(reps: dict, fields: tuple, metrics, *, names=None, **common) -> list[dict]:
    """Records of replicates keyed by tuples, each item of a key the value of one of the record ``fields``
    (``names`` maps an item to the value recorded where they differ)."""
    named = _named(fields, names)
    return [
        r for key, rep in reps.items() for r in records.from_replicates(rep, metrics, **common, **named(key))
    ]


def paired_records(reps: dict, pairs, fields: tuple, metrics, *, names=None, **common) -> list[dict]:
    """For each ``(a, b, minus)`` of ``pairs``, the paired difference ``reps[a] - reps[b]`` as records of
    ``a`` (its key read as in :func:`keyed_records`) with ``minus``."""
    named = _named(fields, names)
    return [
        r
        for a, b, minus in pairs
        for r in records.from_replicates(reps[a], metrics, less=reps[b], minus=minus, **common, **named(a))
    ]
