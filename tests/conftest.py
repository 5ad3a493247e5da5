"""Shared fixtures and helpers: an isolated cache, the offline seed folder, tiny MusicNet-format trees, a
model file, the CLI runner, hypothesis settings and strategies, results shaped as the notebooks write them."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from instrid.app import cli
from instrid.data import examples, instruments, musicnet, synth
from instrid.models import features, model, note_instruments
from instrid.report import claims
from instrid.study import pipeline, records

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own empty cache; the seed folder is ../shared/data."""
    monkeypatch.setenv("INSTRID_CACHE", str(tmp_path_factory.mktemp("cache")))
    seed = os.environ.get("INSTRID_SEED_DIR") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else "")
    monkeypatch.setenv("INSTRID_SEED_DIR", seed)


@pytest.fixture
def seed_dir() -> Path:
    for folder in os.environ.get("INSTRID_SEED_DIR", "").split(os.pathsep):
        if folder and (Path(folder) / "musicnet_em.zip").is_file():
            return Path(folder)
    pytest.skip("no seed folder with musicnet_em.zip (set INSTRID_SEED_DIR)")


def tone(seconds: float, sample_rate: int = 44_100, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(round(seconds * sample_rate))) / sample_rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def label_table(rows) -> pd.DataFrame:
    """rows: (start, end, instrument code, note) in samples."""
    table = pd.DataFrame(rows, columns=["start_time", "end_time", "instrument", "note"])
    table["start_beat"] = np.arange(len(table), dtype=float)
    table["end_beat"] = 1.0
    table["note_value"] = "Quarter"
    return table


def make_tree(root: Path, recordings: dict, *, nested: str = "", audio_format: str = "wav") -> Path:
    """Write a MusicNet-format tree. recordings: {id: (split, seconds, label rows)}."""
    tree = root / nested if nested else root
    for rid, (split, seconds, rows) in recordings.items():
        (tree / f"{split}_data").mkdir(parents=True, exist_ok=True)
        (tree / f"{split}_labels").mkdir(parents=True, exist_ok=True)
        soundfile.write(
            str(tree / f"{split}_data" / f"{rid}.{audio_format}"), tone(seconds), 44_100, subtype="PCM_16"
        )
        label_table(rows).to_csv(tree / f"{split}_labels" / f"{rid}.csv", index=False)
    return tree


TINY = {
    1727: ("train", 1.0, [(0, 22050, 1, 60), (11025, 33075, 41, 67), (33075, 44100, 43, 48)]),
    1728: ("train", 0.5, [(100, 20000, 72, 70)]),
    1759: ("test", 0.8, [(0, 30000, 1, 62), (0, 30000, 1, 66)]),
}


@pytest.fixture
def tiny_tree(tmp_path) -> Path:
    return make_tree(tmp_path / "tiny", TINY)


def make_tar(path: Path, members: dict, links: dict | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, body in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return path


# Ids from the committed splits: 2238 train, 2232 validation, 1759 test.
TREE = {
    2238: ("train", 1.0, [(0, 22050, 1, 60), (11025, 33075, 41, 67), (33075, 44100, 43, 48)]),
    2232: ("train", 0.8, [(100, 20000, 72, 70), (20000, 35000, 1, 60)]),
    1759: ("test", 0.8, [(0, 30000, 1, 62), (0, 30000, 41, 66)]),
}


#: `instrid train` options for a model in seconds: the ResNet-18 with random weights, one epoch, a handful
#: of segments.
TINY_TRAINING = (
    "--backbone",
    "resnet18",
    "--weights",
    "none",
    "--epochs",
    "1",
    "--backbone-epochs",
    "0",
    "--train-examples",
    "4",
    "--validation-examples",
    "3",
    "--quiet",
)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A model file of the study's architecture, trained for a moment on :data:`TREE` (its own cache)."""
    from instrid.app import cli

    tmp = tmp_path_factory.mktemp("model")
    tree = make_tree(tmp / "tree", TREE)
    path = tmp / "model.pt"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSTRID_CACHE", str(tmp / "cache"))
        assert cli.main(["train", "--root", str(tree), "--out", str(path), *TINY_TRAINING]) == 0
    return path


def tone_file(path, seconds=1.0, rate=22_050, channels=2):
    """A short stereo (or mono) tone file, in whatever format the suffix names."""
    t = np.arange(int(seconds * rate)) / rate
    audio = np.stack(
        [0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)][:channels], axis=1
    )
    soundfile.write(str(path), audio, rate)
    return path


