"""Runs: one seed of a recipe as one object, holding its prepared data, its head and its operating point.

A notebook prepares :class:`Runs` (one :class:`Run` per seed) from a :class:`~recipes.Recipe`, fits
their heads, and asks them for evaluations and decisions. The seed is read once, from the prepared data,
and what belongs to a seed (its head, the thresholds tuned on its validation split) travels with its run,
not in a list beside it::

    runs = Runs.prepare("data/synth", recipes.CORRECTED, seeds=[0, 1, 2]).fit(epochs=3)
    scores = runs.scored(Thresholded(top_n=3))  # replicates over seeds and recordings, test split

A decision rule is a callable ``rule(run, evaluation) -> boolean predictions``: :class:`TopN` (the
report's) and :class:`Thresholded` (the corrected pipeline's, each run at its own operating point).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from instrid.data import splits
from instrid.models import train
from instrid.study import decisions, evidence, pipeline, probes, recipes, uncertainty
from instrid.study.uncertainty import Evaluation


@dataclass(frozen=True)
class TopN:
    """The report's rule: the ``n`` instruments with the highest scores, in every example."""

    n: int

    @property
    def name(self) -> str:
        return f"top-{self.n}"

    def __call__(self, run: Run, evaluation: Evaluation) -> np.ndarray:
        return decisions.top_n(evaluation.scores, self.n)


@dataclass(frozen=True)
class Thresholded:
    """The corrected pipeline's rule: the run's own thresholds (its operating point, tuned on its
    validation split), then at most ``top_n`` of the instruments that pass."""

    top_n: int

    @property
    def name(self) -> str:
        return f"one threshold, then at most {self.top_n}"

    def __call__(self, run: Run, evaluation: Evaluation) -> np.ndarray:
        if run.thresholds is None:
            raise ValueError("the run has no operating point: fit it first")
        return decisions.threshold_then_top_n(evaluation.scores, run.thresholds, self.top_n)


