"""The protocol audit: the report code's five departures from a clean protocol, one at a time.

Notebook ``08_protocol_audit``. The report's code differed from a clean
protocol in five ways, each a switch of :func:`instrid.study.pipeline.prepare`:

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

from instrid.study import decisions, evidence, uncertainty

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
    """:func:`pipeline.prepare` options with exactly ``quirks`` as implemented, the rest clean."""
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


#: The quirks that change the model (the rest change the protocol: which segments, which labels).
MODEL_QUIRKS = ("batch_norm", "front_end", "head")


def row_recipes(rows: dict, recipe) -> dict[str, tuple]:
    """Each row of :func:`configurations` as :meth:`instrid.study.runs.Runs.prepare_many` takes it: ``recipe``
    (a :class:`recipes.Recipe`, the report's) with the row's model quirks, and the row's protocol options."""
    return {
        name: (
            recipe.but(**{k: v for k, v in options.items() if k in MODEL_QUIRKS}),
            {k: v for k, v in options.items() if k not in MODEL_QUIRKS},
        )
        for name, options in rows.items()
    }


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


def prior_only(train_labels, evaluations, top_n: int = 3) -> tuple[list, list]:
    """The rule that never listens (:func:`instrid.study.evidence.prior_evaluations`: each seed's
    ``train_labels`` frequency as every frame's scores) on each seed's evaluation, and its top-``top_n``
    decisions: the ``top_n`` instruments most frequent in training, in every frame."""
    constant = evidence.prior_evaluations(train_labels, evaluations)
    return constant, [decisions.top_n(ev.scores, top_n) for ev in constant]


def conclusions(runs, *, epochs: int = 3, max_n: int = 5, top_n: int = 3, **fields):
    """The report's conclusions about its model measured again on one model's fitted runs (validation).

    ``runs`` (:class:`instrid.study.runs.Runs`) hold heads trained with the report's loss; an MSE head and a
    BCE head are trained beside each (the runs' recipe, its loss replaced). Returns the records of
    :func:`instrid.study.evidence.loss_records`, :func:`~instrid.study.evidence.top_n_records`
    and :func:`~instrid.study.evidence.prior_records` (``fields`` name the model and
    protocol), and the (seed, threshold) pairs where the report's loss recalls
    no more than MSE.
    """
    fitted = {"iou_batch": runs, **{loss: runs.fit(epochs, loss=loss) for loss in ("mse", "bce")}}
    val = {loss: rs.evaluate("validation") for loss, rs in fitted.items()}
    fields = {**fields, "split": "validation"}
    found, losing = evidence.loss_records(val, **fields)
    found += evidence.top_n_records(runs.train_labels, val["iou_batch"], max_n=max_n, top_n=top_n, **fields)
    found += evidence.prior_records(
        runs.train_labels, val["iou_batch"], top_n=top_n, **fields, head="iou_batch"
    )
    return found, losing
