"""A trained model as one self-contained file (``instrid train`` writes it, ``instrid predict`` reads it).

The file holds everything needed to rebuild the network (front-end
configuration and fitted statistics, the backbone's weights, the head, the
decision rule) and what it was trained on, so predictions do not depend on
what is in the torch hub cache. Every fault in a model file is a
:class:`~instrid.errors.ModelError` naming the file.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

import instrid
from instrid.data import instruments
from instrid.errors import ModelError
from instrid.files import atomic_path, remove_stale_parts
from instrid.models import features, model

FORMAT_VERSION = 1
#: Keys every model file holds.
KEYS = (
    "format_version",
    "instrid_version",
    "front_end",
    "front_end_state",
    "front_end_fitted",
    "head_kind",
    "weights_used",
    "backbone",
    "head",
    "thresholds",
    "top_n",
    "instruments",
    "config",
)


def save_model(path, net: model.InstrumentNet, thresholds, top_n: int, config: dict) -> Path:
    """Write a self-contained model file (atomically): ``net`` with its trained head, and the rule."""
    front = net.front_end
    state = {
        "format_version": FORMAT_VERSION,
        "instrid_version": instrid.__version__,
        "front_end": front.config(),
        "front_end_state": {k: v.cpu() for k, v in front.state_dict().items()},
        "front_end_fitted": bool(getattr(front, "fitted", False)),
        "head_kind": net.head_kind,
        "backbone_kind": net.backbone_kind,
        "weights_used": net.weights_used,
        "backbone": {k: v.cpu() for k, v in net.backbone.state_dict().items()},
        "head": {k: v.cpu() for k, v in net.head.state_dict().items()},
        "thresholds": np.asarray(thresholds, dtype=np.float64).tolist(),
        "top_n": int(top_n),
        "instruments": list(instruments.NAMES),
        "config": config,
    }
    remove_stale_parts(Path(path).parent)  # what a killed earlier run may have left
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return Path(path)


def load_model(path) -> tuple[model.InstrumentNet, dict]:
    """Rebuild the network saved by :func:`save_model`; return it (eval mode) and the file's contents.

    Raises
    ------
    ModelError
        The file is missing, unreadable, not an instrid model file, of another
        format version, or damaged (a key missing, a tensor of the wrong shape).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found" if not path.exists() else f"{path}: not a file")
    state = _read_state(path)
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: not an instrid model file (format {FORMAT_VERSION} expected)")
    missing = [k for k in KEYS if k not in state]
    if missing:
        raise ModelError(f"{path}: damaged model file: it lacks {missing}")
    if state["instruments"] != list(instruments.NAMES):
        raise ModelError(f"{path}: instrument order {state['instruments']} differs from this instrid's")
    try:
        spec = dict(state["front_end"])
        name = spec.pop("name")
        options = {}
        if name == "log_mel":
            options = asdict(features.LogMelSettings.from_config(spec))
        elif name == "musicnn_mel":
            options = {"crop_samples": int(spec["crop_samples"]), "window": spec["window"]}
        front = features.make_front_end(name, **options)
        front.load_state_dict(state["front_end_state"])
        if hasattr(front, "fitted"):
            front.fitted = bool(state["front_end_fitted"])
        # Files written before musicnn existed hold a ResNet-18 and no backbone_kind.
        net = model.InstrumentNet(
            front,
            backbone=state.get("backbone_kind", "resnet18"),
            head=state["head_kind"],
            weights=None,
            progress=False,
        )
        net.backbone.load_state_dict(state["backbone"])
        net.head.load_state_dict(state["head"])
        thresholds = np.asarray(state["thresholds"], dtype=np.float64)
        if (
            thresholds.shape != (instruments.N_INSTRUMENTS,)
            or not 0 <= int(state["top_n"]) <= thresholds.size
        ):
            raise ValueError(f"decision rule: {thresholds.size} thresholds, top_n {state['top_n']}")
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: damaged model file: {first}") from None
    net.weights_used = state["weights_used"]
    return net.eval(), state


def _read_state(path):
    """The object torch reads from ``path``, or ModelError when it cannot be read."""
    try:
        with warnings.catch_warnings():
            # A random file can make torch warn about its pickle protocol before it fails; the error says all.
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds on a bad file, with multi-paragraph advice
        raise ModelError(
            f"{path}: not an instrid model file (cannot be read: {type(exc).__name__})"
        ) from None


def mark(path) -> str | None:
    """What the instrid model file at ``path`` is, in words, or None when it is no instrid model file.

    The output guard's recogniser (:mod:`instrid.outputs`): ``instrid train``
    replaces only a file this returns a description for.
    """
    try:
        state = _read_state(path)
    except ModelError:  # anything torch cannot read is not ours
        return None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        return None
    return f"an instrid model (trained on {state.get('config', {}).get('dataset_kind', '?')} MusicNet)"


def trained_on(state: dict) -> str:
    """One line on what a model was trained on, for ``instrid predict`` to say."""
    config = state.get("config", {})
    kind = config.get("dataset_kind", "?")
    rendering = config.get("rendering") or {}
    fonts, varied = " and ".join(rendering.get("fonts", [])), rendering.get("variation", "?")
    how = f", rendered with {fonts}, variation {varied}" if rendering else ""
    epochs = config.get("backbone_epochs")
    tuned = f", then trained on the task for {epochs} epoch{'s' if epochs > 1 else ''}" if epochs else ""
    backbone = model.BACKBONE_NAMES.get(state.get("backbone_kind", "resnet18"), "?")
    return (
        f"{kind} MusicNet ({config.get('recordings', '?')} recordings{how}), front-end "
        f"{state['front_end'].get('name', '?')}, {backbone} "
        f"weights {state.get('weights_used', '?')}{tuned}"
    )


def rule_of(state: dict) -> str:
    """The model's own decision rule in words: one threshold for every instrument, or one per instrument."""
    thresholds = np.asarray(state["thresholds"], dtype=np.float64)
    if thresholds.size and np.all(thresholds == thresholds[0]):
        return f"threshold {thresholds[0]:.2f} (micro F1 on validation), then at most {state['top_n']}"
    return f"class thresholds, then at most {state['top_n']}"
