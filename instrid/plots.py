"""Figures: one paper-ready look, and one function per panel (each takes an ``ax`` and returns it).

* :func:`use_style`, :func:`caption`, :func:`save_figure` -- the look, the
  configuration line under a figure, PNG (README) and PDF (papers).
* Panels, by notebook: ``00`` :func:`split_hours`, :func:`polyphony`,
  :func:`ensemble_heatmap`, :func:`label_prior`; ``01`` :func:`piano_roll`,
  :func:`segment_lengths`; ``02`` :func:`threshold_curves`; ``03``
  :func:`noise_outputs`; ``04`` :func:`tradeoff_sweeps`; ``05``
  :func:`top_n_curves`, :func:`tradeoff_points`; ``06`` :func:`interval_bars`,
  :func:`per_instrument`; ``07`` :func:`generalization`,
  :func:`declared_alone`; ``08`` :func:`forest`;
  ``09`` :func:`pareto`; ``10`` :func:`candidates`; ``11`` :func:`generalization`.

Where a number has several seeds, a panel shows the seed mean and its 95%
interval over recordings (bands or error bars), as stored in ``results/``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from instrid import claims, instruments
from instrid.files import atomic_path
from instrid.results import describe


def use_style() -> None:
    """Seaborn's paper style with readable fonts, used by every notebook."""
    import seaborn as sns

    sns.set_theme(context="paper", style="whitegrid", font_scale=1.2)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 300,
            "savefig.bbox": "tight",
            "figure.constrained_layout.use": True,
        }
    )


def caption(fig, config: dict, extra: str = "") -> None:
    """Write the configuration line under ``fig``."""
    text = describe(config) + (f"; {extra}" if extra else "")
    fig.text(0.5, -0.01, text, ha="center", va="top", fontsize=7, color="0.35", wrap=True)


def save_figure(fig, name: str, figures_dir) -> None:
    """Save ``fig`` as ``<figures_dir>/<name>.png`` and ``.pdf``, each atomically.

    PDFs carry no creation date, so a rerun writes the same bytes.
    """
    for suffix in (".png", ".pdf"):
        with atomic_path(Path(figures_dir) / f"{name}{suffix}") as tmp:
            fig.savefig(tmp, format=suffix[1:], metadata={"CreationDate": None} if suffix == ".pdf" else None)


METRIC_LABELS = {
    "recall": 'recall ("accuracy")',
    "fp_per_frame": "false positives per frame",
    "precision": "precision",
    "f1_micro": "micro F1",
    "map": "mAP",
}


def _first_four_colors():
    return ["C3" if i < 4 else "C7" for i in range(instruments.N_INSTRUMENTS)]


# ---- 00 · data ------------------------------------------------------------------------------


def split_hours(ax, hours: pd.Series, recordings: pd.Series):
    """Bars of audio hours per split, labelled with the number of recordings."""
    ax.bar(hours.index, hours.values, color="C0")
    for i, (name, h) in enumerate(hours.items()):
        ax.text(i, h, f"{int(recordings[name])} rec.", ha="center", va="bottom")
    ax.set(xlabel="split", ylabel="audio (hours)", title="Recordings per split")
    return ax


def polyphony(ax, share_by_polyphony: pd.Series):
    """Share of sounding time with 1, 2, ... instruments at once, with the report's "at most 3"."""
    ax.bar(share_by_polyphony.index.astype(int), 100 * share_by_polyphony.values, color="C1")
    ax.axvline(claims.MAX_POLYPHONY + 0.5, color="k", ls="--", lw=1)
    ax.text(claims.MAX_POLYPHONY + 0.6, 100 * share_by_polyphony.max() * 0.9, "report: at most 3", va="top")
    ax.set(
        xlabel="instruments sounding at once",
        ylabel="share of sounding time (%)",
        title="Polyphony",
        xticks=share_by_polyphony.index.astype(int),
    )
    return ax


def ensemble_heatmap(ax, by_ensemble: pd.DataFrame):
    """Recordings of each ensemble (rows) in which each instrument (columns) plays."""
    import seaborn as sns

    sns.heatmap(by_ensemble, annot=True, fmt="d", cbar=False, cmap="Blues", ax=ax)
    ax.set(xlabel="instrument", ylabel="ensemble", title="Recordings in which each instrument plays")
    return ax