@dataclass(frozen=True)
class Run:
    """One seed of a recipe: its prepared examples and embeddings, and once fitted its head, the epoch
    validation chose and its operating point (one threshold per instrument)."""

    prepared: pipeline.Prepared
    # The recipe the head is (or will be) trained with; its model is the one ``prepared`` embedded with.
    recipe: recipes.Recipe
    head: torch.nn.Module | None = None
    best_epoch: int | None = None
    # The threshold with the best micro F1 on validation, repeated per instrument (or tuned per instrument
    # by :meth:`tuned_per_class`).
    thresholds: np.ndarray | None = None

    @property
    def seed(self) -> int:
        return self.prepared.seed

    @property
    def dataset(self):
        return self.prepared.dataset

    @property
    def train_labels(self) -> np.ndarray:
        """The training split's targets (examples x 11), whose frequencies are the label prior."""
        return self.prepared.split("train")[1]

    def fit(self, epochs: int, training: recipes.Recipe | None = None, *, progress: bool = True, **changes):
        """This run with a head trained on its training split (the epoch chosen on validation) and its
        operating point tuned on validation.

        The head learns as the run's recipe says, or as ``training``'s (its loss, optimizer, rate and
        standardization; the model stays the run's), with ``changes`` to those fields (e.g. ``loss="mse"``).
        """
        recipe = self.recipe.but(**(training.training() if training else {}), **changes)
        config = train.TrainConfig(epochs=epochs, seed=self.seed, **recipe.training())
        result = pipeline.fit_head(self.prepared, config, progress=progress)
        fitted = replace(self, recipe=recipe, head=result.head, best_epoch=result.best_epoch)
        validation = fitted.evaluate("validation")
        threshold = decisions.tune_global_threshold(validation.scores, validation.y_true)
        return replace(fitted, thresholds=np.full(validation.scores.shape[1], threshold))

    def tuned_per_class(self) -> Run:
        """This run with one threshold per instrument, each the best F1 on validation."""
        validation = self.evaluate("validation")
        return replace(self, thresholds=decisions.tune_class_thresholds(validation.scores, validation.y_true))

    def evaluate(self, split: str = "test") -> Evaluation:
        """Targets, probabilities and recordings of one split under the run's head."""
        if self.head is None:
            raise ValueError("the run has no head: fit it first")
        return pipeline.evaluate(self.prepared, self.head, split)

    def evaluate_examples(self, other, *, device: str | None = None) -> Evaluation:
        """``other`` examples of the run's dataset (cut otherwise than its segments, e.g. Hung & Yang's
        frames) under its head (:func:`pipeline.evaluate_examples`)."""
        return pipeline.evaluate_examples(self.prepared, self.head, other, device=device)

    def network(self):
        """The whole network with this run's head, ready for audio (:func:`predict.predict_file`)."""
        return pipeline.model_with_head(self.prepared, self.head)

    def decide(self, rule, split: str = "test") -> tuple[Evaluation, np.ndarray]:
        """One split's evaluation and ``rule``'s decisions on it."""
        evaluation = self.evaluate(split)
        return evaluation, rule(self, evaluation)

    def only(self, recordings) -> Run:
        """The run restricted to the examples of ``recordings`` (e.g. those rendered with one font)."""
        return replace(self, prepared=self.prepared.only(recordings))

    def on(self, data_root, *, test_examples: int, device: str | None = None) -> Run:
        """The same head and operating point, tested on another tree's test recordings (``test_examples``
        segments drawn with the run's seed and embedded by its model: :func:`pipeline.prepare_elsewhere`)."""
        tested = pipeline.prepare_elsewhere(
            self.prepared, data_root, test_examples=test_examples, device=device, progress=False
        )
        return replace(self, prepared=tested)

    def applied_to(self, other: Run) -> Run:
        """This run's head and operating point on ``other``'s data (the same seed's, e.g. its full test split
        or another rendering's, where this head trained on a subset)."""
        if other.seed != self.seed:
            raise ValueError(f"a head of seed {self.seed} applied to the data of seed {other.seed}")
        return replace(self, prepared=other.prepared)

    def noise_scores(self, level_dbfs: float, n: int) -> np.ndarray:
        """The head's probabilities on ``n`` crops of white noise (:func:`probes.noise_scores`)."""
        return probes.noise_scores(self.prepared.model, self.head, level_dbfs, n, seed=self.seed)

    def bernoulli_scores(self, n: int) -> np.ndarray:
        """The head's probabilities on ``n`` Bernoulli(0.2) images (:func:`probes.bernoulli_scores`)."""
        return probes.bernoulli_scores(self.prepared.model, self.head, n, seed=self.seed)


