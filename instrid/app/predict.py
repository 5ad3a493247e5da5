"""Instruments in anyone's audio, window by window (``instrid predict``).

A model file (:mod:`instrid.models.modelfile`, written by ``instrid train``) is
applied to consecutive windows of any file soundfile reads (WAV, FLAC, OGG,
...; any rate, any number of channels). The file is read, downmixed and
resampled in blocks (:func:`instrid.data.musicnet.audio_blocks`), so memory stays flat
however long it is. For each file: one table row per window (start, end, the
probability of each instrument, the instruments declared), a summary
(instruments present, for how long, share of windows) and a timeline figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from instrid import outputs
from instrid.data import examples, instruments, labels, musicnet
from instrid.errors import DatasetError
from instrid.files import atomic_path, cache_dir, write_json_atomic
from instrid.study import decisions

#: Where ``make study`` (``make model``) leaves the study's final model, and ``instrid predict`` looks for it.
DEFAULT_MODEL_NAME = "instrid-default.pt"


def default_model_path() -> Path:
    """``instrid.files.cache_dir()/models/instrid-default.pt`` (outside the repository: it is 45 MB)."""
    return cache_dir() / "models" / DEFAULT_MODEL_NAME


def windows(blocks, crop: int, hop: int):
    """``(start, end, window)`` for windows of ``crop`` samples every ``hop`` samples over a stream of blocks.

    Windows start at 0, ``hop``, ... while a window still begins before the
    end and before ``end - crop + hop``; a last window shorter than ``crop``
    is tiled (:func:`instrid.data.examples.crop_or_tile`), as short segments were
    in training. Only the audio of the windows still to come is kept.
    """
    buffer, offset, start = np.zeros(0, dtype=np.float32), 0, 0
    for block in blocks:
        buffer = np.concatenate([buffer, block])
        while start + crop <= offset + len(buffer):
            i = start - offset
            yield start, start + crop, buffer[i : i + crop]
            start += hop
        drop = min(start - offset, len(buffer))
        buffer, offset = buffer[drop:], offset + drop
    total = offset + len(buffer)
    while start < total and start < max(1, total - crop + hop):
        piece = buffer[start - offset : start - offset + crop]
        yield start, total, examples.crop_or_tile(piece, 0, len(piece), crop)
        start += hop


def decide(
    p: np.ndarray, state: dict, *, top_n: int | None = None, threshold: float | None = None
) -> np.ndarray:
    """The model's own rule (class thresholds, then at most its N best), or top-N, or one global threshold."""
    if top_n is not None:
        return decisions.top_n(p, top_n)
    if threshold is not None:
        return decisions.threshold(p, threshold)
    return decisions.threshold_then_top_n(p, state["thresholds"], state["top_n"])


@torch.no_grad()
def predict_file(
    net,
    state: dict,
    path,
    *,
    hop_s: float | None = None,
    top_n: int | None = None,
    threshold: float | None = None,
    batch_size: int = 64,
    progress: bool = False,
) -> pd.DataFrame:
    """Instrument probabilities and decisions for consecutive windows of one file.

    ``progress`` shows a bar over the file's seconds (on stderr).

    Returns
    -------
    pandas.DataFrame
        ``file``, ``start_s``, ``end_s``, one probability column per instrument
        (``p_<name>``) and ``instruments``: the names declared playing,
        ``;``-separated.
    """
    front = net.eval().front_end
    rate, crop = front.sample_rate, front.crop_samples
    hop = crop if hop_s is None else max(1, int(round(hop_s * rate)))
    spans, probabilities, batch = [], [], []

    def flush():
        probabilities.append(decisions.sigmoid(net(torch.from_numpy(np.stack(batch))).double().numpy()))
        batch.clear()

    # On a terminal only (disable=None): a log or a pipe gets no bar. Closed on an error too, so the
    # error's one line starts a line of its own.
    with tqdm(
        total=musicnet.header_seconds(path),
        desc=Path(path).name,
        unit="s",
        disable=None if progress else True,
        leave=False,
    ) as bar:
        for start, end, window in windows(musicnet.audio_blocks(path, rate), crop, hop):
            spans.append((start, end))
            batch.append(np.ascontiguousarray(window, dtype=np.float32))
            if len(batch) == batch_size:
                flush()
                bar.update(round(end / rate - bar.n, 1))
        if batch:
            flush()
    p = np.concatenate(probabilities)
    if not np.isfinite(p).all():
        raise DatasetError(f"{path}: the model's output is not a number for this audio")
    spans = np.asarray(spans, dtype=np.float64)
    on = decide(p, state, top_n=top_n, threshold=threshold)
    table = pd.DataFrame(
        {
            "file": str(path),
            "start_s": np.round(spans[:, 0] / rate, 4),
            "end_s": np.round(spans[:, 1] / rate, 4),
        }
    )
    for j, name in enumerate(instruments.NAMES):
        table[f"p_{name}"] = np.round(p[:, j], 4)
    table["instruments"] = [";".join(np.asarray(instruments.NAMES)[row]) for row in on]
    return table


