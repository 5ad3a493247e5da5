"""One call from a notebook's parameters to cached embeddings (notebooks ``02`` on).

Every study notebook starts the same way: open the dataset, cut its
recordings into labelled segments, subsample them per split, build the model
and read (or compute once) the backbone's outputs. :func:`prepare` does that,
in that order, and :func:`run_config` records what was run, so each notebook
stays a flat script of its own experiment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import instrid
from instrid import (
    data,
    decisions,
    embeddings,
    examples,
    features,
    labels,
    metrics,
    model,
    splits,
    train,
    uncertainty,
)
from instrid.cache import mark_used
from instrid.errors import DatasetError
from instrid.files import atomic_path, cache_dir
from instrid.uncertainty import Evaluation

#: The study's listening model, as :func:`prepare` options: musicnn's checkpoint, layer and input that
#: notebook 10 finds best on validation (by mAP); the notebook says so, or that a rerun finds otherwise.
LISTENING = {
    "front_end": "musicnn_mel",
    "front_end_options": {"crop_samples": 10_240, "window": "segment"},
    "backbone": "musicnn",
    "weights": "MTT_musicnn",
    "head": "pooled",
}
#: The head that reads each musicnn layer (notebook 10 names candidates by layer).
LAYER_HEADS = {layer: head for head, layer in model.MUSICNN_LAYERS.items()}


def musicnn_candidate(weights: str, layer: str, crop_samples: int = 10_240, window: str = "segment") -> dict:
    """:func:`prepare` options for musicnn checkpoint ``weights`` read at ``layer`` on such an input."""
    return {
        "front_end": "musicnn_mel",
        "front_end_options": {"crop_samples": int(crop_samples), "window": window},
        "backbone": "musicnn",
        "weights": weights,
        "head": LAYER_HEADS[layer],
    }


@dataclass
class Prepared:
    """Dataset, examples, model and the examples' cached embeddings."""

    dataset: data.MusicNet
    examples: examples.Examples
    model: model.InstrumentNet
    embeddings: np.ndarray | None  # None from prepare(..., embed=False)
    config: dict

    @property
    def seed(self) -> int:
        return int(self.config["seed"])

    def only(self, recordings) -> Prepared:
        """The same run restricted to the examples of ``recordings`` (e.g. those rendered with one font)."""
        keep = np.isin(
            self.examples.table["recording"].to_numpy(), np.asarray(list(recordings), dtype=np.int64)
        )
        kept = self.examples.subset(keep)
        per_split = {k: int((kept.table["split"] == k).sum()) for k in ("train", "validation", "test")}
        config = {
            **self.config,
            "per_split": per_split,
            "recordings_kept": int(kept.table["recording"].nunique()),
        }
        return Prepared(self.dataset, kept, self.model, np.asarray(self.embeddings[keep]), config)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and targets of one split."""
        mask = self.examples.table["split"].to_numpy() == name
        return np.asarray(self.embeddings[mask], dtype=np.float32), self.examples.targets[mask]


def prepare(
    data_root,
    *,
    dataset_kind: str = "synthetic",
    front_end: str = "report_spectrogram",
    front_end_options: dict | None = None,
    backbone: str = "resnet18",
    head: str = "report_code",
    weights="auto",
    batch_norm: str = "eval",
    train_examples: int = 20_000,
    validation_examples: int = 5_000,
    test_examples: int = 5_000,
    inclusive_end: bool = False,
    split_kind: str = "recordings",
    seed: int = 0,
    device: str | None = None,
    embed: bool = True,
    progress: bool = True,
) -> Prepared:
    """Examples and their embeddings for one configuration.

    Parameters mirror the notebooks' ``parameters`` cell (``front_end_options``
    go to :func:`instrid.features.make_front_end`; :data:`LISTENING` gives the
    study's musicnn configuration). ``split_kind`` is
    ``"recordings"`` (the committed split by recording) or ``"report_code"``
    (the report code's leaky 60/20/20 split by row position, for the audit).
    A log-mel front-end with per-frequency normalization is fitted on up to
    512 training crops (seeded) before extraction. ``embed=False`` stops
    there (``embeddings`` None): the examples and model alone, e.g. the
    starting point of :func:`instrid.finetune.train_backbone`.
    """
    dataset = data.MusicNet(data_root)
    per_split = {"train": train_examples, "validation": validation_examples, "test": test_examples}
    pooled = all_segments(dataset, inclusive_end=inclusive_end, progress=progress)
    if split_kind == "recordings":
        chosen = examples.sample(pooled, per_split, seed=seed)
    elif split_kind in ("report_code", "positional"):
        cut = (
            examples.report_code_split(pooled, seed=seed)
            if split_kind == "report_code"
            else examples.positional_split(pooled)
        )
        chosen = examples.subsample(cut, per_split, seed=seed)
    else:
        raise ValueError(
            f"split_kind must be 'recordings', 'report_code' or 'positional', got {split_kind!r}"
        )
    front = features.make_front_end(front_end, **(front_end_options or {}))
    if isinstance(front, features.LogMel) and front.normalization == "per_frequency":
        front.fit(
            torch.from_numpy(
                examples.training_crops(dataset, chosen, front.sample_rate, front.crop_samples, seed=seed)
            )
        )
    net = model.InstrumentNet(
        front,
        backbone=backbone,
        head=head,
        weights=weights,
        batch_norm=batch_norm,
        seed=seed,
        progress=progress,
    )
    out = embeddings.extract(dataset, chosen, net, device=device, progress=progress) if embed else None
    config = run_config(
        dataset,
        net,
        dataset_kind=dataset_kind,
        split_kind=split_kind,
        inclusive_end=inclusive_end,
        per_split={k: int((chosen.table["split"] == k).sum()) for k in per_split},
        seed=seed,
    )
    return Prepared(dataset, chosen, net, out, config)


def prepare_elsewhere(
    prepared: Prepared,
    data_root,
    *,
    test_examples: int = 5_000,
    device: str | None = None,
    progress: bool = True,
) -> Prepared:
    """The test split of another tree, embedded by ``prepared``'s model (its fitted front-end included).

    For the same test recordings rendered otherwise (another SoundFont, no
    variation): segments drawn as :func:`prepare` draws them (``prepared``'s
    seed), embeddings cached as usual.
    """
    dataset = data.MusicNet(data_root)
    pooled = all_segments(dataset, progress=progress)
    chosen = examples.sample(pooled, {"test": test_examples}, seed=prepared.seed)
    out = embeddings.extract(dataset, chosen, prepared.model, device=device, progress=progress)
    config = run_config(dataset, prepared.model, per_split={"test": len(chosen)}, seed=prepared.seed)
    return Prepared(dataset, chosen, prepared.model, out, config)


_SEGMENTS: dict = {}


def all_segments(dataset, *, inclusive_end: bool = False, progress: bool = True) -> examples.Examples:
    """Every segment of every recording in the committed splits, relabelled once, ever.

    A notebook prepares several seeds and configurations of one dataset; they
    all draw from the same segments, so relabeling (about 6 s for the default
    tree, every notebook) is done once: kept in the process and stored in the
    cache (``<cache>/segments/<key>.npz``), keyed by the dataset's fingerprint
    (every label file's bytes), the labeling rule, the committed splits and
    the code that relabels (:func:`segments_key`).
    """
    fingerprint = dataset.fingerprint()
    key = (str(dataset.root), fingerprint, inclusive_end)
    if key not in _SEGMENTS:
        while len(_SEGMENTS) >= 2:  # about 40 MB each for MusicNet
            _SEGMENTS.pop(next(iter(_SEGMENTS)))
        path = cache_dir() / "segments" / f"{segments_key(fingerprint, inclusive_end)}.npz"
        try:
            _SEGMENTS[key] = _read_segments(path)
            mark_used(path)
        except FileNotFoundError:  # never stored, or pruned (instrid cache prune)
            found = examples.segment_examples(
                dataset, splits.read_splits(), inclusive_end=inclusive_end, progress=progress
            )
            _write_segments(path, found)
            _SEGMENTS[key] = found
    return _SEGMENTS[key]


def segments_key(fingerprint: str, inclusive_end: bool) -> str:
    """The cache key of :func:`all_segments`: what its segments depend on, hashed.

    That is the dataset's fingerprint (every label file's bytes), the labeling rule, the committed
    splits and the bytes of the modules that read, segment and cut the labels.
    """
    digest = hashlib.sha256(f"{fingerprint}|{inclusive_end}|".encode())
    digest.update(splits.splits_path().read_bytes())
    for module in (data, labels, examples):  # reading labels, segmenting them, cutting examples
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:24]


def _write_segments(path: Path, found: examples.Examples) -> None:
    table = found.table
    codes = table["split"].map({name: i for i, name in enumerate(splits.SPLIT_NAMES)}).to_numpy(np.int8)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(
            f,
            recording=table["recording"].to_numpy(np.int64),
            start=table["start"].to_numpy(np.int64),
            end=table["end"].to_numpy(np.int64),
            split=codes,
            targets=found.targets,
        )


def _read_segments(path: Path) -> examples.Examples:
    with np.load(path) as stored:
        names = np.array(splits.SPLIT_NAMES, dtype=object)
        table = pd.DataFrame(
            {
                "recording": stored["recording"],
                "start": stored["start"],
                "end": stored["end"],
                "split": names[stored["split"]],
            }
        )
        return examples.Examples(table, stored["targets"])


def run_config(dataset, net, **extra) -> dict:
    """What a result depends on, to be stored next to it: no date, no machine path.

    The dataset is named by :meth:`instrid.data.MusicNet.fingerprint`, so
    the same run on another machine writes the same file.
    """
    config = {
        "dataset": dataset.fingerprint(),
        "recordings": int(len(dataset.index)),
        **({"rendering": rendering} if (rendering := dataset.rendering()) else {}),  # synth.json read once
        "model": net.describe(),
        "instrid_version": instrid.__version__,
        "torch_version": str(torch.__version__),
        **extra,
    }
    if getattr(net, "weights_note", ""):
        config["weights_note"] = net.weights_note
    return config


def prepare_seeds(data_root, seeds, **options) -> list[Prepared]:
    """:func:`prepare` once per seed (each seed: its own backbone draw, subsample and head)."""
    return [prepare(data_root, seed=int(seed), **options) for seed in seeds]


def fit_head(prepared: Prepared, config: train.TrainConfig, *, progress: bool = True) -> train.TrainResult:
    """Train a head on the training split, selecting the epoch on validation."""
    x, y = prepared.split("train")
    vx, vy = prepared.split("validation")
    return train.train_head(x, y, vx, vy, config, progress=progress)


def evaluate(prepared: Prepared, head, split: str) -> Evaluation:
    """Targets, probabilities and recordings of one split under ``head``."""
    x, y = prepared.split(split)
    mask = prepared.examples.table["split"].to_numpy() == split
    logits = train.predict_logits(head, x)
    return Evaluation(
        y.astype(bool),
        decisions.sigmoid(logits),
        prepared.examples.table["recording"].to_numpy()[mask],
        logits,
    )


def validation_scores(prepared: Prepared, *, epochs: int = 3, lr: float = 1e-3) -> dict:
    """How well a head reads ``prepared``'s embeddings, on validation, beside the label prior's.

    The head is the corrected pipeline's (binary cross-entropy, Adam, z-scored
    embeddings, the epoch chosen on validation). ``map`` is threshold-free;
    ``f1_micro`` is at the one threshold with the best micro F1 on validation
    itself (optimistic, alike for every candidate). ``prior_*`` score the
    training label frequencies as if they were every example's output: a rule
    that never listens (its micro F1 at its own best threshold declares the
    same instruments in every example).
    """
    config = train.TrainConfig(
        loss="bce", optimizer="adam", lr=lr, lr_gamma=1.0, epochs=epochs, seed=prepared.seed, standardize=True
    )
    validation = evaluate(prepared, fit_head(prepared, config, progress=False).head, "validation")
    prior = np.broadcast_to(
        decisions.label_frequency(prepared.split("train")[1]), validation.scores.shape
    ).astype(np.float64)

    def scored(scores):
        best = decisions.tune_global_threshold(scores, validation.y_true)
        return (
            metrics.mean_average_precision(validation.y_true, scores),
            metrics.f1_micro(validation.y_true, decisions.threshold(scores, best)),
        )

    (ours_map, ours_f1), (prior_map, prior_f1) = scored(validation.scores), scored(prior)
    return {"map": ours_map, "f1_micro": ours_f1, "prior_map": prior_map, "prior_f1_micro": prior_f1}


def fit_heads(runs: list[Prepared], epochs: int, **options) -> list:
    """One head per seed's run (:func:`fit_head` with ``TrainConfig(epochs, seed=run.seed, **options)``)."""
    return [
        fit_head(P, train.TrainConfig(epochs=epochs, seed=P.seed, **options), progress=False).head
        for P in runs
    ]


