"""Shared fixtures: an isolated cache, the offline seed folder, tiny MusicNet-format trees."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty cache; the seed folder is ../shared/data."""
    monkeypatch.setenv("INSTRID_CACHE", str(tmp_path_factory.mktemp("cache")))
    seed = os.environ.get("INSTRID_SEED_DIR") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else "")
    monkeypatch.setenv("INSTRID_SEED_DIR", seed)


@pytest.fixture
def seed_dir() -> Path:
    for folder in os.environ.get("INSTRID_SEED_DIR", "").split(os.pathsep):
        if folder and (Path(folder) / "musicnet_em.zip").is_file():
            return Path(folder)
    pytest.skip("no seed folder with musicnet_em.zip (set INSTRID_SEED_DIR)")


def tone(seconds: float, sample_rate: int = 44_100, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def label_table(rows) -> pd.DataFrame:
    """rows: (start, end, instrument code, note) in samples."""
    table = pd.DataFrame(rows, columns=["start_time", "end_time", "instrument", "note"])
    table["start_beat"] = np.arange(len(table), dtype=float)
    table["end_beat"] = 1.0
    table["note_value"] = "Quarter"
    return table


def make_tree(root: Path, recordings: dict, *, nested: str = "", audio_format: str = "wav") -> Path:
    """Write a MusicNet-format tree. recordings: {id: (split, seconds, label rows)}."""
    tree = root / nested if nested else root
    for rid, (split, seconds, rows) in recordings.items():
        (tree / f"{split}_data").mkdir(parents=True, exist_ok=True)
        (tree / f"{split}_labels").mkdir(parents=True, exist_ok=True)
        soundfile.write(str(tree / f"{split}_data" / f"{rid}.{audio_format}"), tone(seconds), 44_100,
                        subtype="PCM_16")
        label_table(rows).to_csv(tree / f"{split}_labels" / f"{rid}.csv", index=False)
    return tree


TINY = {
    1727: ("train", 1.0, [(0, 22050, 1, 60), (11025, 33075, 41, 67), (33075, 44100, 43, 48)]),
    1728: ("train", 0.5, [(100, 20000, 72, 70)]),
    1759: ("test", 0.8, [(0, 30000, 1, 62), (0, 30000, 1, 66)]),
}


@pytest.fixture
def tiny_tree(tmp_path) -> Path:
    return make_tree(tmp_path / "tiny", TINY)


def make_tar(path: Path, members: dict, links: dict | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


# Ids from the committed splits: 2238 train, 2232 validation, 1759 test.
TREE = {
    2238: ("train", 1.0, [(0, 22050, 1, 60), (11025, 33075, 41, 67), (33075, 44100, 43, 48)]),
    2232: ("train", 0.8, [(100, 20000, 72, 70), (20000, 35000, 1, 60)]),
    1759: ("test", 0.8, [(0, 30000, 1, 62), (0, 30000, 41, 66)]),
}


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A model file of the study's architecture, trained for a moment on :data:`TREE` (its own cache)."""
    from instrid import cli

    tmp = tmp_path_factory.mktemp("model")
    tree = make_tree(tmp / "tree", TREE)
    path = tmp / "model.pt"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSTRID_CACHE", str(tmp / "cache"))
        assert cli.main(["train", "--root", str(tree), "--out", str(path), "--weights", "none", "--epochs", "1",
                         "--train-examples", "4", "--validation-examples", "3", "--quiet"]) == 0
    return path


def tone_file(path, seconds=1.0, rate=22_050, channels=2):
    """A short stereo (or mono) tone file, in whatever format the suffix names."""
    t = np.arange(int(seconds * rate)) / rate
    audio = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)][:channels], axis=1)
    soundfile.write(str(path), audio, rate)
    return path