def summarize(table: pd.DataFrame, *, trained_on: str = "", rule: str = "") -> dict:
    """Instruments present in one file's table: windows, share of windows and seconds declared playing.

    Seconds count each declared window's stretch once, so overlapping windows
    (a hop shorter than the window) are not counted twice.
    """
    duration = float(table["end_s"].max()) if len(table) else 0.0
    present = {}
    mask = decisions.declared(table)
    for j, name in enumerate(instruments.NAMES):
        on = mask[:, j]
        if on.any():
            present[name] = {
                "windows": int(on.sum()),
                "share_of_windows": round(float(on.mean()), 4),
                "seconds": round(_covered(table["start_s"].to_numpy()[on], table["end_s"].to_numpy()[on]), 3),
            }
    ordered = dict(sorted(present.items(), key=lambda item: -item[1]["share_of_windows"]))
    return {
        "file": str(table["file"].iloc[0]) if len(table) else "",
        "duration_s": round(duration, 3),
        "windows": int(len(table)),
        "rule": rule,
        "model_trained_on": trained_on,
        "instruments": ordered,
    }


def _covered(starts: np.ndarray, ends: np.ndarray) -> float:
    """Length of the union of intervals ``[start, end)``, in their unit."""
    total, reach = 0.0, -np.inf
    for start, end in sorted(zip(starts, ends)):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return float(total)


#: The outputs ``write_outputs`` makes for each input, by suffix.
OUTPUT_SUFFIXES = (".csv", ".json", ".png")
#: What every summary :func:`summarize` writes holds: predict's mark on its outputs.
SUMMARY_KEYS = {"file", "duration_s", "windows", "rule", "model_trained_on", "instruments"}


def output_paths(out_dir, stem: str) -> list[Path]:
    """The files :func:`write_outputs` writes for an input named ``stem``."""
    return [Path(out_dir) / f"{stem}{suffix}" for suffix in OUTPUT_SUFFIXES]


def summary_at(path) -> dict | None:
    """The summary :func:`write_outputs` left at ``path`` (a ``.json``), or None when there is none."""
    return outputs.summary_at(path, SUMMARY_KEYS)


def summary_beside(path) -> dict | None:
    """The summary of the input whose output is ``path`` (any of :func:`output_paths`), or None."""
    return summary_at(Path(path).with_suffix(".json"))


def mark(path) -> str | None:
    """What ``instrid predict`` output is at ``path``, in words, or None when predict did not write it.

    The three outputs of one input are written together: a CSV or PNG is
    predict's when the summary beside it is, and it has the right form.
    """
    path = Path(path)
    summary = summary_beside(path)
    if summary is None or path.suffix not in OUTPUT_SUFFIXES:
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return None
    form = {".csv": b"file,start_s,end_s,", ".png": b"\x89PNG\r\n\x1a\n", ".json": b""}[path.suffix]
    return f"instrid predict's output for {summary['file']}" if head.startswith(form) else None


