"""The study's split of MusicNet's recordings into train, validation and test (notebook ``00_data``).

Splitting is by recording, never by segment, so no recording is in two
splits. :func:`make_splits` is the rule; its output is committed as
``instrid/tables/splits.csv`` and read with :func:`read_splits`, so the split
stays fixed even if the rule's random generator changes.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import numpy as np
import pandas as pd

from instrid.data.musicnet import TEST_IDS, read_metadata
from instrid.errors import DatasetError

#: Share of each ensemble's training recordings held out for validation.
VALIDATION_SHARE = 0.15
SPLITS_SEED = 2023
SPLIT_NAMES = ("train", "validation", "test")


def make_splits(
    metadata: pd.DataFrame | None = None, *, share: float = VALIDATION_SHARE, seed: int = SPLITS_SEED
) -> pd.DataFrame:
    """The study's recording-level split of all 330 MusicNet ids.

    * test: MusicNet's official 10 test recordings (:data:`instrid.data.musicnet.TEST_IDS`);
    * validation: from every ensemble (metadata ``ensemble``) with at least
      3 training recordings, ``max(1, round(share * n))`` of its ``n``
      recordings, drawn by a permutation seeded with ``seed`` of its ids in
      ascending order; so every kind of ensemble, and with it every
      instrument, is validated, and no recording is in two splits;
    * train: the rest.

    The result is committed as ``instrid/tables/splits.csv`` (read it with
    :func:`read_splits`); a test checks that the file equals this function.
    """
    meta = read_metadata() if metadata is None else metadata
    ids = meta["id"].to_numpy()
    split = np.where(np.isin(ids, TEST_IDS), "test", "train").astype(object)
    rng = np.random.default_rng(seed)
    train = meta.loc[split == "train"]
    for ensemble in sorted(train["ensemble"].unique()):
        members = np.sort(train.loc[train["ensemble"] == ensemble, "id"].to_numpy())
        if len(members) < 3:
            continue
        n_val = max(1, int(round(share * len(members))))
        chosen = members[rng.permutation(len(members))[:n_val]]
        split[np.isin(ids, chosen)] = "validation"
    out = pd.DataFrame(
        {"id": ids.astype(np.int64), "split": split.astype(str), "ensemble": meta["ensemble"].to_numpy()}
    )
    return out.sort_values("id").reset_index(drop=True)


def splits_path() -> Path:
    return Path(str(importlib.resources.files("instrid") / "tables" / "splits.csv"))


def read_splits(path=None) -> pd.DataFrame:
    """The committed recording split: columns ``id``, ``split`` (train/validation/test), ``ensemble``."""
    path = Path(path) if path is not None else splits_path()
    splits = pd.read_csv(path)
    bad = set(splits["split"]) - set(SPLIT_NAMES)
    if bad or splits["id"].duplicated().any():
        raise DatasetError(f"{path}: splits must name each id once as one of {SPLIT_NAMES}")
    return splits


def recording_folds(ids, ensembles, folds: int, *, seed: int = SPLITS_SEED) -> dict[int, int]:
    """Each recording's fold, ``0 <= fold < folds``, stratified by ensemble: the recordings of each ensemble
    (in ascending id order, permuted by ``seed``) are dealt to the folds in turn, the deal carrying on
    from one ensemble to the next so that the folds' sizes differ by at most one recording.

    Parameters
    ----------
    ids : array_like of int
        Recording ids (each once).
    ensembles : array_like of str
        Each recording's ensemble (MusicNet's metadata).
    folds : int
        At least 2 and at most the number of recordings.
    """
    ids, ensembles = np.asarray(ids, dtype=np.int64), np.asarray(ensembles, dtype=object)
    if len(ids) != len(ensembles) or len(np.unique(ids)) != len(ids):
        raise ValueError("one ensemble per recording, each recording once")
    if not 2 <= folds <= len(ids):
        raise ValueError(f"folds must lie in [2, {len(ids)}] (the recordings), got {folds}")
    rng = np.random.default_rng(seed)
    out, turn = {}, 0
    for ensemble in sorted(set(ensembles)):
        members = np.sort(ids[ensembles == ensemble])
        for rid in members[rng.permutation(len(members))]:
            out[int(rid)] = turn % folds
            turn += 1
    return out
