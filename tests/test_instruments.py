"""The 11 instruments and their General MIDI programs (instrid.data.instruments)."""

from __future__ import annotations

import pytest

from instrid.data import instruments
from instrid.errors import DatasetError


def test_instrument_order_is_the_report_codes():
    assert instruments.NAMES[:4] == ("violin", "viola", "cello", "piano")
    assert instruments.CODES == (41, 42, 43, 1, 61, 69, 71, 72, 74, 7, 44)
    assert instruments.index_of([1, 44, 41]).tolist() == [3, 10, 0]
    assert instruments.render_program(44) == 43
    with pytest.raises(DatasetError, match=r"f\.csv: unknown instrument code\(s\) \[45\]"):
        instruments.index_of([41, 45], source="f.csv")
