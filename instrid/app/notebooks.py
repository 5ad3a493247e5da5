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

import contextlib
import os
import re
from pathlib import Path

from instrid import outputs
from instrid.errors import DatasetError, NotebookError, UsageError
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
    notebook = read_notebook(path)
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
                    # or with the bar: end every stderr text with exactly one, whichever happened. A bar
                    # pads its line with spaces over a longer one before it: lines lose trailing blanks.
                    lines = TQDM_TIMING.sub("", output.text).rstrip("\n").split("\n")
                    output.text = "\n".join(line.rstrip() for line in lines) + "\n"
    with atomic_path(path) as tmp:
        nbformat.write(notebook, tmp)


#: The Jupyter kernel the notebooks run on (``make env`` installs it).
KERNEL = "instrid"


#: Where a copy of a notebook run (``--out``) records which notebook it ran: instrid's mark on it.
MARK = "instrid"


def read_notebook(path):
    """The notebook at ``path`` (nbformat 4), or DatasetError naming the file when it is none."""
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: notebook not found" if not path.exists() else f"{path}: not a file")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises JSON, schema, encoding and reader errors alike
        raise DatasetError(f"{path}: not a Jupyter notebook ({type(exc).__name__})") from None


def mark(path) -> str | None:
    """What the notebook copy at ``path`` is (``"a run of NAME"``), or None when instrid did not write it."""
    try:
        metadata = read_notebook(path).metadata
        # papermill's own record marks a failed run written before instrid marked its copies.
        run_of = metadata.get(MARK, {}).get("run_of") or Path(metadata["papermill"]["input_path"]).name
    except (DatasetError, AttributeError, KeyError, TypeError):
        return None
    return f"a run of {run_of}" if isinstance(run_of, str) else None


def declared_parameters(path) -> dict:
    """The parameters a notebook's ``parameters`` cell declares: ``{name: default source}``."""
    import papermill

    read_notebook(path)
    return {name: spec["default"] for name, spec in papermill.inspect_notebook(str(path)).items()}


def study_parameters(folder) -> set[str]:
    """Every parameter a study notebook in ``folder`` (``NN_name.ipynb``) declares."""
    names = set()
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        if not path.name.endswith(".failed.ipynb"):
            names |= set(declared_parameters(path))
    return names


def run_notebook(
    path,
    out=None,
    parameters: dict | None = None,
    *,
    named=(),
    kernel: str = KERNEL,
    force: bool = False,
    progress: bool = False,
) -> Path:
    """Execute ``path`` into ``out`` (default: in place) with papermill, then tidy it.

    Only the ``parameters`` the notebook declares are passed; the others are
    meant for other notebooks (one parameters file serves them all), but the
    ``named`` ones (given one by one) must be declared by a study notebook
    beside it, so a mistyped name is refused. The notebook runs in its
    own folder. ``out`` is replaced only by a complete run: a run that fails
    leaves ``out`` as it was and the partial notebook beside it as
    ``<name>.failed.ipynb`` to read, and raises :class:`NotebookError` naming
    the cell. A copy (``out`` other than ``path``) carries instrid's mark, and
    an existing ``out`` must be such a copy of the same notebook (``force``:
    of any notebook); a file instrid did not write is never replaced.
    """
    import papermill

    path = Path(path)
    out = Path(out) if out is not None else path
    declared = declared_parameters(path)
    unknown = sorted(set(named) - set(declared) - study_parameters(path.parent)) if named else []
    if unknown:
        raise UsageError(
            f"{path}: no notebook here declares the parameter(s) {', '.join(unknown)} "
            f"(this one declares: {', '.join(sorted(declared)) or 'none'})"
        )
    passed = {k: v for k, v in (parameters or {}).items() if k in declared}
    failed = out.with_suffix(".failed.ipynb")
    copy = out.resolve() != path.resolve()
    if copy:
        outputs.check_file(
            out,
            mark=mark,
            what="a notebook run instrid wrote",
            replace=lambda found: mark(found) == f"a run of {path.name}",
            force=force,
        )
    outputs.check_file(
        failed, mark=mark, what="a failed run instrid wrote", option="--out (its failed copy)", force=True
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(out.parent)  # what a killed earlier run left
    bar = {"desc": path.name, "leave": False, "disable": None} if progress else False
    with atomic_path(out) as tmp:
        try:
            papermill.execute_notebook(
                str(path),
                str(tmp),
                parameters=passed,
                kernel_name=kernel,
                cwd=str(path.parent),
                progress_bar=bar,
            )
        except BaseException as exc:
            if Path(tmp).exists():
                with contextlib.suppress(Exception):  # an interrupted write may be no notebook at all
                    _mark(tmp, path)
                os.replace(tmp, failed)
            if isinstance(exc, papermill.PapermillExecutionError):
                evalue = (str(exc.evalue).strip().splitlines() or [""])[0]
                raise NotebookError(
                    f"{path}: cell {exc.exec_count} failed: {exc.ename}: {evalue} (the partial run: {failed})"
                ) from None
            raise
        if copy:
            _mark(tmp, path)
        tidy_notebook(tmp)
    failed.unlink(missing_ok=True)
    return out


def _mark(copy: Path, source: Path) -> None:
    import nbformat

    notebook = nbformat.read(copy, as_version=4)
    notebook.metadata[MARK] = {"run_of": source.name}
    nbformat.write(notebook, copy)
