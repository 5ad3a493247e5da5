"""The output guard: every command that writes declares its outputs here before any work.

instrid never overwrites, deletes or writes beside a file it did not make.
A path is refused when it

* exists and carries no instrid mark (each kind of output says what its mark
  is: a model file's format record, predict's JSON summary beside its CSV and
  PNG, a synthetic tree's ``synth.json``, a notebook copy's ``instrid``
  metadata);
* is an input of the same run, or lies inside the dataset a run reads;
* is a folder where a file is due, or lies under a file where a folder is due.

An instrid output may be replaced when the same command with the same input
writes it again (a rerun); anything else needs ``--force``. Each refusal is
one :class:`~instrid.errors.UsageError` line that says what to do instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from instrid.errors import UsageError

#: How an output kind recognises its own files: ``mark(path) -> str | None``, a short description of the
#: instrid output at ``path`` (e.g. "an instrid model trained on ..."), or None when it is not one.
Mark = Callable[[Path], "str | None"]


def _occupied(path: Path) -> bool:
    """Whether anything is at ``path``: a file, a folder, or a symbolic link (even a dangling one)."""
    return path.is_symlink() or path.exists()


def check_parent(path: Path, option: str) -> None:
    """Refuse a path whose nearest existing ancestor is not a folder (a file stands where a folder is due)."""
    for parent in path.parents:
        if _occupied(parent):
            if not parent.is_dir():
                raise UsageError(f"{parent}: is not a folder, so {option} {path} cannot be written under it")
            return


def existing(paths: Iterable) -> frozenset[Path]:
    """The resolved paths of those of ``paths`` that exist: what :func:`check_file` takes as ``inputs``.

    Resolved once, so a command checking many outputs against many inputs
    does not resolve every input again for every output.
    """
    return frozenset(Path(p).resolve() for p in paths if _occupied(Path(p)))


def within(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies inside it (both resolved)."""
    path, folder = Path(path).resolve(), Path(folder).resolve()
    return path == folder or folder in path.parents


def check_file(
    path,
    *,
    mark: Mark,
    what: str,
    option: str = "--out",
    inputs: frozenset[Path] = frozenset(),
    trees: Iterable = (),
    replace: Callable[[Path], bool] = lambda path: False,
    force: bool = False,
) -> Path:
    """Refuse, before any work, a file output that would destroy or shadow something of the user's.

    Parameters
    ----------
    path : path-like
        The file the command will write (atomically).
    mark : callable
        The output kind's recogniser (:data:`Mark`).
    what : str
        The kind of output, for messages ("an instrid model file").
    inputs : frozenset of pathlib.Path
        The files the run reads (:func:`existing`): ``path`` may be none of them.
    trees : iterable of path-like
        Folders (datasets) the run reads: ``path`` may not lie inside one.
    replace : callable
        Whether an instrid output at ``path`` is this same command's to rewrite
        without ``--force`` (a rerun on the same input).
    force : bool
        Replace an instrid output that ``replace`` does not cover.

    Returns
    -------
    pathlib.Path
        ``path``, checked.
    """
    path = Path(path)
    if not str(path).strip():
        raise UsageError(f"{option}: empty path")
    if path.is_dir():
        raise UsageError(f"{path}: is a folder; {option} names the file to write ({what})")
    check_parent(path, option)
    if path.resolve() in inputs:
        raise UsageError(f"{path}: is an input of this run; choose another {option}")
    for tree in trees:
        if Path(tree).is_dir() and within(path, Path(tree)):
            raise UsageError(
                f"{path}: lies inside the dataset {tree} this run reads; choose another {option}"
            )
    if _occupied(path):
        found = mark(path) if path.is_file() else None
        if found is None:
            raise UsageError(
                f"{path}: exists and is not {what}; instrid never overwrites files it did not write: "
                f"choose another {option}"
            )
        if not (force or replace(path)):
            raise UsageError(
                f"{path}: already holds {found}; add --force to replace it, or choose another {option}"
            )
    return path


def check_folder(path, *, option: str = "--out") -> Path:
    """Refuse an output folder given as an empty path, that is no folder, or that lies under a file."""
    path = Path(path)
    if not str(path).strip():
        raise UsageError(f"{option}: empty path")
    if _occupied(path) and not path.is_dir():
        raise UsageError(f"{path}: is not a folder; {option} names a folder to write into")
    check_parent(path, option)
    return path


def summary_at(path, keys) -> dict | None:
    """The JSON summary a command left at ``path`` (an object holding every one of ``keys``: the command's
    mark on its outputs), or None when there is none."""
    try:
        summary = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return summary if isinstance(summary, dict) and set(keys) <= set(summary) else None