@pytest.fixture
def tree_and_examples(tmp_path):
    tree = make_tree(tmp_path / "tiny", TINY)
    ds = musicnet.MusicNet(tree)
    return ds, examples.segment_examples(ds, SPLITS, progress=False)


def net(front=None):
    return model.InstrumentNet(front or features.ReportSpectrogram(), head="report_text", weights=None)


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    return code, err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("instrid: error: "), err
    return lines[0]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


CODES = [1, 41, 42, 43, 44, 61, 69, 71, 72, 74, 7]


CODES_BY_INDEX = {int(instruments.index_of([c])[0]): c for c in CODES}


matrices = hnp.arrays(
    np.float64, st.tuples(st.integers(1, 30), st.integers(1, 11)), elements=st.floats(0, 1, allow_nan=False)
)


RANDOM = {
    "dataset_kind": "synthetic",
    "recordings": 323,
    "seeds": [0, 1, 2],
    "per_split": {"train": 20000, "validation": 5000, "test": 5000},
    "model": {
        "weights": "random (one draw per seed)",
        "front_end": {"name": "report_spectrogram"},
        "head": "report_code",
        "batch_norm": "eval",
    },
}


REAL = {
    **RANDOM,
    "dataset_kind": "musicnet",
    "model": {**RANDOM["model"], "weights": "imagenet:IMAGENET1K_V1"},
}


