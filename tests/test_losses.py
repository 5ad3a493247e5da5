"""Losses on hand-computed examples, their gradients, and the edge cases."""

from __future__ import annotations

import math

import pytest
import torch

from instrid.losses import bce_loss, get_loss, iou_loss_batch, iou_loss_frame, mse_loss


def logit(p):
    return torch.log(torch.as_tensor(p, dtype=torch.float64) / (1 - torch.as_tensor(p, dtype=torch.float64)))


P = [[0.9, 0.2, 0.4], [0.5, 0.5, 0.1]]
Y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]], dtype=torch.float64)


def test_mse_by_hand():
    want = ((0.1**2 + 0.2**2 + 0.6**2) + (0.5**2 + 0.5**2 + 0.1**2)) / 6
    assert mse_loss(logit(P), Y).item() == pytest.approx(want)


def test_bce_by_hand():
    terms = [-math.log(0.9), -math.log(0.8), -math.log(0.4), -math.log(0.5), -math.log(0.5), -math.log(0.9)]
    assert bce_loss(logit(P), Y).item() == pytest.approx(sum(terms) / 6)


def test_iou_batch_by_hand():
    fn = 0.1**2 + 0.6**2  # positives (0.9 and 0.4)
    fp = 0.2**2 + 0.5**2 + 0.5**2 + 0.1**2  # 4 negatives
    assert iou_loss_batch(logit(P), Y).item() == pytest.approx(fn / 2 + fp / 4)


def test_iou_frame_by_hand_with_a_silent_frame():
    # Frame 1 has no positives: its FN term is 0, not 0/0.
    frame0 = (0.1**2 + 0.6**2) / 2 + 0.2**2 / 1
    frame1 = 0.0 + (0.5**2 + 0.5**2 + 0.1**2) / 3
    assert iou_loss_frame(logit(P), Y).item() == pytest.approx((frame0 + frame1) / 2)


@pytest.mark.parametrize("name", ["mse", "bce", "iou_batch", "iou_frame"])
@pytest.mark.parametrize("targets", ["none", "all", "mixed"])
def test_finite_with_gradients_at_the_edges(name, targets):
    y = {
        "none": torch.zeros(4, 11),
        "all": torch.ones(4, 11),
        "mixed": (torch.arange(44).reshape(4, 11) % 3 == 0).float(),
    }[targets].double()
    z = torch.randn(
        4, 11, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True
    )
    loss = get_loss(name)(z, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    assert torch.autograd.gradcheck(lambda t: get_loss(name)(t, y), (z.detach().requires_grad_(),))


def test_all_positive_batch_has_no_false_positive_term():
    z = logit([[0.7, 0.7]])
    assert iou_loss_batch(z, torch.ones(1, 2, dtype=torch.float64)).item() == pytest.approx(0.09)


def test_bad_shapes_and_names():
    with pytest.raises(ValueError, match="both be"):
        mse_loss(torch.zeros(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="unknown loss 'iou'"):
        get_loss("iou")