class Runs(tuple):
    """One :class:`Run` per seed, in the seeds' order; each operation applies to every seed."""

    @classmethod
    def prepare(cls, data_root, recipe: recipes.Recipe, seeds, **settings) -> Runs:
        """The runs of ``recipe`` over ``seeds``: examples drawn and embedded by :func:`pipeline.prepare`
        with the recipe's model and ``settings`` (dataset kind, examples per split, device, ...)."""
        return cls.prepare_many(data_root, {"": recipe}, seeds, **settings)[""]

    @classmethod
    def prepare_many(cls, data_root, recipes_by_name: dict, seeds, **settings) -> dict[str, Runs]:
        """:meth:`prepare` for several recipes at once (:func:`pipeline.prepare_many` shares embeddings out
        with a notebook computing the same ones). A value may be ``(recipe, options)``, ``options``
        overriding ``settings`` for that one (e.g. fewer examples, another protocol)."""
        pairs = {
            name: value if isinstance(value, tuple) else (value, {})
            for name, value in recipes_by_name.items()
        }
        options = {name: {**recipe.model(), **settings, **extra} for name, (recipe, extra) in pairs.items()}
        prepared = pipeline.prepare_many(data_root, options, seeds)
        return {name: cls(Run(P, pairs[name][0]) for P in prepared[name]) for name in pairs}

    @property
    def seeds(self) -> list[int]:
        return [run.seed for run in self]

    @property
    def train_labels(self) -> list[np.ndarray]:
        return [run.train_labels for run in self]

    @property
    def heads(self) -> list[torch.nn.Module]:
        return [run.head for run in self]

    def fit(self, epochs: int, training: recipes.Recipe | None = None, *, progress: bool = True, **changes):
        """:meth:`Run.fit` on every seed."""
        return Runs(run.fit(epochs, training, progress=progress, **changes) for run in self)

    def tuned_per_class(self) -> Runs:
        return Runs(run.tuned_per_class() for run in self)

    def evaluate(self, split: str = "test") -> list[Evaluation]:
        return [run.evaluate(split) for run in self]

    def evaluate_examples(self, other, *, device: str | None = None) -> list[Evaluation]:
        return [run.evaluate_examples(other, device=device) for run in self]

    def decide(self, rule, split: str = "test") -> tuple[list[Evaluation], list[np.ndarray]]:
        """Each seed's evaluation of ``split`` and ``rule``'s decisions on it."""
        decided = [run.decide(rule, split) for run in self]
        return [ev for ev, _ in decided], [p for _, p in decided]

    def scored(self, rule, split: str = "test", *, classes=None) -> dict:
        """``uncertainty.replicates`` (with mAP) of :meth:`decide`; ``classes``, a boolean mask, keeps only
        those instruments in the scores (the rule still decides on all)."""
        return scored(*self.decide(rule, split), classes)

    def only(self, recordings) -> Runs:
        return Runs(run.only(recordings) for run in self)

    def on(self, data_root, *, test_examples: int, device: str | None = None) -> Runs:
        """:meth:`Run.on`; ``data_root`` None keeps the runs' own test split."""
        if data_root is None:
            return self
        return Runs(run.on(data_root, test_examples=test_examples, device=device) for run in self)

    def applied_to(self, other: Runs) -> Runs:
        """:meth:`Run.applied_to`, seed by seed."""
        if len(other) != len(self):
            raise ValueError(f"{len(self)} runs applied to {len(other)}")
        return Runs(run.applied_to(data) for run, data in zip(self, other))

    def noise_scores(self, level_dbfs: float, n: int) -> list[np.ndarray]:
        return [run.noise_scores(level_dbfs, n) for run in self]

    def probe_means(self, levels_dbfs, n: int) -> dict[str, list[np.ndarray]]:
        """Each seed's mean output on inputs with no instrument: ``n`` crops of white noise at each level
        (``"<level> dBFS"``) and ``n`` Bernoulli(0.2) images (``"Bernoulli(0.2) image"``)."""
        means = {
            f"{level} dBFS": [run.noise_scores(level, n).mean(axis=0) for run in self]
            for level in levels_dbfs
        }
        return {**means, "Bernoulli(0.2) image": [run.bernoulli_scores(n).mean(axis=0) for run in self]}

    def config(self, **extra) -> dict:
        """One configuration for results over these seeds (:func:`pipeline.study_config`)."""
        return pipeline.study_config([run.prepared for run in self], **extra)


def scored(evaluations, predictions, classes=None) -> dict:
    """``uncertainty.replicates`` with mAP of each seed's evaluation and decisions; ``classes``, a boolean
    mask over the instruments, scores only those."""
    if classes is not None:
        evaluations = [ev.only_classes(classes) for ev in evaluations]
        predictions = [p[:, classes] for p in predictions]
    return uncertainty.replicates(evaluations, predictions, with_map=True)


def cross_validation(runs: Runs, epochs: int, folds: int, *, top_n: int = 3, **fields):
    """Every seed's examples, all splits pooled, scored by recording-level cross-validation.

    Folds are stratified by ensemble (:func:`instrid.data.splits.recording_folds`, the same for every seed);
    each fold's head learns as the run's recipe says (:func:`pipeline.cross_validated`). Returns the records
    of the model's top-``top_n`` and mAP beside the label prior's under the same folds
    (:func:`instrid.study.evidence.prior_records`, ``split="<folds>-fold CV"``), and each seed's evaluation.
    """
    ensembles = splits.read_splits().set_index("id")["ensemble"]
    evaluations, priors = [], []
    for run in runs:
        ids = np.unique(run.prepared.examples.table["recording"].to_numpy())
        fold_of = splits.recording_folds(ids, ensembles.loc[ids].to_numpy(), folds)
        config = train.TrainConfig(epochs=epochs, seed=run.seed, **run.recipe.training())
        evaluations.append(pipeline.cross_validated(run.prepared, config, fold_of))
        priors.append(pipeline.cross_validated_prior(run.prepared, fold_of))
    found = evidence.prior_records(
        None, evaluations, top_n=top_n, prior=priors, **fields, split=f"{folds}-fold CV"
    )
    return found, evaluations
