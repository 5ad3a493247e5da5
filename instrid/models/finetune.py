"""Training the backbone itself, sized for a CPU (notebook ``14_trained_backbone``).

Every other notebook keeps the ResNet-18 frozen and trains only a head on its
cached outputs, as the report did. Here the whole network is trained on a run's
training segments, starting from the backbone the run uses (ImageNet's weights,
or the seed's random draw), with a per-example timbre augmentation
(:func:`augment`): a random smooth equalisation over the mel bands and
frequency masks, so that the network cannot lean on one SoundFont's spectral
envelope alone.

The result is a weights file, cached (``<cache>/backbones/<key>.pth``, the key
hashing the data, examples, front-end, starting weights and settings) and taken
by :func:`instrid.study.pipeline.prepare` as ``weights=``. Its outputs are then
cached and a head trained on them like any backbone's, so the data still flow
front-end -> backbone -> embedding cache -> head; only the backbone's weights
come from training. The file holds no 1000-way ImageNet layer: use it with
``head="report_text"``.

Deterministic on one machine and thread count (one seeded torch generator for
the head, one numpy generator for shuffling and augmentation); across thread
counts the last bits of the convolutions differ, as for extraction.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from instrid import cache
from instrid.cache import entry_lock, mark_used
from instrid.data import examples, instruments
from instrid.files import atomic_path, cache_dir
from instrid.models import embeddings

#: Bump when training changes in a way the key does not see.
VERSION = 1


@dataclass(frozen=True)
class BackboneTraining:
    """Settings of :func:`train_backbone`: Adam with a one-cycle schedule, the best epoch kept."""

    epochs: int = 3
    batch_size: int = 64
    lr: float = 1e-3  # the one-cycle schedule's peak
    augment: bool = True
    # The random equalisation: cosines 1..eq_terms over the mel axis, the k-th with standard deviation
    # eq_sd / k, in units of a band's standard deviation (about 6 dB for the first with the default).
    eq_sd: float = 0.35
    eq_terms: int = 4
    masks: int = 2  # frequency masks per example, each 0 to mask_bands bands wide
    mask_bands: int = 12


def augment(images: np.ndarray, rng: np.random.Generator, settings: BackboneTraining) -> np.ndarray:
    """A copy of ``images`` ``(batch, bands, frames)`` with a random smooth equalisation and frequency masks.

    Each example gets its own curve over the bands,
    ``sum_k a_k cos(pi k b / B + phi_k)`` for ``k = 1..eq_terms``, with
    ``a_k ~ N(0, (eq_sd / k)^2)`` and ``phi_k`` uniform (``b`` the band, ``B``
    the number of bands), added to every frame; then ``masks`` runs of up to
    ``mask_bands`` bands set to 0 (a normalized band's mean).
    """
    if images.ndim != 3:
        raise ValueError(f"images must be (batch, bands, frames), got shape {images.shape}")
    n, bands, _ = images.shape
    k = np.arange(1, settings.eq_terms + 1)
    amplitude = rng.normal(0.0, settings.eq_sd, (n, len(k))) / k
    phase = rng.uniform(0.0, 2 * np.pi, (n, len(k)))
    position = np.arange(bands) / bands
    curve = (amplitude[:, :, None] * np.cos(np.pi * k[None, :, None] * position + phase[:, :, None])).sum(1)
    out = images.astype(np.float32) + curve[:, :, None].astype(np.float32)
    width = min(settings.mask_bands, bands - 1)
    for _ in range(settings.masks):
        widths = rng.integers(0, width + 1, n)
        starts = rng.integers(0, bands - width, n)
        for i in range(n):
            out[i, starts[i] : starts[i] + widths[i]] = 0.0
    return out


def images(dataset, chosen: examples.Examples, front_end, *, progress: bool = True) -> np.ndarray:
    """The front-end's single-channel images of ``chosen`` examples, ``(n, bands, frames)`` float16."""
    table = chosen.table
    recordings, starts, ends = (table[c].to_numpy() for c in ("recording", "start", "end"))
    out = None
    bar = tqdm(total=len(chosen), desc="images", unit="ex", disable=not progress, leave=False)
    for rid in dict.fromkeys(recordings.tolist()):
        rows = np.flatnonzero(recordings == rid)
        crops = examples.crops(
            dataset, rid, starts[rows], ends[rows], front_end.sample_rate, front_end.crop_samples
        )
        with torch.no_grad():
            image = front_end(torch.from_numpy(crops))[:, 0].numpy()
        if out is None:
            out = np.empty((len(chosen), *image.shape[1:]), dtype=np.float16)
        out[rows] = image
        bar.update(len(rows))
    bar.close()
    return out


def _batches(x: np.ndarray, size: int = 256):
    for i in range(0, len(x), size):
        yield _network_input(x[i : i + size])


def _network_input(x: np.ndarray) -> torch.Tensor:
    tensor = torch.from_numpy(np.asarray(x, dtype=np.float32)).unsqueeze(1).expand(-1, 3, -1, -1)
    return tensor.contiguous(memory_format=torch.channels_last)


def backbone_key(prepared, settings: BackboneTraining) -> str:
    """The cache key of the backbone trained from ``prepared`` (:class:`instrid.study.pipeline.Prepared`)."""
    used = prepared.examples.subset(prepared.examples.table["split"].isin(["train", "validation"]).to_numpy())
    description = {
        "version": VERSION,
        "dataset": cache.dataset_fingerprint(prepared.dataset),
        "examples": embeddings.examples_fingerprint(used),
        "front_end": prepared.model.front_end.config(),
        "weights": prepared.model.weights_used,
        "seed": prepared.seed,
        "settings": asdict(settings),
    }
    return cache.key(description)


def train_backbone(
    prepared,
    settings: BackboneTraining = BackboneTraining(),
    *,
    use_cache: bool = True,
    progress: bool = True,
) -> Path:
    """Path of the weights file of a ResNet-18 trained on ``prepared``'s training split.

    ``prepared`` is a :class:`instrid.study.pipeline.Prepared` with the 512-d head
    (``head="report_text"``) and BatchNorm in eval mode. The network (its
    backbone and a new linear head, BCE loss) is trained for
    ``settings.epochs`` epochs on the front-end's images of the training
    examples; the epoch with the lowest validation loss is kept. Cached: a
    second call with the same run and settings returns the stored file.
    """
    if prepared.model.head_kind != "report_text" or prepared.model.batch_norm != "eval":
        raise ValueError(
            "train_backbone needs a run with head='report_text' and batch_norm='eval', got "
            f"head={prepared.model.head_kind!r}, batch_norm={prepared.model.batch_norm!r}"
        )
    key = backbone_key(prepared, settings)
    dest = cache_dir() / "backbones" / f"{key}.pth"
    with entry_lock(dest.with_suffix("")):
        if use_cache and dest.is_file():
            mark_used(dest)
            return dest
        state = _train(prepared, settings, progress=progress)
        with atomic_path(dest) as tmp:
            torch.save(state, tmp)
    return dest


def _train(prepared, settings: BackboneTraining, *, progress: bool) -> dict:
    front_end = prepared.model.front_end
    split = prepared.examples.table["split"].to_numpy()
    if not (split == "train").any() or not (split == "validation").any():
        raise ValueError("train_backbone needs training and validation examples")
    x, vx = (
        images(prepared.dataset, prepared.examples.subset(split == s), front_end, progress=progress)
        for s in ("train", "validation")
    )
    y, vy = (
        torch.from_numpy(prepared.examples.targets[split == s].astype(np.float32))
        for s in ("train", "validation")
    )
    rng = np.random.default_rng(prepared.seed)
    torch.manual_seed(prepared.seed)
    backbone = copy.deepcopy(prepared.model.backbone)
    for parameter in backbone.parameters():
        parameter.requires_grad_(True)
    network = nn.Sequential(backbone, nn.Linear(512, instruments.N_INSTRUMENTS)).to(
        memory_format=torch.channels_last
    )
    steps = -(-len(x) // settings.batch_size)
    optimizer = torch.optim.Adam(network.parameters(), lr=settings.lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=settings.epochs * steps
    )
    loss = nn.BCEWithLogitsLoss()
    best, best_loss = None, np.inf
    for epoch in range(settings.epochs):
        network.train()
        order = rng.permutation(len(x))
        for i in tqdm(
            range(steps), desc=f"train backbone, epoch {epoch + 1}", disable=not progress, leave=False
        ):
            rows = order[i * settings.batch_size : (i + 1) * settings.batch_size]
            batch = augment(x[rows], rng, settings) if settings.augment else x[rows]
            value = loss(network(_network_input(batch)), y[rows])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            schedule.step()
        network.eval()
        with torch.no_grad():
            logits = torch.cat([network(b) for b in _batches(vx)])
            validation_loss = float(loss(logits, vy))
        if validation_loss < best_loss:
            best, best_loss = copy.deepcopy(backbone.state_dict()), validation_loss
    return {k: v for k, v in best.items() if not k.startswith("fc.")}