def label_prior(ax, prior, ylabel: str = "share of instrument-time (%)", title: str | None = None):
    """Each instrument's share of the labels (first four in red) against the uniform 1/11."""
    prior = np.asarray(prior, dtype=np.float64)
    ax.bar(instruments.NAMES, 100 * prior, color=_first_four_colors())
    ax.axhline(100 / instruments.N_INSTRUMENTS, color="k", ls=":", lw=1, label="uniform (1/11)")
    ax.set(
        ylabel=ylabel, title=title or f"Label prior: first four = {100 * prior[:4].sum() / prior.sum():.0f}%"
    )
    ax.tick_params(axis="x", rotation=45)
    ax.legend()
    return ax


# ---- 01 · relabeling ------------------------------------------------------------------------


def piano_roll(roll_ax, strip_ax, notes: pd.DataFrame, segments, t0: int, t1: int, sample_rate: int):
    """Notes of ``[t0, t1)`` as a piano roll with segment boundaries, and the segments' labels below."""
    inside = (notes.end_time > t0) & (notes.start_time < t1)
    shown = (segments.end > t0) & (segments.start < t1)
    playing = [j for j in range(instruments.N_INSTRUMENTS) if segments.instruments[shown, j].any()]
    for row in notes[inside].itertuples():
        j = instruments.index_of([row.instrument])[0]
        roll_ax.add_patch(
            Rectangle(
                (row.start_time / sample_rate, row.note - 0.4),
                (row.end_time - row.start_time) / sample_rate,
                0.8,
                color=f"C{j}",
                alpha=0.8,
            )
        )
    for b in segments.start[shown]:
        roll_ax.axvline(b / sample_rate, color="0.5", lw=0.4)
    pitches = notes.loc[inside, "note"]
    roll_ax.set(
        ylim=(pitches.min() - 2, pitches.max() + 2) if len(pitches) else (40, 80), ylabel="MIDI pitch"
    )
    roll_ax.legend(
        handles=[Rectangle((0, 0), 1, 1, color=f"C{j}") for j in playing],
        labels=[instruments.NAMES[j] for j in playing],
        loc="upper right",
        fontsize=8,
    )
    for k, j in enumerate(playing):
        for s, e, on in zip(segments.start[shown], segments.end[shown], segments.instruments[shown, j]):
            if on:
                strip_ax.add_patch(Rectangle((s / sample_rate, k), (e - s) / sample_rate, 0.9, color=f"C{j}"))
    strip_ax.set(
        xlim=(t0 / sample_rate, t1 / sample_rate),
        ylim=(0, max(1, len(playing))),
        xlabel="time (s)",
        yticks=[],
        ylabel="segment\nlabels",
    )
    return roll_ax, strip_ax


def segment_lengths(ax, length_ms: np.ndarray, crop_ms: float):
    """Histogram of segment lengths (log scale) with the report's crop and the median."""
    bins = np.logspace(np.log10(max(length_ms.min(), 0.02)), np.log10(length_ms.max()), 60)
    ax.hist(length_ms, bins=bins, color="C0")
    ax.axvline(crop_ms, color="C3", ls="--", label=f"report's crop, {crop_ms:.0f} ms")
    ax.axvline(np.median(length_ms), color="k", ls=":", label=f"median, {np.median(length_ms):.0f} ms")
    ax.set(xscale="log", xlabel="segment length (ms)", ylabel="segments", title="Segment lengths")
    ax.legend()
    return ax


# ---- 02 · losses ----------------------------------------------------------------------------


def threshold_curves(ax, curves: pd.DataFrame, metric: str, names: dict):
    """Seed-mean ``metric`` against the threshold, one line per loss, with its 95% band.

    ``curves`` has columns ``loss``, ``value`` (threshold), ``metric``,
    ``mean``, ``low``, ``high`` (:func:`instrid.uncertainty.curve`).
    """
    for i, (loss, label) in enumerate(names.items()):
        part = curves[(curves.loss == loss) & (curves.metric == metric)]
        ax.plot(part.value, part["mean"], marker="o", ms=3, color=f"C{i}", label=label)
        ax.fill_between(part.value, part.low, part.high, color=f"C{i}", alpha=0.15, lw=0)
    return ax