def agreeing_results():
    """Results shaped as the notebooks write them, with values that make every claim hold."""
    return {
        "00_data": {"records": data_records(), "config": {"dataset_kind": "synthetic"}},
        "01_relabeling": {
            "records": [
                rec("segments", 1000, claim="relabeling", rule="half-open end"),
                rec("untiled_samples", 0, claim="relabeling", rule="half-open end"),
                rec(
                    "changed_time_share",
                    0.05,
                    claim="relabeling",
                    rule="inclusive end",
                    minus="half-open end",
                ),
            ],
            "config": {},
        },
        "03_loss_mse_vs_iou": {
            "config": RANDOM,
            "records": loss_records(claims.REPORT_PIPELINE) + prior_records(claims.REPORT_PIPELINE),
        },
        "04_bias_white_noise": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "records": [
                *noise_records(claims.REPORT_PIPELINE),
                *prior_records(claims.REPORT_PIPELINE),
                *noise_records(claims.LISTENING),
                *prior_records(claims.LISTENING),
            ],
        },
        "05_normalization": {
            "seeds": [0],
            "config": RANDOM,
            "records": [
                *normalization_records(claims.REPORT_PIPELINE),
                *prior_records(claims.REPORT_PIPELINE),
                *normalization_records(claims.LISTENING),
                *prior_records(claims.LISTENING),
            ],
        },
        "06_top_n": {
            "config": RANDOM,
            "records": top_n_records(claims.REPORT_PIPELINE) + prior_records(claims.REPORT_PIPELINE),
        },
        "07_final_test": {
            "seeds": [0, 1, 2],
            "config": REAL,
            "records": [
                *final_test_records(),
                *prior_records(claims.REPORT_PIPELINE, "test"),
                *loss_records(claims.LISTENING),
                *top_n_records(claims.LISTENING),
                *prior_records(claims.LISTENING),
            ],
        },
        "10_generalization": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "fonts": ["TimGM6mb", "FluidR3_GM"],
            "held_out_fonts": ["OPL3_FM"],
            "records": [
                *generalization_records("corrected pipeline", "OPL3_FM", 0.7, 0.65, 0.05),
                *generalization_records("corrected pipeline", None, 0.7, 0.65, 0.05),
                rec("shared_notes", 0.0, claim="font_overlap", tested_on="OPL3_FM, varied"),
            ],
        },
        "14_trained_backbone": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "held_out_fonts": ["OPL3_FM"],
            "records": [
                *generalization_records("corrected pipeline", "OPL3_FM", 0.5, 0.45, 0.3),
                *generalization_records(claims.TRAINED_BACKBONE, "OPL3_FM", 0.7, 0.65, 0.05),
                rec("shared_notes", 0.0, claim="font_overlap", tested_on="OPL3_FM, varied"),
            ],
        },
        "08_protocol_audit": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "records": [
                *prior_records(claims.AS_IMPLEMENTED, "test"),
                *prior_records(claims.LISTENING_AS_IMPLEMENTED, "test"),
                *prior_records(claims.CLEAN, "test"),
                *loss_records(claims.CLEAN),
                *top_n_records(claims.CLEAN),
                *prior_records(claims.CLEAN),
            ],
        },
        "09_decision_rules": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "records": [
                *mixed_records(claims.REPORT_PIPELINE),
                *prior_records(claims.REPORT_PIPELINE, "test"),
                *mixed_records(claims.LISTENING),
                *prior_records(claims.LISTENING, "test"),
            ],
        },
        "15_notes": {
            "config": {"dataset_kind": "synthetic"},
            "records": [
                *(
                    rec("mean_f", value, claim="note_assignment", model=claims.NOTE_MODEL, tested_on=test)
                    for test, value in ((claims.DEFAULT_TEST, 0.92), ("Freepats (held out)", 0.8))
                ),
                *(
                    rec(
                        "f1",
                        value,
                        claim="notes",
                        model=claims.NOTE_MODEL,
                        tested_on=claims.DEFAULT_TEST,
                        at=at,
                    )
                    for at, value in (("onset", 0.8), ("onset, instrument", 0.6))
                ),
            ],
        },
        "13_literature": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "records": [
                *(
                    rec(metric, value, claim="literature", model=model, split="test", rule=rule)
                    for model in ("corrected pipeline", "report's pipeline")
                    for metric, rule, value in (
                        ("f1_macro", claims.ON_TEST, 0.6),
                        ("f1_macro", claims.ON_VALIDATION, 0.5),
                        ("map", "", 0.55),
                    )
                )
            ],
        },
        "12_cross_validation": {
            "config": RANDOM,
            "records": [
                *({**r, "recordings": 323} for r in prior_records(claims.LISTENING, "5-fold CV")),
                *prior_records(claims.REPORT_PIPELINE, "5-fold CV", gain=(-0.01, 0.01)),
                *(
                    {
                        **rec("f1", 0.5, claim="per_instrument", model="listening model", instrument=n),
                        "recordings": 3,
                    }
                    for n in instruments.NAMES
                ),
            ],
        },
        "11_generalization_of_models": {
            "seeds": [0, 1, 2],
            "config": RANDOM,
            "left_out_instruments": {"OPL3_FM (held out)": ["viola", "contrabass"]},
            "shipped_model": "listening model",
            "records": [
                rec("f1_micro", 0.65, 0.55, 0.75, **RENDERED, tested_on="Freepats (held out)"),
                rec("map", 0.70, 0.60, 0.80, **RENDERED, tested_on="Freepats (held out)"),
                rec(
                    "f1_micro",
                    0.03,
                    -0.05,
                    0.10,
                    **RENDERED,
                    tested_on="default",
                    minus="Freepats (held out)",
                ),
                rec("f1_micro", 0.43, 0.30, 0.55, **RENDERED, tested_on="OPL3_FM (held out)"),
                rec("map", 0.40, 0.30, 0.50, **RENDERED, tested_on="OPL3_FM (held out)"),
                rec(
                    "f1_micro", 0.22, 0.15, 0.30, **RENDERED, tested_on="default", minus="OPL3_FM (held out)"
                ),
                *(
                    rec(
                        "f1_micro",
                        0.45,
                        **{**RENDERED, "model": "corrected pipeline"},
                        tested_on=f"{f} (held out)",
                    )
                    for f in ("OPL3_FM", "Freepats")
                ),
                *(
                    rec(
                        "f1_micro",
                        0.1,
                        0.05,
                        0.15,
                        **RENDERED,
                        tested_on=f"{f} (held out)",
                        minus="corrected pipeline",
                    )
                    for f in ("OPL3_FM", "Freepats")
                ),
                *(
                    rec("shared_notes", 0.0, claim="font_overlap", tested_on=f"{f} (held out)")
                    for f in ("OPL3_FM", "Freepats")
                ),
                *(
                    {
                        **rec(m, v, **RENDERED, tested_on=t, instrument=n),
                        "recordings": 2,
                        "segments": 100,
                        "seeds": 3,
                    }
                    for t in ("default", "OPL3_FM (held out)", "Freepats (held out)")
                    for n in instruments.NAMES
                    for m, v in (("f1", 0.5), ("ap", 0.6), ("chance_ap", 0.1))
                ),
            ],
        },
        "02_listening_backbone": {
            "seeds": [0],
            "config": RANDOM,
            "records": candidate_records(),
            "chosen": "A",
            "listed": "A",
        },
    }


