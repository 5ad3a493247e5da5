"""The one standard by which every claim of the study gets its verdict.

A claim is turned into a quantity whose sign or value it predicts (a
difference between two rules, a share, a published number), measured with a
95% interval (:mod:`instrid.study.uncertainty`: seeds, then recordings). Then:

=================  ===========================================================
verdict            when
=================  ===========================================================
held               the claim's direction, beyond the interval: the whole
                   interval lies on the side the claim predicts
did not hold       the opposite direction, beyond the interval
not shown          the interval admits both
reproduced         a number the claim states lies inside our interval
not reproduced     it lies outside
uninformative      a claim about the model, judged on a model that does not
                   beat the label-prior rule (the training split's most
                   frequent instruments, declared always) beyond its interval:
                   whatever the numbers say, they describe the label prior
not comparable     the claim is about a different task or data (stated why)
=================  ===========================================================

A numerical claim that the label-prior rule also reproduces says so in the
verdict itself (:data:`REPRODUCED_BY_PRIOR`).

Counts of labels have no sampling uncertainty; a claim about them is judged by
how much of the time it is about it is true of, against the report's words:
:data:`QUANTIFIERS`.
"""

from __future__ import annotations

import math

HELD = "held"
NOT_HELD = "did not hold"
NOT_SHOWN = "not shown"
REPRODUCED = "reproduced"
REPRODUCED_BY_PRIOR = "reproduced; a rule that never listens scores the same"
NOT_REPRODUCED = "not reproduced"
UNINFORMATIVE = "uninformative"
NOT_COMPARABLE = "not comparable"
STATUSES = (
    HELD,
    NOT_HELD,
    NOT_SHOWN,
    REPRODUCED,
    REPRODUCED_BY_PRIOR,
    NOT_REPRODUCED,
    UNINFORMATIVE,
    NOT_COMPARABLE,
)

#: What share of the time (or of the instrument-time) a statement about the labels must be true of, by the
#: report's words. "At most" / "always": MusicNet's labels are estimated wrong for about 4% of the notes
#: (Thickstun et al. 2017), so a universal statement about them cannot be judged more finely than 95%.
#: "A large majority": two thirds, more than a bare majority.
QUANTIFIERS = {"always": 0.95, "large majority": 2 / 3}

#: A change of micro F1 smaller than this is negligible (the report's "negligible, if not worse").
NEGLIGIBLE_F1 = 0.01


def _bounds(interval: dict) -> tuple[float, float]:
    low, high = interval.get("low"), interval.get("high")
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"an interval needs finite low and high, got {interval!r}")
    if low > high:
        raise ValueError(f"interval low {low} above high {high}")
    return float(low), float(high)


def direction(interval: dict, claimed: str = "above", bound: float = 0.0) -> str:
    """The verdict on a claim that a quantity lies ``claimed`` (``"above"`` or ``"below"``) ``bound``.

    Parameters
    ----------
    interval : dict
        ``{"low", "high"}`` (and usually ``"mean"``): the quantity's 95% interval,
        e.g. a paired difference ``a - b``.
    claimed : {"above", "below"}
    bound : float

    Returns
    -------
    :data:`HELD` if the whole interval lies on the claimed side of ``bound``
    (strictly), :data:`NOT_HELD` if it lies on the other side, else
    :data:`NOT_SHOWN`.
    """
    if claimed not in ("above", "below"):
        raise ValueError(f"claimed must be 'above' or 'below', not {claimed!r}")
    low, high = _bounds(interval)
    if claimed == "below":
        low, high, bound = -high, -low, -bound
    if low > bound:
        return HELD
    if high < bound:
        return NOT_HELD
    return NOT_SHOWN


def reproduced(interval: dict, published: float, prior: dict | None = None) -> str:
    """The verdict on a published number: :data:`REPRODUCED` if it lies in ``interval`` (ends included).

    With ``prior``, the label-prior rule's interval for the same number on the
    same data: where it reproduces the number too, :data:`REPRODUCED_BY_PRIOR`.
    """
    low, high = _bounds(interval)
    if not low <= published <= high:
        return NOT_REPRODUCED
    if prior is not None:
        p_low, p_high = _bounds(prior)
        if p_low <= published <= p_high:
            return REPRODUCED_BY_PRIOR
    return REPRODUCED


def listens(model_minus_prior: dict) -> bool:
    """Whether a model beats the label-prior rule beyond the interval of their paired difference
    (micro F1 of the model's rule minus the prior's, on the same examples)."""
    return direction(model_minus_prior, "above") == HELD


def about_model(status: str, model_minus_prior: dict | None) -> str:
    """``status`` for a claim about the model, or :data:`UNINFORMATIVE` where the model does not
    :func:`listens`. ``None`` (no prior measured) is a bug in the caller, not a pass."""
    if model_minus_prior is None:
        raise ValueError("a claim about the model needs the model-minus-prior difference")
    return status if listens(model_minus_prior) else UNINFORMATIVE


def share_holds(share: float, quantifier: str) -> str:
    """The verdict on a statement about the labels true of ``share`` of the time it is about."""
    if quantifier not in QUANTIFIERS:
        raise ValueError(f"unknown quantifier {quantifier!r}; known: {', '.join(QUANTIFIERS)}")
    if not 0 <= share <= 1:
        raise ValueError(f"a share lies in [0, 1], not {share}")
    return HELD if share >= QUANTIFIERS[quantifier] else NOT_HELD


def every(statuses) -> str:
    """A claim that each of several comparisons goes its way (e.g. top-3 beats every other N): held if
    every one :data:`HELD`, did not hold if any :data:`NOT_HELD`, else not shown. No comparison is a bug
    in the caller (missing records), not a pass."""
    statuses = list(statuses)
    if not statuses:
        raise ValueError("no comparison to judge (no records selected)")
    if all(s == HELD for s in statuses):
        return HELD
    return NOT_HELD if NOT_HELD in statuses else NOT_SHOWN


def some(statuses) -> str:
    """A claim that at least one of several candidates goes its way (e.g. some mix beats top-3): held if
    any :data:`HELD`, did not hold if every one :data:`NOT_HELD`, else not shown; none is refused."""
    statuses = list(statuses)
    if not statuses:
        raise ValueError("no comparison to judge (no records selected)")
    if HELD in statuses:
        return HELD
    return NOT_HELD if all(s == NOT_HELD for s in statuses) else NOT_SHOWN


def combine(statuses) -> str:
    """One claim measured on several models: the verdict of the informative ones if they agree, else
    :data:`NOT_SHOWN`; :data:`UNINFORMATIVE` when none is informative."""
    informative = [s for s in statuses if s != UNINFORMATIVE]
    if not informative:
        return UNINFORMATIVE
    return informative[0] if len(set(informative)) == 1 else NOT_SHOWN