def report_stars(ax, points: dict, colors: dict, label: str = "report"):
    """The report's numbers as black-edged stars: ``{name: (x, y)}``."""
    for name, (x, y) in points.items():
        ax.plot(
            x,
            y,
            marker="*",
            ms=14,
            color=colors.get(name, "k"),
            markeredgecolor="k",
            ls="none",
            label=f"{label}, {name}",
        )
    return ax


# ---- 03 · bias ------------------------------------------------------------------------------


def noise_outputs(ax, mean_outputs: dict, spread: dict | None = None):
    """Mean output per instrument on each probe (grouped bars), dotted at each probe's uniform level.

    ``spread``: probe -> ``(classes, 2)`` min and max over seeds, drawn as error bars.
    """
    import seaborn as sns

    colors = sns.color_palette("viridis", len(mean_outputs))
    width = 0.8 / len(mean_outputs)
    x = np.arange(instruments.N_INSTRUMENTS)
    for i, (name, values) in enumerate(mean_outputs.items()):
        values = np.asarray(values)
        err = None
        if spread and name in spread:
            lo_hi = np.asarray(spread[name])
            err = np.abs(np.vstack([values - lo_hi[:, 0], lo_hi[:, 1] - values]))
        ax.bar(
            x + (i - (len(mean_outputs) - 1) / 2) * width,
            values,
            width,
            yerr=err,
            color=colors[i],
            label=name,
            error_kw={"lw": 0.6},
        )
        ax.axhline(values.mean(), color=colors[i], ls=":", lw=1)
    ax.set_xticks(x, instruments.NAMES, rotation=45)
    ax.set(
        ylabel="mean sigmoid output",
        title="Model output on noise (dotted: the uniform level the report expected)",
    )
    ax.legend(fontsize=7)
    return ax


# ---- 04 · normalization ---------------------------------------------------------------------


def tradeoff_sweeps(ax, sweeps: pd.DataFrame, tuned: dict):
    """Recall against false positives per frame: one thin line per seed and variant, diamonds for the
    class-threshold points (seed mean with 95% error bars)."""
    for i, name in enumerate(dict.fromkeys(sweeps.variant)):
        for seed, part in sweeps[sweeps.variant == name].groupby("seed"):
            part = part.sort_values("fp_per_frame")
            ax.plot(
                part.fp_per_frame,
                part.recall,
                color=f"C{i}",
                lw=1.6 if name == "plain" else 0.9,
                alpha=0.7,
                label=name if seed == sweeps.seed.min() else None,
            )
        if name in tuned:
            r, f = tuned[name]["recall"], tuned[name]["fp_per_frame"]
            ax.errorbar(
                f["mean"],
                r["mean"],
                xerr=[[f["mean"] - f["low"]], [f["high"] - f["mean"]]],
                yerr=[[r["mean"] - r["low"]], [r["high"] - r["mean"]]],
                marker="D",
                ms=7,
                color=f"C{i}",
                markeredgecolor="k",
                capsize=2,
            )
    ax.set(xlabel="false positives per frame", ylabel='recall ("accuracy")')
    return ax


# ---- 05 · top-N ----------------------------------------------------------------------------


def _errorbar(ax, x, summaries: list, metric: str, **style):
    mean = np.array([s[metric]["mean"] for s in summaries])
    err = np.array(
        [[s[metric]["mean"] - s[metric]["low"], s[metric]["high"] - s[metric]["mean"]] for s in summaries]
    ).T
    return ax.errorbar(x, mean, yerr=np.abs(err), capsize=3, **style)


