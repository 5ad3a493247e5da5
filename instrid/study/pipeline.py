"""One call from a notebook's parameters to cached embeddings (notebooks ``02`` on).

Every study notebook starts the same way: open the dataset, cut its
recordings into labelled segments, subsample them per split, build the model
and read (or compute once) the backbone's outputs. :func:`prepare` does that,
in that order, and :func:`run_config` records what was run, so each notebook
stays a flat script of its own experiment.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import instrid
from instrid import cache
from instrid.cache import mark_used
from instrid.data import examples, labels, musicnet, splits
from instrid.files import atomic_path, cache_dir
from instrid.models import embeddings, features, model, train
from instrid.study import decisions, metrics, recipes, records
from instrid.study.uncertainty import Evaluation


def musicnn_candidate(weights: str, layer: str, crop_samples: int = 10_240, window: str = "segment") -> dict:
    """:func:`prepare` options for musicnn checkpoint ``weights`` read at ``layer`` on such an input."""
    return recipes.musicnn(weights, layer, crop_samples, window).model()


#: The listening model's and the corrected pipeline's models, as :func:`prepare` options
#: (:data:`instrid.study.recipes.LISTENING`, :data:`instrid.study.recipes.CORRECTED`).
LISTENING = recipes.LISTENING.model()
CORRECTED = recipes.CORRECTED.model()


def input_ms(front: torch.nn.Module) -> int:
    """The audio a front-end hears per example, in milliseconds."""
    return round(1000 * front.crop_samples / front.sample_rate)


def listening_candidates() -> dict[str, dict]:
    """The musicnn configurations notebook 02 compares first: both checkpoints, each layer, 232 ms crops."""
    found = [
        musicnn_candidate(w, layer) for w in ("MTT_musicnn", "MSD_musicnn") for layer in recipes.LAYER_HEADS
    ]
    return {candidate_label(options): options for options in found}


def candidate_label(options: dict) -> str:
    """How results and figures name a configuration of :func:`prepare` options.

    ``"MTT_musicnn pooled, 232 ms segment"`` for musicnn; ``"resnet18
    report_text, log_mel 232 ms"`` otherwise.
    """
    front = features.make_front_end(options["front_end"], **(options.get("front_end_options") or {}))
    ms = input_ms(front)
    if options.get("backbone") == "musicnn":
        return f"{options['weights']} {model.MUSICNN_LAYERS[options['head']]}, {ms} ms {front.window}"
    return f"{options.get('backbone', 'resnet18')} {options['head']}, {options['front_end']} {ms} ms"


def with_context(options: dict, crop_samples: int) -> dict:
    """The musicnn configuration ``options`` on ``crop_samples`` of audio centred on each example."""
    return {**options, "front_end_options": {"crop_samples": int(crop_samples), "window": "centred"}}


def compare_on_validation(data_root, candidates: dict[str, dict], **options) -> tuple[pd.DataFrame, dict]:
    """:func:`validation_scores` of each candidate (:func:`prepare` options), one row each, and each run's
    configuration (:func:`run_config`) by candidate name.

    ``options`` go to :func:`prepare` for every candidate (examples per split,
    seed, device, progress). Columns: ``window`` (``"segment"``: the example
    alone, as the report's models hear it; ``"centred"``: context around it),
    ``input_ms`` (audio heard per example), ``embedding_size``, ``map``,
    ``f1_micro``, ``prior_map``, ``prior_f1_micro``; indexed by candidate name.
    """
    rows, configs = [], {}
    for name, candidate in candidates.items():
        prepared = prepare(data_root, **candidate, **options)
        configs[name] = prepared.config
        front = prepared.model.front_end
        rows.append(
            {
                "candidate": name,
                "window": getattr(front, "window", "segment"),
                "input_ms": input_ms(front),
                "embedding_size": prepared.model.embedding_size,
                **validation_scores(prepared),
            }
        )
    return pd.DataFrame(rows).set_index("candidate"), configs


def candidate_records(table: pd.DataFrame, seeds: int = 1) -> list[dict]:
    """Records of :func:`compare_on_validation`'s table (``claim="candidates"``, on validation): each
    candidate's (``model``) mAP, micro F1 at its best threshold and embedding size, with what it hears
    (``protocol`` the window, ``at`` the milliseconds of audio); the label prior's once (``head``)."""
    common = dict(claim="candidates", split="validation", seeds=seeds)
    out = []
    for name, row in table.iterrows():
        heard = dict(common, model=name, protocol=row["window"], at=int(row["input_ms"]))
        out += [records.record(m, row[m], **heard) for m in ("map", "f1_micro", "embedding_size")]
    first = table.iloc[0]
    return out + [
        records.record(m, first[f"prior_{m}"], **common, head="label prior") for m in ("map", "f1_micro")
    ]


@dataclass
class Prepared:
    """Dataset, examples, model and the examples' cached embeddings."""

    dataset: musicnet.MusicNet
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

    def with_splits(self, split_of: dict) -> Prepared:
        """The same examples and embeddings with each recording's split set by ``split_of`` (recording id
        -> "train", "validation" or "test"), e.g. one fold of a cross-validation."""
        recordings = self.examples.table["recording"].to_numpy()
        missing = set(np.unique(recordings).tolist()) - set(split_of)
        if missing:
            raise ValueError(f"no split given for recording(s) {sorted(missing)[:5]}")
        table = self.examples.table.assign(split=[split_of[int(r)] for r in recordings])
        return Prepared(
            self.dataset,
            examples.Examples(table, self.examples.targets),
            self.model,
            self.embeddings,
            self.config,
        )

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
    wait: bool = True,
    progress: bool = True,
) -> Prepared:
    """Examples and their embeddings for one configuration.

    Parameters mirror the notebooks' ``parameters`` cell (``front_end_options``
    go to :func:`instrid.models.features.make_front_end`; :data:`LISTENING` gives the
    study's musicnn configuration). ``split_kind`` is
    ``"recordings"`` (the committed split by recording) or ``"report_code"``
    (the report code's leaky 60/20/20 split by row position, for the audit).
    A log-mel front-end with per-frequency normalization is fitted on up to
    512 training crops (seeded) before extraction. ``embed=False`` stops
    there (``embeddings`` None): the examples and model alone, e.g. the
    starting point of :func:`instrid.models.finetune.train_backbone`. ``wait=False``
    raises :class:`instrid.models.embeddings.Busy` instead of waiting while another
    process computes the same embeddings.
    """
    dataset = musicnet.MusicNet(data_root)
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
    out = (
        embeddings.extract(dataset, chosen, net, device=device, wait=wait, progress=progress)
        if embed
        else None
    )
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
    dataset = musicnet.MusicNet(data_root)
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
    cache (``<cache>/segments/<key>.npz``), keyed by the dataset's files, the
    labeling rule, the committed splits and the code that relabels
    (:func:`segments_key`).
    """
    fingerprint = cache.dataset_fingerprint(dataset)
    key = (fingerprint, inclusive_end)
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
    """The cache key of :func:`all_segments`: what its segments depend on (:func:`instrid.cache.key`).

    That is the dataset's files (``fingerprint``, :func:`instrid.cache.dataset_fingerprint`), the labeling
    rule, the committed splits and the bytes of the modules that read, segment and cut the labels.
    """
    code = [musicnet, labels, examples]  # reading labels, segmenting them, cutting examples
    return cache.key(
        {
            "dataset": fingerprint,
            "inclusive_end": bool(inclusive_end),
            "splits": hashlib.sha256(splits.splits_path().read_bytes()).hexdigest(),
            "code": [hashlib.sha256(Path(m.__file__).read_bytes()).hexdigest() for m in code],
        }
    )


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

    The dataset is named by :meth:`instrid.data.musicnet.MusicNet.fingerprint`, so
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
    return prepare_many(data_root, {"": options}, seeds)[""]


def prepare_many(data_root, configurations: dict, seeds) -> dict[str, list[Prepared]]:
    """:func:`prepare_seeds` for several configurations (``{name: prepare's options}``) at once.

    A configuration and seed whose embeddings another process is computing right now (a notebook
    beside this one in ``make study``) is taken after all the others, so that two notebooks after the
    same embeddings share them out instead of one waiting on the other; the embeddings, and so the
    runs, are the same either way.
    """
    pairs = [(name, int(seed)) for name in configurations for seed in seeds]
    ready = {}
    for name, seed in pairs:
        with contextlib.suppress(embeddings.Busy):
            ready[name, seed] = prepare(data_root, seed=seed, wait=False, **configurations[name])
    for name, seed in pairs:
        if (name, seed) not in ready:
            ready[name, seed] = prepare(data_root, seed=seed, **configurations[name])
    return {name: [ready[name, int(seed)] for seed in seeds] for name in configurations}


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
    training = {**recipes.CORRECTED_TRAINING, "lr": lr}
    config = train.TrainConfig(epochs=epochs, seed=prepared.seed, **training)
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


def fold_roles(folds: dict[int, int], k: int) -> dict[int, str]:
    """Each recording's split when fold ``k`` is tested: fold ``k`` the test, fold ``k + 1`` (cyclically) the
    validation that chooses the epoch, the rest the training."""
    n_folds = max(folds.values()) + 1
    return {
        r: "test" if f == k else "validation" if f == (k + 1) % n_folds else "train" for r, f in folds.items()
    }


def cross_validated(prepared: Prepared, config: train.TrainConfig, folds: dict[int, int]) -> Evaluation:
    """Every example of ``prepared`` (all three splits pooled) scored by a head that never saw its recording.

    ``folds`` maps each recording to its fold (:func:`splits.recording_folds`). For fold ``k`` a head
    is trained (``config``) on the roles of :func:`fold_roles` and scores fold ``k``; the folds' scores are
    joined in the examples' order.
    """
    recordings = prepared.examples.table["recording"].to_numpy()
    scores = np.zeros(prepared.examples.targets.shape)
    logits = np.zeros(prepared.examples.targets.shape)
    for k in range(max(folds.values()) + 1):
        fold = prepared.with_splits(fold_roles(folds, k))
        head = fit_head(fold, config, progress=False).head
        tested = fold.examples.table["split"].to_numpy() == "test"
        logits[tested] = train.predict_logits(head, fold.split("test")[0])
        scores[tested] = decisions.sigmoid(logits[tested])
    return Evaluation(prepared.examples.targets.astype(bool), scores, recordings, logits)


def cross_validated_prior(prepared: Prepared, folds: dict[int, int]) -> Evaluation:
    """The label-prior rule under the same folds: each example scored by the label frequency of the
    recordings its fold's head trained on (:func:`cross_validated`), whatever the audio."""
    targets = prepared.examples.targets
    scores = np.zeros(targets.shape)
    for k in range(max(folds.values()) + 1):
        split = prepared.with_splits(fold_roles(folds, k)).examples.table["split"].to_numpy()
        scores[split == "test"] = decisions.label_frequency(targets[split == "train"])
    return Evaluation(targets.astype(bool), scores, prepared.examples.table["recording"].to_numpy())


def evaluate_examples(
    prepared: Prepared, head, other: examples.Examples, *, device: str | None = None, progress: bool = True
) -> Evaluation:
    """Targets, probabilities and recordings of ``other`` examples of ``prepared``'s dataset under ``head``.

    For examples cut otherwise than the run's segments (e.g. Hung & Yang's
    104.5 ms frames, :func:`instrid.data.examples.frame_examples`); their embeddings
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


def model_with_head(prepared: Prepared, head) -> model.InstrumentNet:
    """A copy of the prepared model carrying a trained ``head``: the whole network, ready for audio."""
    import copy

    net = copy.deepcopy(prepared.model)
    net.head.load_state_dict(head.state_dict())
    return net.eval()
