"""Small file utilities shared by the data layer: atomic writes, digests, cache.

Everything instrid writes goes through :func:`atomic_path`: the content is
written under a temporary name in the destination's folder and renamed into
place only once complete, so an interrupted run never leaves a half-written
file that a later run would trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from instrid.errors import UsageError

CACHE_ENV = "INSTRID_CACHE"

# mkstemp creates files readable by the owner only; give finished files the
# permissions an ordinary open() would have.
_UMASK = os.umask(0)
os.umask(_UMASK)


def cache_dir() -> Path:
    """Root of instrid's download and audio caches.

    ``$INSTRID_CACHE`` if set, else ``$XDG_CACHE_HOME/instrid``, else
    ``~/.cache/instrid``.
    """
    if os.environ.get(CACHE_ENV):
        root = Path(os.environ[CACHE_ENV]).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "instrid"
    if (root.is_symlink() or root.exists()) and not root.is_dir():
        broken = "a broken or looping symbolic link" if root.is_symlink() else "a file"
        raise UsageError(f"{root}: instrid's cache is {broken}, not a folder (set {CACHE_ENV} to a folder)")
    return root


@contextlib.contextmanager
def atomic_path(dest, suffix: str | None = None):
    """Yield a temporary path next to ``dest``; rename it to ``dest`` on success.

    On an exception the temporary file is removed and ``dest`` is untouched.
    ``suffix`` (default: ``dest``'s own) lets writers that infer the format
    from the extension (soundfile, numpy) see the right one.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{dest.name}.{os.getpid()}.",
        suffix=".part" + (dest.suffix if suffix is None else suffix),
        dir=dest.parent,
    )
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: ``.<name>.<pid>.<random>.part<suffix>``: what :func:`atomic_path` leaves if its process is killed.
PART = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.part")


def remove_stale_parts(folder, pattern: re.Pattern = PART) -> list[Path]:
    """Delete the temporaries in ``folder`` whose names match ``pattern`` and whose process no longer runs.

    ``pattern`` names the owning process in a ``pid`` group: by default the
    temporary files of :func:`atomic_path`; the embedding cache passes its
    staging folders'. A process killed outright (SIGKILL, power loss) cannot
    clean up; the next run does. Temporaries of live processes (a concurrent
    run) are kept. Returns what was deleted.
    """
    removed = []
    for path in Path(folder).glob(".*"):
        match = pattern.match(path.name)
        if match and not pid_alive(int(match["pid"])):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def write_text_atomic(dest, text: str) -> None:
    """Write ``text`` to ``dest`` atomically (UTF-8)."""
    with atomic_path(dest) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(dest, obj, *, sort_keys: bool = True) -> None:
    """Write ``obj`` as indented JSON (keys sorted unless ``sort_keys`` is False) to ``dest`` atomically."""
    write_text_atomic(dest, json.dumps(obj, indent=2, sort_keys=sort_keys) + "\n")


def file_digest(path, algorithm: str = "sha256", chunk_bytes: int = 1 << 22) -> str:
    """Hex digest of a file's bytes (``algorithm`` is any :mod:`hashlib` name)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()