def top_n_curves(ax, by_variant: dict, metrics=("recall", "fp_per_frame")):
    """Recall (solid) and false positives per frame (dashed) against N, one colour per variant, with
    95% error bars; ``by_variant``: variant -> {N (str): summary}."""
    for i, (name, by_n) in enumerate(by_variant.items()):
        ns = sorted(int(n) for n in by_n)
        for metric, style in zip(metrics, ("-o", "--s")):
            _errorbar(
                ax,
                ns,
                [by_n[str(n)] for n in ns],
                metric,
                fmt=style,
                color=f"C{i}",
                ms=4,
                label=f"{name}: {METRIC_LABELS.get(metric, metric)}",
            )
    rn = sorted(claims.TOP_N_VALIDATION)
    ax.plot(rn, [claims.TOP_N_VALIDATION[n][0] for n in rn], "k*", ms=12, label="report: recall")
    ax.plot(rn, [claims.TOP_N_VALIDATION[n][1] for n in rn], "kX", ms=9, label="report: FP per frame")
    ax.set(xlabel="N (classes kept per frame)", ylabel="recall / false positives per frame", xticks=ns)
    ax.legend(fontsize=7)
    return ax


def tradeoff_points(ax, points: dict, connect=(), annotate: bool = True):
    """Recall against false positives per frame for named rules (seed means with 95% error bars).

    ``points``: label -> {rule name: summary}; each label gets one colour, and
    the labels in ``connect`` (an ordered family such as top-N) a line.
    """
    for i, (label, rules) in enumerate(points.items()):
        xs = [s["fp_per_frame"] for s in rules.values()]
        ys = [s["recall"] for s in rules.values()]
        ax.errorbar(
            [x["mean"] for x in xs],
            [y["mean"] for y in ys],
            xerr=np.abs(np.array([[x["mean"] - x["low"], x["high"] - x["mean"]] for x in xs]).T),
            yerr=np.abs(np.array([[y["mean"] - y["low"], y["high"] - y["mean"]] for y in ys]).T),
            fmt="o-" if label in connect else "D",
            color=f"C{i}",
            capsize=2,
            ms=5,
            label=label,
        )
        for name, x, y in zip(rules, xs, ys) if annotate else ():
            ax.annotate(
                str(name), (x["mean"], y["mean"]), textcoords="offset points", xytext=(4, -10), fontsize=7
            )
    ax.set(xlabel="false positives per frame", ylabel='recall ("accuracy")')
    return ax


# ---- 06 · final test -----------------------------------------------------------------------


