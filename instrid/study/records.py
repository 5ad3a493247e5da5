"""Results as flat records a program can select by field.

Every number a notebook saves is one record: which notebook and claim, which
model, protocol, split and decision rule, the setting it was measured ``at``
(a threshold, an N, a polyphony) and the ``instrument`` where it is about one,
which metric, its value and 95% interval, and how many seeds, recordings and
segments stand behind it.
A difference ``a - b`` is the record of ``a`` with ``minus`` naming ``b``.
Verdict rules (:mod:`instrid.report.judges`) find their numbers with :func:`one`,
never by composing key strings.
"""

from __future__ import annotations

import pandas as pd

from instrid.study.uncertainty import format_interval

#: Every record has these fields (``""`` or ``None`` where one does not apply), in this order.
FIELDS = (
    "notebook",
    "claim",
    "model",
    "protocol",
    "trained_on",
    "tested_on",
    "split",
    "head",
    "rule",
    "at",
    "instrument",
    "minus",
    "metric",
    "value",
    "low",
    "high",
    "seeds",
    "recordings",
    "segments",
)
#: Fields that say what a record is (the rest say what it measured).
KEYS = FIELDS[: FIELDS.index("value")]
DEFAULTS = {field: "" for field in KEYS} | {
    "value": None,
    "low": None,
    "high": None,
    "seeds": None,
    "recordings": None,
    "segments": None,
}


class MissingRecord(KeyError):
    """No record, or more than one, matches a selection: the results are incomplete or ambiguous."""

    def __str__(self):
        return str(self.args[0]) if self.args else "missing record"


def record(metric: str, value, *, low=None, high=None, **fields) -> dict:
    """One record: :data:`FIELDS` in order, defaults for those not given; unknown fields are refused."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown record fields {sorted(unknown)}; known: {', '.join(FIELDS)}")
    out = {**DEFAULTS, **fields, "metric": metric, "value": _number(value), "low": _number(low)}
    out["high"] = _number(high)
    return {field: out[field] for field in FIELDS}


def series(metric: str, values, by: str, **fields) -> list[dict]:
    """One record of ``metric`` per item of ``values`` (a mapping or a pandas Series), its key in the field
    ``by``: ``series("hours", {"train": 30.1, "test": 1.2}, "split", claim="data")``."""
    return [record(metric, value, **fields, **{by: _key(key)}) for key, value in dict(values).items()]


def _key(key):
    return key.item() if hasattr(key, "item") else key


def _number(x):
    return None if x is None else float(x)


def from_replicates(replicates: dict, metrics, *, evaluations=None, less=None, **fields) -> list[dict]:
    """Records of :func:`uncertainty.replicates` for ``metrics``; with ``less`` (another rule's
    replicates, paired: same seeds and draws), of the difference ``replicates - less`` (name it ``minus``).

    ``evaluations`` (one per seed) give the counts: seeds, recordings, and the
    segments of one seed.
    """
    counts = _counts(evaluations)
    out = []
    for metric in metrics:
        value = replicates[metric] - less[metric] if less is not None else replicates[metric]
        low, high = value.interval()
        out.append(record(metric, value.mean, low=low, high=high, **counts, **fields))
    return out


def from_summary(summary: dict, **fields) -> list[dict]:
    """Records of :func:`uncertainty.summarize` (``{metric: {"mean", "low", "high", ...}}``)."""
    return [record(m, v["mean"], low=v["low"], high=v["high"], **fields) for m, v in summary.items()]


def from_curve(curve, *, columns=None, **fields) -> list[dict]:
    """Records of a swept rule (:func:`uncertainty.curve`: ``value``, ``metric``, ``mean``, ``low``,
    ``high``): each point's metric ``at`` its value; ``columns`` maps other columns to record fields
    (``{"loss": "head"}``)."""
    columns = columns or {}
    return [
        record(
            row["metric"],
            row["mean"],
            low=row["low"],
            high=row["high"],
            at=_key(row["value"]),
            **fields,
            **{field: row[column] for column, field in columns.items()},
        )
        for _, row in curve.iterrows()
    ]


#: Columns of :func:`uncertainty.per_instrument_scores` kept as records, and their metric names.
PER_INSTRUMENT = {"mean": "f1", "ap": "ap", "chance_ap": "chance_ap"}


def per_instrument(found, seeds: int, **fields) -> list[dict]:
    """Records of a per-instrument table (:func:`uncertainty.per_instrument_f1` or ``_scores``): each
    instrument's seed-mean F1 (and AP, a chance ranking's AP where present), with the recordings and
    segments behind it; no interval (the table's seed range is drawn, not recorded)."""
    return [
        record(
            metric,
            row[column],
            instrument=instrument,
            seeds=seeds,
            recordings=int(row["recordings"]),
            segments=int(row["segments"]),
            **fields,
        )
        for instrument, row in found.iterrows()
        for column, metric in PER_INSTRUMENT.items()
        if column in found.columns
    ]


def _counts(evaluations) -> dict:
    if not evaluations:
        return {}
    return {
        "seeds": len(evaluations),
        "recordings": len({int(r) for ev in evaluations for r in ev.recordings}),
        "segments": len(evaluations[0].y_true),
    }


def select(records, **fields) -> list[dict]:
    """The records whose fields equal every one given."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown record fields {sorted(unknown)}; known: {', '.join(FIELDS)}")
    return [r for r in records if all(r.get(k) == v for k, v in fields.items())]


def one(records, **fields) -> dict:
    """The one record matching ``fields``; :class:`MissingRecord` names the selection otherwise."""
    found = select(records, **fields)
    if len(found) != 1:
        what = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        raise MissingRecord(f"{len(found)} records match {what} (one expected)")
    return found[0]


def interval(rec: dict) -> dict:
    """A record's ``{"mean", "low", "high"}``, as :func:`uncertainty.format_interval` reads it."""
    return {"mean": rec["value"], "low": rec["low"], "high": rec["high"]}


def table(found, index, columns: str, digits: int = 3) -> pd.DataFrame:
    """Records as a table of ``"value [low, high]"`` strings: rows by the field(s) ``index``, a column per
    value of the field ``columns``."""
    index = [index] if isinstance(index, str) else list(index)
    rows = [
        {**{k: r[k] for k in index}, columns: r[columns], "shown": format_interval(interval(r), digits)}
        for r in found
    ]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).pivot(index=index, columns=columns, values="shown")
