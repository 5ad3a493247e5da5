"""Result files, figures and the README's generated results table."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from instrid.data import instruments
from instrid.report import plots
from instrid.study import records  # noqa: E402

CONFIG = {
    "dataset_kind": "synthetic",
    "recordings": 323,
    "per_split": {"train": 20, "validation": 5, "test": 5},
    "model": {
        "front_end": {"name": "report_spectrogram"},
        "weights": "random:seed=0",
        "head": "report_code",
        "batch_norm": "eval",
    },
}


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plots.caption(fig, CONFIG)
    plots.save_figure(fig, "f", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "f.pdf").read_bytes()[
        :4
    ] == b"%PDF"
    pdf = (tmp_path / "f.pdf").read_bytes()
    plots.save_figure(fig, "f", tmp_path)
    assert (tmp_path / "f.pdf").read_bytes() == pdf  # no creation date: a rerun writes the same bytes
    plt.close(fig)


def iv(mean, spread=0.05):
    return {"mean": mean, "low": mean - spread, "high": mean + spread}


def test_panels_draw_on_the_given_axes_and_return_them():
    names = list(instruments.NAMES)
    curves = pd.DataFrame(
        [
            {"loss": loss, "value": t, "metric": m, **iv(t / 2)}
            for loss in ("mse", "iou_batch")
            for t in (0.2, 0.6)
            for m in ("recall", "fp_per_frame")
        ]
    )
    per_inst = pd.DataFrame({"mean": np.linspace(0, 1, 11), "min": 0.0, "max": 1.0}, index=names)
    per_inst.loc["horn", "mean"] = np.nan  # absent from the split: left out
    calls = [
        lambda ax: plots.split_hours(
            ax, pd.Series({"train": 30.0, "test": 1.0}), pd.Series({"train": 300, "test": 10})
        ),
        lambda ax: plots.polyphony(ax, pd.Series({1: 0.5, 2: 0.3, 4: 0.2})),
        lambda ax: plots.ensemble_heatmap(
            ax, pd.DataFrame([[1, 0], [2, 3]], index=["a", "b"], columns=names[:2])
        ),
        lambda ax: plots.label_prior(ax, np.full(11, 1 / 11)),
        lambda ax: plots.threshold_curves(ax, curves, "recall", {"mse": "MSE", "iou_batch": "IoU"}),
        lambda ax: plots.output_shares(ax, noise_records(), "m"),
        lambda ax: plots.top_n_tradeoff(ax, top_n_records(), "m", ["minus label frequency"], max_n=3),
        lambda ax: plots.mixed_tradeoff(ax, top_n_records(), "m", ["class thresholds"], max_n=3),
        lambda ax: plots.interval_rows(
            ax,
            {"rule": {"recall": iv(0.7)}, "prior": {"recall": iv(0.6)}},
            "recall",
            {"rule": "C0", "prior": "C1"},
            0.76,
        ),
        lambda ax: plots.generalization(
            ax, {"both fonts": {"default": {"f1_micro": iv(0.7)}, "OPL3_FM": {"f1_micro": iv(0.4)}}}
        ),
        lambda ax: plots.per_instrument(ax, {"rule": per_inst}),
        lambda ax: plots.declared_alone(
            ax, pd.DataFrame(np.eye(2), index=names[:2], columns=names[:2]), pd.Series([5, 0], names[:2])
        ),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax
        assert ax.lines or ax.patches or ax.collections
        plt.close(fig)
    fig, ax = plt.subplots()
    plots.per_instrument(ax, {"rule": per_inst})
    assert "horn" not in [t.get_text() for t in ax.get_xticklabels()] and len(ax.get_xticklabels()) == 10
    plt.close(fig)
    # A class heard in two recordings or fewer is marked with its count.
    counted = per_inst.assign(recordings=5, few_recordings=False)
    counted.loc["viola", ["recordings", "few_recordings"]] = [2, True]
    fig, ax = plt.subplots()
    plots.per_instrument(ax, {"rule": counted})
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "viola\n(2 rec.)" in labels and "violin" in labels
    plt.close(fig)


def noise_records():
    """Notebook 04's records for model ``m``: the label shares, one probe's mean output per instrument."""
    names = list(instruments.NAMES)
    found = records.series("share", dict(zip(names, np.full(11, 1 / 11))), "instrument", claim="noise")
    found += records.series(
        "mean_output",
        dict(zip(names, np.linspace(0.1, 0.5, 11))),
        "instrument",
        claim="noise",
        model="m",
        rule="probe",
    )
    found += [
        records.record("first_four_share", 0.4, low=0.3, high=0.5, claim="noise", model="m", rule="probe"),
        records.record(
            "first_four_share", 4 / 11, claim="noise", model="m", head="label prior", split="train"
        ),
    ]
    return found


def top_n_records():
    """Notebook 06's records for model ``m``: top-N for three heads, one mixed rule."""
    rules = [
        (head, f"top-{n}", 0.2 * n)
        for head in ("plain", "label prior", "minus label frequency")
        for n in (1, 2, 3)
    ]
    return [
        records.record(
            metric, value, low=value - 0.05, high=value + 0.05, claim="top_n", model="m", head=head, rule=rule
        )
        for head, rule, recall in [*rules, ("plain", "class thresholds", 0.5)]
        for metric, value in (("recall", recall), ("fp_per_frame", 5 * recall - 1))
    ]


