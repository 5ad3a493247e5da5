"""Losses for multi-label instrument identification (notebook ``03_loss_mse_vs_iou``).

All take **logits** ``z`` of shape ``(batch, classes)`` and 0/1 targets ``y`` of
the same shape, and work on the probabilities ``p = sigmoid(z)`` as the report
does (binary cross-entropy uses the logits directly, for numerical stability).
Each returns a scalar tensor.

The report's "IoU-like" loss exists in two versions that differ:

* :func:`iou_loss_batch` -- what its code computed: errors summed over the
  whole batch, then each sum divided by the batch's count;
* :func:`iou_loss_frame` -- its Equation 1: the same ratio per frame (example),
  then averaged over frames.

Frames where no instrument plays (or all play) have no positives (negatives);
the matching term is taken as 0 instead of dividing by zero.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special

LOSSES = ("mse", "bce", "iou_batch", "iou_frame")


def _check(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if logits.shape != targets.shape or logits.dim() != 2:
        raise ValueError(
            f"logits and targets must both be (batch, classes), got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )
    return targets.to(logits.dtype)


def mse_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean squared error on probabilities.

    .. math:: L = \\frac{1}{BK} \\sum_{b,k} (p_{bk} - y_{bk})^2
    """
    y = _check(logits, targets)
    return torch.mean((torch.sigmoid(logits) - y) ** 2)


def bce_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy, the standard multi-label loss (a reference, not in the report).

    .. math:: L = -\\frac{1}{BK} \\sum_{b,k} y_{bk} \\log p_{bk} + (1 - y_{bk}) \\log(1 - p_{bk})
    """
    y = _check(logits, targets)
    return F.binary_cross_entropy_with_logits(logits, y)


def iou_loss_batch(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The report code's IoU-like loss, normalized over the whole batch.

    .. math::
        FN = \\sum_{y_{bk}=1} (p_{bk} - 1)^2, \\quad FP = \\sum_{y_{bk}=0} p_{bk}^2, \\quad
        L = \\frac{FN}{\\max(1, N_{pos})} + \\frac{FP}{\\max(1, N_{neg})}

    with :math:`N_{pos}`, :math:`N_{neg}` the numbers of positive and negative
    targets in the batch.
    """
    y = _check(logits, targets)
    p = torch.sigmoid(logits)
    n_pos = y.sum()
    n_neg = y.numel() - n_pos
    false_negative = torch.sum(y * (p - 1) ** 2)
    false_positive = torch.sum((1 - y) * p**2)
    return false_negative / n_pos.clamp_min(1) + false_positive / n_neg.clamp_min(1)


def iou_loss_frame(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The report's Equation 1: the IoU-like ratio per frame, averaged over frames.

    .. math::
        L = \\frac{1}{B} \\sum_b \\left( \\frac{\\sum_{k: y_{bk}=1} (p_{bk} - 1)^2}{\\max(1, N^{pos}_b)}
        + \\frac{\\sum_{k: y_{bk}=0} p_{bk}^2}{\\max(1, N^{neg}_b)} \\right)
    """
    y = _check(logits, targets)
    p = torch.sigmoid(logits)
    n_pos = y.sum(dim=1)
    n_neg = y.shape[1] - n_pos
    false_negative = torch.sum(y * (p - 1) ** 2, dim=1)
    false_positive = torch.sum((1 - y) * p**2, dim=1)
    return torch.mean(false_negative / n_pos.clamp_min(1) + false_positive / n_neg.clamp_min(1))


def value_and_gradient(name: str, logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """A loss and its gradient with respect to the logits, in numpy (:mod:`instrid.models.train` steps on it).

    The same formulas as the torch functions above (tests check the values and gradients against
    theirs and torch's autograd), written out because the head trains in batches of 10: per step,
    torch's operator and autograd overhead costs about ten times the arithmetic.

    Parameters
    ----------
    name : str
        One of :data:`LOSSES`.
    logits : ndarray, (batch, classes)
    targets : ndarray, (batch, classes), 0/1, same dtype as ``logits``

    Returns
    -------
    (float, ndarray)
        The loss, and :math:`\\partial L / \\partial z` with the shape and dtype of ``logits``.
    """
    if logits.shape != targets.shape or logits.ndim != 2:
        raise ValueError(
            f"logits and targets must both be (batch, classes), got {logits.shape} and {targets.shape}"
        )
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {LOSSES}")
    y = targets.astype(logits.dtype, copy=False)
    p = special.expit(logits)
    if name == "bce":
        # log(1 + e^z) - y z, written to stay finite for large |z|
        loss = np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits))))
        return float(loss), (p - y) / y.size
    if name == "mse":
        return float(np.mean((p - y) ** 2)), 2 * (p - y) / y.size * p * (1 - p)
    if name == "iou_batch":
        n_pos = y.sum()
        n_neg, n_pos = max(y.size - n_pos, 1), max(n_pos, 1)
    else:  # iou_frame: the same ratio per frame, then the mean over frames
        n_pos = y.sum(axis=1, keepdims=True)
        n_neg = np.maximum(y.shape[1] - n_pos, 1) * len(y)
        n_pos = np.maximum(n_pos, 1) * len(y)
    loss = np.sum(y * (p - 1) ** 2 / n_pos) + np.sum((1 - y) * p**2 / n_neg)
    d_p = 2 * y * (p - 1) / n_pos + 2 * (1 - y) * p / n_neg
    return float(loss), (d_p * p * (1 - p)).astype(logits.dtype, copy=False)


def get_loss(name: str):
    """The loss function called ``name`` (one of :data:`LOSSES`)."""
    table = {"mse": mse_loss, "bce": bce_loss, "iou_batch": iou_loss_batch, "iou_frame": iou_loss_frame}
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; choose from {LOSSES}")
    return table[name]
