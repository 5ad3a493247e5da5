"""Training the head on cached embeddings (notebooks ``02`` to ``06``).

The report's settings are the default: SGD with learning rate 0.001 and no
momentum, StepLR halving the rate after every epoch, batches of 10 and a few
epochs. Adam is offered as a modern alternative. The head with the best
validation loss over the epochs is kept.

Runs are deterministic: the same seed, data and machine give the same
weights bit for bit (one seeded generator drives initialization and
shuffling; a linear head on CPU has no nondeterministic kernels).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from instrid.losses import get_loss


@dataclass
class TrainConfig:
    """Head training settings; the defaults are the report code's."""

    loss: str = "iou_batch"
    optimizer: str = "sgd"  # "sgd" (report) or "adam"
    lr: float = 1e-3
    batch_size: int = 10
    epochs: int = 3
    lr_gamma: float = 0.5  # StepLR(step_size=1, gamma)
    seed: int = 0
    # Train on embeddings z-scored with the training split's mean and standard deviation, then fold that
    # affine map into the head, so the returned head still takes raw embeddings (the corrected pipeline).
    standardize: bool = False
    # Hidden units of a one-hidden-layer ReLU head; 0 keeps the report's Linear head (notebook 07 compares).
    hidden: int = 0


#: Below this standard deviation an embedding dimension counts as constant: centred, not scaled.
STD_FLOOR = 1e-6


@dataclass
class TrainResult:
    head: nn.Module  # nn.Linear, or nn.Sequential(Linear, ReLU, Linear) with TrainConfig.hidden
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds
    best_epoch: int
    config: TrainConfig
    seconds: float = 0.0


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


@torch.no_grad()
def mean_loss(head: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, batch_size: int = 4096) -> float:
    """Loss over a whole set, computed in large batches and averaged by example count.

    (For the batch-normalized IoU loss this is the mean of per-batch values.)
    """
    total, n = 0.0, 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i : i + batch_size], y[i : i + batch_size]
        total += loss_fn(head(xb), yb).item() * len(xb)
        n += len(xb)
    return total / max(1, n)


def _optimizer(parameters, config: TrainConfig):
    """The configured optimizer and its StepLR(step_size=1, gamma=lr_gamma) schedule."""
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(parameters, lr=config.lr)  # no momentum, as the report
    elif config.optimizer == "adam":
        optimizer = torch.optim.Adam(parameters, lr=config.lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {config.optimizer!r}")
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=config.lr_gamma)


def _epoch(model: nn.Module, batches, loss_fn, optimizer) -> float:
    """One optimizer step per ``(inputs, targets)`` batch; the mean training loss per example."""
    total, n = 0.0, 0
    for x, y in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        n += len(y)
    return total / max(1, n)


def make_head(inputs: int, outputs: int, hidden: int, generator: torch.Generator) -> nn.Module:
    """``Linear(inputs, outputs)``, or with ``hidden`` units ``Linear -> ReLU -> Linear``, seeded.

    Each layer gets nn.Linear's own initialization (uniform in +-1/sqrt(fan-in)), drawn from
    ``generator``.
    """
    layers = (
        [nn.Linear(inputs, outputs)]
        if not hidden
        else [nn.Linear(inputs, hidden), nn.Linear(hidden, outputs)]
    )
    with torch.no_grad():
        for layer in layers:
            bound = 1 / np.sqrt(layer.in_features)
            layer.weight.copy_(torch.empty_like(layer.weight).uniform_(-bound, bound, generator=generator))
            layer.bias.copy_(torch.empty_like(layer.bias).uniform_(-bound, bound, generator=generator))
    return layers[0] if not hidden else nn.Sequential(layers[0], nn.ReLU(), layers[1])


def train_head(
    train_x, train_y, val_x, val_y, config: TrainConfig | None = None, *, progress: bool = True
) -> TrainResult:
    """Train a ``Linear(d, classes)`` head (or a one-hidden-layer one, ``config.hidden``) on embeddings.

    Parameters
    ----------
    train_x, val_x : array_like, (n, d)
        Cached backbone outputs (float16 is fine).
    train_y, val_y : array_like, (n, classes)
        0/1 targets.
    config : TrainConfig

    Returns
    -------
    TrainResult, with the head of the epoch with the lowest validation loss.
    With ``config.standardize`` the head is trained on
    :math:`z = (e - \\mu) / \\sigma` (training mean and standard deviation per
    dimension; a dimension with :math:`\\sigma` below :data:`STD_FLOOR` only centred) and returned folded,
    :math:`W' = W / \\sigma`, :math:`b' = b - W' \\mu` (``W``, ``b``: the first layer's), so it takes raw
    embeddings.
    """
    config = config or TrainConfig()
    loss_fn = get_loss(config.loss)
    x, y = _tensor(train_x), _tensor(train_y)
    vx, vy = _tensor(val_x), _tensor(val_y)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(vx) != len(vy):
        raise ValueError("train/val embeddings and targets must be (n, d) and (n, classes) with matching n")
    if config.hidden < 0:
        raise ValueError(f"hidden must be 0 (a Linear head) or a number of units, got {config.hidden}")
    if config.standardize:
        shift, spread = x.mean(dim=0), x.std(dim=0, unbiased=False)
        # A constant dimension is only centred: dividing by a vanishing spread would fold a huge weight
        # into the head that cancels against its bias only in exact arithmetic.
        scale = torch.where(spread > STD_FLOOR, spread, torch.ones_like(spread))
        x, vx = (x - shift) / scale, (vx - shift) / scale
    generator = torch.Generator().manual_seed(config.seed)
    head = make_head(x.shape[1], y.shape[1], config.hidden, generator)
    optimizer, scheduler = _optimizer(head.parameters(), config)

    rows, best, best_loss, best_epoch = [], None, np.inf, 0
    started = time.perf_counter()
    for epoch in tqdm(range(1, config.epochs + 1), desc="epochs", disable=not progress, leave=False):
        epoch_start = time.perf_counter()
        head.train()
        order = torch.randperm(len(x), generator=generator)
        batches = (order[i : i + config.batch_size] for i in range(0, len(x), config.batch_size))
        train_loss = _epoch(head, ((x[b], y[b]) for b in batches), loss_fn, optimizer)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        head.eval()
        val_loss = mean_loss(head, vx, vy, loss_fn)
        rows.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "val_loss": val_loss,
                "lr": lr,
                "seconds": time.perf_counter() - epoch_start,
            }
        )
        if val_loss < best_loss:
            best_loss, best_epoch, best = val_loss, epoch, copy.deepcopy(head.state_dict())
    if best is not None:
        head.load_state_dict(best)
    if config.standardize:
        first = head if isinstance(head, nn.Linear) else head[0]
        with torch.no_grad():
            first.weight.div_(scale)
            first.bias.sub_(first.weight @ shift)
    head.eval()
    return TrainResult(
        head=head,
        history=pd.DataFrame(rows),
        best_epoch=best_epoch,
        config=config,
        seconds=time.perf_counter() - started,
    )


@torch.no_grad()
def predict_logits(head: nn.Module, x, batch_size: int = 8192) -> np.ndarray:
    """Head logits for embeddings ``x``: ``(n, classes)`` float64."""
    t = _tensor(x)
    head.eval()
    # At least one (possibly empty) batch, so no input still gives (0, classes) whatever the head's layers.
    return np.concatenate(
        [head(t[i : i + batch_size]).double().numpy() for i in range(0, max(len(t), 1), batch_size)]
    )
