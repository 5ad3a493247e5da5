"""The rules that turn a notebook's records into a verdict on a claim or a target (:mod:`.claims`).

Each rule reads the records it needs by field (:func:`instrid.study.records.one`),
never by composing key strings, and returns a :class:`Verdict`: the status by
the study's one standard (:mod:`instrid.report.verdicts`; met or missed for this
study's own targets), the report's number or words, ours with its interval,
and one sentence (at most :data:`MAX_TEXT` characters for the report's claims:
the detail is in the notebook). :data:`RULES` names every rule;
:func:`judge` applies a claim's.
"""

from __future__ import annotations

from dataclasses import dataclass

from instrid.data import instruments
from instrid.report import verdicts
from instrid.report.claims import (
    CHOSEN_TOP_N,
    DEFAULT_TEST,
    FINAL,
    FINAL_TEST,
    GENERALIZATION_TARGETS,
    IMPLIED_TEST_DENSITY,
    LISTENING,
    LISTENING_TARGETS,
    LOSS_AT_THRESHOLD_06,
    MAX_POLYPHONY,
    MAX_SHARED_NOTES,
    MET,
    MET_IN_PART,
    MISSED,
    MIX_FAMILIES,
    NOISE_PROBE,
    NOT_MEASURED,
    NOTE_MODEL,
    NOTE_TARGETS,
    ON_TEST,
    ONE_THRESHOLD,
    REPORT_BIAS_VECTORS,
    REPORT_LOSS,
    REPORT_PIPELINE,
    SAMPLED_FONTS,
    TOP_3,
    TRAINED_BACKBONE,
    Claim,
)
from instrid.study import evidence, records
from instrid.study.uncertainty import format_interval


@dataclass(frozen=True)
class Verdict:
    status: str
    report: str  # the report's number or words
    ours: str  # our number, with its interval where there is one
    text: str  # the verdict in one sentence (at most MAX_TEXT characters for the report's claims)
    number: str = ""  # the one number the verdict rests on, for the README's short table


#: A verdict's sentence for a claim of the report: the detail is in the notebook.
MAX_TEXT = 200


def _iv(value, digits: int = 3) -> str:
    return format_interval(value, digits)


def _change(value: dict, digits: int = 3) -> str:
    """A difference, signed: ``"-0.174 [-0.211, -0.053]"``, ``"+0.020 [+0.010, +0.030]"``."""
    return f"{value['mean']:+.{digits}f} [{value['low']:+.{digits}f}, {value['high']:+.{digits}f}]"


def _seeds(results: dict) -> str:
    seeds = results.get("seeds") or []
    return f"{len(seeds)} seeds" if len(seeds) != 1 else "1 seed"


def _rec(r: dict, **fields) -> dict:
    return records.one(r["records"], **fields)


def _val(r: dict, **fields) -> dict:
    return records.interval(_rec(r, **fields))


def _versus_prior(r: dict, on: dict, split: str = "validation") -> dict:
    """The model's top-3 minus the label prior's top-3 (micro F1), paired, on ``split``."""
    return _val(r, claim="prior", **on, split=split, minus="label prior top-3", metric="f1_micro")


def _gated(status: str, r: dict, on: dict, split: str = "validation") -> tuple[str, str]:
    """``status``, or uninformative where the model is at the label prior; and, then, the sentence that
    says so (it replaces the rule's own)."""
    gain = _versus_prior(r, on, split)
    judged = verdicts.about_model(status, gain)
    if judged == verdicts.UNINFORMATIVE:
        return judged, (
            f"Its top-3 does not beat the label prior's beyond the interval (micro F1 {_iv(gain)}): "
            "these numbers describe the prior, not the audio."
        )
    return judged, ""


