"""Gravis UltraSound patches (``.pat``) into a SoundFont 2 file the synthesizer renders.

Freepats (Debian's ``freepats`` package), a sampled General MIDI set that no
model of the study trains on, ships as GUS patches, a format tinysoundfont
does not read. :func:`read_patch` reads one (the GF1 layout: a 129-byte
header, a 63-byte instrument header, a 47-byte layer header, then per sample
a 96-byte header and its 8- or 16-bit data); :func:`write_soundfont` writes
patches as the presets of one SoundFont 2 file, a General MIDI program each.

What carries over, per sample: its data (16-bit, signed), rate, loop (a
ping-pong loop unrolled into a forward one), the keys it plays (TiMidity's
rule: the sample whose frequency range holds the key, else the one whose root
is nearest), its root key and fine tuning, and its volume envelope. The GUS
envelope ramps a volume of 0-255 through three stages to a sustain level and
three after release, at rates TiMidity turns into seconds
(:func:`envelope_seconds`); TiMidity reads that volume on a logarithmic scale
of 64 steps per doubling, so a level difference becomes decibels
(:data:`DB_PER_STEP`). Tremolo, vibrato and pan are not carried over (every
Freepats patch the study uses is centred); an unusual pitch scaling
(``scale_factor`` other than 1024) is refused.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from instrid.errors import DatasetError
from instrid.files import atomic_path

MAGIC = (b"GF1PATCH110\x00", b"GF1PATCH100\x00")
HEADER_SIZE, INSTRUMENT_SIZE, LAYER_SIZE, SAMPLE_HEADER_SIZE = 129, 63, 47, 96
#: Sample mode bits.
MODE_16BIT, MODE_UNSIGNED, MODE_LOOP, MODE_PINGPONG, MODE_REVERSE, MODE_SUSTAIN = (1, 2, 4, 8, 16, 32)
#: TiMidity's envelope volume: 64 steps make a doubling of amplitude.
DB_PER_STEP = 20 * math.log10(2) / 64
#: Zero points after each sample in the SoundFont's sample chunk (the specification's minimum).
SF2_SAMPLE_PAD = 46
#: Timecents of an instant envelope stage (the SoundFont default).
INSTANT = -12_000


@dataclass(frozen=True)
class GusSample:
    """One sample of a patch: its data (int16) and the fields the conversion uses."""

    name: str
    data: np.ndarray
    rate: int
    low_hz: float
    high_hz: float
    root_hz: float
    loop_start: int  # in samples, the loop is [loop_start, loop_end)
    loop_end: int
    modes: int
    rates: tuple[int, ...]
    offsets: tuple[int, ...]


@dataclass(frozen=True)
class GusPatch:
    name: str
    samples: tuple[GusSample, ...]


def read_patch(source) -> GusPatch:
    """The patch in ``source`` (a path, or the file's bytes).

    Raises
    ------
    DatasetError
        Not a GF1 patch, truncated, or a feature the conversion cannot carry
        (several layers, reversed samples, an unusual pitch scaling); the
        message names the file.
    """
    name = str(source) if not isinstance(source, bytes | bytearray) else "<patch bytes>"
    raw = Path(source).read_bytes() if not isinstance(source, bytes | bytearray) else bytes(source)
    try:
        return _parse(raw)
    except (ValueError, struct.error) as exc:
        raise DatasetError(f"{name}: not a usable GUS patch: {exc}") from None


def _parse(raw: bytes) -> GusPatch:
    if raw[:12] not in MAGIC:
        raise ValueError("no GF1PATCH header")
    (instruments,) = struct.unpack_from("<B", raw, 82)
    if instruments != 1:
        raise ValueError(f"{instruments} instruments (one expected)")
    pos = HEADER_SIZE
    _, instrument_name, _, layers = struct.unpack_from("<H16sIB", raw, pos)
    if layers != 1:
        raise ValueError(f"{layers} layers (one expected)")
    pos += INSTRUMENT_SIZE
    (n_samples,) = struct.unpack_from("<B", raw, pos + 6)
    pos += LAYER_SIZE
    samples = []
    for _ in range(n_samples):
        wave, _fractions, length, loop_start, loop_end, rate, low, high, root = struct.unpack_from(
            "<7sBIIIHIII", raw, pos
        )
        rates = tuple(raw[pos + 37 : pos + 43])
        offsets = tuple(raw[pos + 43 : pos + 49])
        modes = raw[pos + 55]
        (scale_factor,) = struct.unpack_from("<H", raw, pos + 58)
        pos += SAMPLE_HEADER_SIZE
        if pos + length > len(raw):
            raise ValueError(f"truncated: a sample of {length} bytes runs past the end ({len(raw)} bytes)")
        if scale_factor != 1024:
            raise ValueError(f"scale factor {scale_factor} (1024, normal pitch tracking, expected)")
        if modes & MODE_REVERSE:
            raise ValueError("a reversed sample")
        if not rate:
            raise ValueError("a sample rate of 0")
        data = _pcm16(raw[pos : pos + length], modes)
        pos += length
        width = 2 if modes & MODE_16BIT else 1
        start, end = loop_start // width, loop_end // width
        if modes & MODE_LOOP and not 0 <= start < end <= len(data):
            raise ValueError(f"loop [{start}, {end}) outside the sample's {len(data)} points")
        samples.append(
            GusSample(
                wave.split(b"\0")[0].decode("latin-1"),
                data,
                rate,
                low / 1000,
                high / 1000,
                root / 1000,
                start,
                end,
                modes,
                rates,
                offsets,
            )
        )
    if not samples:
        raise ValueError("no samples")
    return GusPatch(instrument_name.split(b"\0")[0].decode("latin-1"), tuple(samples))


def _pcm16(blob: bytes, modes: int) -> np.ndarray:
    if modes & MODE_16BIT:
        values = np.frombuffer(blob[: len(blob) // 2 * 2], dtype="<u2" if modes & MODE_UNSIGNED else "<i2")
        return (values.astype(np.int32) - (32768 if modes & MODE_UNSIGNED else 0)).astype(np.int16)
    values = np.frombuffer(blob, dtype=np.uint8 if modes & MODE_UNSIGNED else np.int8).astype(np.int32)
    return ((values - (128 if modes & MODE_UNSIGNED else 0)) * 256).astype(np.int16)


def envelope_seconds(rate: int, start: int, end: int) -> float:
    """Seconds a GUS envelope stage takes from volume ``start`` to ``end`` (0-255) at ``rate`` (a byte).

    TiMidity's reading: the rate's low 6 bits, shifted left by 3 times (3 - its
    top 2 bits), is the volume change per control period in units of
    2^-13 of a step at 44.1 kHz, so

    .. math:: t = \\frac{|end - start| \\cdot 8192}{r \\cdot 44100}, \\quad
              r = (rate \\,\\&\\, 63) \\ll 3 (3 - (rate \\gg 6))

    A rate of 0 never moves: ``inf`` unless the levels are equal.
    """
    r = (rate & 0x3F) << (3 * (3 - ((rate >> 6) & 3)))
    if start == end:
        return 0.0
    return math.inf if r == 0 else abs(end - start) * 8192 / (r * 44_100)


def timecents(seconds: float) -> int:
    """SoundFont time: ``1200 log2(seconds)``, instant below 1 ms, capped at 100 s."""
    if seconds < 1e-3:
        return INSTANT
    return round(1200 * math.log2(min(seconds, 100.0)))


def volume_envelope(sample: GusSample) -> dict[str, int]:
    """The SoundFont volume-envelope generators of a sample: attack, decay, sustain (cB), release."""
    r, o = sample.rates, sample.offsets
    if not sample.modes & 64:  # no envelope: the sample plays at full volume until it ends
        return {"attack": INSTANT, "decay": INSTANT, "sustain": 0, "release": timecents(0.01)}
    attack = envelope_seconds(r[0], 0, o[0])
    decay = envelope_seconds(r[1], o[0], o[1]) + envelope_seconds(r[2], o[1], o[2])
    release, level = 0.0, o[2]
    for rate, target in zip(r[3:], o[3:]):  # the three release stages, to the last level
        release += envelope_seconds(rate, level, target)
        level = target
    if not sample.modes & MODE_SUSTAIN:  # no hold: the note runs on into its release and dies away
        return {
            "attack": timecents(attack),
            "decay": timecents(decay + release),
            "sustain": 1440,
            "release": timecents(release),
        }
    return {
        "attack": timecents(attack),
        "decay": timecents(decay),
        "sustain": min(1440, round(10 * DB_PER_STEP * max(0, o[0] - o[2]))),
        "release": timecents(release),
    }


def midi_key(hz: float) -> float:
    return 69 + 12 * math.log2(hz / 440.0)


def root_key(sample: GusSample) -> tuple[int, int]:
    """The MIDI key nearest the sample's root frequency (0-127), and the cents that tune it to that key."""
    root = midi_key(sample.root_hz)
    key = min(127, max(0, round(root)))
    return key, round((key - root) * 100)


def key_samples(patch: GusPatch) -> np.ndarray:
    """For each MIDI key 0-127, the index of the sample TiMidity plays it with.

    The first sample whose frequency range holds the key's frequency, else
    the one whose root frequency is nearest (in cents).
    """
    chosen = np.empty(128, dtype=np.int64)
    roots = np.array([midi_key(s.root_hz) for s in patch.samples])
    for key in range(128):
        hz = 440.0 * 2 ** ((key - 69) / 12)
        inside = [i for i, s in enumerate(patch.samples) if s.low_hz <= hz <= s.high_hz]
        chosen[key] = inside[0] if inside else int(np.argmin(np.abs(roots - key)))
    return chosen


def _forward_loop(sample: GusSample) -> tuple[np.ndarray, int, int]:
    """The sample's data and loop, a ping-pong loop unrolled into a forward one (the way back appended)."""
    data, start, end = sample.data, sample.loop_start, sample.loop_end
    if not sample.modes & MODE_LOOP:
        return data, 0, 0
    if sample.modes & MODE_PINGPONG and end - start > 2:
        back = data[start + 1 : end - 1][::-1]
        data = np.concatenate([data[:end], back, data[end:]])
        end += len(back)
    return data, start, end


# --- the SoundFont writer --------------------------------------------------------------------------------

GEN = {
    "attackVolEnv": 34,
    "decayVolEnv": 36,
    "sustainVolEnv": 37,
    "releaseVolEnv": 38,
    "instrument": 41,
    "keyRange": 43,
    "fineTune": 52,
    "sampleID": 53,
    "sampleModes": 54,
    "overridingRootKey": 58,
}


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _name(text: str, size: int = 20) -> bytes:
    return text.encode("latin-1", "replace")[: size - 1].ljust(size, b"\0")


def soundfont_bytes(presets: dict[int, GusPatch], name: str) -> bytes:
    """A SoundFont 2.01 file holding each patch as the preset of its General MIDI program (bank 0).

    Each patch becomes one instrument with a zone per run of keys played by
    one sample (:func:`key_samples`), with that sample's root key, fine
    tuning, loop and volume envelope.
    """
    smpl, shdr, inst, ibag, igen, phdr, pbag, pgen = [], [], [], [], [], [], [], []
    offset = 0
    for program, patch in sorted(presets.items()):
        first_sample = len(shdr)
        for sample in patch.samples:
            data, loop_start, loop_end = _forward_loop(sample)
            smpl.append(data.astype("<i2").tobytes() + b"\0\0" * SF2_SAMPLE_PAD)
            start = offset
            shdr.append(
                _name(sample.name or patch.name)
                + struct.pack(
                    "<IIIIIBbHH",
                    start,
                    start + len(data),
                    start + loop_start,
                    start + loop_end,
                    sample.rate,
                    root_key(sample)[0],
                    0,
                    0,
                    1,  # mono
                )
            )
            offset += len(data) + SF2_SAMPLE_PAD
        inst.append(_name(patch.name or f"program {program}") + struct.pack("<H", len(ibag)))
        by_key = key_samples(patch)
        runs = np.flatnonzero(np.diff(by_key)) + 1
        for lo, hi in zip(np.concatenate([[0], runs]), np.concatenate([runs, [128]]) - 1):
            sample = patch.samples[by_key[lo]]
            key, cents = root_key(sample)
            envelope = volume_envelope(sample)
            ibag.append(struct.pack("<HH", len(igen), 0))
            zone = [
                ("keyRange", int(lo) | (int(hi) << 8)),
                ("overridingRootKey", key),
                ("fineTune", cents),
                ("sampleModes", 1 if sample.modes & MODE_LOOP else 0),
                ("attackVolEnv", envelope["attack"]),
                ("decayVolEnv", envelope["decay"]),
                ("sustainVolEnv", envelope["sustain"]),
                ("releaseVolEnv", envelope["release"]),
                ("sampleID", first_sample + int(by_key[lo])),
            ]
            igen += [struct.pack("<Hh" if op != "keyRange" else "<HH", GEN[op], value) for op, value in zone]
        phdr.append(
            _name(patch.name or f"program {program}") + struct.pack("<HHHIII", program, 0, len(pbag), 0, 0, 0)
        )
        pbag.append(struct.pack("<HH", len(pgen), 0))
        pgen.append(struct.pack("<HH", GEN["instrument"], len(inst) - 1))
    # Terminal records, as the specification requires.
    phdr.append(_name("EOP") + struct.pack("<HHHIII", 0, 0, len(pbag), 0, 0, 0))
    pbag.append(struct.pack("<HH", len(pgen), 0))
    pgen.append(struct.pack("<HH", 0, 0))
    inst.append(_name("EOI") + struct.pack("<H", len(ibag)))
    ibag.append(struct.pack("<HH", len(igen), 0))
    igen.append(struct.pack("<HH", 0, 0))
    shdr.append(_name("EOS") + struct.pack("<IIIIIBbHH", 0, 0, 0, 0, 0, 0, 0, 0, 0))
    info = (
        _chunk(b"ifil", struct.pack("<HH", 2, 1))
        + _chunk(b"isng", b"EMU8000\0")
        + _chunk(b"INAM", name.encode("latin-1", "replace") + b"\0")
    )
    pdta = b"".join(
        _chunk(tag, b"".join(records))
        for tag, records in (
            (b"phdr", phdr),
            (b"pbag", pbag),
            (b"pmod", [b"\0" * 10]),
            (b"pgen", pgen),
            (b"inst", inst),
            (b"ibag", ibag),
            (b"imod", [b"\0" * 10]),
            (b"igen", igen),
            (b"shdr", shdr),
        )
    )
    body = (
        b"sfbk"
        + _chunk(b"LIST", b"INFO" + info)
        + _chunk(b"LIST", b"sdta" + _chunk(b"smpl", b"".join(smpl)))
        + _chunk(b"LIST", b"pdta" + pdta)
    )
    return _chunk(b"RIFF", body)


def write_soundfont(path, presets: dict[int, GusPatch], name: str) -> Path:
    """Write :func:`soundfont_bytes` to ``path``, whole or not at all."""
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(soundfont_bytes(presets, name))
    return Path(path)
