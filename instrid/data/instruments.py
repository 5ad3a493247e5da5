"""The 11 MusicNet instruments: codes, names and their order.

This module is the single source of the instrument vocabulary. The order is
the one the report's code used (violin, viola, cello, piano, horn, oboe,
bassoon, clarinet, flute, harpsichord, contrabass), so "the first four
instruments" in the report (its Figure 3) means the first four here.

Codes are MusicNet's: the 1-based General MIDI program number written in the
``instrument`` column of every MusicNet label CSV.
"""

from __future__ import annotations

import numpy as np

from instrid.errors import DatasetError

#: (code, name) in the report code's order. Code = 1-based GM program.
_TABLE = (
    (41, "violin"),
    (42, "viola"),
    (43, "cello"),
    (1, "piano"),
    (61, "horn"),
    (69, "oboe"),
    (71, "bassoon"),
    (72, "clarinet"),
    (74, "flute"),
    (7, "harpsichord"),
    (44, "contrabass"),
)

CODES: tuple[int, ...] = tuple(code for code, _ in _TABLE)
NAMES: tuple[str, ...] = tuple(name for _, name in _TABLE)
N_INSTRUMENTS: int = len(_TABLE)

# Lookup table from code (0..128) to index; -1 marks an unknown code.
_CODE_TO_INDEX = np.full(129, -1, dtype=np.int64)
_CODE_TO_INDEX[list(CODES)] = np.arange(N_INSTRUMENTS)


def index_of(codes, *, source: str = "input") -> np.ndarray:
    """Map MusicNet instrument codes to column indices in report order.

    Parameters
    ----------
    codes : array_like of int
        1-based General MIDI program numbers as found in MusicNet labels.
    source : str
        Named in the error message (usually the label file).

    Returns
    -------
    numpy.ndarray of int64, same shape as ``codes``, values in 0..10.

    Raises
    ------
    DatasetError
        If any code is not one of the 11 MusicNet instruments.
    """
    codes = np.asarray(codes)
    if codes.size == 0:
        return np.zeros(codes.shape, dtype=np.int64)
    in_range = (codes >= 0) & (codes <= 128)
    idx = np.full(codes.shape, -1, dtype=np.int64)
    idx[in_range] = _CODE_TO_INDEX[codes[in_range].astype(np.int64)]
    if (idx < 0).any():
        bad = sorted(set(np.asarray(codes)[idx < 0].tolist()))
        raise DatasetError(
            f"{source}: unknown instrument code(s) {bad}; MusicNet codes are {dict(zip(CODES, NAMES))}"
        )
    return idx


def render_program(code: int) -> int:
    """0-based General MIDI program used to synthesize a MusicNet instrument.

    MusicNet codes are 1-based GM programs, so this is ``code - 1`` (contrabass,
    code 44, renders with GM "Contrabass", 0-based 43).
    """
    index_of([code])
    return int(code) - 1
