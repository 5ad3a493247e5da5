"""The model: front-end, frozen backbone (ResNet-18, or musicnn), trainable sigmoid head.

Used from ``notebooks/03_loss_mse_vs_iou`` on. Two heads, as the report's text
and its code differ:

* ``"report_code"`` (what the code did): torchvision's ResNet-18 **keeping**
  its 1000-way ImageNet layer, then ``Linear(1000, 11)`` + sigmoid (11,011
  trained parameters). The embedding is the 1000 ImageNet logits.
* ``"report_text"`` (what the report says): the final layer replaced by
  ``Linear(512, 11)`` + sigmoid (5,643 trained parameters). The embedding is
  the 512-d pooled feature.

The backbone is frozen and kept in eval mode (BatchNorm uses its ImageNet
running statistics) unless ``batch_norm="batch"``: the report's code never
called ``eval()``, so BatchNorm normalized with each batch's own statistics;
that is offered as an ablation only.

Weights policy (``weights``):

* ``"imagenet"``: torchvision's IMAGENET1K_V1 weights, read from the torch hub
  cache (``$TORCH_HOME/hub/checkpoints``) or downloaded there on first use;
* a path to a local state-dict file (``.pth``);
* ``None``: random initialization (seeded);
* ``"auto"``: ImageNet when obtainable, otherwise random initialization
  (without a warning: :attr:`InstrumentNet.weights_note` says why, once).

What was used is in :attr:`InstrumentNet.weights_used`; every results file and
figure records it.

``backbone="musicnn"`` puts a music-pretrained network in the ResNet's place
(:mod:`instrid.models.musicnn`, with the :class:`~instrid.models.features.MusicnnMel`
front-end): ``weights`` names its checkpoint (``"MTT_musicnn"`` or
``"MSD_musicnn"``, read from the installed package; ``None``: random, for a
model file to fill). The heads keep their meaning: ``"report_code"`` keeps the
output layer (50 tag logits), ``"report_text"`` replaces it (200 penultimate
units); ``"pooled"`` takes the mean and maximum over time of its feature maps
(1,506 values).
"""

from __future__ import annotations

import contextlib
import io
import urllib.error
from pathlib import Path

import torch
import torchvision
from torch import nn

from instrid.data import instruments
from instrid.errors import ModelError
from instrid.files import file_digest
from instrid.models import features, musicnn

HEADS = {"report_code": 1000, "report_text": 512}
#: The backbones, and how results, figures and ``instrid predict`` name each.
BACKBONE_NAMES = {"resnet18": "ResNet-18", "musicnn": "musicnn"}
BACKBONES = tuple(BACKBONE_NAMES)
#: The musicnn layer each head reads.
MUSICNN_LAYERS = {"report_code": "taggram", "report_text": "penultimate", "pooled": "pooled"}


#: Why ImageNet weights could not be had in this process (``weights="auto"`` asks only once).
_IMAGENET_UNAVAILABLE: str | None = None


def load_backbone(weights="auto", *, seed: int = 0, progress: bool = True) -> tuple[nn.Module, str, str]:
    """A torchvision ResNet-18 (with its 1000-way layer) and a description of its weights.

    Returns
    -------
    backbone : torch.nn.Module
    weights_used : str
        ``"imagenet:IMAGENET1K_V1"``, ``"file:<path>#sha256=<first 12>"`` or
        ``"random:seed=<seed>"``.
    note : str
        Empty, or why ``weights="auto"`` fell back to random initialization
        (said once, in the configuration line of every figure and result).

    Raises
    ------
    RuntimeError
        ``weights="imagenet"`` and the weights can be neither read from the hub
        cache nor downloaded (the message says where to put the file).
    """
    global _IMAGENET_UNAVAILABLE
    torch.manual_seed(seed)
    backbone = torchvision.models.resnet18(weights=None)
    if weights is None:
        return backbone, f"random:seed={seed}", ""
    if weights in ("imagenet", "auto"):
        spec = torchvision.models.ResNet18_Weights.IMAGENET1K_V1
        cache = Path(torch.hub.get_dir()) / "checkpoints" / Path(spec.url).name
        if weights == "auto" and _IMAGENET_UNAVAILABLE and not cache.is_file():
            return backbone, f"random:seed={seed}", _IMAGENET_UNAVAILABLE
        try:
            if weights == "auto":
                # A failed attempt offline must not litter notebooks with download messages.
                with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                    state = spec.get_state_dict(progress=False, check_hash=True)
            else:
                state = spec.get_state_dict(progress=progress, check_hash=True)
            backbone.load_state_dict(state)
            return backbone, "imagenet:IMAGENET1K_V1", ""
        except (urllib.error.URLError, OSError, RuntimeError) as exc:
            if weights == "auto":
                _IMAGENET_UNAVAILABLE = (
                    "ImageNet weights unavailable (not in the torch hub cache, download "
                    "failed), so the backbone is randomly initialized"
                )
                return backbone, f"random:seed={seed}", _IMAGENET_UNAVAILABLE
            raise ModelError(
                f"ImageNet weights for ResNet-18 are not in {cache} and could not be downloaded "
                f"from {spec.url} ({exc}); put the file there, pass a local file, or use weights=None"
            ) from exc
    path = Path(weights).expanduser()
    if not path.is_file():
        raise ModelError(f"{path}: weights file not found" if not path.exists() else f"{path}: not a file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"holds a {type(state).__name__}, not a state dict")
        if not any(str(name).startswith("fc.") for name in state):
            # A backbone trained on the task (instrid.models.finetune) keeps no 1000-way layer.
            backbone.fc = nn.Identity()
        backbone.load_state_dict(state)
    except Exception as exc:  # torch raises many kinds on a file of another kind, some with pages of advice
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"{path}: not a ResNet-18 state dict: {first}") from None
    return backbone, f"file:{path.name}#sha256={file_digest(path)[:12]}", ""