def interval_bars(ax, rows: dict, metrics=("recall", "fp_per_frame"), reference: dict | None = None):
    """Grouped bars of seed means with 95% error bars, one group per metric, one bar per row; the
    report's numbers as a grey bar first when ``reference`` is given."""
    labels = (["report"] if reference else []) + list(rows)
    width = 0.8 / len(labels)
    for i, label in enumerate(labels):
        x = np.arange(len(metrics)) + (i - (len(labels) - 1) / 2) * width
        if label == "report" and reference:
            bars = ax.bar(x, [reference[m] for m in metrics], width, color="0.35", label=label)
        else:
            s = rows[label]
            mean = [s[m]["mean"] for m in metrics]
            err = np.abs(
                np.array([[s[m]["mean"] - s[m]["low"], s[m]["high"] - s[m]["mean"]] for m in metrics]).T
            )
            bars = ax.bar(x, mean, width, yerr=err, capsize=2, color=f"C{i}", label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.set_xticks(np.arange(len(metrics)), [METRIC_LABELS.get(m, m) for m in metrics])
    ax.legend(fontsize=7)
    return ax


def per_instrument(ax, f1_by_rule: dict):
    """Per-instrument F1 bars: ``f1_by_rule``: rule -> DataFrame with ``mean``, ``min``, ``max`` per
    instrument (seeds); instruments absent from the evaluated split are left out."""
    rules = list(f1_by_rule)
    present = [
        n
        for n in instruments.NAMES
        if all(n in t.index and np.isfinite(t.loc[n, "mean"]) for t in f1_by_rule.values())
    ]
    width = 0.8 / len(rules)
    x = np.arange(len(present))
    for i, rule in enumerate(rules):
        t = f1_by_rule[rule].loc[present]
        err = np.abs(np.vstack([t["mean"] - t["min"], t["max"] - t["mean"]]))
        ax.bar(
            x + (i - (len(rules) - 1) / 2) * width,
            t["mean"],
            width,
            yerr=err,
            capsize=2,
            color=f"C{i + 1}",
            label=rule,
        )
    # A class heard in one or two test recordings is marked: its F1 rests on one or two pieces.
    first = next(iter(f1_by_rule.values()))
    few = first.get("few_recordings")
    labels = [
        f"{n}\n({int(first.loc[n, 'recordings'])} rec.)" if few is not None and few.loc[n] else n
        for n in present
    ]
    ax.set_xticks(x, labels, rotation=45)
    ax.set(ylabel="F1 on test (bars: seed range)")
    ax.legend(fontsize=7)
    return ax


# ---- 07 · generalization across SoundFonts -------------------------------------------------


def generalization(ax, by_training: dict, metric: str = "f1_micro", legend: str = "trained on {}"):
    """Grouped bars: one group per test rendering, one bar per training set (seed mean, 95% error bars).

    ``by_training``: training set (or model) -> {test rendering -> summary}; ``legend`` names a bar.
    """
    names = list(by_training)
    tests = list(next(iter(by_training.values())))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        x = np.arange(len(tests)) + (i - (len(names) - 1) / 2) * width
        s = [by_training[name][t][metric] for t in tests]
        err = np.abs(np.array([[v["mean"] - v["low"], v["high"] - v["mean"]] for v in s]).T)
        bars = ax.bar(
            x, [v["mean"] for v in s], width, yerr=err, capsize=2, color=f"C{i}", label=legend.format(name)
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=2)
    ax.set_xticks(np.arange(len(tests)), tests, rotation=20)
    # Room above 1 for the legend, so that it never covers a bar.
    ax.set(ylabel=METRIC_LABELS.get(metric, metric), ylim=(0, 1.15), yticks=np.linspace(0, 1, 6))
    ax.legend(fontsize=7, loc="upper center", ncol=2)
    return ax


def declared_alone(ax, shares: pd.DataFrame, alone: pd.Series, title: str = ""):
    """Heatmap of :func:`instrid.metrics.declared_when_alone`: rows play alone (n), columns declared (%).

    ``shares`` and ``alone`` are indexed by instrument name; rows without solo frames are left out.
    """
    import seaborn as sns

    rows = alone.index[alone > 0]
    table = 100 * shares.loc[rows]
    table.index = [f"{name} (n={int(alone[name])})" for name in rows]
    sns.heatmap(table, annot=True, fmt=".0f", vmin=0, vmax=100, cmap="rocket_r", cbar=False, ax=ax)
    ax.set(xlabel="declared (% of the solo segments)", ylabel="playing alone", title=title)
    ax.tick_params(axis="x", rotation=45)
    return ax


# ---- 08 · protocol audit ------------------------------------------------------------------


def forest(ax, rows: dict, metrics=("f1_micro", "map"), zero: bool = False):
    """Seed means with 95% intervals as horizontal bars, one line per row (first on top), one colour per
    metric; ``rows``: name -> summary (``{metric: {"mean", "low", "high"}}``). ``zero`` draws a line at
    0 (for differences)."""
    names = list(rows)
    y = np.arange(len(names))[::-1].astype(float)
    offsets = (np.arange(len(metrics)) - (len(metrics) - 1) / 2) * (0.7 / len(metrics))
    for i, (metric, dy) in enumerate(zip(metrics, offsets)):
        s = [rows[n][metric] for n in names]
        mean = np.array([v["mean"] for v in s])
        err = np.abs(np.array([[v["mean"] - v["low"], v["high"] - v["mean"]] for v in s]).T)
        ax.errorbar(
            mean,
            y + dy,
            xerr=err,
            fmt="o",
            ms=4,
            capsize=2,
            color=f"C{i}",
            label=METRIC_LABELS.get(metric, metric),
        )
    if zero:
        ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(metrics))
    return ax


# ---- 10 · the listening backbone -------------------------------------------------------------