def _short(text: str) -> str:
    """The verdict's sentence, refused when longer than :data:`MAX_TEXT` (detail belongs in the notebook)."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"a verdict sentence of {len(text)} characters (at most {MAX_TEXT}): {text}")
    return text


# -- the labels: counts, no sampling uncertainty ------------------------------------------------------


def _polyphony(r: dict, on: dict) -> Verdict:
    most = _rec(r, claim="polyphony", metric="max_polyphony")["value"]
    shares = records.select(r["records"], claim="polyphony", metric="share_of_sounding_time")
    share = sum(rec["value"] for rec in shares if rec["at"] <= MAX_POLYPHONY)
    status = verdicts.share_holds(share, "always")
    return Verdict(
        status,
        "at most 3",
        f"at most 3 during {100 * share:.1f}% of the sounding time; up to {most:.0f} at once",
        _short(
            f"'At most' is judged true of at least {verdicts.QUANTIFIERS['always']:.0%} of the time "
            f"(MusicNet's label error): here {100 * share:.1f}%."
        ),
        number=f"{100 * share:.1f}% of sounding time",
    )


def _first_four(r: dict, on: dict) -> Verdict:
    shares = records.select(r["records"], claim="label_prior", metric="share_of_instrument_time")
    share = sum(rec["value"] for rec in shares if rec["instrument"] in instruments.NAMES[:4])
    return Verdict(
        verdicts.share_holds(share, "large majority"),
        "a large majority",
        f"{100 * share:.1f}% of instrument-time",
        _short(
            f"Violin, viola, cello and piano take {100 * share:.1f}% of all instrument-time; "
            "a large majority "
            f"is judged at two thirds."
        ),
        number=f"{100 * share:.1f}%",
    )


def _relabel(r: dict, on: dict) -> Verdict:
    changed = _rec(r, claim="relabeling", rule="inclusive end", metric="changed_time_share")["value"]
    status = verdicts.share_holds(1 - changed, "always")
    untiled = _rec(r, claim="relabeling", rule="half-open end", metric="untiled_samples")["value"]
    tiles = "instrid's segments tile every recording" if untiled == 0 else "instrid's do not"
    return Verdict(
        status,
        "no overlap, every timestamp labelled",
        f"the report code's rule labels {100 * changed:.1f}% of the time with an instrument that has stopped",
        _short(
            f"The report code's inclusive end carries a note into the next segment: "
            f"{100 * changed:.1f}% of the time is mislabelled; {tiles}."
        ),
        number=f"{100 * changed:.1f}% of the time mislabelled",
    )


# -- claims about the model: judged on each model, uninformative at the label prior -------------------


def _mse_nothing(r: dict, on: dict) -> Verdict:
    sel = dict(claim="loss", **on, split="validation", minus="")
    empty = _val(r, **sel, head="mse", rule=f"threshold {evidence.REPORT_THRESHOLD}", metric="empty_frames")
    bce = records.select(r["records"], **sel, head="bce", metric="empty_frames")
    status = verdicts.direction(empty, "above", verdicts.QUANTIFIERS["always"])
    status, why = _gated(status, r, on)
    beside = f"; BCE {_iv(records.interval(bce[0]), 2)}" if bce else ""
    return Verdict(
        status,
        "always nothing (threshold 0.6)",
        f"MSE declares nothing in {_iv(empty, 2)} of validation frames at 0.6 without the argmax "
        f"rule{beside}",
        _short(
            why
            or f"'Always' is judged as at least {verdicts.QUANTIFIERS['always']:.0%} of frames "
            "empty, beyond "
            "the interval."
        ),
        number=f"{_iv(empty, 2)} of frames empty",
    )


def _iou_beats_mse(r: dict, on: dict) -> Verdict:
    sel = dict(claim="loss", **on, split="validation", head=REPORT_LOSS, minus="mse")
    gain = _val(r, **sel, rule="", metric="map")
    f1 = _val(r, **sel, rule=f"threshold {evidence.REPORT_THRESHOLD}, argmax on", metric="f1_micro")
    pairs = _rec(r, **sel, rule="every threshold, argmax on", metric="pairs_recall_above")
    status, why = _gated(verdicts.direction(gain, "above"), r, on)
    return Verdict(
        status,
        f"recall {LOSS_AT_THRESHOLD_06['iou'][0]:.3f} vs {LOSS_AT_THRESHOLD_06['mse'][0]:.3f} at 0.6",
        f"IoU minus MSE: mAP {_iv(gain)}, micro F1 at 0.6 {_iv(f1)}; recall above MSE's at "
        f"{pairs['value']:.0f} of {pairs['high']:.0f} (seed, threshold) pairs",
        _short(
            why
            or "Judged by mAP, which needs no threshold: recall at one threshold compares heads of "
            "different calibration."
        ),
        number=f"IoU minus MSE mAP {_change(gain)}",
    )


def _iou_fp(r: dict, on: dict) -> Verdict:
    diff = _val(
        r,
        claim="loss",
        **on,
        split="validation",
        head=REPORT_LOSS,
        minus="mse",
        rule=f"threshold {evidence.REPORT_THRESHOLD}, argmax on",
        metric="fp_per_frame",
    )
    status, why = _gated(verdicts.direction(diff, "above"), r, on)
    return Verdict(
        status,
        f"{LOSS_AT_THRESHOLD_06['iou'][1]:.3f} vs {LOSS_AT_THRESHOLD_06['mse'][1]:.3f} at 0.6",
        f"IoU minus MSE: {_iv(diff, 2)} false positives per frame at 0.6",
        _short(why or "At the report's threshold, with its code's argmax rule."),
        number=f"IoU minus MSE {_change(diff, 2)} FP per frame",
    )


def _top3(r: dict, on: dict) -> Verdict:
    sel = dict(claim="top_n", **on, split="validation", head="plain", rule=f"top-{CHOSEN_TOP_N}")
    others = {
        rec["minus"]: records.interval(rec)
        for rec in records.select(r["records"], **sel, metric="f1_micro")
        if rec["minus"]
    }
    each = [verdicts.direction(d, "above") for d in others.values()]
    status = verdicts.every(each)
    status, why = _gated(status, r, on)
    top3 = _val(r, **sel, minus="", metric="f1_micro")
    closest = min(others.items(), key=lambda kv: kv[1]["mean"])
    return Verdict(
        status,
        "N = 3",
        f"top-3 micro F1 {_iv(top3)}; top-3 minus "
        + ", ".join(f"{n} {_iv(d)}" for n, d in sorted(others.items())),
        _short(why or "Held only if top-3's micro F1 beats every other N beyond the interval (validation)."),
        number=f"top-3 minus {closest[0]}: micro F1 {_change(closest[1])}",
    )


def _top_n_plain(r: dict, on: dict) -> Verdict:
    sel = dict(claim="top_n", **on, split="validation", rule=f"top-{CHOSEN_TOP_N}", minus="plain")
    diffs = {
        rec["head"]: records.interval(rec) for rec in records.select(r["records"], **sel, metric="f1_micro")
    }
    each = [verdicts.direction(d, "below") for d in diffs.values()]
    status = verdicts.every(each)
    status, why = _gated(status, r, on)
    largest = max(diffs.items(), key=lambda kv: kv[1]["mean"])
    return Verdict(
        status,
        "no normalization is best",
        "top-3 micro F1, normalized minus plain: " + "; ".join(f"{k} {_iv(d)}" for k, d in diffs.items()),
        _short(why or "Held if every normalization scores below the plain scores beyond the interval."),
        number=f"{largest[0]} minus plain: micro F1 {_change(largest[1])}",
    )


def _normalization(r: dict, on: dict) -> Verdict:
    sel = dict(claim="normalization", **on, split="validation", minus="plain", metric="f1_micro")
    rules = ("top-3", "one threshold (micro F1), argmax on")
    diffs = {
        (rec["rule"], rec["head"]): records.interval(rec)
        for rec in records.select(r["records"], **sel)
        if rec["rule"] in rules and rec["head"] in REPORT_BIAS_VECTORS
    }
    each = [verdicts.direction(d, "below", verdicts.NEGLIGIBLE_F1) for d in diffs.values()]
    status = verdicts.every(each)
    status, why = _gated(status, r, on)
    worst = max(diffs.items(), key=lambda kv: kv[1]["high"])
    per_class = _val(
        r,
        claim="normalization",
        **on,
        split="validation",
        minus="",
        head="plain",
        rule="class thresholds (F1), argmax on",
        metric="fp_per_frame",
    )
    return Verdict(
        status,
        "negligible, if not worse",
        f"{len(diffs)} bias vectors and rules minus plain, micro F1: the largest {worst[0][1]} "
        f"({worst[0][0].split(' (')[0]}) {_change(worst[1])}; the plain scores' class thresholds run at "
        f"{_iv(per_class, 2)} FP per frame",
        _short(
            why
            or f"Held if no gain reaches {verdicts.NEGLIGIBLE_F1} micro F1; the largest possible: "
            f"{worst[0][1]} under {worst[0][0].split(' (')[0]}, up to {worst[1]['high']:+.3f}."
        ),
        number=f"{worst[0][1]} minus plain ({worst[0][0].split(' (')[0]}): micro F1 {_change(worst[1])}",
    )


def _noise_bias(r: dict, on: dict) -> Verdict:
    sel = dict(claim="noise", **on, split="", head=REPORT_LOSS, minus="")
    share = _val(r, **sel, rule=NOISE_PROBE, metric="first_four_share")
    rho = _val(r, **sel, rule=NOISE_PROBE, metric="rank_correlation")
    prior = _rec(
        r, claim="noise", **on, split="train", head="label prior", minus="", metric="first_four_share"
    )
    status, why = _gated(verdicts.direction(share, "above", 4 / 11), r, on)
    return Verdict(
        status,
        "first four favoured",
        f"the report's probe ({NOISE_PROBE}): {_iv(share)} of the output on the first four, "
        f"rho {_iv(rho, 2)}",
        _short(
            why
            or f"Against 4/11 = 36% for a flat output; a calibrated model would output the label prior, "
            f"{100 * prior['value']:.0f}% there."
        ),
        number=f"{_iv(share, 2)} on the first four",
    )


# -- the final test: a number, under two protocols ------------------------------------------------------


def _reproduced(r: dict, on: dict) -> tuple[str, dict, dict]:
    sel = dict(claim="prior", **on, split="test", rule=f"top-{CHOSEN_TOP_N}", minus="")
    model = {m: _val(r, **sel, head=REPORT_LOSS, metric=m) for m in FINAL_TEST}
    prior = {m: _val(r, **sel, head="label prior", metric=m) for m in FINAL_TEST}
    each = [verdicts.reproduced(model[m], FINAL_TEST[m], prior[m]) for m in FINAL_TEST]
    status = (
        verdicts.NOT_REPRODUCED
        if verdicts.NOT_REPRODUCED in each
        else verdicts.REPRODUCED_BY_PRIOR
        if all(s == verdicts.REPRODUCED_BY_PRIOR for s in each)
        else verdicts.REPRODUCED
    )
    return status, model, prior


def _final_numbers(model: dict, prior: dict) -> str:
    return (
        f"recall {_iv(model['recall'])}, FP per frame {_iv(model['fp_per_frame'], 2)}; the label prior "
        f"{_iv(prior['recall'])}, {_iv(prior['fp_per_frame'], 2)}"
    )


def _protocol(r: dict, on: dict) -> Verdict:
    status, model, prior = _reproduced(r, on)
    text = (
        "Under the report code's protocol (shuffled split, inclusive-end labels), the three most frequent "
        "instruments, declared always, score the same: the number measures the labels."
        if status == verdicts.REPRODUCED_BY_PRIOR
        else f"Under the report code's protocol (shuffled split, inclusive-end labels), {on['model']}: "
        f"recall {model['recall']['mean']:.3f} against the prior's {prior['recall']['mean']:.3f}."
    )
    return Verdict(
        status,
        f"recall {FINAL_TEST['recall']:.3f}, {FINAL_TEST['fp_per_frame']:.2f} FP per frame",
        _final_numbers(model, prior),
        _short(text),
        number=f"{_iv(model['recall'])} / {_iv(model['fp_per_frame'], 2)}; label prior "
        f"{prior['recall']['mean']:.3f} / {prior['fp_per_frame']['mean']:.2f}",
    )


def _final(r: dict, on: dict) -> Verdict:
    status, model, prior = _reproduced(r, REPORT_PIPELINE)
    density = _val(
        r,
        claim="prior",
        **REPORT_PIPELINE,
        split="test",
        rule=f"top-{CHOSEN_TOP_N}",
        minus="",
        head=REPORT_LOSS,
        metric="true_per_frame",
    )["mean"]
    return Verdict(
        status,
        f"recall {FINAL_TEST['recall']:.3f}, {FINAL_TEST['fp_per_frame']:.2f} FP per frame",
        _final_numbers(model, prior),
        _short(
            f"On the official split, FP per frame = 3 - recall x {density:.2f} instruments per segment "
            f"(about {IMPLIED_TEST_DENSITY:.2f} in the report's): label density decides it."
        ),
        number=f"{_iv(model['recall'])} / {_iv(model['fp_per_frame'], 2)}",
    )


# -- the report's closing suggestion and its comparison with the literature ------------------------------


def _mixed_rule(r: dict, on: dict) -> Verdict:
    sel = dict(claim="mixed_rule", **on, split="test", minus=f"top-{CHOSEN_TOP_N}", metric="f1_micro")
    found = {rec["head"]: rec for rec in records.select(r["records"], **sel)}
    mixes = {family: rec for family, rec in found.items() if family in MIX_FAMILIES}
    each = [verdicts.direction(records.interval(rec), "above") for rec in mixes.values()]
    status = verdicts.some(each)
    status, why = _gated(status, r, on, split="test")
    best = max(mixes.values(), key=lambda rec: rec["value"])
    return Verdict(
        status,
        "a mix may do better than top-3",
        "; ".join(
            f"{family} (chose {rec['rule']} on validation) minus top-3: micro F1 {_iv(records.interval(rec))}"
            for family, rec in mixes.items()
        ),
        _short(
            why
            or "One rule per family, chosen on validation; held if one beats top-3's micro F1 on test "
            "beyond the interval."
        ),
        number=f"best mix minus top-3: micro F1 {_change(records.interval(best))}",
    )


def _literature(r: dict, on: dict) -> Verdict:
    tuned = dict(claim="literature", instrument="", metric="f1_macro")
    on_test = records.select(r["records"], **tuned, rule=ON_TEST)
    ours = "macro F1 on Hung & Yang's frames, thresholds tuned on test (their protocol): " + ", ".join(
        f"{rec['model']} {rec['value']:.3f}" for rec in on_test
    )
    return Verdict(
        verdicts.NOT_COMPARABLE,
        "between 80% and 85% accuracy (one dominant instrument)",
        ours,
        _short(
            "The cited works name one dominant instrument per excerpt; this task names every instrument per "
            "frame, here on synthetic audio."
        ),
        number="—",
    )


# -- this study's own targets and choices ------------------------------------------------------------


def _candidates(r: dict) -> list[dict]:
    """Notebook 02's candidates from its records, one dict each: ``candidate``, ``window``, ``input_ms``,
    ``map``, ``f1_micro``, ``prior_map`` and ``prior_f1_micro`` (the label prior's)."""
    prior = {
        rec["metric"]: rec["value"]
        for rec in records.select(r["records"], claim="candidates", head="label prior")
    }
    rows = {}
    for rec in records.select(r["records"], claim="candidates", head=""):
        row = rows.setdefault(
            rec["model"], {"candidate": rec["model"], "window": rec["protocol"], "input_ms": rec["at"]}
        )
        row[rec["metric"]] = rec["value"]
    return [{**row, "prior_map": prior["map"], "prior_f1_micro": prior["f1_micro"]} for row in rows.values()]


def _listening_row(r: dict, name: str) -> dict:
    return next(row for row in _candidates(r) if row["candidate"] == name)


def _listening_choice(r: dict, on: dict) -> Verdict:
    chosen, listed = _listening_row(r, r["chosen"]), _listening_row(r, r["listed"])
    same_input = [row for row in _candidates(r) if row["window"] == "segment"]
    ours = f"{chosen['candidate']}: validation mAP {chosen['map']:.3f} (best of {len(same_input)})"
    context = "".join(
        f" With {row['input_ms']:.0f} ms of context ({row['candidate']}): mAP {row['map']:.3f} "
        f"({row['map'] - listed['map']:+.3f}), from sounds outside the example; the study keeps the "
        "report's input."
        for row in _candidates(r)
        if row["window"] != "segment"
    )
    if chosen["candidate"] == listed["candidate"]:
        return Verdict(
            MET,
            "(this study's choice)",
            ours,
            f"The study's listening model has the largest validation mAP on the example alone.{context}",
        )
    return Verdict(
        MISSED,
        "(this study's choice)",
        ours,
        f"The study's listening model, {listed['candidate']}, scores mAP {listed['map']:.3f}: another "
        f"candidate reads the example better on validation, so the study's choice should change.{context}",
    )


def _listening_beats_prior(r: dict, on: dict) -> Verdict:
    row, t = _listening_row(r, r["listed"]), LISTENING_TARGETS
    gain, ratio = row["f1_micro"] - row["prior_f1_micro"], row["map"] / row["prior_map"]
    ours = (
        f"{row['candidate']}: micro F1 {row['f1_micro']:.3f} against the prior's {row['prior_f1_micro']:.3f} "
        f"(+{gain:.3f}), mAP {row['map']:.3f} against {row['prior_map']:.3f} ({ratio:.1f}x)"
    )
    met = gain >= t["min_f1_gain"] and ratio >= t["min_map_ratio"]
    return Verdict(
        MET if met else MISSED,
        "(this study's target)",
        ours,
        "It listens: the model's verdicts judge a model above the label prior."
        if met
        else "Below the target: a model this close to the label prior judges little.",
    )


def _final_row(r: dict, metric: str, minus: str = "", **fields) -> dict:
    return _val(r, **FINAL, **fields, minus=minus, metric=metric)


def _listening_recipe(r: dict, on: dict) -> Verdict:
    t, recipe = LISTENING_TARGETS, {**LISTENING, **TOP_3, "head": REPORT_LOSS}
    prior = {**REPORT_PIPELINE, **TOP_3, "head": "label prior"}
    gain = _final_row(r, "f1_micro", "label prior top-3", **recipe)
    f1, ap = _final_row(r, "f1_micro", **recipe), _final_row(r, "map", **recipe)["mean"]
    prior_f1, prior_ap = _final_row(r, "f1_micro", **prior), _final_row(r, "map", **prior)["mean"]
    ratio = ap / prior_ap
    ours = (
        f"micro F1 {_iv(f1)} against the prior's {_iv(prior_f1)} "
        f"(difference {_iv(gain)}); mAP {ap:.3f} against {prior_ap:.3f} ({ratio:.1f}x)"
    )
    resnet = _final_row(r, "f1_micro", "label prior top-3", **REPORT_PIPELINE, **TOP_3, head=REPORT_LOSS)
    met = gain["low"] >= t["min_f1_gain"] and ratio >= t["min_map_ratio"]
    verdict = (
        "The report's recipe on the listening model beats the label prior by the target"
        if met
        else f"Short of the target (a micro F1 gain of at least {t['min_f1_gain']} at the low end of its "
        f"interval, mAP at least {t['min_map_ratio']:g} times the prior's)"
    )
    return Verdict(
        MET if met else MISSED,
        "(this study's target)",
        ours,
        f"{verdict}. The same recipe on the random ResNet-18: {resnet['mean']:+.3f} micro F1 over the prior.",
    )


def _listening_in_font(r: dict, on: dict) -> Verdict:
    t = LISTENING_TARGETS
    f1, ap = (_final_row(r, m, **LISTENING, **ONE_THRESHOLD) for m in ("f1_micro", "map"))
    met = f1["mean"] >= t["in_font_f1_micro"] and ap["mean"] >= t["in_font_map"]
    corrected = {
        m: _final_row(r, m, model="corrected pipeline", **ONE_THRESHOLD) for m in ("f1_micro", "map")
    }
    return Verdict(
        MET if met else MISSED,
        "(this study's target)",
        f"micro F1 {_iv(f1)}, mAP {_iv(ap)}",
        f"{'Met' if met else 'Missed'}: targets {t['in_font_f1_micro']} and {t['in_font_map']} (seed means). "
        f"The corrected pipeline on the random ResNet-18: micro F1 {corrected['f1_micro']['mean']:.3f}, "
        f"mAP {corrected['map']['mean']:.3f}.",
    )


def unheard_fonts(r: dict) -> list[str]:
    """Notebook 11's held-out fonts that share at most :data:`MAX_SHARED_NOTES` of the test notes' samples
    with a training font (:mod:`instrid.data.font_overlap`): fonts no model heard."""
    return [
        rec["tested_on"].removesuffix(" (held out)")
        for rec in records.select(r["records"], claim="font_overlap", metric="shared_notes")
        if rec["value"] <= MAX_SHARED_NOTES
    ]


#: The models notebook 11 sets side by side on the renderings.
RENDERED_MODELS = ("corrected pipeline", "listening model")


def _rendered(r: dict, model: str, font: str, metric: str = "f1_micro", minus: str = "") -> dict:
    tested_on, minus = ("default", f"{font} (held out)") if minus == "gap" else (f"{font} (held out)", minus)
    return _val(
        r, claim="renderings", model=model, tested_on=tested_on, minus=minus, instrument="", metric=metric
    )


def _shipped_model(r: dict, on: dict) -> Verdict:
    unheard, shipped = unheard_fonts(r), r["shipped_model"]
    if not unheard:
        return Verdict(
            NOT_MEASURED,
            "(this study's choice)",
            "no unheard font rendered",
            f"No held-out font that shares at most {MAX_SHARED_NOTES:.0%} of the test notes with a training "
            f"font was rendered here, so which model generalizes best is not measured; the {shipped} ships.",
        )
    scores = {m: sum(_rendered(r, m, f)["mean"] for f in unheard) / len(unheard) for m in RENDERED_MODELS}
    left_out = r.get("left_out_instruments", {})
    per_font = "; ".join(
        f"{f}: listening minus corrected "
        f"{_iv(_rendered(r, 'listening model', f, minus='corrected pipeline'))}"
        + (
            f", scored without {' and '.join(left_out[f'{f} (held out)'])}, which it lacks"
            if left_out.get(f"{f} (held out)")
            else ""
        )
        for f in unheard
    )
    ours = ", ".join(f"{name} {value:.3f}" for name, value in scores.items()) + f" micro F1 ({per_font})"
    best = max(scores, key=scores.get)
    return Verdict(
        MET if best == shipped else MISSED,
        "(this study's choice)",
        ours,
        f"instrid train ships the {shipped}"
        + (
            ", the one that names the instruments of an unheard font best."
            if best == shipped
            else f", but the {best} names those of an unheard font better."
        ),
    )


def _all_recordings(r: dict, on: dict) -> Verdict:
    def gain(model: str, metric: str) -> dict:
        return _rec(r, claim="prior", model=model, minus="label prior top-3", metric=metric)

    listening, resnet = gain("listening model", "f1_micro"), gain("report's pipeline", "f1_micro")
    heard = records.select(r["records"], claim="per_instrument", model="listening model", metric="f1")
    present = sum(rec["recordings"] > 0 for rec in heard)
    met = verdicts.listens(records.interval(listening))
    return Verdict(
        MET if met else MISSED,
        "(this study's check)",
        f"top-3 minus the label prior's, micro F1: listening model {_change(records.interval(listening))}, "
        f"mAP {_change(records.interval(gain('listening model', 'map')))}; the report's pipeline "
        f"{_change(records.interval(resnet))} ({listening['recordings']} recordings, {present} of "
        f"{len(heard)} instruments heard)",
        f"Over every recording, each scored by a head that never heard it, the listening model "
        f"{'beats' if met else 'does not beat'} a rule that never listens beyond the interval.",
    )


def _shipped_on_sampled_font(r: dict, on: dict) -> Verdict:
    t, model = GENERALIZATION_TARGETS, r["shipped_model"]
    unheard = unheard_fonts(r)
    fonts = [f for f in unheard if f in SAMPLED_FONTS]
    if not fonts:
        return Verdict(
            NOT_MEASURED, "(this study's target)", "no unheard sampled font rendered", "Not measured here."
        )

    def on(font: str, metric: str, minus: str = "") -> dict:
        return _rendered(r, model, font, metric, minus)

    font = fonts[0]
    f1, ap, gap = on(font, "f1_micro"), on(font, "map"), on(font, "f1_micro", minus="gap")
    met = {
        f"micro F1 at least {t['unseen_f1_micro']:.2f}": f1["mean"] >= t["unseen_f1_micro"],
        f"mAP at least {t['unseen_map']:.2f}": ap["mean"] >= t["unseen_map"],
        f"gap at most {t['max_gap_f1_micro']:.2f}": gap["mean"] <= t["max_gap_f1_micro"],
    }
    left = r.get("left_out_instruments", {}).get(f"{font} (held out)", [])
    others = "; ".join(
        f"{f}: micro F1 {_iv(on(f, 'f1_micro'))}, mAP {_iv(on(f, 'map'))}, "
        f"gap {_change(on(f, 'f1_micro', 'gap'))}"
        for f in unheard
        if f != font
    )
    missed = [k for k, ok in met.items() if not ok]
    return Verdict(
        MET if not missed else MET_IN_PART if len(missed) < len(met) else MISSED,
        "(this study's target)",
        f"{model} on {font}: micro F1 {_iv(f1)}, mAP {_iv(ap)}, default test minus {font} {_change(gap)}"
        + (f" (scored without {' and '.join(left)}, which it lacks)" if left else "")
        + (f"; {others}" if others else ""),
        "All three targets met." if not missed else f"Missed: {'; '.join(missed)}.",
    )


#: The pipelines the generalization target judges, by their short names: the better one decides.
GENERALIZING = {"corrected pipeline": "frozen ResNet-18", TRAINED_BACKBONE: "trained backbone"}


def _unseen_scores(r: dict, model: str, font: str | None) -> tuple[dict, dict, dict]:
    """Micro F1 and mAP on ``font`` (held out; None: heads trained on one font, tested on the other), and
    micro F1 in-font minus there."""
    if font is None:
        sel = dict(claim="cross_font", model=model, trained_on="one font", head="", instrument="")
        unseen, own = dict(sel, tested_on="the other font"), dict(sel, tested_on="its own font")
        gap = _val(r, **own, minus="the other font", metric="f1_micro")
    else:
        sel = dict(claim="renderings", model=model, trained_on="both fonts", instrument="")
        unseen = dict(sel, tested_on=f"{font}, varied")
        gap = _val(r, **sel, tested_on="default", minus=f"{font}, varied", metric="f1_micro")
    return _val(r, **unseen, minus="", metric="f1_micro"), _val(r, **unseen, minus="", metric="map"), gap


def _targets_met(f1: dict, ap: dict, gap: dict) -> dict:
    t = GENERALIZATION_TARGETS
    return {
        f"micro F1 at least {t['unseen_f1_micro']:.2f}": f1["mean"] >= t["unseen_f1_micro"],
        f"mAP at least {t['unseen_map']:.2f}": ap["mean"] >= t["unseen_map"],
        f"gap at most {t['max_gap_f1_micro']:.2f}": gap["mean"] <= t["max_gap_f1_micro"],
    }


def _status_of(met: list[dict]) -> str:
    """Met where every target is met on every font, in part where any one is."""
    if all(all(m.values()) for m in met):
        return MET
    return MET_IN_PART if any(any(m.values()) for m in met) else MISSED


def _cross_font(r: dict, on: dict) -> Verdict:
    t = GENERALIZATION_TARGETS
    # A held-out font that plays many test notes with a training font's very samples (data.font_overlap)
    # is not one the models never heard: reported, not judged.
    shared = {
        rec["tested_on"].removesuffix(", varied"): rec["value"]
        for rec in records.select(
            r["records"], claim="font_overlap", metric="shared_notes", trained_on="", instrument=""
        )
    }
    held = r.get("held_out_fonts", [])
    borrowed = [f for f in held if shared.get(f, 0) > MAX_SHARED_NOTES]
    judged = [f for f in held if f not in borrowed] or [None]
    models = [
        m
        for m in GENERALIZING
        if m == on.get("model", m) and records.select(r["records"], claim="renderings", model=m)
    ]
    if judged == [None] and not records.select(r["records"], claim="cross_font"):
        return Verdict(
            NOT_MEASURED,
            "(this study's target)",
            "no unheard held-out font rendered",
            "Every held-out font shares a training font's samples; nothing here measures an unheard timbre.",
        )
    scores = {(m, f): _unseen_scores(r, m, f) for m in models for f in judged}
    met = {key: _targets_met(*s) for key, s in scores.items()}
    status = max(
        (_status_of([met[m, f] for f in judged]) for m in models), key=(MISSED, MET_IN_PART, MET).index
    )

    def where(f):
        return f"on {f}" if f else "between the two training fonts"

    ours = "; ".join(
        f"{GENERALIZING[m]} {where(f)}: micro F1 {_iv(f1)}, mAP {_iv(ap)}, gap {_change(gap)}"
        for (m, f), (f1, ap, gap) in scores.items()
    )
    text = "".join(
        f"{f} not judged: {shared[f]:.0%} of its test notes are a training font's samples. " for f in borrowed
    )
    for f in judged:
        missed = {m: ", ".join(k.split(" at ")[0] for k, ok in met[m, f].items() if not ok) for m in models}
        if len(set(missed.values())) == 1 and len(models) > 1:
            what = next(iter(missed.values()))
            parts = f"both miss {what}" if what else "both meet all three"
        else:
            parts = "; ".join(
                f"{GENERALIZING[m]} {'misses ' + what if what else 'meets all three'}"
                for m, what in missed.items()
            )
        text += f"{where(f)[0].upper()}{where(f)[1:]}: {parts}. "
    return Verdict(
        status,
        f"micro F1 and mAP at least {t['unseen_f1_micro']:.2f} on a font not heard in training, "
        f"gap at most {t['max_gap_f1_micro']:.2f}",
        f"{ours} ({_seeds(r)})",
        text.strip(),
    )


#: Every rule by name, as :attr:`instrid.report.claims.Claim.judged_by` names it.
def _note_instruments(r: dict, on: dict) -> Verdict:
    t = NOTE_TARGETS
    found = records.select(r["records"], claim="note_assignment", metric="mean_f")
    default = records.one(found, tested_on=DEFAULT_TEST)["value"]
    sampled = [rec for rec in found if rec["tested_on"].removesuffix(" (held out)") in SAMPLED_FONTS]
    on_fonts = ", ".join(
        f"{rec['tested_on']} {rec['value']:.3f}" for rec in found if rec["tested_on"] != DEFAULT_TEST
    )
    # Where no sampled font was rendered (a tree without it), its target counts as not met.
    status = _status_of(
        [
            {
                "in timbre": default >= t["true_notes_mean_f"],
                "unheard": bool(sampled)
                and all(rec["value"] >= t["unheard_true_notes_mean_f"] for rec in sampled),
            }
        ]
    )
    return Verdict(
        status,
        "(this study's target)",
        f"mean F {default:.3f} on the default test split" + (f"; {on_fonts}" if on_fonts else ""),
        f"{status.capitalize()}: targets {t['true_notes_mean_f']} in the training timbre and "
        f"{t['unheard_true_notes_mean_f']} on the unheard sampled font"
        + ("" if sampled else " (not rendered in this run)")
        + ".",
        number=f"{default:.3f}",
    )


def _notes_with_instruments(r: dict, on: dict) -> Verdict:
    target = NOTE_TARGETS["notes_with_instruments_f1"]
    fields = dict(claim="notes", model=NOTE_MODEL, tested_on=DEFAULT_TEST, metric="f1")
    with_instrument = records.one(r["records"], at="onset, instrument", **fields)["value"]
    notes_only = records.one(r["records"], at="onset", **fields)["value"]
    status = MET if with_instrument >= target else MISSED
    return Verdict(
        status,
        "(this study's target)",
        f"F1 {with_instrument:.3f} with instruments, {notes_only:.3f} for the notes alone",
        f"{status.capitalize()}: target {target} (onset within 50 ms, pitch and instrument right); the notes "
        f"alone bound it from above.",
        number=f"{with_instrument:.3f}",
    )


RULES = {
    "polyphony": _polyphony,
    "first_four": _first_four,
    "relabel": _relabel,
    "mse_nothing": _mse_nothing,
    "iou_beats_mse": _iou_beats_mse,
    "iou_fp": _iou_fp,
    "top3": _top3,
    "top_n_plain": _top_n_plain,
    "normalization": _normalization,
    "noise_bias": _noise_bias,
    "protocol": _protocol,
    "final": _final,
    "mixed_rule": _mixed_rule,
    "literature": _literature,
    "listening_choice": _listening_choice,
    "listening_beats_prior": _listening_beats_prior,
    "listening_recipe": _listening_recipe,
    "listening_in_font": _listening_in_font,
    "shipped_model": _shipped_model,
    "all_recordings": _all_recordings,
    "shipped_on_sampled_font": _shipped_on_sampled_font,
    "cross_font": _cross_font,
    "note_instruments": _note_instruments,
    "notes_with_instruments": _notes_with_instruments,
}


def judge(claim: Claim, results: dict) -> Verdict:
    """The verdict ``results`` (a notebook's saved numbers) give on ``claim``."""
    return RULES[claim.judged_by](results, claim.selects)
