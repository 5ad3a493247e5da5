"""Figures: one paper-ready look, and one function per panel (each takes an ``ax`` and returns it).

* :func:`use_style`, :func:`figure`, :func:`caption`, :func:`save_figure` -- the look at print width,
  a short caption (the configuration in the files' metadata), PNG (README) and PDF (papers); one palette
  (:data:`MODEL_COLORS`, :data:`METRIC_COLORS`, :data:`LOSS_COLORS`) for the whole study.
* Panels, by notebook: ``00`` :func:`split_hours`, :func:`polyphony`,
  :func:`ensemble_heatmap`, :func:`label_prior`; ``01`` :func:`piano_roll`,
  :func:`segment_lengths`; ``02`` :func:`candidates`; ``03`` :func:`threshold_curves`; ``04``
  :func:`output_shares`; ``05`` :func:`tradeoff_sweeps`; ``06``
  :func:`top_n_tradeoff`, :func:`mixed_tradeoff`; ``07`` :func:`interval_rows`,
  :func:`per_instrument`; ``08`` :func:`forest`; ``09`` :func:`pareto`; ``10`` and ``11``
  :func:`generalization`; ``11`` :func:`timeline`; ``14`` :func:`declared_alone`;
  ``15`` :func:`note_roll` (also ``instrid transcribe``'s),
  :func:`scores_by_instrument`.

Where a number has several seeds, a panel shows the seed mean and its 95%
interval over recordings (bands or error bars), as stored in ``results/``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from instrid.data import instruments
from instrid.files import atomic_path
from instrid.report import claims
from instrid.report.results import describe
from instrid.study import decisions, records

#: A paper's text width (inches): every figure is drawn at it, so 8-9 pt text stays 8-9 pt in print.
WIDTH = 7.0

#: One colour per pipeline across the study (Okabe & Ito's colour-blind-safe set), the report's own numbers
#: black, a rule that never listens grey.
MODEL_COLORS = {
    "report's pipeline": "#D55E00",
    "corrected pipeline": "#009E73",
    "listening model": "#0072B2",
    claims.TRAINED_BACKBONE: "#CC79A7",
    "label prior": "0.6",
    "report": "0.1",
}
#: One colour per metric across the study (Tol's muted set, apart from the pipelines').
METRIC_COLORS = {
    "recall": "#332288",
    "fp_per_frame": "#CC6677",
    "precision": "#44AA99",
    "f1_micro": "#882255",
    "f1": "#882255",
    "map": "#999933",
}
#: One colour per loss (notebook 03): the report's IoU-like loss as its pipeline.
LOSS_COLORS = {"mse": "#56B4E9", "iou_batch": "#D55E00", "iou_frame": "#E69F00", "bce": "#009E73"}
#: What the error bars and bands of every figure show, unless its caption says otherwise.
UNCERTAINTY = "seed mean, 95% interval over seeds and recordings"


def use_style() -> None:
    """Seaborn's paper style at print size (8 pt ticks and legends, 9 pt labels), used by every notebook."""
    import seaborn as sns

    sns.set_theme(context="paper", style="whitegrid")
    plt.rcParams.update(
        {
            "font.size": 9,
            "axes.titlesize": 9,
            "axes.labelsize": 9,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "legend.fontsize": 8,
            "legend.title_fontsize": 8,
            "figure.dpi": 110,
            "savefig.dpi": 300,
            "savefig.bbox": "tight",
            "figure.constrained_layout.use": True,
        }
    )


def figure(nrows: int = 1, ncols: int = 1, height: float = 2.8, **options):
    """``plt.subplots`` at the paper's width (:data:`WIDTH`), ``height`` inches tall."""
    return plt.subplots(nrows, ncols, figsize=(WIDTH, height), **options)


def caption(fig, config: dict, text: str = "") -> None:
    """A short caption under ``fig``; the full configuration goes into the saved files' metadata."""
    fig.instrid_config = describe(config)
    if text:
        fig.supxlabel(text, fontsize=8, color="0.3", wrap=True)


def save_figure(fig, name: str, figures_dir) -> None:
    """Save ``fig`` as ``<figures_dir>/<name>.png`` and ``.pdf``, each atomically, the configuration of
    :func:`caption` in their metadata.

    PDFs carry no creation date, so a rerun writes the same bytes.
    """
    config = getattr(fig, "instrid_config", "")
    metadata = {
        ".png": {"Description": config, "Software": None},
        ".pdf": {"Subject": config, "CreationDate": None},
    }
    for suffix in (".png", ".pdf"):
        with atomic_path(Path(figures_dir) / f"{name}{suffix}") as tmp:
            fig.savefig(tmp, format=suffix[1:], metadata=metadata[suffix])


