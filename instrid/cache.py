"""What instrid keeps in its cache, and removing what has not been used lately (``instrid cache``).

The cache (:func:`instrid.files.cache_dir`, ``~/.cache/instrid`` or ``$INSTRID_CACHE``) holds:

===============  ==========================================================  ===========
folder           what                                                        pruned
===============  ==========================================================  ===========
``downloads/``   verified downloads: MusicNetEM, SoundFonts, MusicNet        never
``embeddings/``  backbone outputs, one folder per key (:mod:`.embeddings`)   yes
``segments/``    a tree's relabeling, one ``.npz`` per key (:mod:`.pipeline`)  yes
``backbones/``   trained backbones, one ``.pth`` per key (:mod:`.finetune`)   yes
``note_models/`` note-instrument networks, one ``.pt`` per key               yes
``models/``      the model ``instrid predict`` uses by default               never
``locks/``       one empty file per embedding entry (the entry's lock)       never
===============  ==========================================================  ===========

Embeddings, relabelings, trained backbones and note-instrument networks are recomputed when missing,
so removing them costs only time; downloads are slow to fetch again and the model is what
``predict`` uses, so ``instrid cache prune`` (:func:`select`, then
:func:`remove`) leaves them alone. An entry's last use is
the modification time of its marker (an embedding entry's ``meta.json``, a
relabeling's ``.npz``, a backbone's ``.pth``): reading an entry touches it (:func:`mark_used`).
Every entry is named by :func:`key` from a description of what it depends on, the dataset by
:func:`dataset_fingerprint`. These entries are what grows: a full-scale run on real MusicNet (a million
segments) stores 1 GB (512-d features) or 2 GB (1000 logits) per configuration
and seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from instrid.files import cache_dir

#: The cache's folders, in the order :func:`usage` lists them.
FOLDERS = ("downloads", "embeddings", "segments", "backbones", "note_models", "models", "locks")
#: The folders whose entries :func:`entries` lists and ``instrid cache prune`` may remove.
PRUNED = ("embeddings", "segments", "backbones", "note_models")


def key(description: dict) -> str:
    """The cache key of an entry: the first 24 hex digits of the SHA-256 of ``description`` as sorted JSON.

    Every cached artefact (embeddings, noise probes, relabelings, trained backbones) is named this way from
    a description of everything it depends on, so two runs after the same thing find one entry.
    """
    return hashlib.sha256(json.dumps(description, sort_keys=True).encode()).hexdigest()[:24]


def dataset_fingerprint(dataset) -> str:
    """The cache's name for a dataset's files as they are here: the resolved root, and each audio and label
    file's place in it, size and modification time (``dataset``: a :class:`instrid.data.musicnet.MusicNet`).

    However the root is spelled (``data/synth``, ``../data/synth``, a symlink), the same files give the same
    fingerprint, so every notebook shares one cache; a file rewritten (a re-render, an edited label) changes
    it. Results name a dataset otherwise (:meth:`~instrid.data.musicnet.MusicNet.fingerprint`: what was read,
    the same on every machine), which a cache cannot use: it does not see audio rewritten in place.
    """
    root = Path(dataset.root).resolve()
    digest = hashlib.sha256(str(root).encode())
    for path in dataset.index["audio_path"].tolist() + dataset.index["labels_path"].tolist():
        path = Path(path).resolve()
        stat = os.stat(path)
        digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def mark_used(marker: Path) -> None:
    """Set ``marker``'s modification time to now: its entry was just read.

    A cache on a read-only file system is still read, just never pruned by age.
    """
    try:
        os.utime(marker)
    except OSError:
        pass


@contextlib.contextmanager
def entry_lock(folder: Path, *, wait: bool = True):
    """Hold an exclusive lock on the cache entry ``folder`` while inside; yields whether it is held.

    The lock is the file ``<cache>/locks/embeddings-<key>.lock``.

    A second process or thread after the same entry waits here, then finds it complete instead of
    computing it again. With ``wait=False`` it does not wait: it yields ``False`` while another holds
    the lock (``instrid cache prune`` skips an entry being computed). Where the platform has no
    ``fcntl`` (Windows), nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on the platforms CI runs
        yield True
        return
    locks = cache_dir() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"embeddings-{folder.name}.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Entry:
    """A removable cache entry: ``path`` (folder or file), its size in bytes, last use (epoch seconds)."""

    kind: str
    path: Path
    bytes: int
    last_used: float


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def entries(root: Path | None = None) -> list[Entry]:
    """The removable entries (complete embedding entries, relabelings, trained backbones and note-instrument
    networks), least recently used first."""
    root = Path(root) if root is not None else cache_dir()
    found = []
    # Names starting with a dot are being written (or were, by a killed run): never entries.
    for meta in (root / "embeddings").glob("[!.]*/meta.json"):
        found.append(Entry("embeddings", meta.parent, _size(meta.parent), meta.stat().st_mtime))
    for kind, pattern in (("segments", "[!.]*.npz"), ("backbones", "[!.]*.pth"), ("note_models", "[!.]*.pt")):
        for path in (root / kind).glob(pattern):
            stat = path.stat()
            found.append(Entry(kind, path, stat.st_size, stat.st_mtime))
    return sorted(found, key=lambda e: (e.last_used, str(e.path)))


