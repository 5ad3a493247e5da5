"""Executed notebooks, cleaned for git: last progress-bar state, no blanks, no run metadata."""

from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from conftest import one_line
from instrid.app import cli


def test_tidy_notebook_keeps_what_a_reader_sees_and_nothing_that_changes(tmp_path):
    cell = new_code_cell("x")
    cell.outputs = [
        new_output("stream", name="stderr", text="\rbar:  10%"),
        new_output("stream", name="stderr", text="\rbar:  50%"),
        new_output("stream", name="stderr", text="\rbar: 100%|##| 323/323 [00:03<00:00, 93.51rec/s]\n"),
        # A bar padded over a longer line before it (another run's padding differs).
        new_output("stream", name="stderr", text="\rseg: 100%|##| 9/9 [00:00<00:00, 1.5rec/s]   \n"),
        new_output("stream", name="stdout", text="done [00:03<00:00]\n"),
    ]
    cell.metadata.update(
        execution={"iopub.status.busy": "2026-11-24T11:40:11Z"},
        papermill={"duration": 0.01, "start_time": "2026-11-24"},
        tags=["parameters"],
    )
    blank = new_code_cell("y")
    blank.outputs = [
        new_output("stream", name="stderr", text="\r  "),
        new_output("stream", name="stderr", text="   \r"),
    ]
    notebook = new_notebook(cells=[cell, blank])
    notebook.metadata["papermill"] = {"parameters": {"data_root": "/home/someone/data"}, "duration": 21.0}
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    assert cli.main(["tidy-notebook", str(path)]) == 0
    tidy = nbformat.read(path, as_version=4)
    # The bar's timing goes (it differs on every run); what a cell prints itself stays.
    assert [(o.name, o.text) for o in tidy.cells[0].outputs] == [
        ("stderr", "bar: 100%|##| 323/323\nseg: 100%|##| 9/9\n"),
        ("stdout", "done [00:03<00:00]\n"),
    ]
    assert tidy.cells[0].metadata == {"tags": ["parameters"]}
    assert tidy.cells[1].outputs == []  # a bar that left nothing behind leaves no empty box
    assert "papermill" not in tidy.metadata
    before = path.read_bytes()
    assert cli.main(["tidy-notebook", str(path)]) == 0 and path.read_bytes() == before


def notebook_with_parameters(path, body: str):
    parameters = new_code_cell("a = 1\nb = 'x'")
    parameters.metadata["tags"] = ["parameters"]
    nbformat.write(
        new_notebook(
            cells=[parameters, new_code_cell(body)],
            metadata={"kernelspec": {"name": "instrid", "language": "python", "display_name": "instrid"}},
        ),
        path,
    )
    return path


def test_run_notebook_passes_only_declared_parameters_and_tidies(tmp_path, capsys):
    source = notebook_with_parameters(tmp_path / "nb.ipynb", "print(a, b)")
    (tmp_path / "p.yaml").write_text("a: 5\nelsewhere: 3\n")
    out = tmp_path / "out" / "nb.ipynb"
    assert (
        cli.main(
            [
                "run-notebook",
                str(source),
                "--out",
                str(out),
                "-f",
                str(tmp_path / "p.yaml"),
                "-p",
                "b",
                "/some/path",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "Passed unknown parameter" not in captured.out + captured.err
    # benchmarks/bench_study.py times each notebook of a study by this line.
    assert re.search(rf"^{re.escape(str(source))}: ran in \d+\.\d s$", captured.out, re.M)
    executed = nbformat.read(out, as_version=4)
    assert [o.text for o in executed.cells[-1].outputs] == ["5 /some/path\n"]
    assert "elsewhere" not in executed.cells[1].source  # the injected cell names only what nb.ipynb declares
    assert "papermill" not in executed.metadata and list(out.parent.iterdir()) == [out]


def test_a_failing_notebook_leaves_the_previous_result_and_the_partial_run_beside_it(tmp_path, capsys):
    source = notebook_with_parameters(tmp_path / "nb.ipynb", "raise ValueError('boom')")
    before = source.read_bytes()
    assert cli.main(["run-notebook", str(source), "--quiet"]) == 2
    line = one_line(capsys.readouterr().err)
    assert (
        "nb.ipynb: cell 2 failed: ValueError: boom (the partial run: " in line and "nb.failed.ipynb" in line
    )
    assert source.read_bytes() == before
    assert (tmp_path / "nb.failed.ipynb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb.failed.ipynb", "nb.ipynb"]
    # A second failure replaces the first's partial run (instrid's own), never a file of the user's.
    assert cli.main(["run-notebook", str(source), "--quiet"]) == 2
    capsys.readouterr()
    (tmp_path / "nb.failed.ipynb").write_text("my notes")
    assert cli.main(["run-notebook", str(source), "--quiet"]) == 2
    assert "nb.failed.ipynb: exists and is not a failed run instrid wrote" in one_line(
        capsys.readouterr().err
    )
    assert (tmp_path / "nb.failed.ipynb").read_text() == "my notes"


def test_a_bad_parameters_file_is_one_line(tmp_path, capsys):
    source = notebook_with_parameters(tmp_path / "nb.ipynb", "print(a)")
    (tmp_path / "p.yaml").write_text("- just\n- a list\n")
    assert cli.main(["run-notebook", str(source), "-f", str(tmp_path / "p.yaml")]) == 2
    assert "p.yaml: parameters must be a mapping" in capsys.readouterr().err
    assert cli.main(["run-notebook", str(source), "-f", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: cannot read parameters" in capsys.readouterr().err


def test_a_bars_closing_newline_is_the_same_however_it_arrived(tmp_path):
    texts = []
    for pieces in (["\rbar: 100%|##| 3/3"], ["\rbar: 100%|##| 3/3\n"], ["\rbar: 100%|##| 3/3", "\n"]):
        cell = new_code_cell("x")
        cell.outputs = [new_output("stream", name="stderr", text=t) for t in pieces]
        path = tmp_path / f"{len(texts)}.ipynb"
        nbformat.write(new_notebook(cells=[cell]), path)
        assert cli.main(["tidy-notebook", str(path)]) == 0
        texts.append([o.text for o in nbformat.read(path, as_version=4).cells[0].outputs])
    assert texts[0] == texts[1] == texts[2] == ["bar: 100%|##| 3/3\n"]