def save_png(fig, path, *, dpi: int = 120) -> None:
    """Save ``fig`` as a PNG at ``path`` atomically and close it (the commands' pictures of one file)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


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
    ax.set(xlabel="split", ylabel="audio (hours)", title="Hours of audio per split (recordings on top)")
    return ax


def polyphony(ax, share_by_polyphony: pd.Series):
    """Share of sounding time with 1, 2, ... instruments at once, with the report's "at most 3"."""
    ax.bar(share_by_polyphony.index.astype(int), 100 * share_by_polyphony.values, color="C1")
    ax.set_yscale("log")  # 6 to 8 instruments at once are rare: a log axis shows them
    ax.axvline(claims.MAX_POLYPHONY + 0.5, color="k", ls="--", lw=1)
    ax.text(claims.MAX_POLYPHONY + 0.6, 100 * share_by_polyphony.max() * 0.9, "report: at most 3", va="top")
    ax.set(
        xlabel="instruments sounding at once",
        ylabel="share of sounding time (%, log)",
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


def instrument_color(j: int):
    """The colour of instrument ``j`` (study order): matplotlib's ten in order, as every panel uses them,
    and dark grey for the eleventh (contrabass), which the ten would give violin's blue."""
    return f"C{j}" if j < 10 else "0.25"


def note_roll(ax, notes: pd.DataFrame, *, start_s: float = 0.0, end_s: float | None = None, legend=True):
    """Notes of ``[start_s, end_s)`` as a piano roll, one colour per instrument (as in :func:`piano_roll`).

    ``notes``: ``onset_s``, ``offset_s``, ``pitch`` (MIDI) and ``instrument`` (a name, or a MusicNet code).
    """
    end_s = float(notes["offset_s"].to_numpy().max(initial=start_s + 1.0)) if end_s is None else end_s
    inside = notes[(notes["offset_s"] > start_s) & (notes["onset_s"] < end_s)]
    kinds = inside["instrument"].to_numpy()
    index = (
        np.array([instruments.NAMES.index(k) for k in kinds], dtype=np.int64)
        if len(kinds) and isinstance(kinds[0], str)
        else instruments.index_of(kinds.astype(np.int64))
    )
    playing = sorted(set(index.tolist()))
    for j in playing:
        mine = inside[index == j]
        for pitch, rows in mine.groupby("pitch"):
            ax.broken_barh(
                list(zip(rows["onset_s"], rows["offset_s"] - rows["onset_s"])),
                (pitch - 0.4, 0.8),
                color=instrument_color(j),
                alpha=0.85,
            )
    pitches = inside["pitch"]
    ax.set(
        xlim=(start_s, end_s),
        ylim=(pitches.min() - 2, pitches.max() + 2) if len(pitches) else (40, 80),
        xlabel="time (s)",
        ylabel="MIDI pitch",
    )
    if legend and playing:
        ax.legend(
            handles=[Rectangle((0, 0), 1, 1, color=instrument_color(j)) for j in playing],
            labels=[instruments.NAMES[j] for j in playing],
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
        )
    return ax


def scores_by_instrument(ax, scores: pd.DataFrame, *, metric: str = "F", target: float | None = None):
    """Grouped bars: one group per instrument (rows of ``scores``), one bar per column (a test tree, in
    greys from dark to light, apart from the instruments' colours), with a dashed line at ``target``."""
    columns = list(scores.columns)
    width = 0.8 / max(1, len(columns))
    x = np.arange(len(scores))
    greys = np.linspace(0.15, 0.8, max(2, len(columns)))
    for k, column in enumerate(columns):
        offset = (k - (len(columns) - 1) / 2) * width
        ax.bar(x + offset, scores[column].to_numpy(), width, label=column, color=str(round(greys[k], 2)))
    if target is not None:
        ax.axhline(target, color="0.3", ls="--", lw=0.8, label=f"target {target:g}")
    ax.set_xticks(x, list(scores.index), rotation=30, ha="right")
    ax.set(ylim=(0, 1), ylabel=metric)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def segment_lengths(ax, length_ms: np.ndarray, crop_ms: float):
    """Share of segments by length (log axis) with the report's crop, the share shorter than it (tiled to
    the crop) and the median."""
    bins = np.logspace(np.log10(max(length_ms.min(), 0.02)), np.log10(length_ms.max()), 60)
    weights = np.full(len(length_ms), 100 / len(length_ms))
    ax.hist(length_ms, bins=bins, weights=weights, color="0.45")
    short = 100 * float((length_ms < crop_ms).mean())
    ax.axvline(
        crop_ms, color="k", ls="--", label=f"report's crop, {crop_ms:.0f} ms ({short:.0f}% shorter: tiled)"
    )
    ax.axvline(np.median(length_ms), color="k", ls=":", label=f"median, {np.median(length_ms):.0f} ms")
    ax.set(
        xscale="log", xlabel="segment length (ms)", ylabel="share of segments (%)", title="Segment lengths"
    )
    ax.legend()
    return ax


# ---- 02 · losses ----------------------------------------------------------------------------


def threshold_curves(ax, curves: pd.DataFrame, metric: str, names: dict):
    """Seed-mean ``metric`` against the threshold, one line per loss, with its 95% band.

    ``curves`` has columns ``loss``, ``value`` (threshold), ``metric``,
    ``mean``, ``low``, ``high`` (:func:`instrid.study.uncertainty.curve`).
    """
    for loss, label in names.items():
        part = curves[(curves.loss == loss) & (curves.metric == metric)]
        color = LOSS_COLORS.get(loss, "k")
        ax.plot(part.value, part["mean"], marker="o", ms=3, color=color, label=label)
        ax.fill_between(part.value, part.low, part.high, color=color, alpha=0.15, lw=0)
    return ax


def threshold_tradeoff(ax, curves: pd.DataFrame, names: dict):
    """Recall against false positives per frame along the threshold, one line per loss: heads calibrated
    differently compared at equal false positives rather than at equal thresholds."""
    for loss, label in names.items():
        part = curves[curves.loss == loss].pivot(index="value", columns="metric", values="mean")
        ax.plot(
            part["fp_per_frame"],
            part["recall"],
            marker="o",
            ms=3,
            color=LOSS_COLORS.get(loss, "k"),
            label=label,
        )
    ax.set(xlabel=METRIC_LABELS["fp_per_frame"], ylabel=METRIC_LABELS["recall"])
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


def output_shares(ax, found: list, model: str):
    """Where a model's output goes on inputs that hold no instrument (notebook 04's records): for each probe,
    each instrument's share of the mean output (%), under the training labels' shares (top row: what a
    calibrated model outputs when it learns nothing from its input); each row names the first four's share
    (probes: seed mean and 95% interval over seeds)."""
    import seaborn as sns

    names = list(instruments.NAMES)
    shares = {r["instrument"]: r["value"] for r in records.select(found, claim="noise", metric="share")}
    prior = records.one(found, claim="noise", model=model, head="label prior", metric="first_four_share")
    rows = {f"training labels (first four {100 * prior['value']:.0f}%)": [shares[n] for n in names]}
    outputs = records.select(found, claim="noise", model=model, metric="mean_output")
    for probe in dict.fromkeys(r["rule"] for r in outputs):
        mean = {r["instrument"]: r["value"] for r in outputs if r["rule"] == probe}
        first = records.one(found, claim="noise", model=model, rule=probe, metric="first_four_share")
        label = f"{probe} ({100 * first['value']:.0f}% [{100 * first['low']:.0f}, {100 * first['high']:.0f}])"
        rows[label] = [mean[n] / sum(mean.values()) for n in names]
    table = 100 * pd.DataFrame(rows, index=names).T
    sns.heatmap(table, annot=True, fmt=".0f", vmin=0, vmax=60, cmap="rocket_r", cbar=False, ax=ax)
    ax.axhline(1, color="w", lw=3)
    ax.set(xlabel="", ylabel="")
    ax.tick_params(axis="x", rotation=45)
    ax.tick_params(axis="y", rotation=0)
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


def _tradeoff_line(ax, points: list, **style):
    """Recall against false positives per frame, with 95% error bars both ways; ``points``: records pairs
    ``(recall, fp_per_frame)``."""
    recall = [records.interval(r) for r, _ in points]
    fp = [records.interval(f) for _, f in points]
    return ax.errorbar(
        [f["mean"] for f in fp],
        [r["mean"] for r in recall],
        xerr=np.abs(np.array([[f["mean"] - f["low"], f["high"] - f["mean"]] for f in fp]).T),
        yerr=np.abs(np.array([[r["mean"] - r["low"], r["high"] - r["mean"]] for r in recall]).T),
        capsize=2,
        ms=4,
        **style,
    )


def _pair(found: list, **fields) -> tuple[dict, dict]:
    return tuple(records.one(found, **fields, metric=m) for m in ("recall", "fp_per_frame"))


def top_n_tradeoff(ax, found: list, model: str, normalizations=(), max_n: int = 5):
    """Top-N for N = 1..``max_n`` (notebook 06's records, validation) as recall against false positives
    per frame: the plain scores, each normalization (dashed), the label prior's top-N (grey: a rule that
    never listens) and the report's top-N (black stars)."""
    base = dict(claim="top_n", model=model, minus="")
    # The label prior dashed over the plain scores: where the two coincide, both stay visible.
    series = {"plain": ("-o", MODEL_COLORS.get(model, "k")), "label prior": ("--x", "0.3")}
    series |= {name: (f"--{m}", MODEL_COLORS.get(model, "k")) for name, m in zip(normalizations, "sv^")}
    for head, (fmt, color) in series.items():
        points = [_pair(found, **base, head=head, rule=f"top-{n}") for n in range(1, max_n + 1)]
        label = {"plain": f"{model}, top-N", "label prior": "label prior, top-N"}.get(head, f"{head}, top-N")
        _tradeoff_line(ax, points, fmt=fmt, color=color, label=label, alpha=0.6 if fmt[:2] == "--" else 1)
        if head == "plain":
            for n, (r, f) in enumerate(points, start=1):
                ax.annotate(f"N={n}", (f["value"], r["value"]), xytext=(4, -10), textcoords="offset points")
    report = claims.TOP_N_VALIDATION
    ax.plot(
        [v[1] for v in report.values()], [v[0] for v in report.values()], "k*", ms=9, label="report, top-N"
    )
    ax.set(xlabel="false positives per frame", ylabel='recall ("accuracy")')
    return ax


#: Markers for the rules notebook 06 mixes (top-N with class thresholds), one per rule.
MIX_MARKERS = "DPXv^<>"


def mixed_tradeoff(ax, found: list, model: str, mixes: list, max_n: int = 5):
    """Rules mixing top-N with class thresholds (notebook 06's records) against plain top-N: one marker
    per rule, named in the legend."""
    base = dict(claim="top_n", model=model, minus="", head="plain")
    points = [_pair(found, **base, rule=f"top-{n}") for n in range(1, max_n + 1)]
    _tradeoff_line(ax, points, fmt="-o", color=MODEL_COLORS.get(model, "k"), label="top-N", alpha=0.5)
    for name, marker in zip(mixes, MIX_MARKERS):
        _tradeoff_line(ax, [_pair(found, **base, rule=name)], fmt=marker, color="0.15", mfc="w", label=name)
    ax.set(xlabel="false positives per frame", ylabel='recall ("accuracy")')
    return ax


# ---- 06 · final test -----------------------------------------------------------------------


def interval_rows(ax, rows: dict, metric: str, colors: dict, reference: float | None = None):
    """One line per row (first on top): the seed mean of ``metric`` and its 95% interval, coloured by
    ``colors`` (row -> colour); ``reference`` (the report's number) a dashed black line."""
    names = list(rows)
    y = np.arange(len(names))[::-1]
    for yi, name in zip(y, names):
        v = rows[name][metric]
        err = [[v["mean"] - v["low"]], [v["high"] - v["mean"]]]
        ax.errorbar(v["mean"], yi, xerr=np.abs(err), fmt="o", ms=5, capsize=2, color=colors[name])
    if reference is not None:
        ax.axvline(reference, color=MODEL_COLORS["report"], ls="--", lw=1)
        ax.annotate("report", (reference, len(names) - 0.6), xytext=(2, 0), textcoords="offset points")
    ax.set_yticks(y, names)
    ax.set(xlabel=METRIC_LABELS.get(metric, metric), ylim=(-0.6, len(names) - 0.2))
    return ax


def per_instrument(ax, f1_by_rule: dict):
    """Per-instrument F1 bars, one colour per pipeline (:data:`MODEL_COLORS`): ``f1_by_rule``: pipeline ->
    DataFrame with ``mean``, ``min``, ``max`` per instrument (seeds); an F1 of 0 is written as 0 (no bar to
    see), instruments absent from the evaluated split are left out."""
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
        at = x + (i - (len(rules) - 1) / 2) * width
        err = np.abs(np.vstack([t["mean"] - t["min"], t["max"] - t["mean"]]))
        ax.bar(at, t["mean"], width, yerr=err, capsize=2, color=MODEL_COLORS.get(rule, f"C{i}"), label=rule)
        for xi in at[t["mean"].to_numpy() == 0]:
            ax.text(xi, 0.005, "0", ha="center", va="bottom", color=MODEL_COLORS.get(rule, f"C{i}"))
    # A class heard in one or two test recordings is marked: its F1 rests on one or two pieces.
    first = next(iter(f1_by_rule.values()))
    few = first.get("few_recordings")
    labels = [
        f"{n}\n({int(first.loc[n, 'recordings'])} rec.)" if few is not None and few.loc[n] else n
        for n in present
    ]
    ax.set_xticks(x, labels, rotation=45)
    ax.set(ylabel="F1 (bars: seed range)")
    ax.legend()
    return ax


# ---- 07 · generalization across SoundFonts -------------------------------------------------


def generalization(ax, by_training: dict, metric: str = "f1_micro", styles: dict | None = None):
    """One row per test rendering (first on top), one dot per training set or pipeline: the seed mean of
    ``metric`` and its 95% interval.

    ``by_training``: name -> {test rendering -> summary}; ``styles``: name -> matplotlib keywords (colour,
    marker), the same name drawn the same way in every figure.
    """
    names = list(by_training)
    tests = list(next(iter(by_training.values())))
    y = np.arange(len(tests))[::-1].astype(float)
    offsets = (np.arange(len(names)) - (len(names) - 1) / 2) * (0.75 / len(names))
    for name, dy in zip(names, offsets):
        s = [by_training[name][t][metric] for t in tests]
        err = np.abs(np.array([[v["mean"] - v["low"], v["high"] - v["mean"]] for v in s]).T)
        style = {"color": MODEL_COLORS.get(name, "k"), "fmt": "o", **(styles or {}).get(name, {})}
        ax.errorbar([v["mean"] for v in s], y - dy, xerr=err, ms=4, capsize=1.5, label=name, **style)
    ax.set_yticks(y, tests)
    ax.set(xlabel=METRIC_LABELS.get(metric, metric), xlim=(0, 1), ylim=(-0.6, len(tests) - 0.4))
    return ax


def declared_alone(ax, shares: pd.DataFrame, alone: pd.Series, title: str = ""):
    """Heatmap of :func:`metrics.declared_when_alone`: rows play alone (n), columns declared (%).

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


def forest(ax, rows: dict, metrics=("f1_micro", "map"), zero: bool = False, legend: bool = True):
    """Seed means with 95% intervals as horizontal bars, one line per row (first on top), one colour per
    metric; ``rows``: name -> summary (``{metric: {"mean", "low", "high"}}``). ``zero`` draws a line at
    0 (for differences); ``legend=False`` leaves the legend to the figure (one for several panels)."""
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
            color=METRIC_COLORS.get(metric, f"C{i}"),
            label=METRIC_LABELS.get(metric, metric),
        )
    if zero:
        ax.axvline(0, color="0.4", lw=0.8)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.6, len(names) - 0.4)
    if legend:  # beside a title and an axis label: above the panel, one row
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=len(metrics), frameon=False)
    return ax


# ---- 10 · the listening backbone -------------------------------------------------------------


def candidates(ax, table: pd.DataFrame, metric: str, listed: str, order_by: str | None = None):
    """One horizontal bar per candidate, the ``listed`` one dark, the label prior dashed.

    ``table`` is indexed by candidate name, with columns ``metric`` and
    ``prior_<metric>``; rows are ordered by ``order_by`` (default ``metric``),
    largest on top, so that panels side by side can share one order.
    """
    ordered = table.sort_values(order_by or metric, kind="stable")
    colors = [MODEL_COLORS["listening model"] if name == listed else "0.7" for name in ordered.index]
    ax.barh(ordered.index, ordered[metric], color=colors)
    for y, value in enumerate(ordered[metric]):
        ax.text(value, y, f" {value:.3f}", va="center", fontsize=8)
    prior = float(table[f"prior_{metric}"].iloc[0])
    ax.axvline(prior, color="k", ls="--", lw=1.2)
    ax.text(prior, -0.9, " label prior", color="k", va="top")
    ax.set(
        xlabel=f"{METRIC_LABELS.get(metric, metric)} (validation)",
        xlim=(0, 1),
        ylim=(-1.4, len(ordered) - 0.5),
    )
    return ax


# ---- 09 · decision rules -------------------------------------------------------------------


#: Colours of notebook 09's rule families (lines along a knob), apart from the pipelines' and metrics'.
FAMILY_COLORS = ("#332288", "#117733", "#AA4499", "#DDCC77", "#88CCEE")
#: Markers of notebook 09's single rules (black, open), one per rule.
RULE_MARKERS = "os^vDP<>Xph"


def pareto(ax, points: dict, curves: dict, front: list, marked: dict, xmax: float = 4.0):
    """Recall against false positives per frame for every rule, the Pareto front as a dotted step line.

    ``points``: rule -> summary (seed mean and 95% interval, drawn with error
    bars, black open markers); ``curves``: family -> list of summaries along its
    knob (a coloured line); ``front``: the ``(fp, recall)`` means on the front;
    ``marked``: name -> ``(fp, recall)`` drawn as stars (the report's operating
    point). A point beyond ``xmax`` false positives per frame is drawn at the
    edge as an arrowhead labelled with its value.
    """
    for color, (family, summaries) in zip(FAMILY_COLORS, curves.items()):
        ax.plot(
            [s["fp_per_frame"]["mean"] for s in summaries],
            [s["recall"]["mean"] for s in summaries],
            "-",
            marker=".",
            ms=4,
            color=color,
            lw=1.2,
            label=family,
        )
    for marker, (name, s) in zip(RULE_MARKERS, points.items()):
        x, yv = s["fp_per_frame"], s["recall"]
        if x["mean"] > xmax:
            ax.plot(xmax, yv["mean"], marker=">", color="k", ms=6, clip_on=False, label=name)
            ax.annotate(
                f"{x['mean']:.1f}", (xmax, yv["mean"]), xytext=(-4, 5), textcoords="offset points", ha="right"
            )
            continue
        ax.errorbar(
            x["mean"],
            yv["mean"],
            xerr=[[abs(x["mean"] - x["low"])], [abs(x["high"] - x["mean"])]],
            yerr=[[abs(yv["mean"] - yv["low"])], [abs(yv["high"] - yv["mean"])]],
            fmt=marker,
            ms=5,
            mfc="w",
            capsize=2,
            color="k",
            elinewidth=0.6,
            label=name,
        )
    if front:
        fx, fy = zip(*sorted(front))
        ax.step(fx, fy, where="post", color="0.4", lw=1, ls=":", label="Pareto front (means)")
    report_stars(ax, marked, {})
    ax.set(xlabel=METRIC_LABELS["fp_per_frame"], ylabel=METRIC_LABELS["recall"], xlim=(0, xmax))
    return ax


# ---- instrid predict ---------------------------------------------------------------------


def timeline(ax, table: pd.DataFrame, probabilities: bool = True):
    """One row per instrument over time: declared spans as bars, over the probabilities shaded (with a
    colour bar) when ``probabilities``; a table of labels draws the bars alone.

    ``table`` is :func:`instrid.app.predict.predict_file`'s: ``start_s``, ``end_s``,
    ``p_<name>`` and ``instruments``. Readable for a 10-minute piece (about
    2,600 windows of 232 ms).
    """
    names = list(instruments.NAMES)
    end = float(table["end_s"].max())
    if probabilities:
        image = ax.imshow(
            table[[f"p_{n}" for n in names]].to_numpy().T,
            aspect="auto",
            origin="lower",
            cmap="Greys",
            vmin=0,
            vmax=1,
            interpolation="nearest",
            extent=(float(table["start_s"].min()), end, -0.5, len(names) - 0.5),
        )
        ax.figure.colorbar(image, ax=ax, pad=0.01, label="probability")
    mask = decisions.declared(table)
    for j in range(len(names)):
        on = mask[:, j]
        spans = list(zip(table["start_s"].to_numpy()[on], table["end_s"].to_numpy()[on]))
        ax.broken_barh([(s, e - s) for s, e in spans], (j - 0.18, 0.36), color=f"C{j % 10}")
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="time (s)", xlim=(0, end), ylim=(-0.5, len(names) - 0.5))
    return ax