def write_outputs(table: pd.DataFrame, summary: dict, out_dir, stem: str) -> list[Path]:
    """``<out_dir>/<stem>.csv``, ``.json`` and ``.png`` (the timeline), each written atomically."""
    # Imported here, not at the top: matplotlib and the plotting module are needed only for this PNG, and
    # would add their import time to every predict and train that writes none.
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from instrid.report import plots

    paths = output_paths(out_dir, stem)
    with atomic_path(paths[0]) as tmp:
        table.to_csv(tmp, index=False)
    write_json_atomic(paths[1], summary, sort_keys=False)
    duration = max(1.0, summary["duration_s"])
    fig, ax = plt.subplots(figsize=(min(24, 6 + duration / 30), 4.2))
    plots.timeline(ax, table)
    ax.set_title(f"{Path(summary['file']).name}: instruments over time ({summary['rule']})")
    plots.save_png(fig, paths[2])
    return paths


@torch.no_grad()
def predict_stream(
    net,
    state: dict,
    blocks,
    *,
    hop_s: float | None = None,
    top_n: int | None = None,
    threshold: float | None = None,
):
    """``(start_s, end_s, probabilities, names)`` for each window of a live stream, as soon as it is complete.

    ``blocks`` yields float32 mono audio at the model's rate
    (:func:`instrid.data.musicnet.stream_blocks`). The latency of a window is its
    length (232 ms) plus one forward pass, a few milliseconds on a CPU.
    """
    front = net.eval().front_end
    rate, crop = front.sample_rate, front.crop_samples
    hop = crop if hop_s is None else max(1, int(round(hop_s * rate)))
    for start, end, window in windows(blocks, crop, hop):
        p = decisions.sigmoid(
            net(torch.from_numpy(np.ascontiguousarray(window, dtype=np.float32)[None])).double().numpy()
        )
        on = decide(p, state, top_n=top_n, threshold=threshold)[0]
        yield start / rate, end / rate, p[0], [name for name, flag in zip(instruments.NAMES, on) if flag]


def true_windows(
    labels_table: pd.DataFrame,
    n_samples: int,
    table: pd.DataFrame,
    *,
    min_share: float = 0.5,
    sample_rate: int = musicnet.LABEL_SAMPLE_RATE,
) -> pd.DataFrame:
    """The true instruments of each window of ``table`` (:func:`predict_file`'s), in the same format.

    An instrument counts as playing in a window when it sounds for at least
    ``min_share`` of it (:func:`instrid.data.labels.frame_labels` on the windows'
    own grid); ``p_<name>`` columns hold 1 or 0.
    """
    starts = np.round(table["start_s"].to_numpy() * sample_rate).astype(np.int64)
    ends = np.round(table["end_s"].to_numpy() * sample_rate).astype(np.int64)
    on = np.zeros((len(table), instruments.N_INSTRUMENTS), dtype=bool)
    # Each window as its own frame: the union of the notes' sounding time inside it.
    for i, (start, end) in enumerate(zip(starts, ends)):
        inside = labels_table[(labels_table["end_time"] > start) & (labels_table["start_time"] < end)].copy()
        if len(inside):
            inside["start_time"] = inside["start_time"].clip(lower=start) - start
            inside["end_time"] = inside["end_time"].clip(upper=end) - start
            frames = labels.frame_labels(
                inside,
                int(end - start),
                sample_rate=sample_rate,
                frame_s=(end - start) / sample_rate,
                min_share=min_share,
            )
            on[i] = frames.instruments[0]
    truth = table[["file", "start_s", "end_s"]].copy()
    for j, name in enumerate(instruments.NAMES):
        truth[f"p_{name}"] = on[:, j].astype(float)
    truth["instruments"] = [";".join(np.asarray(instruments.NAMES)[row]) for row in on]
    return truth
