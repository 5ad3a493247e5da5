"""A trained model as one file, and instruments predicted in anyone's audio.

``instrid train`` fits the study's corrected pipeline (by default: log-mel
front-end, 512-d head, binary cross-entropy with Adam, class thresholds tuned
on validation, then at most the ``top_n`` best of those that pass) and saves it with :func:`save_model`;
``instrid predict MODEL AUDIO...`` applies it with :func:`predict_file` to
consecutive windows of any audio file soundfile can read (WAV, FLAC, OGG, ...;
any rate, any number of channels), writing one CSV row per window.

The saved file holds everything needed to rebuild the network (front-end
configuration and fitted statistics, the backbone's weights, the head, the
decision rule), so predictions do not depend on what is in the torch hub
cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile
import torch

import instrid
from instrid import data, decisions, features, instruments, model, train
from instrid.errors import DatasetError, InstridError
from instrid.files import atomic_path

FORMAT_VERSION = 1


def save_model(path, net: model.InstrumentNet, thresholds, top_n: int, config: dict) -> Path:
    """Write a self-contained model file (atomically): ``net`` with its trained head, and the decision rule."""
    front = net.front_end
    state = {
        "format_version": FORMAT_VERSION,
        "instrid_version": instrid.__version__,
        "front_end": front.config(),
        "front_end_state": {k: v.cpu() for k, v in front.state_dict().items()},
        "front_end_fitted": bool(getattr(front, "fitted", False)),
        "head_kind": net.head_kind,
        "weights_used": net.weights_used,
        "backbone": {k: v.cpu() for k, v in net.backbone.state_dict().items()},
        "head": {k: v.cpu() for k, v in net.head.state_dict().items()},
        "thresholds": np.asarray(thresholds, dtype=np.float64).tolist(),
        "top_n": int(top_n),
        "instruments": list(instruments.NAMES),
        "config": config,
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def load_model(path) -> tuple[model.InstrumentNet, dict]:
    """Rebuild the network saved by :func:`save_model`; return it (eval mode) and the file's contents."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InstridError(f"{path}: model file not found") from None
    except Exception as exc:  # torch raises many kinds on a bad file
        raise InstridError(f"{path}: not an instrid model file ({exc})") from exc
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise InstridError(f"{path}: not an instrid model file (format {FORMAT_VERSION} expected)")
    if state["instruments"] != list(instruments.NAMES):
        raise InstridError(f"{path}: instrument order {state['instruments']} differs from this instrid's")
    spec = dict(state["front_end"])
    name = spec.pop("name")
    options = {k: spec[k] for k in ("sample_rate", "analysis_rate", "crop_samples", "n_fft", "hop", "n_mels",
                                    "normalization", "top_db") if k in spec} if name == "log_mel" else {}
    front = features.make_front_end(name, **options)
    front.load_state_dict(state["front_end_state"])
    if hasattr(front, "fitted"):
        front.fitted = state["front_end_fitted"]
    net = model.InstrumentNet(front, head=state["head_kind"], weights=None, progress=False)
    net.backbone.load_state_dict(state["backbone"])
    net.head.load_state_dict(state["head"])
    net.weights_used = state["weights_used"]
    return net.eval(), state


def read_audio(path, sample_rate: int) -> np.ndarray:
    """Any soundfile-readable file as float32 mono at ``sample_rate`` (soxr)."""
    path = Path(path)
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise DatasetError(f"{path}: unreadable audio: {exc}") from exc
    if audio.shape[0] == 0:
        raise DatasetError(f"{path}: audio holds no samples")
    mono = data.to_mono(audio)
    if rate != sample_rate:
        import soxr

        mono = soxr.resample(mono, rate, sample_rate).astype(np.float32)
    return mono


@torch.no_grad()
def predict_file(net: model.InstrumentNet, state: dict, path, *, hop_s: float | None = None,
                 batch_size: int = 64) -> pd.DataFrame:
    """Instrument probabilities and decisions for consecutive windows of one file.

    Windows are the model's crop length (232 ms by default), every ``hop_s``
    seconds (default: the window length); the last window is padded by
    repeating the audio, as short segments were in training.

    Returns
    -------
    pandas.DataFrame
        ``file``, ``start_s``, ``end_s``, one probability column per instrument
        (``p_<name>``) and ``instruments``: the names declared playing,
        ``;``-separated (class thresholds, at most ``top_n``).
    """
    front = net.front_end
    rate, crop = front.sample_rate, front.crop_samples
    audio = read_audio(path, rate)
    hop = crop if hop_s is None else max(1, int(round(hop_s * rate)))
    starts = np.arange(0, max(1, len(audio) - crop + hop), hop)
    starts = starts[starts < len(audio)]
    windows = np.stack([features.crop_or_tile(audio, int(s), min(len(audio), int(s) + crop), crop) for s in starts])
    logits = []
    for i in range(0, len(windows), batch_size):
        logits.append(net(torch.from_numpy(windows[i: i + batch_size])).double().numpy())
    p = decisions.sigmoid(np.concatenate(logits))
    on = decisions.threshold_then_top_n(p, state["thresholds"], state["top_n"])
    table = pd.DataFrame({"file": str(path), "start_s": np.round(starts / rate, 4),
                          "end_s": np.round(np.minimum(starts + crop, len(audio)) / rate, 4)})
    for j, name in enumerate(instruments.NAMES):
        table[f"p_{name}"] = np.round(p[:, j], 4)
    table["instruments"] = [";".join(np.asarray(instruments.NAMES)[row]) for row in on]
    return table


def train_model(data_root, out, *, front_end: str = "log_mel", head: str = "report_text", weights="auto",
                loss: str = "bce", optimizer: str = "adam", lr: float = 1e-3, epochs: int = 3, top_n: int = 3,
                train_examples: int = 20_000, validation_examples: int = 5_000, seed: int = 0,
                progress: bool = True) -> dict:
    """Fit the corrected pipeline on a MusicNet-format tree and save it to ``out``.

    Returns the validation summary of the saved decision rule.
    """
    from instrid import metrics, pipeline

    prepared = pipeline.prepare(data_root, front_end=front_end, head=head, weights=weights,
                                train_examples=train_examples, validation_examples=validation_examples,
                                test_examples=0, seed=seed, progress=progress)
    result = pipeline.fit_head(prepared, train.TrainConfig(loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                                                           lr_gamma=1.0 if optimizer == "adam" else 0.5, seed=seed),
                               progress=progress)
    validation = pipeline.evaluate(prepared, result.head, "validation")
    y, p = validation.y_true, validation.scores
    thresholds = decisions.tune_class_thresholds(p, y)
    summary = metrics.summary(y, decisions.threshold_then_top_n(p, thresholds, top_n))
    prepared.model.head.load_state_dict(result.head.state_dict())
    save_model(out, prepared.model, thresholds, top_n,
               {**prepared.config, "loss": loss, "optimizer": optimizer, "epochs": epochs, "validation": summary})
    return summary
