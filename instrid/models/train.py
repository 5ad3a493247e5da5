"""Training the head on cached embeddings (notebooks ``02`` to ``14``).

The report's settings are the default: SGD with learning rate 0.001 and no
momentum, StepLR halving the rate after every epoch, batches of 10 and a few
epochs. Adam is offered as a modern alternative. The head with the best
validation loss over the epochs is kept.

Runs are deterministic: the same seed, data and machine give the same
weights bit for bit (one seeded generator drives initialization and
shuffling; a linear head on CPU has no nondeterministic kernels).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_limits
from torch import nn
from tqdm import tqdm

from instrid.models.losses import get_loss, value_and_gradient


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
    # Hidden units of a one-hidden-layer ReLU head; 0 keeps the report's Linear head (notebook 10 compares).
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


class _Layers:
    """The head's weights as numpy arrays, ``[(W, b), ...]`` (a ReLU between layers), with its own
    forward and backward passes: the head trains in numpy (see :func:`train_head`)."""

    def __init__(self, head: nn.Module):
        self.parameters = [
            p.detach().numpy().copy() for layer in self._linears(head) for p in (layer.weight, layer.bias)
        ]

    @staticmethod
    def _linears(head: nn.Module) -> list[nn.Linear]:
        return [head] if isinstance(head, nn.Linear) else [m for m in head if isinstance(m, nn.Linear)]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's input, then the logits."""
        outputs = [x]
        for i in range(0, len(self.parameters), 2):
            weight, bias = self.parameters[i], self.parameters[i + 1]
            z = outputs[-1] @ weight.T + bias
            outputs.append(z if i + 2 == len(self.parameters) else np.maximum(z, 0))
        return outputs

    def backward(self, outputs: list[np.ndarray], d_logits: np.ndarray) -> list[np.ndarray]:
        """Gradients of the parameters, in their order, from the loss's gradient at the logits."""
        grads, d = [], d_logits
        for i in range(len(self.parameters) - 2, -1, -2):
            inputs = outputs[i // 2]
            grads[:0] = [d.T @ inputs, d.sum(axis=0)]
            if i:
                d = (d @ self.parameters[i]) * (inputs > 0)
        return grads

    def into(self, head: nn.Module) -> nn.Module:
        with torch.no_grad():
            for j, layer in enumerate(self._linears(head)):
                layer.weight.copy_(torch.from_numpy(self.parameters[2 * j]))
                layer.bias.copy_(torch.from_numpy(self.parameters[2 * j + 1]))
        return head


class _Optimizer:
    """SGD without momentum (the report's) or Adam, as torch.optim computes them, on numpy arrays."""

    BETAS, EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults

    def __init__(self, parameters: list[np.ndarray], config: TrainConfig):
        if config.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {config.optimizer!r}")
        self.parameters, self.kind, self.lr, self.steps = parameters, config.optimizer, config.lr, 0
        self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in parameters]

    def step(self, grads: list[np.ndarray]) -> None:
        self.steps += 1
        if self.kind == "sgd":
            for p, g in zip(self.parameters, grads):
                p -= self.lr * g
            return
        (beta1, beta2), t = self.BETAS, self.steps
        # Python floats, so the arithmetic stays float32 (a numpy float64 scalar would promote it).
        step_size, root_correction = self.lr / (1 - beta1**t), math.sqrt(1 - beta2**t)
        for p, g, (m, v) in zip(self.parameters, grads, self.moments):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= step_size * m / (np.sqrt(v) / root_correction + self.EPS)


