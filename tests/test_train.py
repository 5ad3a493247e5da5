"""Training the head on cached embeddings (instrid.models.train)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from instrid.models import train
from instrid.study import decisions


def toy(seed, n=300):
    """Embeddings that a linear head can decode: targets mixed linearly, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.random((n, 11)) < 0.25
    x = (y @ MIXING + 0.1 * rng.normal(size=(n, 16))).astype(np.float16)
    return x, y


def test_training_is_reproducible_bit_for_bit_and_learns():
    x, y = toy(0)
    vx, vy = toy(1)
    config = train.TrainConfig(loss="iou_batch", optimizer="adam", lr=0.01, epochs=4, seed=5)
    a = train.train_head(x, y, vx, vy, config, progress=False)
    b = train.train_head(x, y, vx, vy, config, progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.head.state_dict().values(), b.head.state_dict().values()))
    pd.testing.assert_frame_equal(a.history.drop(columns="seconds"), b.history.drop(columns="seconds"))
    c = train.train_head(x, y, vx, vy, train.TrainConfig(**{**config.__dict__, "seed": 6}), progress=False)
    assert not torch.equal(a.head.weight, c.head.weight)
    assert a.history["val_loss"].iloc[-1] < a.history["val_loss"].iloc[0]
    assert a.history["val_loss"].min() == pytest.approx(a.history.loc[a.best_epoch - 1, "val_loss"])
    p = decisions.sigmoid(train.predict_logits(a.head, vx))
    assert ((p > 0.5) == vy).mean() > 0.9


def test_report_optimizer_schedule():
    x, y = toy(0, n=40)
    result = train.train_head(x, y, x, y, train.TrainConfig(epochs=3), progress=False)
    assert result.history["lr"].tolist() == pytest.approx([1e-3, 5e-4, 2.5e-4])
    assert result.config.batch_size == 10 and result.config.optimizer == "sgd"
    with pytest.raises(ValueError, match="optimizer must be"):
        train.train_head(x, y, x, y, train.TrainConfig(optimizer="rmsprop"), progress=False)


MIXING = np.random.default_rng(99).normal(size=(11, 16))


def test_standardized_head_is_folded_to_take_raw_embeddings():
    x, y = toy(0)
    vx, vy = toy(1)
    # Offset and stretch the dimensions, one of them constant, as raw backbone outputs can be.
    x, vx = (x.astype(np.float32) * 5 + 40, vx.astype(np.float32) * 5 + 40)
    x[:, 3] = vx[:, 3] = 7.0
    config = train.TrainConfig(loss="bce", optimizer="adam", lr=0.01, epochs=3, seed=2, lr_gamma=1.0)
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std <= train.STD_FLOOR] = 1.0  # the constant dimension is only centred
    z = lambda a: (a - mean) / std  # noqa: E731
    by_hand = train.train_head(z(x), y, z(vx), vy, config, progress=False)
    folded = train.train_head(
        x, y, vx, vy, train.TrainConfig(**{**config.__dict__, "standardize": True}), progress=False
    )
    assert folded.best_epoch == by_hand.best_epoch
    pd.testing.assert_frame_equal(
        folded.history.drop(columns="seconds"), by_hand.history.drop(columns="seconds"), rtol=1e-4
    )
    np.testing.assert_allclose(
        train.predict_logits(folded.head, vx), train.predict_logits(by_hand.head, z(vx)), atol=1e-3
    )
    assert np.isfinite(train.predict_logits(folded.head, vx)).all()


def xor_toy(seed, n=600):
    """Targets no linear head can decode: instrument k sounds where two features share a sign."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 16)).astype(np.float32)
    y = np.stack([(x[:, k] * x[:, k + 1]) > 0 for k in range(11)], axis=1)
    return x, y


def test_hidden_layer_head_learns_what_a_linear_head_cannot_and_is_reproducible():
    x, y = xor_toy(0)
    vx, vy = xor_toy(1)
    config = train.TrainConfig(loss="bce", optimizer="adam", lr=0.01, epochs=8, seed=3, lr_gamma=1.0)
    accuracy = lambda result: ((train.predict_logits(result.head, vx) > 0) == vy).mean()  # noqa: E731
    linear = train.train_head(x, y, vx, vy, config, progress=False)
    mlp = train.train_head(
        x, y, vx, vy, train.TrainConfig(**{**config.__dict__, "hidden": 64}), progress=False
    )
    again = train.train_head(x, y, vx, vy, mlp.config, progress=False)
    assert isinstance(linear.head, torch.nn.Linear) and isinstance(mlp.head, torch.nn.Sequential)
    assert accuracy(linear) < 0.6 < 0.8 < accuracy(mlp)
    assert all(
        torch.equal(p, q) for p, q in zip(mlp.head.state_dict().values(), again.head.state_dict().values())
    )
    assert train.predict_logits(mlp.head, vx[:0]).shape == (0, 11)
    with pytest.raises(ValueError, match="hidden must be"):
        train.train_head(x, y, vx, vy, train.TrainConfig(hidden=-1), progress=False)


def test_standardized_hidden_layer_head_is_folded_into_its_first_layer():
    x, y = xor_toy(0)
    vx, vy = xor_toy(1)
    x, vx = x * 3 - 20, vx * 3 - 20
    config = train.TrainConfig(
        loss="bce", optimizer="adam", lr=0.01, epochs=3, seed=4, lr_gamma=1.0, hidden=32
    )
    mean, std = x.mean(axis=0), x.std(axis=0)
    by_hand = train.train_head((x - mean) / std, y, (vx - mean) / std, vy, config, progress=False)
    folded = train.train_head(
        x, y, vx, vy, train.TrainConfig(**{**config.__dict__, "standardize": True}), progress=False
    )
    np.testing.assert_allclose(
        train.predict_logits(folded.head, vx),
        train.predict_logits(by_hand.head, (vx - mean) / std),
        atol=1e-3,
    )


@pytest.mark.parametrize(
    "loss, optimizer, lr, hidden",
    [
        ("iou_batch", "sgd", 1e-2, 0),
        ("iou_frame", "sgd", 1e-2, 0),
        ("mse", "sgd", 5e-2, 0),
        ("bce", "adam", 1e-2, 0),
        ("bce", "adam", 1e-2, 32),
        ("iou_batch", "sgd", 1e-2, 32),
    ],
)
def test_numpy_training_matches_torch_autograd(loss, optimizer, lr, hidden):
    # train_head writes the gradients and optimizer steps out in numpy; torch computes them here.
    x, y = toy(0, n=200)
    vx, vy = toy(1, n=100)
    config = train.TrainConfig(loss=loss, optimizer=optimizer, lr=lr, epochs=3, seed=4, hidden=hidden)
    ours = train.train_head(x, y, vx, vy, config, progress=False)
    reference, val_losses = train.train_head_autograd(x, y, vx, vy, config)
    np.testing.assert_allclose(ours.history["val_loss"], val_losses, rtol=1e-4)
    for name, value in reference.state_dict().items():
        np.testing.assert_allclose(ours.head.state_dict()[name].numpy(), value.numpy(), rtol=1e-3, atol=1e-5)
    moved = max(
        (p - q).abs().max().item()
        for p, q in zip(
            ours.head.parameters(),
            train.make_head(16, 11, hidden, torch.Generator().manual_seed(4)).parameters(),
        )
    )
    assert moved > 1e-3  # the heads trained, so agreeing says something