def usage(root: Path | None = None) -> dict[str, dict]:
    """Per folder of the cache: ``{"entries": n, "bytes": b}``; an entry is a file, or for the
    :data:`PRUNED` folders one of :func:`entries`."""
    root = Path(root) if root is not None else cache_dir()
    removable = entries(root)
    out = {}
    for folder in FOLDERS:
        kind = [e for e in removable if e.kind == folder]
        if folder in PRUNED:
            out[folder] = {"entries": len(kind), "bytes": sum(e.bytes for e in kind)}
        else:
            files = [p for p in (root / folder).rglob("*") if p.is_file()] if (root / folder).is_dir() else []
            out[folder] = {"entries": len(files), "bytes": sum(p.stat().st_size for p in files)}
    return out


def select(found: list[Entry], *, unused_s: float | None = None, max_bytes: int | None = None, now=None):
    """The entries to remove: unused for longer than ``unused_s``, then the least recently used until the
    rest fit in ``max_bytes``. ``found`` least recently used first, as :func:`entries` gives them."""
    if unused_s is None and max_bytes is None:
        raise ValueError("say what to remove: unused_s, max_bytes or both")
    now = time.time() if now is None else now
    chosen = [e for e in found if unused_s is not None and now - e.last_used > unused_s]
    if max_bytes is not None:
        kept = [e for e in found if e not in chosen]
        total = sum(e.bytes for e in kept)
        for entry in kept:  # least recently used first
            if total <= max_bytes:
                break
            chosen.append(entry)
            total -= entry.bytes
    return sorted(chosen, key=lambda e: (e.last_used, str(e.path)))


def remove(entry: Entry) -> bool:
    """Delete one entry; ``False`` if it is being computed right now (its lock is held) and was kept.

    The entry is first renamed to a staging name (``.<key>.<pid>.<random>``), so that a reader sees it
    whole or not at all, and what an interrupted removal leaves is cleared by the next run.
    """
    if entry.kind == "segments":
        entry.path.unlink(missing_ok=True)
        return True
    if entry.kind == "backbones":
        with entry_lock(entry.path.with_suffix(""), wait=False) as held:
            if held:
                entry.path.unlink(missing_ok=True)
        return held
    with entry_lock(entry.path, wait=False) as held:
        if not held:
            return False
        staging = Path(tempfile.mkdtemp(prefix=f".{entry.path.name}.{os.getpid()}.", dir=entry.path.parent))
        try:
            os.replace(entry.path, staging / entry.path.name)
        except FileNotFoundError:  # removed meanwhile
            shutil.rmtree(staging, ignore_errors=True)
            return True
    shutil.rmtree(staging, ignore_errors=True)
    return True
