"""One call from a notebook's parameters to cached embeddings (notebooks ``02`` to ``06``).

Every study notebook starts the same way: open the dataset, cut its
recordings into labelled segments, subsample them per split, build the model
and read (or compute once) the backbone's outputs. :func:`prepare` does that,
in that order, and :func:`run_config` records what was run, so each notebook
stays a flat script of its own experiment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import torch

import instrid
from instrid import data, embeddings, features, labels, model, train


@dataclass
class Prepared:
    """Dataset, examples, model and the examples' cached embeddings."""

    dataset: data.MusicNet
    examples: labels.Examples
    model: model.InstrumentNet
    embeddings: np.ndarray
    config: dict

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and targets of one split."""
        mask = self.examples.table["split"].to_numpy() == name
        return np.asarray(self.embeddings[mask], dtype=np.float32), self.examples.targets[mask]


def prepare(data_root, *, dataset_kind: str = "synthetic", front_end: str = "report_spectrogram",
            head: str = "report_code", weights="auto", batch_norm: str = "eval", train_examples: int = 20_000,
            validation_examples: int = 5_000, test_examples: int = 5_000, inclusive_end: bool = False,
            split_kind: str = "recordings", seed: int = 0, device: str | None = None,
            progress: bool = True) -> Prepared:
    """Examples and their embeddings for one configuration.

    Parameters mirror the notebooks' ``parameters`` cell. ``split_kind`` is
    ``"recordings"`` (the committed split by recording) or ``"report_code"``
    (the report code's leaky 60/20/20 split by row position, for the audit).
    A log-mel front-end with per-frequency normalization is fitted on up to
    512 training crops (seeded) before extraction.
    """
    dataset = data.MusicNet(data_root)
    per_split = {"train": train_examples, "validation": validation_examples, "test": test_examples}
    if split_kind == "recordings":
        examples = labels.segment_examples(dataset, data.read_splits(), per_split=per_split,
                                           inclusive_end=inclusive_end, seed=seed, progress=progress)
    elif split_kind == "report_code":
        pooled = labels.segment_examples(dataset, data.read_splits(), inclusive_end=inclusive_end, progress=progress)
        leaky = labels.report_code_split(pooled)
        examples = labels.subsample(leaky, per_split, seed=seed)
    else:
        raise ValueError(f"split_kind must be 'recordings' or 'report_code', got {split_kind!r}")
    front = features.make_front_end(front_end)
    if isinstance(front, features.LogMel) and front.normalization == "per_frequency":
        train_rows = np.flatnonzero(examples.table["split"].to_numpy() == "train")
        chosen = np.sort(np.random.default_rng(seed).choice(train_rows, size=min(512, len(train_rows)), replace=False))
        table = examples.table.iloc[chosen]
        crops = [embeddings.crops(dataset, rid, part["start"].to_numpy(), part["end"].to_numpy(),
                                  front.sample_rate, front.crop_samples)
                 for rid, part in table.groupby("recording", sort=True)]
        front.fit(torch.from_numpy(np.concatenate(crops)))
    net = model.InstrumentNet(front, head=head, weights=weights, batch_norm=batch_norm, seed=seed,
                              progress=progress)
    out = embeddings.extract(dataset, examples, net, device=device, progress=progress)
    config = run_config(dataset, net, dataset_kind=dataset_kind, split_kind=split_kind, inclusive_end=inclusive_end,
                        per_split={k: int((examples.table["split"] == k).sum()) for k in per_split}, seed=seed)
    return Prepared(dataset, examples, net, out, config)


def run_config(dataset, net, **extra) -> dict:
    """What a result depends on, to be stored next to it."""
    return {
        "dataset_root": str(dataset.root),
        "recordings": int(len(dataset.index)),
        "model": net.describe(),
        "instrid_version": instrid.__version__,
        "torch_version": str(torch.__version__),
        "date": datetime.date.today().isoformat(),
        **extra,
    }


def fit_head(prepared: Prepared, config: train.TrainConfig, *, progress: bool = True) -> train.TrainResult:
    """Train a head on the training split, selecting the epoch on validation."""
    x, y = prepared.split("train")
    vx, vy = prepared.split("validation")
    return train.train_head(x, y, vx, vy, config, progress=progress)


def predict(prepared: Prepared, head, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Targets, probabilities and logits of one split under ``head``."""
    x, y = prepared.split(split)
    logits = train.predict_logits(head, x)
    return y, train.sigmoid(logits), logits
