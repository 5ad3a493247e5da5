"""The protocol audit: the report code's five departures from a clean protocol, one at a time.

Notebook ``08_protocol_audit``. The report's code differed from a clean
protocol in five ways, each a switch of :func:`instrid.pipeline.prepare`:

============  ==============================================  ==========================
quirk         as implemented (the report's code)              clean
============  ==============================================  ==========================
split         shuffled 60/20/20 over pooled segments          by recording (committed)
batch_norm    BatchNorm with each batch's statistics          BatchNorm in eval mode
front_end     raw power spectrogram                           log-mel, per-frequency norm.
head          ImageNet's 1000 logits -> Linear(1000, 11)      Linear(512, 11)
labels        inclusive end (rests keep the last instrument)  exclusive end
============  ==============================================  ==========================

:func:`configurations` gives the ablation's rows: the as-implemented
configuration, it with each quirk removed, the clean configuration, and it
with each quirk added. :func:`effect` is the difference between two rows with
its interval: paired over recordings where both rows were tested on the same
recordings, from independent draws where not (the split changes which
recordings are tested). The head's training and the decision rule are the
report's throughout, so the rows differ by protocol only.
"""

from __future__ import annotations

import numpy as np

from instrid import decisions, metrics, pipeline, train, uncertainty

#: quirk -> (pipeline option, value as implemented, clean value)
QUIRKS = {
    "split": ("split_kind", "report_code", "recordings"),
    "batch_norm": ("batch_norm", "batch", "eval"),
    "front_end": ("front_end", "report_spectrogram", "log_mel"),
    "head": ("head", "report_code", "report_text"),
    "labels": ("inclusive_end", True, False),
}
#: Quirk names as the table and figure show them.
QUIRK_LABELS = {
    "split": "leaky split",
    "batch_norm": "batch statistics in BatchNorm",
    "front_end": "raw power spectrogram",
    "head": "1000-logit head",
    "labels": "inclusive-end labels",
}
AS_IMPLEMENTED, CLEAN = "as implemented", "clean"


def options(quirks) -> dict:
    """:func:`instrid.pipeline.prepare` options with exactly ``quirks`` as implemented, the rest clean."""
    unknown = set(quirks) - set(QUIRKS)
    if unknown:
        raise ValueError(f"unknown quirks {sorted(unknown)}; known: {', '.join(QUIRKS)}")
    return {option: (quirky if name in quirks else clean) for name, (option, quirky, clean) in QUIRKS.items()}


def configurations() -> dict[str, dict]:
    """The ablation's rows, in table order: row name -> :func:`options`.

    ``"as implemented"``, then ``"as implemented, no <quirk>"`` for each quirk
    (that quirk made clean), then ``"clean"`` and ``"clean + <quirk>"``.
    """
    every = list(QUIRKS)
    rows = {AS_IMPLEMENTED: options(every)}
    rows.update({f"{AS_IMPLEMENTED}, no {q}": options([o for o in every if o != q]) for q in every})
    rows[CLEAN] = options([])
    rows.update({f"{CLEAN} + {q}": options([q]) for q in every})
    return rows


def effects() -> dict[str, tuple[str, str]]:
    """For each quirk, the two row pairs that measure it: ``(row, reference)``, row minus reference.

    ``"<quirk> removed"``: as implemented without the quirk minus as implemented
    (what cleaning it gains); ``"<quirk> added"``: clean plus the quirk minus
    clean (what it costs on its own).
    """
    out = {}
    for q in QUIRKS:
        out[f"{q} removed"] = (f"{AS_IMPLEMENTED}, no {q}", AS_IMPLEMENTED)
        out[f"{q} added"] = (f"{CLEAN} + {q}", CLEAN)
    return out


def effect(a, b, metrics=("recall", "fp_per_frame", "precision", "f1_micro", "map")) -> dict:
    """``a - b`` for two rows, each ``(evaluations, predictions)`` over the same seeds.

    When both rows were tested on the same recordings the bootstrap draws are
    shared (a paired interval); otherwise ``b`` is drawn independently, so the
    interval is that of a difference of two independent estimates.
    """
    (eval_a, pred_a), (eval_b, pred_b) = a, b
    tested = [{int(r) for ev in evs for r in ev.recordings} for evs in (eval_a, eval_b)]
    reps_a = uncertainty.replicates(eval_a, pred_a, with_map="map" in metrics)
    reps_b = uncertainty.replicates(
        eval_b, pred_b, with_map="map" in metrics, seed=0 if tested[0] == tested[1] else 1
    )
    return {**uncertainty.difference(reps_a, reps_b, metrics), "paired": tested[0] == tested[1]}


