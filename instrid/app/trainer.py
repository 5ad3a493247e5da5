"""``instrid train``: one of the study's models fitted over a MusicNet-format tree and saved as one file.

The model is a recipe's run on one seed (:class:`instrid.study.runs.Runs`), fitted as the notebooks fit it,
so after ``make study`` its embeddings are read from the cache; what ships by default (:data:`SHIPPED`)
is the model notebook 11 finds best on fonts no model heard.
"""

from __future__ import annotations

from instrid.data import musicnet, splits
from instrid.errors import DatasetError
from instrid.models import finetune, modelfile
from instrid.study import metrics, recipes
from instrid.study.runs import Runs, Thresholded

#: The recipes a user can train (``instrid train --backbone``), by name.
MODELS = {"corrected": recipes.CORRECTED, "listening": recipes.LISTENING}
#: The model ``instrid train`` fits by default (``make model``, where ``instrid predict`` looks): of the
#: models trained within make model's 10 minutes, the one notebook 11 finds best on fonts no model heard.
SHIPPED = "listening"


def check_trainable(data_root) -> None:
    """DatasetError unless the tree has a training and a validation recording of the study's split.

    Without validation recordings every threshold would end at 1.0 and the
    model would never declare anything: refused before any work.
    """
    dataset, committed = musicnet.MusicNet(data_root), splits.read_splits()
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
    model_name: str = SHIPPED,
    weights="auto",
    epochs: int = 3,
    top_n: int = 3,
    backbone_epochs: int = 0,
    train_examples: int = 20_000,
    validation_examples: int = 5_000,
    test_examples: int = 5_000,
    seed: int = 0,
    progress: bool = True,
) -> dict:
    """Fit one of :data:`MODELS` over a MusicNet-format tree; save one model file.

    ``model_name`` is ``"listening"`` (:data:`instrid.study.recipes.LISTENING`) or ``"corrected"``
    (:data:`instrid.study.recipes.CORRECTED`, the ResNet-18 with ``weights``). Both train their head as
    the corrected pipeline does, on seed ``seed``; the operating point is one threshold for every
    instrument, the best micro F1 on validation, and the rule keeps at most ``top_n`` of the instruments
    that pass. Returns the validation summary of that rule. ``backbone_epochs`` > 0 (the ResNet-18 only)
    first trains the backbone itself on the training split (:func:`instrid.models.finetune.train_backbone`,
    notebook 14's trained backbone) and fits the head on its outputs.
    """
    if model_name not in MODELS:
        raise ValueError(f"model_name must be one of {sorted(MODELS)}, got {model_name!r}")
    if model_name != "corrected" and (weights != "auto" or backbone_epochs):
        raise ValueError(
            f"the {model_name} model has its own weights; weights and backbone_epochs are the ResNet's"
        )
    recipe = MODELS[model_name].but(**({"weights": weights} if model_name == "corrected" else {}))
    sizes = dict(
        train_examples=train_examples,
        validation_examples=validation_examples,
        test_examples=test_examples,
        progress=progress,
    )
    if backbone_epochs:  # training the backbone needs the examples and the starting model, not embeddings
        (start,) = Runs.prepare(data_root, recipe, [seed], embed=False, **sizes)
        training = finetune.BackboneTraining(epochs=backbone_epochs)
        recipe = recipe.but(weights=str(finetune.train_backbone(start.prepared, training, progress=progress)))
    (run,) = Runs.prepare(data_root, recipe, [seed], **sizes).fit(epochs, progress=progress)
    validation, decided = run.decide(Thresholded(top_n), "validation")
    summary = metrics.summary(validation.y_true, decided)
    modelfile.save_model(
        out,
        run.network(),
        run.thresholds,
        top_n,
        {
            **run.prepared.config,
            "loss": recipe.loss,
            "optimizer": recipe.optimizer,
            "epochs": epochs,
            "standardize": recipe.standardize,
            "backbone_epochs": backbone_epochs,
            "model_name": model_name,
            "validation": summary,
        },
    )
    return summary
