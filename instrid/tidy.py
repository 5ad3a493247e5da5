"""Executed notebooks, cleaned for committing (``instrid tidy-notebook``, run by make after papermill).

A committed notebook shows what a reader of the live notebook would see, and
nothing that changes between two identical runs: each progress bar's last
state without its timings, no empty output boxes, no per-cell timestamps or
durations, no papermill run record (paths, times).
"""

from __future__ import annotations

import re
from pathlib import Path

from instrid.files import atomic_path

#: Cell metadata written by the kernel and papermill on every run.
RUN_METADATA = ("execution", "papermill")
#: tqdm's "[elapsed<remaining, rate]": a timing, different on every run.
TQDM_TIMING = re.compile(r" \[[0-9:]+<[0-9:?]+(?:, [^\]\n]*)?\]")


def tidy_notebook(path) -> None:
    """Clean ``path`` in place (atomically); see the module docstring."""
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    notebook, _ = CoalesceStreamsPreprocessor().preprocess(notebook, {})
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        for key in RUN_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            # A bar that leaves nothing behind (leave=False) coalesces to blanks.
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and not o.text.strip())]
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.text = TQDM_TIMING.sub("", output.text)
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)