def candidates(ax, table: pd.DataFrame, metric: str, listed: str, order_by: str | None = None):
    """One horizontal bar per candidate, the ``listed`` one dark, the label prior dashed.

    ``table`` is indexed by candidate name, with columns ``metric`` and
    ``prior_<metric>``; rows are ordered by ``order_by`` (default ``metric``),
    largest on top, so that panels side by side can share one order.
    """
    ordered = table.sort_values(order_by or metric, kind="stable")
    colors = ["C0" if name == listed else "0.7" for name in ordered.index]
    ax.barh(ordered.index, ordered[metric], color=colors)
    for y, value in enumerate(ordered[metric]):
        ax.text(value, y, f" {value:.3f}", va="center", fontsize=8)
    prior = float(table[f"prior_{metric}"].iloc[0])
    ax.axvline(prior, color="C3", ls="--", lw=1.2)
    ax.text(prior, -0.9, " label prior", color="C3", fontsize=8, va="top")
    ax.set(
        xlabel=f"{METRIC_LABELS.get(metric, metric)} (validation)",
        xlim=(0, 1),
        ylim=(-1.4, len(ordered) - 0.5),
    )
    return ax


# ---- 09 · decision rules -------------------------------------------------------------------


def pareto(ax, points: dict, curves: dict, front: list, marked: dict, xmax: float = 4.0):
    """Recall against false positives per frame for every rule, the Pareto front as a dotted step line.

    ``points``: rule -> summary (seed mean and 95% interval, drawn with error
    bars); ``curves``: family -> list of summaries along its knob (a line);
    ``front``: the ``(fp, recall)`` means on the front; ``marked``: name ->
    ``(fp, recall)`` drawn as stars (the report's operating point). Points with
    more than ``xmax`` false positives per frame are listed in a corner instead.
    """
    for i, (family, summaries) in enumerate(curves.items()):
        ax.plot(
            [s["fp_per_frame"]["mean"] for s in summaries],
            [s["recall"]["mean"] for s in summaries],
            "-",
            marker=".",
            ms=4,
            color=f"C{i}",
            lw=1.2,
            label=family,
        )
    colors = plt.get_cmap("tab20b")(np.linspace(0, 1, max(2, len(points))))
    outside = []
    for j, (name, s) in enumerate(points.items()):
        x, yv = s["fp_per_frame"], s["recall"]
        if x["mean"] > xmax:
            outside.append(f"{name}: FP {x['mean']:.1f}, recall {yv['mean']:.2f}")
            continue
        ax.errorbar(
            x["mean"],
            yv["mean"],
            xerr=[[abs(x["mean"] - x["low"])], [abs(x["high"] - x["mean"])]],
            yerr=[[abs(yv["mean"] - yv["low"])], [abs(yv["high"] - yv["mean"])]],
            fmt="os^vDP<>Xph"[j % 11],
            ms=6,
            capsize=2,
            color=colors[j],
            label=name,
        )
    if front:
        fx, fy = zip(*sorted(front))
        ax.step(fx, fy, where="post", color="k", lw=1, ls=":", label="Pareto front (means)")
    report_stars(ax, marked, {})
    if outside:
        ax.text(
            0.02,
            0.98,
            "beyond the axis:\n" + "\n".join(outside),
            transform=ax.transAxes,
            va="top",
            fontsize=7,
        )
    ax.set(xlabel=METRIC_LABELS["fp_per_frame"], ylabel=METRIC_LABELS["recall"], xlim=(0, xmax))
    return ax


# ---- instrid predict ---------------------------------------------------------------------


def timeline(ax, table: pd.DataFrame):
    """One row per instrument over time: probabilities shaded, declared spans drawn as bars on top.

    ``table`` is :func:`instrid.predict.predict_file`'s: ``start_s``, ``end_s``,
    ``p_<name>`` and ``instruments``. Readable for a 10-minute piece (about
    2,600 windows of 232 ms).
    """
    names = list(instruments.NAMES)
    p = table[[f"p_{n}" for n in names]].to_numpy().T
    end = float(table["end_s"].max())
    image = ax.imshow(
        p,
        aspect="auto",
        origin="lower",
        cmap="Greys",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        extent=(float(table["start_s"].min()), end, -0.5, len(names) - 0.5),
    )
    from instrid.predict import declared

    mask = declared(table)
    for j in range(len(names)):
        on = mask[:, j]
        spans = list(zip(table["start_s"].to_numpy()[on], table["end_s"].to_numpy()[on]))
        ax.broken_barh([(s, e - s) for s, e in spans], (j - 0.18, 0.36), color=f"C{j % 10}")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="time (s)", xlim=(0, end))
    ax.figure.colorbar(image, ax=ax, pad=0.01, label="probability")
    return ax
