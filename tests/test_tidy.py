"""Executed notebooks, cleaned for git: last progress-bar state, no blanks, no run metadata."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from instrid import cli


def test_tidy_notebook_keeps_what_a_reader_sees_and_nothing_that_changes(tmp_path):
    cell = new_code_cell("x")
    cell.outputs = [new_output("stream", name="stderr", text="\rbar:  10%"), new_output("stream", name="stderr", text="\rbar:  50%"),
                    new_output("stream", name="stderr", text="\rbar: 100%|##| 323/323 [00:03<00:00, 93.51rec/s]\n"),
                    new_output("stream", name="stdout", text="done [00:03<00:00]\n")]
    cell.metadata.update(execution={"iopub.status.busy": "2026-11-24T11:40:11Z"},
                         papermill={"duration": 0.01, "start_time": "2026-11-24"}, tags=["parameters"])
    blank = new_code_cell("y")
    blank.outputs = [new_output("stream", name="stderr", text="\r  "), new_output("stream", name="stderr", text="   \r")]
    notebook = new_notebook(cells=[cell, blank])
    notebook.metadata["papermill"] = {"parameters": {"data_root": "/home/someone/data"}, "duration": 21.0}
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    assert cli.main(["tidy-notebook", str(path)]) == 0
    tidy = nbformat.read(path, as_version=4)
    # The bar's timing goes (it differs on every run); what a cell prints itself stays.
    assert [(o.name, o.text) for o in tidy.cells[0].outputs] == [("stderr", "bar: 100%|##| 323/323\n"),
                                                                  ("stdout", "done [00:03<00:00]\n")]
    assert tidy.cells[0].metadata == {"tags": ["parameters"]}
    assert tidy.cells[1].outputs == []  # a bar that left nothing behind leaves no empty box
    assert "papermill" not in tidy.metadata
    before = path.read_bytes()
    assert cli.main(["tidy-notebook", str(path)]) == 0 and path.read_bytes() == before
