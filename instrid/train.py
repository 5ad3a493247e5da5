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
from dataclasses import dataclass, field

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
    optimizer: str = "sgd"          # "sgd" (report) or "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    batch_size: int = 10
    epochs: int = 3
    lr_gamma: float = 0.5           # StepLR(step_size=1, gamma)
    weight_decay: float = 0.0
    seed: int = 0


@dataclass
class TrainResult:
    head: nn.Linear
    history: pd.DataFrame           # epoch, train_loss, val_loss, lr, seconds
    best_epoch: int
    config: TrainConfig
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


@torch.no_grad()
def mean_loss(head: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, batch_size: int = 4096) -> float:
    """Loss over a whole set, computed in large batches and averaged by example count.

    (For the batch-normalized IoU loss this is the mean of per-batch values.)
    """
    total, n = 0.0, 0
    for i in range(0, len(x), batch_size):
        xb, yb = x[i: i + batch_size], y[i: i + batch_size]
        total += loss_fn(head(xb), yb).item() * len(xb)
        n += len(xb)
    return total / max(1, n)


def _optimizer(parameters, config: TrainConfig):
    """The configured optimizer and its StepLR(step_size=1, gamma=lr_gamma) schedule."""
    if config.optimizer == "sgd":
        optimizer = torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum,
                                    weight_decay=config.weight_decay)
    elif config.optimizer == "adam":
        optimizer = torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
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


def train_head(train_x, train_y, val_x, val_y, config: TrainConfig | None = None, *,
               progress: bool = True) -> TrainResult:
    """Train a ``Linear(d, classes)`` head on embeddings with the given loss.

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
    """
    config = config or TrainConfig()
    loss_fn = get_loss(config.loss)
    x, y = _tensor(train_x), _tensor(train_y)
    vx, vy = _tensor(val_x), _tensor(val_y)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(vx) != len(vy):
        raise ValueError("train/val embeddings and targets must be (n, d) and (n, classes) with matching n")
    generator = torch.Generator().manual_seed(config.seed)
    head = nn.Linear(x.shape[1], y.shape[1])
    with torch.no_grad():
        # nn.Linear's own initialization, drawn from our generator.
        bound = 1 / np.sqrt(x.shape[1])
        head.weight.copy_(torch.empty_like(head.weight).uniform_(-bound, bound, generator=generator))
        head.bias.copy_(torch.empty_like(head.bias).uniform_(-bound, bound, generator=generator))
    optimizer, scheduler = _optimizer(head.parameters(), config)

    rows, best, best_loss, best_epoch = [], None, np.inf, 0
    started = time.perf_counter()
    for epoch in tqdm(range(1, config.epochs + 1), desc="epochs", disable=not progress, leave=False):
        epoch_start = time.perf_counter()
        head.train()
        order = torch.randperm(len(x), generator=generator)
        batches = (order[i: i + config.batch_size] for i in range(0, len(x), config.batch_size))
        train_loss = _epoch(head, ((x[b], y[b]) for b in batches), loss_fn, optimizer)
        lr = optimizer.param_groups[0]["lr"]
        scheduler.step()
        head.eval()
        val_loss = mean_loss(head, vx, vy, loss_fn)
        rows.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
                     "seconds": time.perf_counter() - epoch_start})
        if val_loss < best_loss:
            best_loss, best_epoch, best = val_loss, epoch, copy.deepcopy(head.state_dict())
    if best is not None:
        head.load_state_dict(best)
    head.eval()
    return TrainResult(head=head, history=pd.DataFrame(rows), best_epoch=best_epoch, config=config,
                       seconds=time.perf_counter() - started)


@torch.no_grad()
def predict_logits(head: nn.Module, x, batch_size: int = 8192) -> np.ndarray:
    """Head logits for embeddings ``x``: ``(n, classes)`` float64."""
    t = _tensor(x)
    head.eval()
    return np.concatenate([head(t[i: i + batch_size]).double().numpy() for i in range(0, len(t), batch_size)]
                          or [np.zeros((0, head.out_features))])


def finetune(net, dataset, examples, config: TrainConfig | None = None, *, device: str | None = None,
             progress: bool = True) -> TrainResult:
    """Fine-tune the whole model (backbone and head) on waveform crops: for GPU runs.

    The study's default keeps the backbone frozen and trains the head on cached
    embeddings; this unfreezes the backbone, trains on the ``train`` examples
    with BatchNorm in training mode, selects the epoch with the lowest loss on
    the ``validation`` examples (in eval mode) and leaves the model frozen again.
    Crops are read per batch (no cache), so it runs wherever extraction does,
    only slower. Returns the training history; ``result.head`` is ``net.head``.
    """
    from instrid.embeddings import crops

    config = config or TrainConfig()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    loss_fn = get_loss(config.loss)
    front = net.front_end
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    net = net.to(device)
    for parameter in net.backbone.parameters():
        parameter.requires_grad_(True)
    optimizer, scheduler = _optimizer([p for p in net.parameters() if p.requires_grad], config)

    def batch_of(part, rows):
        table = part.table.iloc[rows]
        x = np.concatenate([crops(dataset, int(r.recording), np.array([r.start]), np.array([r.end]),
                                  front.sample_rate, front.crop_samples) for r in table.itertuples()])
        return torch.from_numpy(x).to(device), torch.as_tensor(part.targets[rows], dtype=torch.float32, device=device)

    train_part, val_part = examples.split("train"), examples.split("validation")
    rows, best, best_loss, best_epoch = [], None, np.inf, 0
    started = time.perf_counter()
    try:
        for epoch in tqdm(range(1, config.epochs + 1), desc="fine-tune", disable=not progress, leave=False):
            epoch_start = time.perf_counter()
            net.backbone.train()
            net.head.train()
            order = torch.randperm(len(train_part), generator=generator).numpy()
            train_loss = _epoch(net, (batch_of(train_part, order[i: i + config.batch_size])
                                      for i in range(0, len(order), config.batch_size)), loss_fn, optimizer)
            lr = optimizer.param_groups[0]["lr"]
            scheduler.step()
            net.eval()
            with torch.no_grad():
                val_loss = sum(loss_fn(net(x), y).item() * len(y) for x, y in
                               (batch_of(val_part, np.arange(i, min(i + 64, len(val_part))))
                                for i in range(0, len(val_part), 64))) / max(1, len(val_part))
            rows.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "lr": lr,
                         "seconds": time.perf_counter() - epoch_start})
            if val_loss < best_loss:
                best_loss, best_epoch = val_loss, epoch
                best = {k: v.detach().clone() for k, v in net.state_dict().items()}
    finally:
        for parameter in net.backbone.parameters():
            parameter.requires_grad_(False)
        net.eval()
    if best is not None:
        net.load_state_dict(best)
    return TrainResult(head=net.head, history=pd.DataFrame(rows), best_epoch=best_epoch, config=config,
                       seconds=time.perf_counter() - started, extra={"fine_tuned": True})
