"""The white-noise probe through a real (random) model and head, and the bias table."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from instrid.models import embeddings, features, model
from instrid.study import probes, records


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


def test_probe_outputs_are_computed_once_and_keyed_by_their_inputs(net_and_head, monkeypatch):
    net, head = net_and_head
    calls = []
    embed = net.embed
    monkeypatch.setattr(net, "embed", lambda x: calls.append(len(x)) or embed(x))
    first = probes.noise_scores(net, head, -40, 4, seed=7)
    assert calls == [4]
    np.testing.assert_array_equal(first, probes.noise_scores(net, head, -40, 4, seed=7))
    assert calls == [4]  # the second call read the cache
    probes.noise_scores(net, head, -40, 4, seed=8)
    probes.noise_scores(net, head, -6, 4, seed=7)
    assert calls == [4, 4, 4]  # another seed or level is another entry
    fresh = embeddings.probe_outputs(net, {"kind": "test"}, lambda: np.ones((2, 3)), use_cache=False)
    assert fresh.dtype == np.float32 and fresh.shape == (2, 3)


def test_bias_table():
    share = np.array([0.4, 0.2, 0.1, 0.1] + [0.2 / 7] * 7)
    table = probes.bias_table(share, {"follows": share * 2, "reversed": share[::-1], "flat": np.ones(11)})
    assert table.loc["follows", "rank_correlation"] == pytest.approx(1.0)
    assert table.loc["reversed", "rank_correlation"] < 0
    assert table.loc["flat", "first_four_share"] == pytest.approx(probes.UNBIASED_FIRST_FOUR)
    assert table.loc["follows", "first_four_share"] == pytest.approx(0.8)


def test_bias_is_summarized_over_seeds():
    shares = [np.linspace(1, 0.1, 11) / np.linspace(1, 0.1, 11).sum()] * 2
    following, reversed_ = shares[0] * 3, shares[0][::-1] * 3
    summary = probes.bias_over_seeds(shares, {"noise": [following, reversed_]})
    rho = summary["noise"]["rank_correlation"]
    assert rho["per_seed"] == pytest.approx([1.0, -1.0]) and rho["mean"] == pytest.approx(0.0)
    first_four = summary["noise"]["first_four_share"]
    assert first_four["min"] < probes.UNBIASED_FIRST_FOUR < first_four["max"]


def test_bias_records_carry_an_interval_over_seeds_and_the_label_priors_share():
    shares = [np.linspace(1, 0.1, 11) / np.linspace(1, 0.1, 11).sum()] * 3
    outputs = {"noise": [shares[0] * 3, shares[0] * 2, np.ones(11)]}
    found = probes.bias_records(shares, outputs, model="m", head="h")
    share = records.one(found, rule="noise", metric="first_four_share")
    per_seed = [shares[0][:4].sum(), shares[0][:4].sum(), 4 / 11]
    assert share["value"] == pytest.approx(np.mean(per_seed)) and share["seeds"] == 3
    assert min(per_seed) - 1e-12 <= share["low"] < share["high"] <= max(per_seed) + 1e-12
    prior = records.one(found, head="label prior", metric="first_four_share")
    assert prior["value"] == pytest.approx(shares[0][:4].sum()) and prior["split"] == "train"