RENDERED = {"claim": "renderings", "model": "listening model", "split": "test", "head": "bce"}


def data_records():
    """Notebook 00's: at most 3 instruments at once; the first four take 88% of instrument-time."""
    shares = [0.22] * 4 + [0.12 / 7] * 7
    return [
        rec("max_polyphony", 3, claim="polyphony"),
        *(
            rec("share_of_sounding_time", v, claim="polyphony", at=k)
            for k, v in ((1, 0.5), (2, 0.3), (3, 0.2))
        ),
        *(
            rec("share_of_instrument_time", v, claim="label_prior", instrument=n)
            for n, v in zip(instruments.NAMES, shares)
        ),
    ]


def final_test_rows(fields, recall, fp, f1, ap):
    base = {"claim": "final_test", "split": "test", **fields}
    return [
        rec("recall", recall, recall - 0.05, recall + 0.05, **base),
        rec("fp_per_frame", fp, fp - 0.2, fp + 0.2, **base),
        rec("f1_micro", f1, f1 - 0.05, f1 + 0.05, **base),
        rec("map", ap, ap - 0.05, ap + 0.05, **base),
    ]


def final_test_records():
    """Notebook 07's rows: the listening model beats the label prior; its corrected recipe meets targets."""
    top3 = {"rule": "top-3"}
    one = {"head": "bce", "rule": "one threshold, then at most 3"}
    minus = {"claim": "final_test", "split": "test", "minus": "label prior top-3", **top3}
    return [
        *final_test_rows({**claims.REPORT_PIPELINE, **top3, "head": "iou_batch"}, 0.76, 1.66, 0.4, 0.2),
        *final_test_rows({**claims.REPORT_PIPELINE, **top3, "head": "label prior"}, 0.6, 2.0, 0.4, 0.2),
        *final_test_rows({**claims.LISTENING, **top3, "head": "iou_batch"}, 0.8, 1.5, 0.6, 0.5),
        *final_test_rows({**claims.LISTENING, **one}, 0.8, 0.3, 0.78, 0.8),
        *final_test_rows({"model": "corrected pipeline", **one}, 0.7, 0.8, 0.6, 0.6),
        rec("f1_micro", 0.2, 0.15, 0.25, **minus, **claims.LISTENING, head="iou_batch"),
        rec("f1_micro", 0.0, -0.01, 0.01, **minus, **claims.REPORT_PIPELINE, head="iou_batch"),
    ]


