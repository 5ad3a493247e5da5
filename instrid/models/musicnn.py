"""musicnn, a music-pretrained network, as a frozen backbone; its checkpoints read without TensorFlow.

musicnn (Pons & Serra, "musicnn: pre-trained convolutional neural networks for
music audio tagging", ISMIR 2019 LBD; ISC licence) is a CNN trained to tag
music: ``MTT_musicnn`` on MagnaTagATune (50 tags, among them guitar, piano,
violin, flute, harpsichord, cello, harp, strings), ``MSD_musicnn`` on the
Million Song Dataset (50 tags). Its weights ship inside the PyPI package
(``pip install --no-deps musicnn==0.1.0``: the package's declared dependencies
pin a TensorFlow 1 and a numpy of 2019, neither of which is needed here), so it
works offline and on a user's machine alike.

:class:`Musicnn` is a PyTorch port of the package's ``models.build_musicnn``
(front-end of timbral and temporal convolutions over a log-mel patch, a
mid-end of three 1-D convolutions with residual connections, a back-end that
pools over time, then two dense layers), computing the same numbers as the
original graph (``tests/test_musicnn.py`` checks it against outputs of
TensorFlow 2.15 running the package's own code, within 1e-4).
:func:`read_checkpoint` reads a TensorFlow tensor bundle (``.index``: a
LevelDB table of ``BundleEntryProto`` records; ``.data-*``: the raw
little-endian tensors) with the standard library and numpy; the package's
files are checked against their SHA-256 first.

The layer a head sees (``layer``):

* ``"taggram"``: the 50 tag logits (the output layer kept, as the report's
  code kept ResNet-18's 1000 ImageNet logits);
* ``"penultimate"``: the 200 units before the output layer (the output layer
  replaced, as the report's text says);
* ``"pooled"``: the mean and the maximum over time of the mid-end's 753 maps
  (1,506 values), the input of the dense layers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from instrid.errors import ModelError

#: The checkpoints of musicnn 0.1.0 this port reads, with the SHA-256 of their files (``.index``, ``.data``).
CHECKPOINTS = {
    "MTT_musicnn": (
        "da2d7bb670b2b31e9bc441bb1bd75eca31b5b061f963cc1f9630c1aff3238f57",
        "041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab",
    ),
    "MSD_musicnn": (
        "87f3e0f3550c8d3bafc840374003e5c8af5eeb5ecf6add61af09a7822d3282c8",
        "8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6",
    ),
}
PACKAGE = "musicnn==0.1.0"
INSTALL = f"pip install --no-deps {PACKAGE}"
#: What each layer gives a head, and its size.
LAYERS = {"taggram": 50, "penultimate": 200, "pooled": 1506}
N_MELS = 96
#: TensorFlow 1's batch-normalization epsilon (``tf.compat.v1.layers.batch_normalization``).
BN_EPSILON = 1e-3

# --- reading a TensorFlow tensor bundle ---------------------------------------------------------------

#: The last 8 bytes of every LevelDB table (``kTableMagicNumber``, little-endian).
_TABLE_MAGIC = struct.pack("<Q", 0xDB4775248B80FB57)
#: TensorFlow ``DataType`` enum values of the dtypes a checkpoint of this kind holds.
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 10: "?", 19: "<f2"}


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _proto_fields(buf: bytes) -> dict[int, list]:
    """A protocol-buffer message as ``{field number: [values]}`` (varints as int, the rest as bytes)."""
    fields: dict[int, list] = {}
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        wire = tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            value, pos = buf[pos : pos + width], pos + width
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf):
            raise ValueError("truncated protobuf message")
        fields.setdefault(tag >> 3, []).append(value)
    return fields


def _table_block(table: bytes, handle: bytes) -> list[tuple[bytes, bytes]]:
    """The key-value entries of the LevelDB block a ``BlockHandle`` (offset, size varints) points at."""
    offset, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    if offset + size + 5 > len(table):
        raise ValueError("block beyond the end of the file")
    if table[offset + size] != 0:  # the block trailer's compression type: 0 none, 1 snappy
        raise ValueError("compressed table block (TensorFlow writes bundles uncompressed)")
    block = table[offset : offset + size]
    (n_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    end = len(block) - 4 - 4 * n_restarts
    entries, key, pos = [], b"", 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_size, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + value_size]))
        pos += value_size
    return entries


def read_checkpoint(prefix) -> dict[str, np.ndarray]:
    """Every tensor of a TensorFlow checkpoint (tensor bundle) ``prefix`` as a numpy array.

    ``prefix.index`` is a LevelDB table whose keys are the variable names and
    whose values are ``BundleEntryProto`` records (dtype, shape, shard, offset,
    size); the key ``""`` holds the ``BundleHeaderProto`` (number of shards).
    Each tensor is ``size`` raw little-endian bytes at ``offset`` of
    ``prefix.data-<shard>-of-<shards>``.

    Raises
    ------
    ModelError
        A file is missing or is not a tensor bundle of the kind described.
    """
    index = Path(f"{prefix}.index")
    try:
        table = index.read_bytes()
        if len(table) < 48 or table[-8:] != _TABLE_MAGIC:
            raise ValueError("not a LevelDB table (no table magic number at its end)")
        footer = table[-48:]
        _metaindex_offset, pos = _varint(footer, 0)
        _metaindex_size, pos = _varint(footer, pos)
        entries = [
            entry for _, handle in _table_block(table, footer[pos:]) for entry in _table_block(table, handle)
        ]
        header = _proto_fields(dict(entries).get(b"", b""))
        shards = header.get(1, [1])[0]
        data = [Path(f"{prefix}.data-{shard:05d}-of-{shards:05d}") for shard in range(shards)]
        blobs = [path.read_bytes() for path in data]
        tensors = {}
        for key, value in entries:
            if not key:
                continue
            entry = _proto_fields(value)
            if 7 in entry:
                raise ValueError(f"{key.decode()}: partitioned variables are not supported")
            dtype = _DTYPES.get(entry.get(1, [0])[0])
            if dtype is None:
                continue  # a dtype no network weight has (e.g. strings)
            dims = [
                _proto_fields(dim).get(1, [0])[0] for dim in _proto_fields(entry.get(2, [b""])[0]).get(2, [])
            ]
            shard, offset, size = (entry.get(field, [0])[0] for field in (3, 4, 5))
            name, blob = key.decode(), blobs[shard][offset : offset + size]
            if size != int(np.prod(dims, dtype=np.int64)) * np.dtype(dtype).itemsize:
                raise ValueError(
                    f"{name}: {size} bytes do not hold a {np.dtype(dtype)} tensor of shape {dims}"
                )
            if len(blob) != size:
                raise ModelError(f"{data[shard]}: truncated: {name} needs bytes {offset}-{offset + size}")
            tensors[name] = np.frombuffer(blob, dtype=dtype).reshape(dims).astype(dtype[1:])
    except FileNotFoundError as exc:
        raise ModelError(f"{exc.filename}: checkpoint file not found") from None
    except (ValueError, IndexError, struct.error) as exc:
        raise ModelError(f"{index}: not a readable TensorFlow checkpoint: {exc}") from None
    return tensors


def checkpoint_prefix(name: str) -> str:
    """The prefix of the installed package's checkpoint ``name``, its files checked against their SHA-256.

    Raises
    ------
    ModelError
        ``name`` is not a checkpoint this port reads, musicnn is not
        installed (the message says how to install it), or a file differs
        from the released one.
    """
    if name not in CHECKPOINTS:
        raise ModelError(f"unknown musicnn checkpoint {name!r}; use one of {sorted(CHECKPOINTS)}")
    # find_spec does not import the package (whose modules import TensorFlow).
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"musicnn is not installed; install its weights with: {INSTALL}")
    folder = Path(next(iter(spec.submodule_search_locations))) / name
    for path, expected in zip((folder / ".index", folder / ".data-00000-of-00001"), CHECKPOINTS[name]):
        if not path.is_file():
            raise ModelError(f"{path}: missing from the installed musicnn; reinstall it with: {INSTALL}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            raise ModelError(f"{path}: differs from {PACKAGE}'s file (SHA-256); reinstall it with: {INSTALL}")
    return f"{folder}/"  # the files are named ".index" and ".data-...": the prefix is the folder itself


# --- the network ----------------------------------------------------------------------------------------


class _ConvBlock(nn.Module):
    """Convolution, ReLU, then batch normalization (musicnn's order) over ``(batch, channels, time, ...)``."""

    def __init__(self, conv: nn.Module, channels: int, pad: tuple[int, int]):
        super().__init__()
        self.conv, self.pad = conv, pad
        norm = nn.BatchNorm2d if isinstance(conv, nn.Conv2d) else nn.BatchNorm1d
        self.norm = norm(channels, eps=BN_EPSILON)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Zero padding of the time axis only (TensorFlow's "same" puts the odd sample after).
        time_pad = (0, 0, *self.pad) if x.dim() == 4 else self.pad
        return self.norm(F.relu(self.conv(F.pad(x, time_pad))))


class Musicnn(nn.Module):
    """musicnn (the 7774-timbral-temporal front-end, 64-filter mid-end, 200-unit back-end), frozen or not.

    Input ``(batch, frames, 96)``: log-mel patches as :class:`instrid.models.features.MusicnnMel`
    computes them (any number of frames: the model pools over time). The output
    depends on ``layer`` (see the module docstring); :meth:`features` gives
    every intermediate output the original extractor names.
    """

    def __init__(self, n_tags: int = 50, layer: str = "taggram"):
        super().__init__()
        if layer not in LAYERS:
            raise ValueError(f"layer must be one of {sorted(LAYERS)}, got {layer!r}")
        self.layer = layer
        self.input_norm = nn.BatchNorm2d(1, eps=BN_EPSILON)
        # Timbral filters span 7 frames and 40% or 70% of the mel bands (int(0.4 * 96), int(0.7 * 96)).
        self.timbral = nn.ModuleList(
            _ConvBlock(nn.Conv2d(1, 204, (7, int(share * N_MELS))), 204, (3, 3)) for share in (0.4, 0.7)
        )
        # Temporal filters span 128, 64 and 32 frames of one band.
        self.temporal = nn.ModuleList(
            _ConvBlock(nn.Conv2d(1, 51, (length, 1)), 51, ((length - 1) // 2, length // 2))
            for length in (128, 64, 32)
        )
        self.midend = nn.ModuleList(
            _ConvBlock(nn.Conv1d(channels, 64, 7), 64, (3, 3)) for channels in (561, 64, 64)
        )
        self.pool_norm = nn.BatchNorm1d(2 * 753, eps=BN_EPSILON)
        self.dense = nn.Linear(2 * 753, 200)
        self.dense_norm = nn.BatchNorm1d(200, eps=BN_EPSILON)
        self.output = nn.Linear(200, n_tags)

    @property
    def out_features(self) -> int:
        return LAYERS[self.layer]

    def features(self, patches: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every output the original names: ``timbral (batch, frames, 408)``, ``temporal (.., 153)``,
        ``cnn1``-``cnn3 (.., 64)``, ``mean_pool``/``max_pool (batch, 753)``, ``penultimate (batch, 200)``,
        ``logits (batch, n_tags)`` and ``pooled (batch, 1506)``."""
        x = self.input_norm(patches.unsqueeze(1))  # (batch, 1, frames, bands)
        timbral = [block(x).amax(dim=3) for block in self.timbral]  # (batch, 204, frames) each
        temporal = [block(x).amax(dim=3) for block in self.temporal]  # (batch, 51, frames) each
        front = torch.cat(timbral + temporal, dim=1)  # (batch, 561, frames)
        cnn1 = self.midend[0](front)
        cnn2 = self.midend[1](cnn1) + cnn1
        cnn3 = self.midend[2](cnn2) + cnn2
        maps = torch.cat([front, cnn1, cnn2, cnn3], dim=1)  # (batch, 753, frames)
        max_pool, mean_pool = maps.amax(dim=2), maps.mean(dim=2)
        # The original flattens (batch, 753, [max, mean]): the two pools interleave.
        flat = torch.stack([max_pool, mean_pool], dim=2).flatten(1)
        penultimate = self.dense_norm(F.relu(self.dense(self.pool_norm(flat))))
        return {
            "timbral": torch.cat(timbral, dim=1).transpose(1, 2),
            "temporal": torch.cat(temporal, dim=1).transpose(1, 2),
            "cnn1": cnn1.transpose(1, 2),
            "cnn2": cnn2.transpose(1, 2),
            "cnn3": cnn3.transpose(1, 2),
            "mean_pool": mean_pool,
            "max_pool": max_pool,
            "pooled": torch.cat([mean_pool, max_pool], dim=1),
            "penultimate": penultimate,
            "logits": self.output(penultimate),
        }

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        out = self.features(patches)
        return out["logits" if self.layer == "taggram" else self.layer]

    def load_checkpoint(self, tensors: dict[str, np.ndarray]) -> Musicnn:
        """Copy a musicnn checkpoint's variables (TensorFlow names and layouts) into this module."""
        norms = [self.input_norm, *(b.norm for b in (*self.timbral, *self.temporal, *self.midend))]
        norms += [self.pool_norm, self.dense_norm]
        convs = [b.conv for b in (*self.timbral, *self.temporal, *self.midend)]
        state = {}
        # TensorFlow numbers layers of a kind in the order the graph creates them, as listed here.
        for i, norm in enumerate(norms):
            scope = "batch_normalization" + (f"_{i}" if i else "")
            for ours, theirs in (
                ("weight", "gamma"),
                ("bias", "beta"),
                ("running_mean", "moving_mean"),
                ("running_var", "moving_variance"),
            ):
                state[(norm, ours)] = tensors[f"{scope}/{theirs}"]
        for i, conv in enumerate(convs):
            scope = "conv2d" + (f"_{i}" if i else "")
            kernel = tensors[f"{scope}/kernel"]  # (time, bands, in, out)
            if isinstance(conv, nn.Conv1d):  # a mid-end filter spans every input map: (7, maps, 1, 64)
                kernel = kernel[:, :, 0, :].transpose(2, 1, 0)
            else:
                kernel = kernel.transpose(3, 2, 0, 1)
            state[(conv, "weight")], state[(conv, "bias")] = kernel, tensors[f"{scope}/bias"]
        for dense, scope in ((self.dense, "dense"), (self.output, "dense_1")):
            state[(dense, "weight")] = tensors[f"{scope}/kernel"].T
            state[(dense, "bias")] = tensors[f"{scope}/bias"]
        with torch.no_grad():
            for (module, name), value in state.items():
                target = getattr(module, name)
                if tuple(target.shape) != value.shape:
                    raise ModelError(
                        f"musicnn checkpoint: {name} of shape {value.shape}, {tuple(target.shape)} expected"
                    )
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
        return self


def load_musicnn(name: str, *, layer: str = "taggram") -> Musicnn:
    """The pretrained network ``name`` (``"MTT_musicnn"`` or ``"MSD_musicnn"``) from the installed package."""
    return Musicnn(layer=layer).load_checkpoint(read_checkpoint(checkpoint_prefix(name))).eval()
