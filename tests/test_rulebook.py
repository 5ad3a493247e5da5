"""Every rule chosen on validation (instrid.study.rulebook, notebook 09)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instrid.study import decisions, metrics, records, rulebook, uncertainty


def _evaluation(seed: int, n: int = 200, classes: int = 4) -> uncertainty.Evaluation:
    rng = np.random.default_rng(seed)
    y = rng.random((n, classes)) < [0.5, 0.3, 0.15, 0.05]
    logits = 2.0 * y - 1.0 + rng.normal(0, 1.2, y.shape)
    return uncertainty.Evaluation(y, decisions.sigmoid(logits), rng.integers(0, 5, n), logits)


def test_rules_are_chosen_on_validation_only():
    val, test = _evaluation(0), _evaluation(1)
    prior = val.y_true.mean(axis=0)
    rules = rulebook.rules(val, prior, noise_scores=np.full((3, 4), 0.2), top_n=2, max_n=3)
    assert {"top-N 1", "top-N 3", "threshold 0.05", "class thresholds then best N 2"} <= set(rules)
    assert "minus mean noise output, top-2" in rules and "logit adjustment at top-2's FP" in rules
    for rule in rules.values():
        out = rule(test)
        assert out.dtype == bool and out.shape == test.scores.shape
    # The matched rules keep, on validation, no more false positives than top-2 does there.
    top2_fp = (decisions.top_n(val.scores, 2) & ~val.y_true).sum()
    for name in ("global threshold at top-2's FP", "logit adjustment at top-2's FP"):
        assert (rules[name](val) & ~val.y_true).sum() <= top2_fp
    # Rules are fixed once chosen: changing the test targets changes nothing they declare.
    flipped = uncertainty.Evaluation(~test.y_true, test.scores, test.recordings, test.logits)
    assert all((rule(test) == rule(flipped)).all() for rule in rules.values())
    # The break-even rule declares each class as often as it plays on validation.
    even = rules["class thresholds (break-even)"](val)
    assert (even.sum(axis=0) == val.y_true.sum(axis=0)).all()
    with pytest.raises(ValueError, match="logits"):
        rulebook.rules(uncertainty.Evaluation(val.y_true, val.scores, val.recordings), prior)


def test_families_and_comparisons():
    assert rulebook.family_of("top-N 3") == "top-N"
    assert rulebook.family_of("top-N then class thresholds 2") == "top-N then class thresholds"
    assert rulebook.family_of("threshold 0.35") == "threshold"
    assert rulebook.family_of("global threshold (F1)") is None
    assert rulebook.family_of("minus label frequency, top-3") is None
    vals, tests = [_evaluation(s) for s in (0, 1)], [_evaluation(s) for s in (2, 3)]
    by_seed = [rulebook.rules(v, v.y_true.mean(axis=0), max_n=3) for v in vals]
    reps = rulebook.replicates(tests, by_seed)
    diffs = rulebook.versus(reps, "top-N 3")
    assert "top-N 3" not in diffs and diffs["top-N 2"]["fp_per_frame"]["mean"] < 0  # fewer declared, fewer FP
    assert diffs["top-N 1"]["recall"]["mean"] < 0


def _diff(recall, fp):
    return {
        "recall": dict(zip(("mean", "low", "high"), recall)),
        "fp_per_frame": dict(zip(("mean", "low", "high"), fp)),
    }


def test_beats_needs_no_loss_on_either_axis_and_a_clear_gain_on_one():
    diffs = {
        "more recall, same FP": _diff((0.05, 0.01, 0.09), (0.0, -0.1, 0.1)),
        "fewer FP, same recall": _diff((0.0, -0.02, 0.02), (-0.3, -0.5, -0.1)),
        "more recall, more FP": _diff((0.1, 0.05, 0.15), (0.2, 0.1, 0.3)),
        "gain within noise": _diff((0.02, -0.01, 0.05), (-0.05, -0.2, 0.1)),
    }
    assert rulebook.beats(diffs) == ["more recall, same FP", "fewer FP, same recall"]


def test_hung_yang_tunes_on_test_for_their_protocol_and_on_validation_for_ours():
    names = 11
    y = np.zeros((4, names), dtype=bool)
    y[:2, 0] = True  # violin on in frames 0-1; every other instrument absent but viola, on in frame 3
    y[3, 1] = True
    scores = np.full((4, names), 0.05)
    scores[:, 0] = [0.9, 0.6, 0.55, 0.1]
    scores[:, 1] = [0.3, 0.2, 0.1, 0.4]
    test = uncertainty.Evaluation(y, scores, np.array([1, 1, 2, 2]))
    # Validation put violin's best strict threshold at 0.7: on test only frame 0 passes (F1 2/3).
    val_scores = np.full((2, names), 0.05)
    val_scores[:, 0] = [0.75, 0.7]
    val_scores[:, 1] = [0.5, 0.2]
    val = uncertainty.Evaluation(
        np.array([[1, 0] + [0] * 9, [0, 1] + [0] * 9], dtype=bool), val_scores, np.array([3, 4])
    )
    out = rulebook.hung_yang([test], [val])
    table = out["per_instrument"]
    assert list(table.index) == ["violin", "viola"]  # the present instruments only
    # Tuned on test: violin > 0.55 declares frames 0-1 exactly (F1 1); viola > 0.3 frame 3 only (F1 1).
    assert table["f1_tuned_on_test"].tolist() == [1.0, 1.0]
    assert table.loc["violin", "f1_tuned_on_validation"] == pytest.approx(2 / 3)
    assert table["average_precision"].tolist() == [1.0, 1.0]
    assert out["macro"]["f1_tuned_on_test"]["mean"] == 1.0


def test_each_family_puts_forward_its_best_rule_on_validation_and_meets_top_3_on_test():
    vals, tests = [_evaluation(s) for s in (0, 1)], [_evaluation(s) for s in (2, 3)]
    by_seed = [rulebook.rules(v, v.y_true.mean(axis=0), max_n=3) for v in vals]
    chosen = rulebook.chosen_per_family(vals, by_seed)
    assert set(chosen) == set(rulebook.FAMILIES)
    for family, name in chosen.items():
        assert rulebook.family_of(name) == family
        same_family = [n for n in by_seed[0] if rulebook.family_of(n) == family]
        f1 = {
            n: np.mean([metrics.f1_micro(v.y_true, rules[n](v)) for rules, v in zip(by_seed, vals)])
            for n in same_family
        }
        assert f1[name] == max(f1.values())  # the best on validation; test was never looked at
    reps = rulebook.replicates(tests, by_seed)
    found = rulebook.chosen_records(reps, chosen, "top-N 3", "top-3", test=tests, model="m")
    row = records.one(found, head="top-N", metric="f1_micro")
    assert row["rule"] == chosen["top-N"] and row["minus"] == "top-3" and row["split"] == "test"
    assert row["value"] == pytest.approx(
        reps[chosen["top-N"]]["f1_micro"].mean - reps["top-N 3"]["f1_micro"].mean
    )


def test_every_rule_and_hung_yang_become_records():
    vals, tests = [_evaluation(s) for s in (0, 1)], [_evaluation(s) for s in (2, 3)]
    by_seed = [rulebook.rules(v, v.y_true.mean(axis=0), max_n=3) for v in vals]
    reps = rulebook.replicates(tests, by_seed)
    found = rulebook.rule_records(reps, "top-N 3", test=tests, model="m")
    assert len(records.select(found, metric="recall", minus="")) == len(reps)
    assert len(records.select(found, metric="recall", minus="top-N 3")) == len(reps) - 1
    two = records.one(found, rule="top-N 2", minus="", metric="predicted_per_frame")
    assert two["value"] == 2 and two["head"] == "top-N" and two["claim"] == "rules"
    table = pd.DataFrame(
        {
            "f1_tuned_on_test": [1.0, 0.5],
            "f1_tuned_on_validation": [0.5, 0.5],
            "average_precision": [1.0, 0.4],
        },
        index=pd.Index(["violin", "viola"], name="instrument"),
    )
    macro = {k: {"mean": float(v.mean())} for k, v in table.items()}
    hy = rulebook.hung_yang_records({"per_instrument": table, "macro": macro}, 3, model="m")
    on_test = rulebook.HUNG_YANG_RECORDS["f1_tuned_on_test"][2]
    assert records.one(hy, rule=on_test, instrument="", metric="f1_macro")["value"] == 0.75
    assert records.one(hy, rule=on_test, instrument="viola", metric="f1")["value"] == 0.5
    assert records.one(hy, instrument="", metric="map")["value"] == pytest.approx(0.7)
