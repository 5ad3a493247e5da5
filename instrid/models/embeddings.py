"""The embedding cache: the frozen backbone runs once per example, ever.

Every experiment of the study (a loss, a threshold, a normalization, a top-N
choice) trains or evaluates only the small head, on cached backbone outputs.
:func:`extract` reads only each example's crop (seeking in the file, in a
reader thread that overlaps the forward pass), runs front-end and backbone in
batches (``torch.inference_mode``, channels-last, GPU when given) and stores
the outputs as float16 in a memory-mapped ``.npy``.

Cache entries live in ``instrid.files.cache_dir()/embeddings/<key>/`` where
the key hashes everything the outputs depend on: the dataset's files (paths,
sizes, modification times), the examples, the front-end configuration
(including fitted statistics), the weights actually used, the head kind
(512-d features or 1000 ImageNet logits), the BatchNorm mode and
:data:`CACHE_VERSION`. An entry is written in a temporary folder and renamed
into place complete, so a half-written entry is never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from instrid import cache
from instrid.cache import entry_lock, mark_used
from instrid.data.examples import centred_windows, crops
from instrid.files import cache_dir, remove_stale_parts

#: ``.<key>.<pid>.<random>``: a cache entry being written (removed by the next run if its process died).
STAGING = re.compile(r"^\.[0-9a-f]+\.(?P<pid>\d+)\.[^.]+$")

#: Bump when extraction changes what it computes.
CACHE_VERSION = 1


def examples_fingerprint(examples) -> str:
    table = examples.table
    digest = hashlib.sha256()
    for column in ("recording", "start", "end"):
        digest.update(np.ascontiguousarray(table[column].to_numpy(np.int64)).tobytes())
    return digest.hexdigest()


def cache_key(dataset, examples, model, *, batch_size: int) -> tuple[str, dict]:
    """The cache key of these embeddings and the description it hashes."""
    description = {
        "cache_version": CACHE_VERSION,
        "dataset": cache.dataset_fingerprint(dataset),
        "examples": examples_fingerprint(examples),
        "front_end": model.front_end.config(),
        "weights": model.weights_used,
        "head": model.head_kind,
        "batch_norm": model.batch_norm,
        # With batch statistics, an example's embedding depends on its batch.
        "batch_size": batch_size if model.batch_norm == "batch" else None,
    }
    return cache.key(description), description


def plan_batches(recordings: np.ndarray, batch_size: int) -> list[list[tuple[int, np.ndarray]]]:
    """Split example rows into batches of exactly ``batch_size`` (the last may be short).

    Each batch is a list of ``(recording, rows)`` pieces, so that each piece
    is read from one file; examples are taken in the order given.
    """
    batches, current, room = [], [], batch_size
    for rid in dict.fromkeys(recordings.tolist()):
        rows = np.flatnonzero(recordings == rid)
        while len(rows):
            piece, rows = rows[:room], rows[room:]
            current.append((rid, piece))
            room -= len(piece)
            if room == 0:
                batches.append(current)
                current, room = [], batch_size
    if current:
        batches.append(current)
    return batches


class Busy(Exception):
    """The cache entry asked for with ``wait=False`` is being computed by another process right now."""


def extract(
    dataset,
    examples,
    model,
    *,
    batch_size: int = 64,
    device: str | None = None,
    use_cache: bool = True,
    wait: bool = True,
    progress: bool = True,
) -> np.ndarray:
    """Backbone outputs of every example, ``(n_examples, model.embedding_size)`` float16.

    Reads the cache when an entry with the same key exists; otherwise
    computes, stores and returns it (memory-mapped, read-only). While another
    process computes the same entry, waits for it, or with ``wait=False``
    raises :class:`Busy`.
    """
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if model.batch_norm == "batch":
        batch_size = 10  # the report code's batch
    key, description = cache_key(dataset, examples, model, batch_size=batch_size)
    folder = cache_dir() / "embeddings" / key
    return _read_or_compute(
        folder,
        use_cache,
        lambda: np.load(folder / "embeddings.npy", mmap_mode="r"),
        lambda: _compute(dataset, examples, model, folder, key, description, batch_size, device, progress),
        wait=wait,
    )


def _read_or_compute(folder: Path, use_cache: bool, read, compute, *, wait: bool = True):
    """``read()`` the complete cache entry ``folder``, or ``compute()`` it under the entry's lock.

    A read marks the entry used (:func:`instrid.cache.mark_used`); an entry removed between the
    check and the read (``instrid cache prune``) is computed again.
    """
    meta = folder / "meta.json"
    if use_cache and meta.exists():
        with contextlib.suppress(FileNotFoundError):
            return _read_used(meta, read)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with entry_lock(folder, wait=wait) as held:
        if not held:
            raise Busy(folder.name)
        # A concurrent run (make study runs notebooks side by side) may have computed it meanwhile.
        if use_cache and meta.exists():
            with contextlib.suppress(FileNotFoundError):
                return _read_used(meta, read)
        return compute()


def _read_used(meta: Path, read):
    out = read()
    mark_used(meta)
    return out


def _compute(
    dataset, examples, model, folder: Path, key: str, description: dict, batch_size, device, progress
):
    """Run front-end and backbone over every example into a staging folder, then rename it to ``folder``."""
    front_end = model.front_end
    sample_rate, crop_samples = front_end.sample_rate, front_end.crop_samples
    model = model.to(device).eval()
    recordings = examples.table["recording"].to_numpy()
    remove_stale_parts(folder.parent, STAGING)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.{os.getpid()}.", dir=folder.parent))
    try:
        out = np.lib.format.open_memmap(
            staging / "embeddings.npy",
            mode="w+",
            dtype=np.float16,
            shape=(len(examples), model.embedding_size),
        )
        starts, ends = examples.table["start"].to_numpy(), examples.table["end"].to_numpy()
        centred = getattr(front_end, "window", "segment") == "centred"

        def read(rid, rows):
            start, end = starts[rows], ends[rows]
            if centred:
                start, end = centred_windows(start, end, crop_samples, dataset.n_label_samples(rid))
            return crops(dataset, rid, start, end, sample_rate, crop_samples)

        def prepare(batch):
            """Rows and crops of one batch: [(recording, rows), ...] pieces."""
            rows = np.concatenate([r for _, r in batch])
            return rows, torch.from_numpy(np.concatenate([read(rid, r) for rid, r in batch]))

        # leave=False: a finished extraction leaves no bar, so a notebook reads the same whether
        # its embeddings were computed or read from the cache.
        bar = tqdm(total=len(examples), desc="embed", unit="ex", disable=not progress, leave=False)
        batches = plan_batches(recordings, batch_size)
        # Reading and cropping the next batch (I/O, in C code that releases the
        # GIL) overlaps with the backbone's forward pass on this one.
        with ThreadPoolExecutor(max_workers=1) as reader:
            upcoming = reader.submit(prepare, batches[0]) if batches else None
            for i in range(len(batches)):
                rows, x = upcoming.result()
                if i + 1 < len(batches):
                    upcoming = reader.submit(prepare, batches[i + 1])
                with torch.inference_mode():
                    out[rows] = model.embed(x.to(device)).float().cpu().numpy().astype(np.float16)
                bar.update(len(rows))
        bar.close()
        out.flush()
        del out
        meta = {"n_examples": len(examples), "embedding_size": model.embedding_size}
        _publish(staging, folder, {"key": key, **description, **meta})
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return np.load(folder / "embeddings.npy", mmap_mode="r")


def _publish(staging: Path, folder: Path, meta: dict) -> None:
    """Write ``meta.json`` (the mark of a complete entry) into ``staging`` and rename it to ``folder``."""
    with open(staging / "meta.json", "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(staging, folder)


def probe_outputs(model, inputs: dict, compute, *, use_cache: bool = True) -> np.ndarray:
    """``compute()``'s backbone outputs for inputs that ``inputs`` fully describes, computed once, ever.

    For the bias probes (:mod:`instrid.study.probes`): seeded white noise or
    Bernoulli images, not examples of a dataset. The key hashes ``inputs``
    (kind, level, count, seed, batch size) with the model's front-end,
    weights, head kind and BatchNorm mode, as :func:`cache_key` does. Stored
    as computed (float32), so a cached probe gives the very numbers a fresh
    one does; locked and renamed into place like every entry.
    """
    description = {
        "cache_version": CACHE_VERSION,
        "probe": inputs,
        "front_end": model.front_end.config(),
        "weights": model.weights_used,
        "head": model.head_kind,
        "batch_norm": model.batch_norm,
    }
    key = cache.key(description)
    folder = cache_dir() / "embeddings" / key

    def store():
        outputs = np.asarray(compute(), dtype=np.float32)
        remove_stale_parts(folder.parent, STAGING)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.{os.getpid()}.", dir=folder.parent))
        try:
            np.save(staging / "embeddings.npy", outputs)
            _publish(staging, folder, {"key": key, **description, "shape": list(outputs.shape)})
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return outputs

    return _read_or_compute(folder, use_cache, lambda: np.load(folder / "embeddings.npy"), store)
