import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from instrid.data import font_overlap, synth

SHARED_FLUID = Path(__file__).resolve().parents[2] / "shared" / "data" / "FluidR3_GM.sf2"
NOTES = pd.DataFrame({"instrument": [41, 41, 41, 1, 72], "note": [69, 69, 76, 60, 55]})


def test_peak_correlation_on_hand_computed_cases():
    assert font_overlap.peak_correlation([1.0, 0, 0], [0, 0, 2.0]) == pytest.approx(1.0)  # delayed, scaled
    # [1, 1] against [1, -1]: cross-correlation -1, 0, 1 over the three delays; norms sqrt(2) each.
    assert font_overlap.peak_correlation([1.0, 1.0], [1.0, -1.0]) == pytest.approx(0.5)
    assert font_overlap.peak_correlation([1.0, 2.0], [-1.0, -2.0]) == pytest.approx(1.0)  # sign ignored
    assert np.isnan(font_overlap.peak_correlation([0.0, 0.0], [1.0, 2.0]))
    rng = np.random.default_rng(0)
    assert font_overlap.peak_correlation(rng.normal(size=4000), rng.normal(size=4000)) < 0.1
    with pytest.raises(ValueError, match="1-D signals"):
        font_overlap.peak_correlation(np.zeros((2, 2)), [1.0])


def test_a_font_shares_every_note_with_a_copy_of_itself(tmp_path):
    copy = tmp_path / "copy.sf2"
    shutil.copyfile(synth.default_soundfont(), copy)
    similarity = font_overlap.note_similarity(synth.default_soundfont(), copy, NOTES)
    assert list(similarity.index) == [(1, 60), (41, 69), (41, 76), (72, 55)]  # each note once
    assert np.allclose(similarity, 1.0, atol=1e-4)
    result = font_overlap.overlap(NOTES, copy, {"TimGM6mb": synth.default_soundfont()})
    assert result["shared"] == 1.0 and result["by_font"] == {"TimGM6mb": 1.0} and result["notes"] == 5
    assert result["by_instrument"] == {"violin": 1.0, "piano": 1.0, "clarinet": 1.0}


@pytest.mark.skipif(not SHARED_FLUID.is_file(), reason="no offline copy of FluidR3_GM.sf2")
def test_fonts_with_their_own_samples_share_no_note():
    similarity = font_overlap.note_similarity(synth.default_soundfont(), SHARED_FLUID, NOTES)
    assert (similarity < font_overlap.SAME_SAMPLE).all() and (similarity > 0).all()
    fonts = {"TimGM6mb": synth.default_soundfont(), "FluidR3_GM": SHARED_FLUID}
    result = font_overlap.overlap(NOTES, SHARED_FLUID, fonts)
    # Against itself FluidR3_GM shares everything; the share is over notes played, weighted by count.
    assert result["shared"] == 1.0 and result["by_font"] == {"TimGM6mb": 0.0, "FluidR3_GM": 1.0}
    violin_a = NOTES.iloc[:2]  # the same note twice
    assert font_overlap.overlap(violin_a, SHARED_FLUID, {"TimGM6mb": fonts["TimGM6mb"]})["shared"] == 0.0


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="lack column"):
        font_overlap.note_similarity(synth.default_soundfont(), synth.default_soundfont(), NOTES[["note"]])
    with pytest.raises(ValueError, match=r"unknown instrument code\(s\) \[2\]"):
        font_overlap.note_similarity(
            synth.default_soundfont(), synth.default_soundfont(), NOTES.assign(instrument=2)
        )
    with pytest.raises(ValueError, match="no notes"):
        font_overlap.overlap(NOTES.iloc[:0], synth.default_soundfont(), {})
    with pytest.raises(ValueError, match="threshold"):
        font_overlap.overlap(NOTES, synth.default_soundfont(), {}, threshold=0)


def test_a_font_trees_notes_measured_against_training_fonts_named(tmp_path):
    from conftest import make_tree

    tree = synth.font_tree(tmp_path / "fonts", "TimGM6mb")
    make_tree(tree, {1759: ("test", 0.3, [(0, 10000, 41, 69), (0, 10000, 1, 60)])})
    result = font_overlap.of_font_trees(tmp_path / "fonts", {"TimGM6mb": ["TimGM6mb"]})["TimGM6mb"]
    want = font_overlap.overlap(
        pd.DataFrame({"instrument": [41, 1], "note": [69, 60]}),
        synth.default_soundfont(),
        {"TimGM6mb": synth.default_soundfont()},
    )
    assert result == want and result["shared"] == 1.0 and result["notes"] == 2
