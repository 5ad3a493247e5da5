"""Losses for multi-label instrument identification (notebook ``02_loss_mse_vs_iou``).

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

import torch
import torch.nn.functional as F

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


def get_loss(name: str):
    """The loss function called ``name`` (one of :data:`LOSSES`)."""
    table = {"mse": mse_loss, "bce": bce_loss, "iou_batch": iou_loss_batch, "iou_frame": iou_loss_frame}
    if name not in table:
        raise ValueError(f"unknown loss {name!r}; choose from {LOSSES}")
    return table[name]