def test_the_first_four_row_sits_under_the_training_labels():
    fig, ax = plt.subplots()
    plots.output_shares(ax, noise_records(), "m")
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == ["training labels (first four 36%)", "probe (40% [30, 50])"]
    assert len(ax.texts) == 22  # every cell written, in per cent
    plt.close(fig)


def test_a_zero_f1_is_written_where_no_bar_shows():
    per_inst = pd.DataFrame({"mean": 0.5, "min": 0.4, "max": 0.6}, index=list(instruments.NAMES))
    per_inst.loc["horn", ["mean", "min", "max"]] = 0.0
    fig, ax = plt.subplots()
    plots.per_instrument(ax, {"report's pipeline": per_inst})
    assert [t.get_text() for t in ax.texts] == ["0"]
    assert ax.patches[0].get_facecolor()[:3] == pytest.approx(to_rgb(plots.MODEL_COLORS["report's pipeline"]))
    plt.close(fig)


def test_declared_alone_leaves_out_instruments_never_alone():
    names = list(instruments.NAMES[:3])
    shares = pd.DataFrame([[0.5, 0.25, 0.0], [np.nan] * 3, [0.0, 1.0, 1.0]], index=names, columns=names)
    fig, ax = plt.subplots()
    plots.declared_alone(ax, shares, pd.Series([4, 0, 2], index=names))
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == [f"{names[0]} (n=4)", f"{names[2]} (n=2)"]
    assert sorted(t.get_text() for t in ax.texts) == sorted(["50", "25", "0", "0", "100", "100"])
    plt.close(fig)


def test_tradeoff_sweeps_draws_a_line_per_seed_and_variant():
    sweeps = pd.DataFrame(
        [
            {"variant": v, "seed": s, "value": t, "recall": t, "fp_per_frame": 2 * t}
            for v in ("plain", "minus label frequency")
            for s in (0, 1)
            for t in (0.1, 0.5)
        ]
    )
    fig, ax = plt.subplots()
    plots.tradeoff_sweeps(ax, sweeps, {"plain": {"recall": iv(0.5), "fp_per_frame": iv(1.0)}})
    assert len(ax.lines) >= 4
    plt.close(fig)


def _summary(recall, fp, spread=0.05):
    return {
        "recall": {"mean": recall, "low": recall - spread, "high": recall + spread},
        "fp_per_frame": {"mean": fp, "low": fp - spread, "high": fp + spread},
        "f1_micro": {"mean": 0.4, "low": 0.3, "high": 0.5},
        "map": {"mean": 0.5, "low": 0.4, "high": 0.6},
    }


def test_forest_puts_the_first_row_on_top_one_bar_per_metric():
    fig, ax = plt.subplots()
    rows = {"as implemented": _summary(0.7, 2.0), "clean": _summary(0.6, 2.2)}
    assert plots.forest(ax, rows, ("f1_micro", "map"), zero=True) is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["as implemented", "clean"] and list(ax.get_yticks()) == [1.0, 0.0]
    assert len(ax.containers) == 2 and ax.get_legend() is not None  # one error-bar set per metric
    plt.close(fig)


def test_pareto_draws_points_beyond_the_axis_at_its_edge_with_their_value():
    fig, ax = plt.subplots()
    points = {"near": _summary(0.7, 1.5), "far": _summary(0.9, 7.3)}
    curves = {"top-N": [_summary(0.3, 0.5), _summary(0.6, 1.4)]}
    out = plots.pareto(ax, points, curves, [(0.5, 0.3), (1.5, 0.7)], {"report": (1.66, 0.762)}, xmax=4)
    assert out is ax and ax.get_xlim() == (0, 4)
    assert [t.get_text() for t in ax.texts] == ["7.3"]
    edge = [line for line in ax.lines if line.get_label() == "far"]
    assert len(edge) == 1 and edge[0].get_xdata()[0] == 4 and edge[0].get_marker() == ">"
    labels = ax.get_legend_handles_labels()[1]
    assert "near" in labels and "far" in labels and "Pareto front (means)" in labels
    plt.close(fig)
