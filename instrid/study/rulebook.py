"""Every decision rule of the study, each chosen on validation and applied unchanged to test.

Notebook ``09_decision_rules``, for the report's closing suggestion
("a mix between top-n and class-specific thresholding"). :func:`rules` turns
one seed's validation evaluation into named rules (functions of a test
:class:`~instrid.study.uncertainty.Evaluation`); nothing about a rule is looked up
on test. :data:`FAMILIES` groups the rules with a knob (N, a threshold) into
the curves of the figure. :func:`versus` compares every rule with a reference
(top-3) on test, paired over seeds and recordings, and :func:`beats` says which
rules beat it: as much recall or more at no more false positives, one of the
two beyond its interval.
"""

from __future__ import annotations

import numpy as np

from instrid.data import instruments
from instrid.study import decisions, metrics, records, uncertainty

#: Fixed thresholds of the global-threshold curve (not tuned: each point is its own rule).
SWEEP = tuple(round(0.05 * i, 2) for i in range(1, 20))


def _name(family: str, knob) -> str:
    return f"{family} {knob}"


def rules(val: uncertainty.Evaluation, prior, *, noise_scores=None, top_n: int = 3, max_n: int = 5) -> dict:
    """Named rules, every threshold, N and bias chosen on ``val`` (one seed's validation evaluation).

    Parameters
    ----------
    val : Evaluation
        Validation targets, probabilities and logits of one seed's head.
    prior : (n_classes,)
        The training label frequency (logit adjustment, the first bias vector).
    noise_scores : (n, n_classes), optional
        The head's probabilities on white noise (the third bias vector).
    top_n : int
        The reference rule's N (the report's 3): the false-positive level that
        the ``"at top-3's FP"`` rules match on validation.
    max_n : int
        Top-N and the mixes are built for N = 1..max_n.

    Returns
    -------
    dict: name -> function of a test Evaluation returning its decisions (bool,
    shaped like its scores).
    """
    if val.logits is None:
        raise ValueError("logit adjustment needs the validation logits (Evaluation.logits)")
    y = val.y_true
    adjusted = lambda ev: decisions.sigmoid(decisions.logit_adjust(ev.logits, prior))  # noqa: E731
    reference_fp = decisions.top_n(val.scores, top_n)[~y].sum() / len(y)
    f1_t = decisions.tune_class_thresholds(val.scores, y)
    even_t = decisions.break_even_thresholds(val.scores, y)
    global_t = decisions.tune_global_threshold(val.scores, y)
    matched_t = decisions.threshold_at_fp(val.scores, y, reference_fp)
    adjusted_t = decisions.threshold_at_fp(adjusted(val), y, reference_fp)
    biases = {
        "minus label frequency": np.asarray(prior),
        "minus mean validation output": val.scores.mean(axis=0),
    }
    if noise_scores is not None:
        biases["minus mean noise output"] = np.asarray(noise_scores).mean(axis=0)

    out = {_name("top-N", n): (lambda ev, n=n: decisions.top_n(ev.scores, n)) for n in range(1, max_n + 1)}
    out.update({_name("threshold", t): (lambda ev, t=t: decisions.threshold(ev.scores, t)) for t in SWEEP})
    out.update(
        {
            _name("top-N then class thresholds", n): (
                lambda ev, n=n: decisions.top_n_then_threshold(ev.scores, n, f1_t)
            )
            for n in range(1, max_n + 1)
        }
    )
    out.update(
        {
            _name("class thresholds then best N", n): (
                lambda ev, n=n: decisions.threshold_then_top_n(ev.scores, f1_t, n)
            )
            for n in range(1, max_n + 1)
        }
    )
    out.update(
        {
            "global threshold (F1)": lambda ev: decisions.threshold(ev.scores, global_t),
            f"global threshold at top-{top_n}'s FP": lambda ev: decisions.threshold(ev.scores, matched_t),
            "class thresholds (F1)": lambda ev: decisions.threshold(ev.scores, f1_t),
            "class thresholds (break-even)": lambda ev: decisions.threshold(ev.scores, even_t),
            "logit adjustment (0.5)": lambda ev: adjusted(ev) >= 0.5,
            f"logit adjustment at top-{top_n}'s FP": lambda ev: adjusted(ev) >= adjusted_t,
        }
    )
    out.update(
        {
            f"{name}, top-{top_n}": (
                lambda ev, b=b: decisions.top_n(decisions.subtract_bias(ev.scores, b), top_n)
            )
            for name, b in biases.items()
        }
    )
    return out


#: The rules with a knob, drawn as curves: family -> the prefix of its rules' names.
FAMILIES = ("top-N", "threshold", "top-N then class thresholds", "class thresholds then best N")


def family_of(name: str) -> str | None:
    """The family a rule's name belongs to (its name is ``"<family> <knob>"``), or None for a single rule."""
    for family in sorted(FAMILIES, key=len, reverse=True):
        if name.startswith(family + " ") and name[len(family) + 1 :].replace(".", "", 1).isdigit():
            return family
    return None


def replicates(test, rules_by_seed) -> dict:
    """Each rule's :func:`uncertainty.replicates` on test: one rule set per seed, shared draws."""
    names = list(rules_by_seed[0])
    return {
        name: uncertainty.replicates(test, [rules[name](ev) for rules, ev in zip(rules_by_seed, test)])
        for name in names
    }


#: What every rule is compared on.
VERSUS_METRICS = ("recall", "fp_per_frame", "precision", "f1_micro")


