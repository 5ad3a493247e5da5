"""Flat records and the measurements behind the report's claims, on hand-made evaluations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from instrid.study import decisions, evidence, records
from instrid.study.uncertainty import Evaluation


def evaluation(seed, *, informative=True, scale=1.0, n=300, recordings=6, classes=5):
    rng = np.random.default_rng(seed)
    y = rng.random((n, classes)) < np.linspace(0.5, 0.05, classes)  # a skewed prior, like MusicNet's
    noise = rng.random((n, classes))
    scores = (0.6 * y + 0.4 * noise if informative else noise) * scale
    return Evaluation(y, scores, np.sort(rng.integers(0, recordings, n)))


def test_a_record_has_every_field_and_refuses_unknown_ones():
    r = records.record("recall", 0.5, low=0.4, high=0.6, model="m", split="test")
    assert list(r) == list(records.FIELDS) and r["minus"] == "" and r["value"] == 0.5
    with pytest.raises(ValueError, match="unknown record fields"):
        records.record("recall", 0.5, modle="m")
    with pytest.raises(ValueError, match="unknown record fields"):
        records.select([r], splt="test")


def test_one_record_or_a_named_error():
    found = [records.record("recall", 0.5, model=m) for m in ("a", "b", "b")]
    assert records.one(found, model="a")["value"] == 0.5
    with pytest.raises(records.MissingRecord, match="0 records match model='c'"):
        records.one(found, model="c")
    with pytest.raises(records.MissingRecord, match="2 records match"):
        records.one(found, model="b")
    assert records.interval(found[0]) == {"mean": 0.5, "low": None, "high": None}
    table = records.table(
        [records.record(m, 0.5, low=0.4, high=0.6, model="a") for m in ("x", "y")], "model", "metric"
    )
    assert table.loc["a", "x"] == "0.500 [0.400, 0.600]"


def test_the_prior_rule_against_a_model_that_listens_and_one_that_does_not():
    labels = [evaluation(s).y_true for s in range(2)]
    listening = [evaluation(s) for s in range(2)]
    found = evidence.prior_records(labels, listening, model="m", split="validation", head="h")
    gain = records.one(found, minus="label prior top-3", metric="f1_micro")
    assert gain["low"] > 0 and gain["seeds"] == 2 and gain["recordings"] == 6 and gain["segments"] == 300
    prior = records.one(found, head="label prior", metric="predicted_per_frame")
    assert prior["value"] == 3  # the three most frequent, always
    # A model whose scores are the label prior itself is the prior rule.
    constant = evidence.prior_evaluations(labels, listening)
    same = evidence.prior_records(labels, constant, model="m", split="validation", head="h")
    gain = records.one(same, minus="label prior top-3", metric="f1_micro")
    assert gain["value"] == 0 and gain["low"] == 0 and gain["high"] == 0


def test_loss_records_name_the_empty_frames_the_map_gain_and_the_losing_pairs():
    val = {
        "mse": [evaluation(s, scale=0.5) for s in range(2)],  # never reaches 0.6: declares nothing
        "iou_batch": [evaluation(s) for s in range(2)],
        "bce": [evaluation(s, informative=False) for s in range(2)],
    }
    found, losing = evidence.loss_records(val, model="m", split="validation")
    empty = records.one(found, head="mse", metric="empty_frames")
    assert empty["value"] == 1.0 and empty["low"] == 1.0 and empty["rule"] == "threshold 0.6"
    assert records.one(found, head="mse", rule="threshold 0.6, argmax on", metric="predicted_per_frame")[
        "value"
    ] == pytest.approx(1.0)  # only the forced argmax
    # The same scores, scaled: the same ranking, so mAP does not move while recall at 0.6 does.
    assert records.one(found, head="iou_batch", minus="mse", metric="map")["value"] == pytest.approx(0.0)
    pairs = records.one(found, metric="pairs_recall_above")
    assert pairs["high"] == 2 * len(evidence.LOSS_THRESHOLDS) == pairs["value"] + len(losing)
    assert all(p["iou_batch"] <= p["mse"] for p in losing)
    assert losing and all(p["threshold"] in evidence.LOSS_THRESHOLDS for p in losing)
    first = losing[0]
    ev = val["mse"][first["seed"]]
    declared = decisions.threshold(ev.scores, first["threshold"], always_argmax=True)
    assert first["mse"] == pytest.approx((declared & ev.y_true).sum() / ev.y_true.sum())


def test_top_n_records_compare_top_3_with_every_other_n():
    labels = [evaluation(s).y_true for s in range(2)]
    val = [evaluation(s) for s in range(2)]
    found = evidence.top_n_records(labels, val, max_n=4, model="m", split="validation")
    minus = {r["minus"] for r in records.select(found, head="plain", rule="top-3") if r["minus"]}
    assert minus == {"top-1", "top-2", "top-4"}
    assert {r["head"] for r in records.select(found, minus="plain")} == {
        "minus label frequency",
        "minus mean validation output",
    }
    assert records.one(found, metric="chosen_n")["value"] in (1, 2, 3, 4)
    top2 = records.one(found, head="plain", rule="top-2", minus="", metric="predicted_per_frame")
    assert top2["value"] == 2
    # The rule that never listens, beside each N: the N most frequent training instruments, always.
    prior2 = records.one(found, head="label prior", rule="top-2", metric="predicted_per_frame")
    assert (
        prior2["value"] == 2
        and records.one(found, head="label prior", rule="top-2", metric="f1_micro")["low"] >= 0
    )


def test_normalization_is_tested_where_it_can_change_the_decisions():
    labels = [evaluation(s).y_true for s in range(2)]
    val = [evaluation(s) for s in range(2)]
    found, decided = evidence.normalization_records(labels, val, model="m", split="validation")
    assert set(decided) == {
        "top-3",
        "one threshold (micro F1), argmax on",
        "class thresholds (F1), argmax on",
    }
    # Subtracting the label frequency reorders classes: top-3 changes; per-class thresholds absorb it
    # except for the argmax kept on.
    top3 = decided["top-3"]
    assert any((a != b).any() for a, b in zip(top3["plain"], top3["minus label frequency"]))
    gains = records.select(found, minus="plain", metric="f1_micro")
    assert len(gains) == 3 * 2  # three rules, two bias vectors without noise scores


def test_series_and_per_instrument_records_name_their_key_and_counts():
    found = records.series("hours", {"train": 30.0, np.int64(3): 1.5}, "split", claim="data")
    assert [(r["split"], r["value"], r["claim"]) for r in found] == [
        ("train", 30.0, "data"),
        (3, 1.5, "data"),
    ]
    assert type(found[1]["split"]) is int  # numpy keys become plain values a JSON file can hold

    table = pd.DataFrame(
        {
            "mean": [0.5, np.nan],
            "min": [0.4, np.nan],
            "max": [0.6, np.nan],
            "recordings": [3, 0],
            "segments": [40, 0],
        },
        index=pd.Index(["violin", "horn"], name="instrument"),
    )
    each = records.per_instrument(table, 3, model="m")
    assert [(r["instrument"], r["metric"]) for r in each] == [("violin", "f1"), ("horn", "f1")]
    assert each[0]["low"] is None and each[0]["recordings"] == 3 and each[0]["seeds"] == 3
    assert np.isnan(each[1]["value"])  # absent from the split: no F1 (written as null)


def test_differences_are_paired_replicates_named_by_their_minus():
    from instrid.study import uncertainty

    evs = [evaluation(s) for s in range(2)]
    a = uncertainty.replicates(evs, [decisions.top_n(ev.scores, 2) for ev in evs])
    b = uncertainty.replicates(evs, [decisions.top_n(ev.scores, 1) for ev in evs])
    reps, fields = {("m", "top-2"): a, ("m", "top-1"): b}, ("model", "rule")
    found = evidence.keyed_records(reps, fields, ("recall",), names={"m": "model m"}, claim="c")
    assert [(r["model"], r["rule"], r["claim"]) for r in found] == [
        ("model m", "top-2", "c"),
        ("model m", "top-1", "c"),
    ]
    pairs = [(("m", "top-2"), ("m", "top-1"), "top-1")]
    (diff,) = evidence.paired_records(reps, pairs, fields, ("recall",), names={"m": "model m"})
    assert diff["rule"] == "top-2" and diff["minus"] == "top-1"
    assert diff["value"] == pytest.approx(a["recall"].mean - b["recall"].mean)
    low, high = (a["recall"] - b["recall"]).interval()
    assert (diff["low"], diff["high"]) == (pytest.approx(low), pytest.approx(high))
    assert diff["low"] > 0  # top-2 always recalls more than top-1: the paired interval sees it
    named = evidence.named_records(
        {"two": a, "one": b},
        {"two": evs, "one": evs},
        {"two": dict(head="h", rule="top-2"), "one": dict(head="h", rule="top-1")},
        ("recall",),
        minus={"two": "one"},
        claim="c",
    )
    assert records.one(named, rule="top-2", minus="h top-1")["value"] == pytest.approx(diff["value"])
    assert records.one(named, rule="top-1", minus="")["segments"] == 300


def test_curves_and_summaries_become_records_at_their_setting():
    from instrid.study import uncertainty

    evs = [evaluation(s) for s in range(2)]
    curve = uncertainty.curve(evs, lambda t: lambda s: decisions.threshold(s, t), [0.3, 0.6], ("recall",))
    found = records.from_curve(curve.assign(loss="mse"), columns={"loss": "head"}, claim="loss")
    assert [(r["at"], r["head"], r["metric"]) for r in found] == [
        (0.3, "mse", "recall"),
        (0.6, "mse", "recall"),
    ]
    assert found[0]["value"] == pytest.approx(curve["mean"].iloc[0]) and found[0]["low"] <= found[0]["value"]
    summary = uncertainty.summarize(evs, [decisions.top_n(ev.scores, 2) for ev in evs])
    rows = records.from_summary(summary, rule="top-2")
    assert {r["metric"] for r in rows} == set(summary) and all(r["rule"] == "top-2" for r in rows)
    assert records.one(rows, metric="recall")["high"] == pytest.approx(summary["recall"]["high"])
