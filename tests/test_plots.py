"""Result files, figures and the README's generated results table."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from instrid import cli, plots  # noqa: E402

CONFIG = {"dataset_kind": "synthetic", "recordings": 323, "per_split": {"train": 20, "validation": 5, "test": 5},
          "model": {"front_end": {"name": "report_spectrogram"}, "weights": "random:seed=0", "head": "report_code",
                    "batch_norm": "eval"}}


def test_describe_names_the_weights_actually_used():
    line = plots.describe(CONFIG)
    assert "random:seed=0" in line and "report_spectrogram" in line and "20/5/5" in line
    assert plots.describe({"dataset_kind": "musicnet", "recordings": 330}) == "musicnet MusicNet (330 rec.)"


def test_save_results_is_plain_json(tmp_path):
    numbers = {"recall": np.float64(0.5), "n": np.int64(3), "table": pd.DataFrame({"a": [1.0, np.nan]}),
               "vec": np.array([0.1234567891, 2.0])}
    path = plots.save_results("x", numbers, CONFIG, tmp_path)
    saved = json.loads(path.read_text())
    assert saved["recall"] == 0.5 and saved["n"] == 3 and saved["table"] == [{"a": 1.0}, {"a": None}]
    assert saved["vec"] == [0.123457, 2.0] and saved["config"]["recordings"] == 323


def test_save_figure_writes_png_and_pdf(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plots.caption(fig, CONFIG)
    paths = plots.save_figure(fig, "f", tmp_path)
    assert [p.name for p in paths] == ["f.png", "f.pdf"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[1].read_bytes()[:4] == b"%PDF"
    plt.close(fig)


def results_dir(tmp_path):
    plots.save_results("06_final_test", {"recall": 0.71, "fp_per_frame": 1.9, "precision": 0.4, "f1_micro": 0.5,
                                         "corrected": {"rule": "r", "recall": 0.6, "fp_per_frame": 0.5,
                                                       "f1_micro": 0.62}}, CONFIG, tmp_path)
    plots.save_results("05_top_n", {"plain": {str(n): {"recall": n / 5, "fp_per_frame": n - 0.5} for n in range(1, 6)}},
                       CONFIG, tmp_path)
    return tmp_path


def test_results_table_comes_from_the_files(tmp_path):
    table = plots.results_table(results_dir(tmp_path))
    assert '| recall ("accuracy"), top-3 | test | 0.762 | 0.710 |' in table
    assert "| false positives per frame, top-3 | test | 1.66 | 1.90 |" in table
    assert "| top-2: recall / FP per frame | validation | 0.723 / 0.943 | 0.400 / 1.500 |" in table
    assert "random:seed=0" in table
    assert plots.results_table(tmp_path / "none") == "_No results yet: run `make study`._"


def test_readme_section_is_rewritten_in_place(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{plots.README_START}\nold\n{plots.README_END}\noutro\n")
    assert cli.main(["results-table", "--results", str(results_dir(tmp_path / "r")), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text and "0.710" in text
    assert plots.update_readme(readme, tmp_path / "r") is False  # idempotent
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="no results markers"):
        plots.update_readme(readme, tmp_path / "r")


def test_tidy_notebook_keeps_each_progress_bars_last_state(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    cell = new_code_cell("x")
    cell.outputs = [new_output("stream", name="stderr", text="\rbar:  10%"), new_output("stream", name="stderr", text="\rbar:  50%"),
                    new_output("stream", name="stderr", text="\rbar: 100%\n"), new_output("stream", name="stdout", text="done\n")]
    path = tmp_path / "n.ipynb"
    nbformat.write(new_notebook(cells=[cell]), path)
    assert cli.main(["tidy-notebook", str(path)]) == 0
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [(o.name, o.text) for o in outputs] == [("stderr", "bar: 100%\n"), ("stdout", "done\n")]
