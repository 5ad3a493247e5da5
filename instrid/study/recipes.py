"""The pipelines the study compares, each named once: the model that embeds an example, and how its head
learns.

Notebooks, ``instrid train`` and the benchmarks name a recipe (:data:`REPORT`, :data:`CORRECTED`,
:data:`LISTENING`, :data:`LISTENING_REPORT_TRAINING`) instead of repeating its settings;
:meth:`Recipe.model` gives :func:`instrid.study.pipeline.prepare` its options and :meth:`Recipe.training`
gives :class:`instrid.models.train.TrainConfig` its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from instrid.models.model import MUSICNN_LAYERS

#: The head that reads each musicnn layer.
LAYER_HEADS = {layer: head for head, layer in MUSICNN_LAYERS.items()}


@dataclass(frozen=True)
class Recipe:
    """One pipeline: a frozen backbone's embeddings and a head trained on them."""

    # How the records name it: "report's pipeline", "corrected pipeline", "listening model".
    name: str
    # The input the backbone hears: "report_spectrogram" (the report code's raw power spectrogram),
    # "log_mel" (log-mel, normalized per frequency), "musicnn_mel" (musicnn's own mel input).
    front_end: str = "report_spectrogram"
    # Settings of the front-end beyond its defaults (e.g. musicnn's crop and window).
    front_end_options: dict = field(default_factory=dict, hash=False, compare=True)
    # "resnet18" (ImageNet's or random weights, frozen) or "musicnn" (pretrained on music, frozen).
    backbone: str = "resnet18"
    # The ResNet-18's: "auto" (ImageNet where it loads, else a seeded random draw), "imagenet", None (random)
    # or a .pth file; musicnn's: its checkpoint, "MTT_musicnn" or "MSD_musicnn".
    weights: str | None = "auto"
    # What the head reads: the ResNet's 1000 ImageNet logits ("report_code", the report's code) or its 512
    # features ("report_text", the report's text); musicnn's taggram, penultimate layer or pooled maps.
    head: str = "report_code"
    # BatchNorm with its running statistics ("eval") or each batch's ("batch", the report's code).
    batch_norm: str = "eval"
    # The head's loss: "iou_batch" (the report's IoU-like loss as its code computed it), "mse", "bce".
    loss: str = "iou_batch"
    # "sgd" (the report's) or "adam", at this learning rate, times lr_gamma after each epoch.
    optimizer: str = "sgd"
    lr: float = 1e-3
    lr_gamma: float = 0.5
    # Train on embeddings z-scored with the training split's statistics (folded into the head after).
    standardize: bool = False
    # Hidden units of a one-hidden-layer ReLU head; 0: a linear head, as the report's.
    hidden: int = 0

    def model(self) -> dict:
        """:func:`instrid.study.pipeline.prepare`'s options for this recipe's model."""
        options = dict(front_end=self.front_end, backbone=self.backbone, weights=self.weights, head=self.head)
        if self.front_end_options:
            options["front_end_options"] = dict(self.front_end_options)
        if self.batch_norm != "eval":
            options["batch_norm"] = self.batch_norm
        return options

    def training(self) -> dict:
        """:class:`train.TrainConfig`'s options for this recipe's head (epochs and seed apart)."""
        return dict(
            loss=self.loss,
            optimizer=self.optimizer,
            lr=self.lr,
            lr_gamma=self.lr_gamma,
            standardize=self.standardize,
            hidden=self.hidden,
        )

    def but(self, **changes) -> Recipe:
        """The same recipe with ``changes`` (e.g. other ResNet weights)."""
        return replace(self, **changes)


def musicnn(
    weights: str, layer: str, crop_samples: int = 10_240, window: str = "segment", **training
) -> Recipe:
    """musicnn's checkpoint ``weights`` read at ``layer`` (taggram, penultimate, pooled) on such an input."""
    return Recipe(
        name=f"musicnn {weights} {layer}",
        front_end="musicnn_mel",
        front_end_options={"crop_samples": int(crop_samples), "window": window},
        backbone="musicnn",
        weights=weights,
        head=LAYER_HEADS[layer],
        **training,
    )


#: The head's training the corrected pipeline uses: binary cross-entropy, Adam at a constant rate,
#: z-scored embeddings.
CORRECTED_TRAINING = dict(loss="bce", optimizer="adam", lr=1e-3, lr_gamma=1.0, standardize=True)
#: The report's pipeline as its code ran it (BatchNorm apart, see notebook 08): the raw power spectrogram
#: into a frozen ResNet-18, its 1000 logits into a linear head, the IoU-like loss, SGD halving each epoch.
REPORT = Recipe("report's pipeline")
#: The corrected pipeline: log-mel into the same ResNet-18, its 512 features, the corrected training.
CORRECTED = Recipe("corrected pipeline", front_end="log_mel", head="report_text", **CORRECTED_TRAINING)
#: The listening model: musicnn's checkpoint, layer and input that notebook 02 finds best on validation
#: (by mAP; the notebook says so, or that a rerun finds otherwise), with the corrected training.
LISTENING = musicnn("MTT_musicnn", "pooled", **CORRECTED_TRAINING).but(name="listening model")
#: The same model trained with the report's recipe (the IoU-like loss, SGD), for the report's claims.
LISTENING_REPORT_TRAINING = LISTENING.but(loss="iou_batch", optimizer="sgd", lr_gamma=0.5, standardize=False)
