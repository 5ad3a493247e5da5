"""The report's bias probe: what the trained model says about inputs with no instrument in them.

Notebooks ``04_bias_white_noise`` (the probe at several levels) and
``05_normalization`` (the mean output on noise as a bias vector). Were the
model unbiased, its output on noise would be spread evenly over the
instruments; the report found it favoured the four most frequent ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from instrid.data import instruments
from instrid.models import embeddings, features, train
from instrid.study import decisions, records, uncertainty


def noise_scores(net, head, level_dbfs: float, n: int, *, seed: int = 0, batch_size: int = 64) -> np.ndarray:
    """Probabilities ``(n, classes)`` for ``n`` crops of Gaussian white noise at ``level_dbfs`` (RMS, dBFS).

    The noise goes through the whole model (front-end, backbone, ``head``).
    The backbone's outputs are cached (:func:`instrid.models.embeddings.probe_outputs`):
    the noise is seeded, so every notebook and rerun probing this model reuses them.
    """

    @torch.inference_mode()
    def embed():
        waves = features.white_noise(n, net.eval().front_end.crop_samples, level_dbfs, seed=seed)
        return torch.cat([net.embed(waves[i : i + batch_size]) for i in range(0, n, batch_size)]).numpy()

    inputs = {"kind": "white noise", "level_dbfs": level_dbfs, "n": n, "seed": seed, "batch_size": batch_size}
    return decisions.sigmoid(train.predict_logits(head, embeddings.probe_outputs(net, inputs, embed)))


def bernoulli_scores(net, head, n: int, *, p: float = 0.2, seed: int = 0, batch_size: int = 64) -> np.ndarray:
    """Probabilities for the report code's probe: Bernoulli(``p``) pixel images fed straight to the ResNet.

    The backbone's outputs are cached like :func:`noise_scores`'.
    """

    @torch.inference_mode()
    def embed():
        net.eval()
        height, width = net.front_end(torch.zeros(1, net.front_end.crop_samples)).shape[-2:]
        images = features.bernoulli_images(n, height, width, p=p, seed=seed)
        if net.backbone_kind == "musicnn":  # one log-mel channel, not an RGB image
            images = images[:, 0]
        return torch.cat([net.backbone(images[i : i + batch_size]) for i in range(0, n, batch_size)]).numpy()

    inputs = {"kind": "Bernoulli images", "p": p, "n": n, "seed": seed, "batch_size": batch_size}
    return decisions.sigmoid(train.predict_logits(head, embeddings.probe_outputs(net, inputs, embed)))


def bias_table(label_share, mean_outputs: dict) -> pd.DataFrame:
    """How closely the output on each probe follows the label prior.

    Parameters
    ----------
    label_share : array_like, (classes,)
        Each instrument's share of the positive training labels (sums to 1).
    mean_outputs : dict
        Probe name -> mean probability per instrument, ``(classes,)``.

    Returns
    -------
    pandas.DataFrame, one row per probe: ``rank_correlation`` (Spearman's rho
    between label share and mean output; 1 = same order, 0 = unrelated) and
    ``first_four_share`` (the share of the output on the first four
    instruments; an unbiased model gives 4/11 = 0.36).
    """
    share = pd.Series(np.asarray(label_share, dtype=np.float64))
    rows = {}
    for name, values in mean_outputs.items():
        values = np.asarray(values, dtype=np.float64)
        rows[name] = {
            "rank_correlation": float(pd.Series(values).rank().corr(share.rank())),
            "first_four_share": float(values[:4].sum() / values.sum()),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def bias_per_seed(label_shares: list, outputs: dict) -> dict:
    """:func:`bias_table` of each seed: ``{probe: {column: numpy array over seeds}}``.

    ``label_shares`` holds each seed's label share; ``outputs`` maps a probe
    name to each seed's mean output (in the seeds' order).
    """
    tables = [
        bias_table(share, {k: v[i] for k, v in outputs.items()}) for i, share in enumerate(label_shares)
    ]
    return {
        probe: {col: np.array([t.loc[probe, col] for t in tables]) for col in tables[0].columns}
        for probe in outputs
    }


def bias_over_seeds(label_shares: list, outputs: dict) -> dict:
    """:func:`bias_per_seed`, summarized over seeds: ``{probe: {column: seed_stats}}``."""
    return {
        probe: {col: uncertainty.seed_stats(values) for col, values in columns.items()}
        for probe, columns in bias_per_seed(label_shares, outputs).items()
    }


#: The output share on the first four instruments of a model without preference.
UNBIASED_FIRST_FOUR = 4 / instruments.N_INSTRUMENTS


def bias_records(label_shares: list, outputs: dict, **fields) -> list[dict]:
    """:func:`bias_per_seed` as records (``claim="noise"``, ``rule`` the probe), each the seed mean
    with a 95% bootstrap interval over seeds (the probes have no recordings); and the label prior's own
    share on the first four (``split="train"``, ``head="label prior"``), what a calibrated model outputs."""
    base = {**fields, "claim": "noise", "seeds": len(label_shares)}
    out = []
    for probe, columns in bias_per_seed(label_shares, outputs).items():
        for column, values in columns.items():
            boot = uncertainty.Replicates(
                values, uncertainty.hierarchical_mean(np.repeat(values[:, None], uncertainty.N_BOOT, axis=1))
            )
            low, high = boot.interval()
            out.append(records.record(column, boot.mean, low=low, high=high, **base, rule=probe))
    prior_share = np.mean([np.asarray(s)[:4].sum() / np.sum(s) for s in label_shares])
    out.append(
        records.record("first_four_share", prior_share, **{**base, "head": "label prior", "split": "train"})
    )
    return out