def mean_loss(layers: _Layers, x: np.ndarray, y: np.ndarray, loss: str, batch_size: int = 4096) -> float:
    """Loss over a whole set, computed in large batches and averaged by example count.

    (For the batch-normalized IoU loss this is the mean of per-batch values.)
    """
    total = sum(
        value_and_gradient(loss, layers.forward(x[i : i + batch_size])[-1], y[i : i + batch_size])[0]
        * len(x[i : i + batch_size])
        for i in range(0, len(x), batch_size)
    )
    return total / max(1, len(x))


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

    Notes
    -----
    The head is a torch module, seeded from ``config.seed`` (initialization, then one shuffle per
    epoch, from one generator), but the steps run in numpy float32 with the gradients written out
    (:func:`instrid.models.losses.value_and_gradient`, :class:`_Layers`, :class:`_Optimizer`): with the
    report's batches of 10, that is about ten times faster than torch's autograd and optimizer
    (``benchmarks/bench_head.py`` measures both), with the same arithmetic up to rounding. The steps
    use one BLAS thread: products of a batch of 10 gain nothing from more, and when ``make study``
    runs two notebooks side by side, BLAS threads waiting on a busy core made a one-hidden-layer head
    about three times slower (14.0 s against 4.8 s for one epoch of 10,000 examples, measured on 2 cores).
    """
    config = config or TrainConfig()
    x, y = np.asarray(train_x, dtype=np.float32), np.asarray(train_y, dtype=np.float32)
    vx, vy = np.asarray(val_x, dtype=np.float32), np.asarray(val_y, dtype=np.float32)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(vx) != len(vy):
        raise ValueError("train/val embeddings and targets must be (n, d) and (n, classes) with matching n")
    if config.hidden < 0:
        raise ValueError(f"hidden must be 0 (a Linear head) or a number of units, got {config.hidden}")
    get_loss(config.loss)  # an unknown loss fails here, before any work
    if config.standardize:
        shift, spread = x.mean(axis=0), x.std(axis=0)
        # A constant dimension is only centred: dividing by a vanishing spread would fold a huge weight
        # into the head that cancels against its bias only in exact arithmetic.
        scale = np.where(spread > STD_FLOOR, spread, np.float32(1)).astype(np.float32)
        x, vx = (x - shift) / scale, (vx - shift) / scale
    generator = torch.Generator().manual_seed(config.seed)
    head = make_head(x.shape[1], y.shape[1], config.hidden, generator)
    layers = _Layers(head)
    optimizer = _Optimizer(layers.parameters, config)

    rows, best, best_loss, best_epoch = [], None, np.inf, 0
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in tqdm(range(1, config.epochs + 1), desc="epochs", disable=not progress, leave=False):
            epoch_start = time.perf_counter()
            optimizer.lr = lr = config.lr * config.lr_gamma ** (epoch - 1)  # StepLR(step_size=1, gamma)
            order = torch.randperm(len(x), generator=generator).numpy()
            total = 0.0
            for i in range(0, len(x), config.batch_size):
                rows_b = order[i : i + config.batch_size]
                outputs = layers.forward(x[rows_b])
                loss, d_logits = value_and_gradient(config.loss, outputs[-1], y[rows_b])
                optimizer.step(layers.backward(outputs, d_logits))
                total += loss * len(rows_b)
            val_loss = mean_loss(layers, vx, vy, config.loss)
            rows.append(
                {
                    "epoch": epoch,
                    "train_loss": total / max(1, len(x)),
                    "val_loss": val_loss,
                    "lr": lr,
                    "seconds": time.perf_counter() - epoch_start,
                }
            )
            if val_loss < best_loss:
                best_loss, best_epoch, best = val_loss, epoch, [p.copy() for p in layers.parameters]
    if best is not None:
        layers.parameters[:] = best
    if config.standardize:
        weight, bias = layers.parameters[0], layers.parameters[1]
        weight /= scale
        bias -= weight @ shift
    head = layers.into(head)
    head.eval()
    return TrainResult(
        head=head,
        history=pd.DataFrame(rows),
        best_epoch=best_epoch,
        config=config,
        seconds=time.perf_counter() - started,
    )


def train_head_autograd(train_x, train_y, val_x, val_y, config: TrainConfig) -> tuple[nn.Module, list[float]]:
    """:func:`train_head` written with torch's autograd, optimizers and StepLR: its specification.

    The tests check that :func:`train_head` gives the same head and validation losses up to float32
    rounding; ``benchmarks/bench_head.py`` times both. No standardization (train on z-scored inputs
    instead). Returns the head of the best validation epoch and the validation loss of every epoch.
    """
    x, y, vx, vy = (_tensor(a) for a in (train_x, train_y, val_x, val_y))
    loss_fn = get_loss(config.loss)
    generator = torch.Generator().manual_seed(config.seed)
    head = make_head(x.shape[1], y.shape[1], config.hidden, generator)
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[config.optimizer](
        head.parameters(), lr=config.lr
    )
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=config.lr_gamma)
    best, best_loss, val_losses = None, np.inf, []
    for _ in range(config.epochs):
        order = torch.randperm(len(x), generator=generator)
        for i in range(0, len(x), config.batch_size):
            rows = order[i : i + config.batch_size]
            optimizer.zero_grad()
            loss_fn(head(x[rows]), y[rows]).backward()
            optimizer.step()
        schedule.step()
        with torch.no_grad():
            val_losses.append(
                sum(
                    loss_fn(head(vx[i : i + 4096]), vy[i : i + 4096]).item() * len(vx[i : i + 4096])
                    for i in range(0, len(vx), 4096)
                )
                / max(1, len(vx))
            )
        if val_losses[-1] < best_loss:
            best_loss, best = val_losses[-1], {k: v.clone() for k, v in head.state_dict().items()}
    if best is not None:
        head.load_state_dict(best)
    return head.eval(), val_losses


@torch.no_grad()
def predict_logits(head: nn.Module, x, batch_size: int = 8192) -> np.ndarray:
    """Head logits for embeddings ``x``: ``(n, classes)`` float64."""
    t = _tensor(x)
    head.eval()
    # At least one (possibly empty) batch, so no input still gives (0, classes) whatever the head's layers.
    return np.concatenate(
        [head(t[i : i + batch_size]).double().numpy() for i in range(0, max(len(t), 1), batch_size)]
    )