def generalization_records(model, font, f1, ap, gap):
    """Notebook 10's: ``model`` trained on both fonts, on held-out ``font`` (None: the one-font heads, on the
    other font), with the in-font minus unseen-font gap."""
    if font is None:
        base = {"claim": "cross_font", "split": "test", "model": model, "trained_on": "one font"}
        unseen, gap_of = {**base, "tested_on": "the other font"}, {**base, "tested_on": "its own font"}
        gap_of["minus"] = "the other font"
    else:
        base = {"claim": "renderings", "split": "test", "model": model, "trained_on": "both fonts"}
        unseen = {**base, "tested_on": f"{font}, varied"}
        gap_of = {**base, "tested_on": "default", "minus": f"{font}, varied"}
    return [
        rec("f1_micro", f1, f1 - 0.05, f1 + 0.05, **unseen),
        rec("map", ap, ap - 0.05, ap + 0.05, **unseen),
        rec("f1_micro", gap, gap - 0.05, gap + 0.05, **gap_of),
    ]


def candidate_records():
    """Notebook 02's: candidate A is the study's and the best on the example alone; A+ hears context."""
    table = pd.DataFrame(
        {
            "candidate": ["A", "B", "A+"],
            "window": ["segment", "segment", "centred"],
            "input_ms": [232, 232, 1000],
            "embedding_size": [753, 200, 753],
            "map": [0.40, 0.30, 0.45],
            "f1_micro": [0.70, 0.62, 0.72],
            "prior_map": 0.14,
            "prior_f1_micro": 0.52,
        }
    ).set_index("candidate")
    return pipeline.candidate_records(table)


def rec(metric, value, low=None, high=None, **fields):
    """A record whose interval is ``[low, high]`` (a point where they are not given)."""
    low = value if low is None else low
    high = value if high is None else high
    return records.record(metric, value, low=low, high=high, **fields)


def prior_records(on, split="validation", gain=(0.05, 0.15)):
    """The model's top-3 (at the report's numbers) and the label prior's, and the model minus the prior."""
    base = {**on, "claim": "prior", "split": split, "rule": "top-3"}
    return [
        rec("recall", 0.76, 0.72, 0.80, **base, head="iou_batch"),
        rec("fp_per_frame", 1.66, 1.60, 1.72, **base, head="iou_batch"),
        rec("true_per_frame", 1.76, 1.70, 1.82, **base, head="iou_batch"),
        rec("recall", 0.60, 0.50, 0.70, **base, head="label prior"),
        rec("fp_per_frame", 2.00, 1.90, 2.10, **base, head="label prior"),
        rec("f1_micro", sum(gain) / 2, *gain, **base, head="iou_batch", minus="label prior top-3"),
        rec("map", 0.2, 0.1, 0.3, **base, head="iou_batch", minus="label prior top-3"),
    ]


def loss_records(on):
    base = {**on, "claim": "loss", "split": "validation"}
    at_06 = {**base, "head": "iou_batch", "minus": "mse", "rule": "threshold 0.6, argmax on"}
    absolute = [
        rec(m, v, v - 0.05, v + 0.05, **base, head=head, rule="threshold 0.6, argmax on")
        for head, values in (("mse", (0.2, 0.4, 0.3)), ("iou_batch", (0.7, 1.6, 0.5)))
        for m, v in zip(("recall", "fp_per_frame", "f1_micro"), values)
    ]
    return absolute + [
        rec("empty_frames", 0.98, 0.96, 0.99, **base, head="mse", rule="threshold 0.6"),
        rec("empty_frames", 0.90, 0.85, 0.95, **base, head="bce", rule="threshold 0.6"),
        rec("map", 0.20, 0.10, 0.30, **base, head="iou_batch", minus="mse"),
        rec("f1_micro", 0.10, 0.05, 0.15, **at_06),
        rec("fp_per_frame", 0.50, 0.30, 0.70, **at_06),
        records.record("pairs_recall_above", 57, high=57, **{**at_06, "rule": "every threshold, argmax on"}),
    ]


