"""The verdict standard at its edges: inside, outside and straddling the interval; a model at the prior."""

from __future__ import annotations

import pytest

from instrid.report import verdicts as v


def iv(low, high):
    return {"mean": (low + high) / 2, "low": low, "high": high}


@pytest.mark.parametrize(
    "interval, claimed, bound, expected",
    [
        (iv(0.01, 0.2), "above", 0.0, v.HELD),
        (iv(-0.2, -0.01), "above", 0.0, v.NOT_HELD),
        (iv(-0.1, 0.1), "above", 0.0, v.NOT_SHOWN),
        (iv(0.0, 0.1), "above", 0.0, v.NOT_SHOWN),  # touching the bound is not beyond it
        (iv(-0.1, 0.0), "above", 0.0, v.NOT_SHOWN),
        (iv(-0.2, -0.01), "below", 0.0, v.HELD),
        (iv(0.01, 0.2), "below", 0.0, v.NOT_HELD),
        (iv(-0.5, 0.005), "below", v.NEGLIGIBLE_F1, v.HELD),  # negligible, if not worse
        (iv(0.0, 0.02), "below", v.NEGLIGIBLE_F1, v.NOT_SHOWN),
        (iv(0.02, 0.05), "below", v.NEGLIGIBLE_F1, v.NOT_HELD),
        (iv(0.5, 0.7), "above", 0.6, v.NOT_SHOWN),
    ],
)
def test_direction(interval, claimed, bound, expected):
    assert v.direction(interval, claimed, bound) == expected


def test_direction_refuses_what_is_no_interval():
    with pytest.raises(ValueError, match="above' or 'below"):
        v.direction(iv(0, 1), "more")
    with pytest.raises(ValueError, match="finite low and high"):
        v.direction({"mean": 0.1, "low": None, "high": 0.2})
    with pytest.raises(ValueError, match="finite low and high"):
        v.direction({"low": float("nan"), "high": 0.2})
    with pytest.raises(ValueError, match="above high"):
        v.direction({"low": 0.3, "high": 0.2})


def test_reproduced_inside_outside_and_by_the_prior():
    assert v.reproduced(iv(0.72, 0.79), 0.762) == v.REPRODUCED
    assert v.reproduced(iv(0.72, 0.762), 0.762) == v.REPRODUCED  # the end is inside
    assert v.reproduced(iv(0.45, 0.70), 0.762) == v.NOT_REPRODUCED
    assert v.reproduced(iv(0.72, 0.79), 0.762, prior=iv(0.73, 0.79)) == v.REPRODUCED_BY_PRIOR
    assert v.reproduced(iv(0.72, 0.79), 0.762, prior=iv(0.30, 0.40)) == v.REPRODUCED
    # A number the model misses stays missed, whatever the prior does.
    assert v.reproduced(iv(0.45, 0.70), 0.762, prior=iv(0.73, 0.79)) == v.NOT_REPRODUCED


def test_a_model_at_the_prior_makes_a_claim_about_it_uninformative():
    assert v.listens(iv(0.006, 0.1)) and not v.listens(iv(-0.002, 0.001)) and not v.listens(iv(-0.3, -0.1))
    assert v.about_model(v.HELD, iv(0.006, 0.1)) == v.HELD
    assert v.about_model(v.NOT_HELD, iv(0.006, 0.1)) == v.NOT_HELD
    assert v.about_model(v.HELD, iv(-0.002, -0.0)) == v.UNINFORMATIVE
    assert v.about_model(v.NOT_SHOWN, iv(-0.002, 0.001)) == v.UNINFORMATIVE
    with pytest.raises(ValueError, match="model-minus-prior"):
        v.about_model(v.HELD, None)


def test_label_shares_against_the_reports_words():
    assert v.share_holds(0.951, "always") == v.HELD
    assert v.share_holds(0.95, "always") == v.HELD
    assert v.share_holds(0.949, "always") == v.NOT_HELD
    assert v.share_holds(0.70, "large majority") == v.HELD
    assert v.share_holds(0.60, "large majority") == v.NOT_HELD  # a majority, not a large one
    with pytest.raises(ValueError, match="unknown quantifier"):
        v.share_holds(0.5, "most")
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        v.share_holds(1.2, "always")


def test_one_claim_on_several_models():
    assert v.combine([v.UNINFORMATIVE, v.HELD]) == v.HELD
    assert v.combine([v.HELD, v.HELD]) == v.HELD
    assert v.combine([v.HELD, v.NOT_HELD]) == v.NOT_SHOWN
    assert v.combine([v.UNINFORMATIVE, v.UNINFORMATIVE]) == v.UNINFORMATIVE
    assert set(v.STATUSES) >= {v.HELD, v.NOT_HELD, v.NOT_SHOWN, v.REPRODUCED, v.UNINFORMATIVE}


def test_every_and_some_of_several_comparisons():
    assert v.every([v.HELD, v.HELD]) == v.HELD
    assert v.every([v.HELD, v.NOT_SHOWN]) == v.NOT_SHOWN
    assert v.every([v.HELD, v.NOT_SHOWN, v.NOT_HELD]) == v.NOT_HELD
    assert v.some([v.NOT_SHOWN, v.HELD]) == v.HELD
    assert v.some([v.NOT_HELD, v.NOT_SHOWN]) == v.NOT_SHOWN
    assert v.some([v.NOT_HELD, v.NOT_HELD]) == v.NOT_HELD
    # Nothing to compare is missing records, never a vacuous "held".
    for rule in (v.every, v.some):
        with pytest.raises(ValueError, match="no comparison"):
            rule([])
