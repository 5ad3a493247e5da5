"""Running the study's notebooks (``instrid run-notebook``, what every make target calls) and cleaning them.

:func:`run_notebook` executes a notebook with papermill, passing only the
parameters it declares (one parameters file, such as ``notebooks/ci.yaml``,
serves every notebook), writes the result whole or not at all, and cleans it
with :func:`tidy_notebook`: a committed notebook shows what a reader of the
live notebook would see, and nothing that changes between two identical runs:
each progress bar's last state without its timings, no empty output boxes, no
per-cell timestamps or durations, no papermill run record (paths, times).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from instrid.files import atomic_path, remove_stale_parts

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
                    # A bar's closing newline may arrive in a later message (then dropped as blank)
                    # or with the bar: end every stderr text with exactly one, whichever happened.
                    output.text = TQDM_TIMING.sub("", output.text).rstrip("\n") + "\n"
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)


#: The Jupyter kernel the notebooks run on (``make env`` installs it).
KERNEL = "instrid"


def declared_parameters(path) -> dict:
    """The parameters a notebook's ``parameters`` cell declares: ``{name: default source}``."""
    import papermill

    return {name: spec["default"] for name, spec in papermill.inspect_notebook(str(path)).items()}


def run_notebook(path, out=None, parameters: dict | None = None, *, kernel: str = KERNEL) -> Path:
    """Execute ``path`` into ``out`` (default: in place) with papermill, then tidy it.

    Only the ``parameters`` the notebook declares are passed; the others are
    meant for other notebooks. The notebook runs in its own folder. ``out`` is
    replaced only by a complete run: a run that fails leaves ``out`` as it was
    and the partial notebook beside it as ``<name>.failed.ipynb`` to read.
    """
    import papermill

    path = Path(path)
    out = Path(out) if out is not None else path
    declared = declared_parameters(path)
    passed = {k: v for k, v in (parameters or {}).items() if k in declared}
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out.parent)  # what a killed earlier run left
    failed = out.with_suffix(".failed.ipynb")
    with atomic_path(out) as tmp:
        try:
            papermill.execute_notebook(
                str(path),
                str(tmp),
                parameters=passed,
                kernel_name=kernel,
                cwd=str(path.parent),
                progress_bar=False,
            )
        except BaseException:
            if Path(tmp).exists():
                os.replace(tmp, failed)
            raise
        tidy_notebook(tmp)
    failed.unlink(missing_ok=True)
    return out