def versus(reps: dict, reference: str, metrics=VERSUS_METRICS) -> dict:
    """Every rule minus ``reference`` (paired differences with 95% intervals)."""
    return {
        name: uncertainty.difference(r, reps[reference], metrics)
        for name, r in reps.items()
        if name != reference
    }


def beats(differences: dict) -> list[str]:
    """Rules that beat the reference: no less recall and no more false positives (seed means), and
    either more recall or fewer false positives beyond the interval."""
    out = []
    for name, d in differences.items():
        recall, fp = d["recall"], d["fp_per_frame"]
        if recall["mean"] >= 0 and fp["mean"] <= 0 and (recall["low"] > 0 or fp["high"] < 0):
            out.append(name)
    return out


def chosen_per_family(val, rules_by_seed, families=FAMILIES) -> dict[str, str]:
    """For each family, the one rule with the largest seed-mean micro F1 on validation (``val``, one
    Evaluation per seed): the rule a family puts forward, chosen without looking at test."""
    chosen = {}
    for family in families:
        names = [n for n in rules_by_seed[0] if family_of(n) == family]
        f1 = {
            n: np.mean([metrics.f1_micro(ev.y_true, rules[n](ev)) for rules, ev in zip(rules_by_seed, val)])
            for n in names
        }
        chosen[family] = max(names, key=lambda n: (f1[n], -names.index(n)))
    return chosen


def chosen_records(reps: dict, chosen: dict, reference: str, reference_label: str, *, test, **fields) -> list:
    """Each family's chosen rule minus ``reference`` on test, as records (``claim="mixed_rule"``, ``head``
    the family, ``rule`` the chosen rule, ``minus`` ``reference_label``)."""
    out = []
    for family, name in chosen.items():
        out += records.from_replicates(
            reps[name],
            ("recall", "fp_per_frame", "f1_micro"),
            less=reps[reference],
            evaluations=test,
            **fields,
            claim="mixed_rule",
            split="test",
            head=family,
            rule=name,
            minus=reference_label,
        )
    return out


def rule_records(reps: dict, reference: str, *, test, metrics=VERSUS_METRICS, **fields) -> list:
    """Every rule on test (``claim="rules"``, ``head`` its family or ``""``, ``rule`` its name), and every
    rule minus ``reference`` (``minus`` the reference's name), paired over seeds and recordings."""
    out = []
    for name, rep in reps.items():
        named = dict(fields, claim="rules", split="test", head=family_of(name) or "", rule=name)
        out += records.from_replicates(rep, (*metrics, "predicted_per_frame"), evaluations=test, **named)
        if name != reference:
            out += records.from_replicates(
                rep, metrics, less=reps[reference], evaluations=test, minus=reference, **named
            )
    return out


#: Hung & Yang's scores (:func:`hung_yang`) as records: column -> (macro metric, instrument's metric, rule).
HUNG_YANG_RECORDS = {
    "f1_tuned_on_test": ("f1_macro", "f1", "class thresholds tuned on test (their protocol)"),
    "f1_tuned_on_validation": ("f1_macro", "f1", "class thresholds tuned on validation"),
    "average_precision": ("map", "ap", ""),
}


def hung_yang_records(found: dict, seeds: int, **fields) -> list:
    """Records of :func:`hung_yang`: the macro averages (seed means) and each instrument's score
    (``instrument``), ``claim="literature"``, on test."""
    out = []
    for column, (macro, each, rule) in HUNG_YANG_RECORDS.items():
        named = dict(fields, claim="literature", split="test", rule=rule, seeds=seeds)
        out.append(records.record(macro, found["macro"][column]["mean"], **named))
        out += records.series(each, found["per_instrument"][column], "instrument", **named)
    return out


def hung_yang(frames, val) -> dict:
    """Hung & Yang's (ISMIR 2018) frame-level scores, per seed: ``frames`` on test, ``val`` for tuning.

    For every instrument present in the test frames: F1 at the threshold of
    :data:`instrid.study.metrics.HUNG_YANG_GRID` (``score > t``) that is best **on the
    test frames themselves** (their protocol, optimistic); F1 at the grid
    threshold best on validation, applied to test (honest); and average
    precision. Macro averages run over the present instruments only.

    Returns
    -------
    dict with ``per_instrument`` (DataFrame: seed means per instrument) and
    ``macro`` (each score's :func:`instrid.study.uncertainty.seed_stats`).
    """
    import pandas as pd

    per_seed = []
    for test_ev, val_ev in zip(frames, val):
        tuned = decisions.tune_class_thresholds(
            val_ev.scores, val_ev.y_true, grid=metrics.HUNG_YANG_GRID, strict=True
        )
        declared = decisions.threshold(test_ev.scores, tuned, strict=True)
        present = test_ev.y_true.any(axis=0)
        table = pd.DataFrame(
            {
                "f1_tuned_on_test": metrics.hung_yang_f1(test_ev.y_true, test_ev.scores)[0],
                "f1_tuned_on_validation": metrics.per_class(test_ev.y_true, declared)["f1"],
                "average_precision": metrics.average_precision(test_ev.y_true, test_ev.scores),
            },
            index=pd.Index(instruments.NAMES, name="instrument"),
        )
        per_seed.append(table[present])
    per_instrument = sum(per_seed) / len(per_seed)
    macro = {k: uncertainty.seed_stats([t[k].mean() for t in per_seed]) for k in per_seed[0].columns}
    return {"per_instrument": per_instrument, "macro": macro}
