"""The protocol audit's configurations and effects (instrid.study.audit, notebook 08)."""

from __future__ import annotations

import numpy as np
import pytest

from instrid.study import audit, uncertainty


def test_configurations_change_one_quirk_at_a_time():
    rows = audit.configurations()
    assert len(rows) == 2 + 2 * len(audit.QUIRKS)
    assert list(rows)[:2] == ["as implemented", "as implemented, no split"]
    implemented, clean = rows["as implemented"], rows["clean"]
    assert implemented == {
        "split_kind": "report_code",
        "batch_norm": "batch",
        "front_end": "report_spectrogram",
        "head": "report_code",
        "inclusive_end": True,
    }
    assert clean == {
        "split_kind": "recordings",
        "batch_norm": "eval",
        "front_end": "log_mel",
        "head": "report_text",
        "inclusive_end": False,
    }
    for quirk, (option, quirky, tidy) in audit.QUIRKS.items():
        removed, added = rows[f"as implemented, no {quirk}"], rows[f"clean + {quirk}"]
        assert {k for k in removed if removed[k] != implemented[k]} == {option} and removed[option] == tidy
        assert {k for k in added if added[k] != clean[k]} == {option} and added[option] == quirky
    assert set(audit.effects()) == {f"{q} {how}" for q in audit.QUIRKS for how in ("removed", "added")}
    assert all(a in rows and b in rows for a, b in audit.effects().values())
    with pytest.raises(ValueError, match="unknown quirks"):
        audit.options(["dropout"])


def _row(recordings, hits):
    """One seed: 4 single-class frames of ``recordings``, the first ``hits`` declared correctly."""
    y = np.ones((4, 1), dtype=bool)
    pred = np.arange(4)[:, None] < hits
    ev = uncertainty.Evaluation(y, pred.astype(float), np.asarray(recordings))
    return [ev], [pred]


def test_effect_pairs_only_rows_tested_on_the_same_recordings():
    same = audit.effect(_row([1, 1, 2, 2], 4), _row([1, 1, 2, 2], 2), metrics=("recall",))
    assert same["paired"] and same["recall"]["mean"] == 0.5
    # Paired draws: a draw of recording 1 alone gains 0, of recording 2 alone 1, of both 0.5.
    assert 0 <= same["recall"]["low"] <= same["recall"]["high"] <= 1
    other = audit.effect(_row([1, 1, 2, 2], 4), _row([3, 3, 4, 4], 2), metrics=("recall",))
    assert not other["paired"] and other["recall"]["mean"] == 0.5


def test_prior_only_declares_the_most_frequent_instruments_everywhere():
    train_targets = [[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]  # frequency 1, 2/3, 1/3, 0
    y = np.array([[0, 0, 0, 1], [1, 0, 0, 0]], dtype=bool)
    ev = uncertainty.Evaluation(y, np.array([[0.9, 0.1, 0.1, 0.8], [0.2, 0.9, 0.1, 0.1]]), np.array([5, 6]))
    constant, declared = audit.prior_only([np.asarray(train_targets, dtype=bool)], [ev], top_n=2)
    assert declared[0].astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]  # the audio's scores ignored
    assert np.allclose(constant[0].scores, [[1, 2 / 3, 1 / 3, 0]] * 2)
    assert (constant[0].y_true == y).all() and constant[0].recordings.tolist() == [5, 6]


def test_row_recipes_put_model_quirks_in_the_recipe_and_the_rest_in_the_protocol():
    from instrid.study import recipes

    rows = audit.row_recipes(audit.configurations(), recipes.REPORT.but(weights=None))
    recipe, protocol = rows[audit.AS_IMPLEMENTED]
    assert protocol == {"split_kind": "report_code", "inclusive_end": True}
    quirky = dict(front_end="report_spectrogram", head="report_code", batch_norm="batch")
    assert recipe.model() == dict(backbone="resnet18", weights=None, **quirky)
    recipe, protocol = rows[audit.CLEAN]
    assert protocol == {"split_kind": "recordings", "inclusive_end": False}
    assert (recipe.front_end, recipe.head, recipe.batch_norm) == ("log_mel", "report_text", "eval")
    # Prepared with these, a row gets exactly the options configurations() lists for it.
    for name, options in audit.configurations().items():
        recipe, protocol = rows[name]
        merged = {"batch_norm": "eval", **recipe.model(), **protocol}
        assert {k: merged[k] for k in options} == options