def _musicnn_backbone(weights, layer: str, seed: int) -> tuple[nn.Module, str, str]:
    """musicnn reading ``layer``, with the package's checkpoint ``weights`` (or random: ``None``)."""
    if weights is None:
        torch.manual_seed(seed)
        return musicnn.Musicnn(layer=layer), f"random:seed={seed}", ""
    if weights not in musicnn.CHECKPOINTS:
        raise ModelError(f"musicnn weights must be one of {sorted(musicnn.CHECKPOINTS)}, got {weights!r}")
    data_digest = musicnn.CHECKPOINTS[weights][1]
    return musicnn.load_musicnn(weights, layer=layer), f"musicnn:{weights}#sha256={data_digest[:12]}", ""


class InstrumentNet(nn.Module):
    """Front-end, frozen backbone and an 11-way sigmoid head.

    Parameters
    ----------
    front_end : torch.nn.Module
        From :mod:`instrid.models.features` (:class:`~instrid.models.features.MusicnnMel` for musicnn).
    backbone : {"resnet18", "musicnn"}
    head : {"report_code", "report_text"}, or "pooled" for musicnn
    weights : see the module docstring.
    batch_norm : {"eval", "batch"}
        ``eval`` (default, correct) or the report code's batch statistics.
    seed : int
        For random initialization of the backbone (when used) and the head.

    ``forward`` returns logits ``(batch, 11)``; probabilities are their sigmoid.
    """

    def __init__(
        self,
        front_end: nn.Module,
        *,
        backbone: str = "resnet18",
        head: str = "report_text",
        weights="auto",
        batch_norm: str = "eval",
        seed: int = 0,
        progress: bool = True,
    ):
        super().__init__()
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {list(BACKBONES)}, got {backbone!r}")
        heads = MUSICNN_LAYERS if backbone == "musicnn" else HEADS
        if head not in heads:
            raise ValueError(f"head must be one of {sorted(heads)} for {backbone}, got {head!r}")
        if batch_norm not in ("eval", "batch"):
            raise ValueError(f"batch_norm must be 'eval' or 'batch', got {batch_norm!r}")
        if (backbone == "musicnn") != isinstance(front_end, features.MusicnnMel):
            raise ValueError(
                "musicnn takes the musicnn_mel front-end, and only musicnn does"
                f" (got backbone {backbone!r} with {front_end.config()['name']})"
            )
        self.front_end, self.backbone_kind = front_end, backbone
        if backbone == "musicnn":
            self.backbone, self.weights_used, self.weights_note = _musicnn_backbone(
                weights, MUSICNN_LAYERS[head], seed
            )
        else:
            self.backbone, self.weights_used, self.weights_note = load_backbone(
                weights, seed=seed, progress=progress
            )
            if head == "report_code" and isinstance(self.backbone.fc, nn.Identity):
                raise ValueError(
                    f"{weights}: this backbone has no 1000-way ImageNet layer (trained by "
                    "instrid.models.finetune); use head='report_text'"
                )
            if head == "report_text":
                self.backbone.fc = nn.Identity()
        for parameter in self.backbone.parameters():
            parameter.requires_grad_(False)
        self.head_kind, self.batch_norm = head, batch_norm
        torch.manual_seed(seed)
        self.head = nn.Linear(self.embedding_size, instruments.N_INSTRUMENTS)
        self.train(False)

    @property
    def embedding_size(self) -> int:
        if self.backbone_kind == "musicnn":
            return self.backbone.out_features
        return HEADS[self.head_kind]

    def train(self, mode: bool = True) -> InstrumentNet:
        super().train(mode)
        # The frozen backbone stays in eval mode unless the ablation asks for batch statistics.
        self.backbone.train(self.batch_norm == "batch")
        return self

    def embed(self, waveform: torch.Tensor) -> torch.Tensor:
        """Backbone output for a batch of waveform crops: ``(batch, embedding_size)``."""
        if self.backbone_kind == "musicnn":
            return self.backbone(self.front_end(waveform))
        image = self.front_end(waveform).contiguous(memory_format=torch.channels_last)
        return self.backbone(image)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(waveform))

    def describe(self) -> dict:
        """Configuration to record with every result."""
        return {
            "backbone": self.backbone_kind,
            "weights": self.weights_used,
            "head": self.head_kind,
            "batch_norm": self.batch_norm,
            "front_end": self.front_end.config(),
            "trained_parameters": sum(p.numel() for p in self.parameters() if p.requires_grad),
        }