def operating_thresholds(runs: list[Prepared], heads) -> list[np.ndarray]:
    """Each seed's operating point: the one threshold with the best micro F1 on its validation split.

    :func:`instrid.decisions.tune_global_threshold`, repeated per class so that
    ``decisions.threshold_then_top_n(scores, t, n)`` applies it (the corrected pipeline's rule, as a model
    file stores it).
    """
    return [
        np.full(ev.scores.shape[1], decisions.tune_global_threshold(ev.scores, ev.y_true))
        for ev in (evaluate(P, h, "validation") for P, h in zip(runs, heads))
    ]


def scored_on_test(runs: list[Prepared], heads, rule) -> dict:
    """``uncertainty.replicates`` (with mAP) of each seed's test split under ``rule(evaluation, i)``.

    ``i`` is the seed's position, for rules with per-seed settings (thresholds tuned on its validation).
    """
    evs = [evaluate(P, h, "test") for P, h in zip(runs, heads)]
    return uncertainty.replicates(evs, [rule(ev, i) for i, ev in enumerate(evs)], with_map=True)


def evaluate_examples(
    prepared: Prepared, head, other: examples.Examples, *, device: str | None = None, progress: bool = True
) -> Evaluation:
    """Targets, probabilities and recordings of ``other`` examples of ``prepared``'s dataset under ``head``.

    For examples cut otherwise than the run's segments (e.g. Hung & Yang's
    104.5 ms frames, :func:`instrid.examples.frame_examples`); their embeddings
    are cached like any others.
    """
    x = embeddings.extract(prepared.dataset, other, prepared.model, device=device, progress=progress)
    logits = train.predict_logits(head, np.asarray(x, dtype=np.float32))
    return Evaluation(
        other.targets.astype(bool), decisions.sigmoid(logits), other.table["recording"].to_numpy(), logits
    )


