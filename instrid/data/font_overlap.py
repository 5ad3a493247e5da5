"""Is a held-out SoundFont unheard? Fonts' shared samples, note by note (notebook ``10_generalization``).

Free General MIDI SoundFonts borrow samples from one another: a font "no model
heard" may play many notes with the very samples of a training font, and then
a score on it measures the familiar timbre, not generalization. This module
renders each (instrument, key) a dataset uses with two fonts, the same way
(0.3 s at velocity 100, no variation), and compares the two waveforms by their
peak normalised cross-correlation (:func:`note_similarity`): 1 for the same
sample at any delay and gain, about 0.3-0.5 for two unrelated samples of one
pitch. :func:`overlap` weighs the notes by how often the labels play them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from instrid.data import instruments, musicnet, synth

#: Two renderings at least this similar count as the same sample. Between fonts with no shared samples
#: (TimGM6mb and FluidR3_GM) 0.7% of the test notes reach it; between a font and itself, all of them.
SAME_SAMPLE = 0.9
#: Length and loudness of each probe note.
PROBE_SECONDS = 0.3
PROBE_VELOCITY = 100


def peak_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Peak of the normalised cross-correlation of two signals, over every delay.

    .. math:: \\max_\\tau \\frac{|\\sum_t a_t\\, b_{t+\\tau}|}{\\lVert a \\rVert \\, \\lVert b \\rVert}

    Between 0 and 1 (Cauchy-Schwarz); 1 exactly when one signal is a delayed,
    scaled copy of the other. NaN when either signal is silent.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (n,) and (m,)
        Mono signals at one sample rate.

    Returns
    -------
    float
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"peak_correlation: 1-D signals expected, got shapes {a.shape} and {b.shape}")
    energy = np.sqrt(np.dot(a, a) * np.dot(b, b))
    if not energy > 0:
        return float("nan")
    n = len(a) + len(b)
    xcorr = np.fft.irfft(np.fft.rfft(a, n) * np.conj(np.fft.rfft(b, n)), n)
    return float(min(np.abs(xcorr).max() / energy, 1.0))


def _probe(font, code: int, key: int) -> np.ndarray:
    n = int(round(PROBE_SECONDS * musicnet.LABEL_SAMPLE_RATE))
    note = pd.DataFrame({"start_time": [0], "end_time": [n], "instrument": [code], "note": [key]})
    audio, _ = synth.render_labels(note, n, font, peak=None, velocities=np.array([PROBE_VELOCITY]))
    return audio


def note_similarity(font_a, font_b, notes: pd.DataFrame) -> pd.Series:
    """:func:`peak_correlation` of each (instrument, key) rendered with ``font_a`` and with ``font_b``.

    Parameters
    ----------
    font_a, font_b : path-like
        SoundFont files.
    notes : pandas.DataFrame
        Columns ``instrument`` (MusicNet code) and ``note`` (MIDI key); duplicates are compared once.

    Returns
    -------
    pandas.Series
        Indexed by (instrument, note); NaN where either font is silent on the key.
    """
    pairs = _pairs(notes)
    return _similarity(_probes(font_a, pairs), font_b, pairs)


def _pairs(notes: pd.DataFrame) -> list[tuple[int, int]]:
    """The distinct (instrument, key) of ``notes``, sorted, after checking the table."""
    missing = {"instrument", "note"} - set(notes.columns)
    if missing:
        raise ValueError(f"note_similarity: notes lack column(s) {', '.join(sorted(missing))}")
    unknown = sorted(set(notes["instrument"].tolist()) - set(instruments.CODES))
    if unknown:
        raise ValueError(f"note_similarity: unknown instrument code(s) {unknown}")
    return sorted(set(zip(notes["instrument"].astype(int).tolist(), notes["note"].astype(int).tolist())))


def _probes(font, pairs) -> list[np.ndarray]:
    return [_probe(font, code, key) for code, key in pairs]


def _similarity(probes: list, font, pairs) -> pd.Series:
    """:func:`peak_correlation` of each of ``probes`` (rendered for ``pairs``) with ``font``'s rendering."""
    return pd.Series(
        [peak_correlation(probe, _probe(font, c, k)) for probe, (c, k) in zip(probes, pairs)],
        index=pd.MultiIndex.from_tuples(pairs, names=["instrument", "note"]),
        dtype=float,
        name="similarity",
    )


def overlap(labels: pd.DataFrame, font, training_fonts: dict, *, threshold: float = SAME_SAMPLE) -> dict:
    """How much of what ``labels`` play sounds, in ``font``, like a training font's very samples.

    Each note of the labels counts once (a note played 40 times weighs 40);
    a note is *shared* with a training font when the two renderings' peak
    correlation reaches ``threshold``.

    Parameters
    ----------
    labels : pandas.DataFrame
        MusicNet label rows (``instrument``, ``note``), e.g. every test recording's.
    font : path-like
        The font under test.
    training_fonts : dict
        Name -> path of each font the models trained on.
    threshold : float
        Similarity from which two renderings count as one sample.

    Returns
    -------
    dict
        ``shared``: share of the notes shared with any training font (0-1);
        ``by_font``: that share per training font; ``by_instrument``: per
        instrument name, the share shared with any training font.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"overlap: threshold must be in (0, 1], got {threshold}")
    if not len(labels):
        raise ValueError("overlap: no notes in the labels")
    counts = labels.groupby(["instrument", "note"]).size()
    pairs = _pairs(labels)
    probes = _probes(font, pairs)  # rendered once, compared with every training font
    similar = pd.DataFrame({name: _similarity(probes, path, pairs) for name, path in training_fonts.items()})
    shared_with = similar.reindex(counts.index).fillna(0.0) >= threshold
    shared = shared_with.any(axis=1)
    total = counts.sum()
    name_of = dict(zip(instruments.CODES, instruments.NAMES))
    by_instrument = (counts * shared).groupby(level="instrument").sum() / counts.groupby(
        level="instrument"
    ).sum()
    return {
        "shared": float((counts * shared).sum() / total),
        "by_font": {name: float((counts * shared_with[name]).sum() / total) for name in training_fonts},
        "by_instrument": {name_of[int(c)]: round(float(v), 4) for c, v in by_instrument.items()},
        "threshold": threshold,
        "notes": int(total),
    }


def of_font_trees(font_trees, training_fonts: dict, *, threshold: float = SAME_SAMPLE) -> dict:
    """:func:`overlap` of every note of each tested font's tree under ``font_trees``
    (:func:`synth.font_tree`, the test recordings rendered with it) with the fonts it is compared to.

    ``training_fonts`` maps each tested font's name to the names of those fonts; every font is resolved
    (and its download verified) once. Returns ``{tested font: overlap}`` in ``training_fonts``' order.
    """
    names = dict.fromkeys([*training_fonts, *(g for gs in training_fonts.values() for g in gs)])
    path = {name: synth.resolve_font(name, progress=False)[1] for name in names}
    return {
        font: overlap(
            musicnet.MusicNet(synth.font_tree(font_trees, font)).all_labels(),
            path[font],
            {g: path[g] for g in training},
            threshold=threshold,
        )
        for font, training in training_fonts.items()
    }
