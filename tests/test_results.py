"""Result files and the README's generated findings: plain JSON, no machine facts, regenerated in place."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import RANDOM, final_test_rows
from conftest import agreeing_results as claims_results
from instrid.app import cli
from instrid.report import claims, results
from instrid.study import records


def test_save_results_is_plain_json_and_returns_what_it_wrote(tmp_path):
    numbers = {
        "recall": np.float64(0.5),
        "n": np.int64(3),
        "ok": np.bool_(True),
        "table": pd.DataFrame({"a": [1.0, np.nan]}),
        "vec": np.array([0.1234567891, 2.0]),
    }
    saved = results.save_results("x", numbers, RANDOM, tmp_path)
    on_disk = json.loads((tmp_path / "x.json").read_text())
    assert saved == on_disk
    assert on_disk["recall"] == 0.5 and on_disk["n"] == 3 and on_disk["ok"] is True
    assert on_disk["table"] == [{"a": 1.0}, {"a": None}] and on_disk["vec"] == [0.123457, 2.0]
    assert on_disk["config"]["seeds"] == [0, 1, 2]


def test_describe_names_weights_seeds_and_the_fallback():
    line = results.describe({**RANDOM, "weights_note": "ImageNet weights unavailable"})
    assert "random (one draw per seed)" in line and "seeds 0, 1, 2" in line and "20000/5000/5000" in line
    assert line.endswith("(ImageNet weights unavailable)")
    assert results.describe({"dataset_kind": "musicnet", "recordings": 330}) == "musicnet MusicNet (330 rec.)"


def write_all(folder):
    folder.mkdir(parents=True, exist_ok=True)
    everything = claims_results()
    everything["07_final_test"]["config"] = RANDOM
    for name, content in everything.items():
        (folder / f"{name}.json").write_text(json.dumps(content))
    return folder


def test_findings_section_states_the_run_before_any_number(tmp_path):
    text = results.findings_section(write_all(tmp_path / "r"))
    assert text.startswith("**This run.**")
    assert text.index("randomly initialized") < text.index("0.")  # the run is stated before any number
    # One row per claim of the report, however many models it was measured on; the targets apart.
    keys = {c.claim for c in claims.CLAIMS}
    assert text.count('| *"') == len(keys) == 13 and len(claims.CLAIMS) > len(keys)
    assert text.index("### Findings") < text.index("### This study's own targets")
    assert text.count("\n| ", text.index("### This study's own targets")) >= len(claims.TARGETS)
    assert "**held**" in text and "**not comparable**" in text and "**reproduced**" in text
    assert "the listening model: held" in text  # each model's verdict beside the claim's
    assert "![protocol audit" in text and "(figures/09_rules.png)" in text  # the audit and Pareto figures
    (tmp_path / "r" / "09_decision_rules.json").unlink()
    assert "09_rules.png" not in results.findings_section(tmp_path / "r")  # only figures with results
    assert results.findings_section(tmp_path / "none") == "_No results yet: run `make study`._"


def test_headline_numbers_carry_intervals(tmp_path):
    folder = write_all(tmp_path / "r")
    final = json.loads((folder / "07_final_test.json").read_text())
    chosen = {**claims.REPORT_PIPELINE, "head": "iou_batch", "rule": "top-2, N chosen on validation"}
    final["records"] += final_test_rows(chosen, 0.7, 1.2, 0.5, 0.3)
    (folder / "07_final_test.json").write_text(json.dumps(final))
    text = results.findings_section(folder)
    assert (
        "| report's pipeline (iou_batch), top-3 | test | 0.762 / 1.66 | 0.760 [0.710, 0.810] "
        "| 1.66 [1.46, 1.86] |" in text
    )
    assert "| report's pipeline (iou_batch), top-2, N chosen on validation | test | — | 0.700" in text
    assert "label prior" not in text.split("### Headline numbers")[1]
    assert "| top-2 | validation | 0.723 / 0.943 | 0.400 [0.350, 0.450] |" in text


def test_readme_section_is_rewritten_in_place(tmp_path, capsys):
    readme, findings = tmp_path / "README.md", tmp_path / "FINDINGS.md"
    readme.write_text(f"intro\n{results.README_START}\nold\n{results.README_END}\noutro\n")
    folder = write_all(tmp_path / "r")
    argv = ["results-table", "--results", str(folder), "--readme", str(readme)]
    assert cli.main([*argv, "--findings", str(findings)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "\nold\n" not in text
    # The README gets the short table, one row per claim; FINDINGS.md, created, every row in full.
    assert "| the report's claim | the report | this study | verdict | rests on |" in text
    assert text.count("\n| ") == 2 + len({c.claim for c in claims.CLAIMS}) and "### Findings" not in text
    assert "labels alone" in text and "the model" in text and "[FINDINGS.md](FINDINGS.md)" in text
    full = findings.read_text()
    assert (
        full.startswith(results.FINDINGS_HEADER) and "### Findings" in full and "### Headline numbers" in full
    )
    assert results.update_readme(readme, folder, findings) is False  # idempotent
    # A FINDINGS.md of someone else's is refused before either file is written.
    findings.write_text("my notes")
    readme.write_text(f"intro\n{results.README_START}\nold\n{results.README_END}\noutro\n")
    assert cli.main([*argv, "--findings", str(findings)]) == 2
    assert findings.read_text() == "my notes" and "\nold\n" in readme.read_text()
    assert "FINDINGS.md: no findings markers" in capsys.readouterr().err
    assert cli.main(["results-table", "--results", str(folder), "--findings", str(findings)]) == 2
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="no findings markers"):
        results.update_readme(readme, folder)


def test_results_files_hold_one_record_per_line(tmp_path):
    found = [records.record("recall", 0.5, model=m) for m in ("a", "b")]
    saved = results.save_results("x", {"seeds": [0], "records": found}, RANDOM, tmp_path)
    text = (tmp_path / "x.json").read_text()
    assert json.loads(text) == saved and saved["records"] == found
    lines = text.splitlines()
    assert sum(line.lstrip().startswith('{"notebook"') for line in lines) == 2  # one line per record
    assert lines[-3].endswith("}") and lines[-2] == "  ]" and lines[-1] == "}"


def test_the_shipped_model_per_instrument_near_the_top_of_the_findings(tmp_path):
    found = claims_results()
    per_instrument = found["11_generalization_of_models"]["records"]
    for r in per_instrument:
        if r["instrument"] == "horn":
            r["recordings"] = 0  # absent from the test recordings: no row
    text = results.shipped_table(found)
    assert "| violin | 0.50 | 0.60 | 0.10 | 2, 100 | 0.50 | 0.50 |" in text
    assert "| horn |" not in text and "F1 on OPL3_FM | F1 on Freepats |" in text
    folder = write_all(tmp_path / "r")
    findings = results.findings_section(folder)
    assert findings.index("ships, per instrument") < findings.index("### Findings")
