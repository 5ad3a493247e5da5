"""Losses on hand-computed examples, their gradients, and the edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from instrid.models.losses import (
    bce_loss,
    get_loss,
    iou_loss_batch,
    iou_loss_frame,
    mse_loss,
    value_and_gradient,
)


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


@pytest.mark.parametrize("name", ["mse", "bce", "iou_batch", "iou_frame"])
@pytest.mark.parametrize("targets", ["none", "all", "mixed", "random"])
def test_numpy_value_and_gradient_match_torch_autograd(name, targets):
    # train.train_head steps on these: they must be the torch losses' values and autograd gradients.
    generator = torch.Generator().manual_seed(1)
    y = {
        "none": torch.zeros(10, 11),
        "all": torch.ones(10, 11),
        "mixed": (torch.arange(110).reshape(10, 11) % 3 == 0).float(),
        "random": (torch.rand(10, 11, generator=generator) < 0.2).float(),
    }[targets].double()
    z = (4 * torch.randn(10, 11, dtype=torch.float64, generator=generator)).requires_grad_()
    loss = get_loss(name)(z, y)
    loss.backward()
    value, gradient = value_and_gradient(name, z.detach().numpy(), y.numpy())
    assert value == pytest.approx(loss.item(), rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(gradient, z.grad.numpy(), rtol=1e-10, atol=1e-15)
    assert gradient.dtype == np.float64
    value32, gradient32 = value_and_gradient(name, z.detach().float().numpy(), y.float().numpy())
    assert gradient32.dtype == np.float32 and value32 == pytest.approx(value, rel=1e-5)


def test_numpy_losses_stay_finite_at_huge_logits():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    y = np.array([[1, 0], [1, 0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        for name in ("mse", "bce", "iou_batch", "iou_frame"):
            value, gradient = value_and_gradient(name, z, y)
            assert np.isfinite(value) and np.isfinite(gradient).all()
    assert value_and_gradient("bce", z, y)[0] == pytest.approx(1e4 / 2)


def test_numpy_losses_refuse_bad_input():
    with pytest.raises(ValueError, match="both be"):
        value_and_gradient("bce", np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="unknown loss 'iou'"):
        value_and_gradient("iou", np.zeros((2, 3)), np.zeros((2, 3)))