def study_config(runs: list[Prepared], **extra) -> dict:
    """One configuration for results computed over several seeds: the seeds listed, not one seed's."""
    config = {k: v for k, v in runs[0].config.items() if k != "seed"}
    config["seeds"] = [p.seed for p in runs]
    weights = {p.config["model"]["weights"] for p in runs}
    if len(weights) > 1 and all(w.startswith("random:") for w in weights):
        config["model"] = {**config["model"], "weights": "random (one draw per seed)"}
    return {**config, **extra}


def check_trainable(data_root) -> None:
    """DatasetError unless the tree has a training and a validation recording of the study's split.

    Without validation recordings every threshold would end at 1.0 and the
    model would never declare anything: refused before any work.
    """
    dataset, committed = data.MusicNet(data_root), splits.read_splits()
    split_of = dict(zip(committed["id"].astype(int), committed["split"]))
    found = {split_of.get(int(rid)) for rid in dataset.ids}
    missing = [split for split in ("train", "validation") if split not in found]
    if missing:
        raise DatasetError(
            f"{dataset.root}: no {' and no '.join(missing)} recording of the study's split "
            f"(instrid/tables/splits.csv); a model needs both to be fitted and tuned"
        )


def train_model(
    data_root,
    out,
    *,
    front_end: str = "log_mel",
    head: str = "report_text",
    weights="auto",
    loss: str = "bce",
    optimizer: str = "adam",
    lr: float = 1e-3,
    epochs: int = 3,
    top_n: int = 3,
    standardize: bool = True,
    backbone_epochs: int = 0,
    train_examples: int = 20_000,
    validation_examples: int = 5_000,
    test_examples: int = 5_000,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Fit the study's corrected pipeline on a MusicNet-format tree and save it as one model file.

    The defaults are notebook ``06``'s corrected pipeline (seed 0; embeddings
    z-scored for the head, folded into it), so after ``make study`` the
    embeddings are read from the cache. One threshold for every instrument is
    tuned for micro F1 on validation (:func:`operating_thresholds`); the rule
    keeps at most ``top_n`` of the instruments that pass. Returns the
    validation summary of that rule. ``backbone_epochs`` > 0 first trains the
    backbone itself on the training split (:func:`instrid.finetune.train_backbone`,
    notebook ``07``'s trained backbone) and fits the head on its outputs.
    """
    from instrid import finetune, modelfile

    def prepared_with(weights, embed=True):
        return prepare(
            data_root,
            front_end=front_end,
            head=head,
            weights=weights,
            train_examples=train_examples,
            validation_examples=validation_examples,
            test_examples=test_examples,
            seed=seed,
            embed=embed,
            progress=progress,
        )

    # Training the backbone needs the examples and the starting model, not the frozen backbone's outputs.
    prepared = prepared_with(weights, embed=not backbone_epochs)
    if backbone_epochs:
        training = finetune.BackboneTraining(epochs=backbone_epochs)
        prepared = prepared_with(str(finetune.train_backbone(prepared, training, progress=progress)))
    result = fit_head(
        prepared,
        train.TrainConfig(
            loss=loss,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            lr_gamma=1.0 if optimizer == "adam" else 0.5,
            seed=seed,
            standardize=standardize,
        ),
        progress=progress,
    )
    (thresholds,) = operating_thresholds([prepared], [result.head])
    validation = evaluate(prepared, result.head, "validation")
    summary = metrics.summary(
        validation.y_true, decisions.threshold_then_top_n(validation.scores, thresholds, top_n)
    )
    prepared.model.head.load_state_dict(result.head.state_dict())
    modelfile.save_model(
        out,
        prepared.model,
        thresholds,
        top_n,
        {
            **prepared.config,
            "loss": loss,
            "optimizer": optimizer,
            "epochs": epochs,
            "standardize": standardize,
            "backbone_epochs": backbone_epochs,
            "validation": summary,
        },
    )
    return summary


def model_with_head(prepared: Prepared, head) -> model.InstrumentNet:
    """A copy of the prepared model carrying a trained ``head``: the whole network, ready for audio."""
    import copy

    net = copy.deepcopy(prepared.model)
    net.head.load_state_dict(head.state_dict())
    return net.eval()
