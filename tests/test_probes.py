"""The white-noise probe through a real (random) model and head, and the bias table."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from instrid import features, model, probes


@pytest.fixture(scope="module")
def net_and_head():
    net = model.InstrumentNet(features.ReportSpectrogram(), head="report_text", weights=None, seed=0)
    head = nn.Linear(512, 11)
    with torch.no_grad():
        head.weight.zero_()
        head.bias.copy_(
            torch.linspace(-2, 2, 11)
        )  # a head that prefers later instruments, whatever the input
    return net, head


def test_noise_scores_are_seeded_probabilities(net_and_head):
    net, head = net_and_head
    a = probes.noise_scores(net, head, -20, 5, seed=1, batch_size=2)
    assert a.shape == (5, 11) and ((a > 0) & (a < 1)).all()
    np.testing.assert_array_equal(a, probes.noise_scores(net, head, -20, 5, seed=1))
    np.testing.assert_allclose(a[0], 1 / (1 + np.exp(-np.linspace(-2, 2, 11))), rtol=1e-6)
    b = probes.bernoulli_scores(net, head, 3, seed=0)
    assert b.shape == (3, 11)


def test_bias_table():
    share = np.array([0.4, 0.2, 0.1, 0.1] + [0.2 / 7] * 7)
    table = probes.bias_table(share, {"follows": share * 2, "reversed": share[::-1], "flat": np.ones(11)})
    assert table.loc["follows", "rank_correlation"] == pytest.approx(1.0)
    assert table.loc["reversed", "rank_correlation"] < 0
    assert table.loc["flat", "first_four_share"] == pytest.approx(probes.UNBIASED_FIRST_FOUR)
    assert table.loc["follows", "first_four_share"] == pytest.approx(0.8)