def top_n_records(on):
    base = {**on, "claim": "top_n", "split": "validation", "rule": "top-3"}
    absolute = [
        rec(m, v, v - 0.05, v + 0.05, **{**base, "rule": f"top-{n}"}, head="plain")
        for n in range(1, 6)
        for m, v in (("recall", 0.2 * n), ("fp_per_frame", n - 1.0), ("f1_micro", 0.5))
        if (n, m) != (3, "f1_micro")  # below, at 0.55
    ]
    return absolute + [
        rec("f1_micro", 0.55, 0.50, 0.60, **base, head="plain"),
        *(rec("f1_micro", 0.05, 0.01, 0.09, **base, head="plain", minus=f"top-{n}") for n in (1, 2, 4, 5)),
        *(
            rec("f1_micro", -0.1, -0.15, -0.05, **base, head=h, minus="plain")
            for h in claims.REPORT_BIAS_VECTORS[:2]
        ),
    ]


def normalization_records(on):
    base = {**on, "claim": "normalization", "split": "validation"}
    return [
        *(
            rec("f1_micro", -0.05, -0.1, 0.0, **base, head=h, rule=rule, minus="plain")
            for h in claims.REPORT_BIAS_VECTORS
            for rule in ("top-3", "one threshold (micro F1), argmax on")
        ),
        rec("fp_per_frame", 4.96, 4.5, 5.4, **base, head="plain", rule="class thresholds (F1), argmax on"),
    ]


def noise_records(on):
    base = {**on, "claim": "noise"}
    return [
        rec("first_four_share", 0.67, 0.64, 0.71, **base, head="iou_batch", rule="Bernoulli(0.2) image"),
        rec("rank_correlation", 0.95, 0.93, 0.96, **base, head="iou_batch", rule="Bernoulli(0.2) image"),
        rec("first_four_share", 0.90, **base, head="label prior", split="train"),
    ]


def mixed_records(on):
    base = {**on, "claim": "mixed_rule", "split": "test", "minus": "top-3"}
    return [
        rec(
            "f1_micro",
            0.05,
            0.01,
            0.09,
            **base,
            head="top-N then class thresholds",
            rule="top-N then class thresholds 2",
        ),
        rec(
            "f1_micro",
            -0.01,
            -0.05,
            0.03,
            **base,
            head="class thresholds then best N",
            rule="class thresholds then best N 3",
        ),
    ]


SPLITS = pd.DataFrame({"id": [1727, 1728, 1759], "split": ["train", "validation", "test"]})


def rendered_tree(root, recordings: dict, *, seed: int = 0):
    """A MusicNet-format tree of piano and flute notes rendered with TimGM6mb; ``recordings``: {id: (split,
    seconds)}; notes every 0.2 s alternating piano and flute, pitches drawn at random."""
    rng = np.random.default_rng(seed)
    rate = musicnet.LABEL_SAMPLE_RATE
    for rid, (split, seconds) in recordings.items():
        starts = np.arange(0.1, seconds - 0.5, 0.2)
        codes = np.where(np.arange(len(starts)) % 2 == 0, 1, 74)
        labels = pd.DataFrame(
            {
                "start_time": (starts * rate).astype(np.int64),
                "end_time": ((starts + 0.35) * rate).astype(np.int64),
                "instrument": codes,
                "note": rng.integers(60, 85, len(starts)),
            }
        )
        audio, _ = synth.render_labels(labels, int(seconds * rate), synth.default_soundfont())
        (root / f"{split}_data").mkdir(parents=True, exist_ok=True)
        (root / f"{split}_labels").mkdir(parents=True, exist_ok=True)
        musicnet.soundfile.write(str(root / f"{split}_data" / f"{rid}.wav"), audio, rate, subtype="PCM_16")
        musicnet.write_labels(
            root / f"{split}_labels" / f"{rid}.csv",
            labels.assign(start_beat=0.0, end_beat=1.0, note_value="Quarter"),
        )
    return root


# Ids from the committed splits: 2238 train, 2232 validation, 1759 test.
RENDERED_TREE = {2238: ("train", 40.0), 2232: ("train", 12.0), 1759: ("test", 12.0)}
SMALL = note_instruments.Training(
    notes_per_recording=None, validation_notes_per_recording=None, epochs=12, batch_size=32
)