def prior_only(runs, evaluations, top_n: int = 3) -> tuple[list, list]:
    """The rule that never listens: each seed's training label frequency as every frame's scores.

    Returns evaluations whose scores are that constant (so their mAP is chance:
    each class's AP is its prevalence) and their top-``top_n`` decisions (the
    ``top_n`` instruments most frequent in training, declared in every frame).
    A row whose numbers match these owes them to the label distribution, not
    to the audio.
    """
    constant = [
        uncertainty.Evaluation(
            ev.y_true,
            np.broadcast_to(decisions.label_frequency(P.split("train")[1]), ev.scores.shape).copy(),
            ev.recordings,
        )
        for P, ev in zip(runs, evaluations)
    ]
    return constant, [decisions.top_n(ev.scores, top_n) for ev in constant]


#: Thresholds of the loss comparison (notebook 02's grid) and the report's threshold.
LOSS_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
REPORT_THRESHOLD = 0.6


def conclusions(
    runs, report_heads, *, epochs: int = 3, max_n: int = 5, top_n: int = 3, always_argmax: bool = True
) -> dict:
    """The report's conclusions measured again on one row's runs (validation), as notebooks 02 and 05 do.

    ``report_heads`` are the row's heads trained with the report's loss; an MSE
    head is trained beside each. Returns ``{"loss": ..., "top_n": ...}`` with
    the keys :mod:`instrid.report`'s judges read: MSE against the IoU-like loss
    at every threshold (argmax always on, as the report's code), and top-N
    with and without the report's normalizations, N chosen by the study's
    criterion (:func:`instrid.uncertainty.choose_top_n`).
    """
    seeds = [P.seed for P in runs]
    mse_heads = [
        pipeline.fit_head(P, train.TrainConfig(loss="mse", epochs=epochs, seed=P.seed)).head for P in runs
    ]
    val = {
        loss: [pipeline.evaluate(P, h, "validation") for P, h in zip(runs, heads)]
        for loss, heads in (("mse", mse_heads), ("iou_batch", report_heads))
    }

    def at(t):
        return lambda s: decisions.threshold(s, t, always_argmax=always_argmax)

    reps = {
        loss: uncertainty.replicates(ev, uncertainty.apply(ev, at(REPORT_THRESHOLD)))
        for loss, ev in val.items()
    }
    recall = {
        loss: np.array([[metrics.recall(e.y_true, at(t)(e.scores)) for e in ev] for t in LOSS_THRESHOLDS])
        for loss, ev in val.items()
    }
    above = recall["iou_batch"] > recall["mse"]
    loss = {
        "seeds": seeds,
        "at_threshold_06": {k: {m: x.to_dict() for m, x in r.items()} for k, r in reps.items()},
        "iou_minus_mse_at_06": uncertainty.difference(reps["iou_batch"], reps["mse"]),
        "iou_recall_above_mse": {"held": int(above.sum()), "of": int(above.size)},
        "collapse": {
            "mse": {
                "empty_frames_at_0.5": uncertainty.seed_stats(
                    [(~decisions.threshold(e.scores, 0.5).any(axis=1)).mean() for e in val["mse"]]
                )
            }
        },
    }
    report_val = val["iou_batch"]
    variants = [
        decisions.normalizations(ev.scores, decisions.label_frequency(P.split("train")[1]))
        for P, ev in zip(runs, report_val)
    ]
    by_n = {
        name: {
            n: uncertainty.replicates(report_val, [decisions.top_n(v[name], n) for v in variants])
            for n in range(1, max_n + 1)
        }
        for name in variants[0]
    }
    chosen_n, f1_by_n = uncertainty.choose_top_n(report_val, max_n)
    top = {
        "seeds": seeds,
        "plain": {str(n): {m: x.to_dict() for m, x in r.items()} for n, r in by_n["plain"].items()},
        "chosen_n": chosen_n,
        "chosen_n_rule": "largest seed-mean micro F1 on validation, no normalization",
        "f1_by_n": dict(zip(map(str, range(1, max_n + 1)), f1_by_n)),
        "top3_minus_chosen": uncertainty.difference(by_n["plain"][top_n], by_n["plain"][chosen_n]),
        "normalized_minus_plain_at_3": {
            name: uncertainty.difference(r[top_n], by_n["plain"][top_n])
            for name, r in by_n.items()
            if name != "plain"
        },
    }
    return {"loss": loss, "top_n": top}
