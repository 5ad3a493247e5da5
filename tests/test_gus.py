"""GUS patches into SoundFont 2 (data.gus): hand-made patches with known fields, the SoundFont read back
field by field, and rendered by the synthesizer the study uses: the right pitch, no click at the loop."""

from __future__ import annotations

import math
import re
import struct

import numpy as np
import pytest

from instrid.data import gus
from instrid.errors import DatasetError

RATE = 44_100
PERIOD = 100  # samples: a 441 Hz sine at 44.1 kHz repeats exactly
ROOT_HZ = RATE / PERIOD


def sample_bytes(
    data: np.ndarray,
    *,
    loop=(1000, 1000 + 20 * PERIOD),
    low=8.0,
    high=12_000.0,
    root=ROOT_HZ,
    modes=gus.MODE_16BIT | gus.MODE_LOOP | gus.MODE_SUSTAIN | 64,
    rates=(63, 63, 63, 141, 63, 63),
    offsets=(246, 246, 246, 0, 0, 0),
    scale_factor=1024,
    rate=RATE,
) -> bytes:
    pcm = data.astype("<i2").tobytes()
    header = struct.pack(
        "<7sBIIIHIIIhB",
        b"tone",
        0,
        len(pcm),
        2 * loop[0],
        2 * loop[1],
        rate,
        round(low * 1000),
        round(high * 1000),
        round(root * 1000),
        1,
        7,
    )
    header += bytes(rates) + bytes(offsets) + bytes(6) + bytes([modes]) + struct.pack("<hH", 64, scale_factor)
    return header.ljust(gus.SAMPLE_HEADER_SIZE, b"\0") + pcm


def patch_bytes(*samples: bytes, name=b"test") -> bytes:
    """A GF1 patch of one instrument and one layer holding ``samples`` (sample_bytes each)."""
    head = b"GF1PATCH110\x00ID#000002\x00" + b"".ljust(60, b"\0")
    head += struct.pack("<BBBHHI", 1, 0, 0, len(samples), 127, sum(len(s) for s in samples))
    head = head.ljust(gus.HEADER_SIZE, b"\0")
    instrument = struct.pack("<H16sIB", 0, name, 0, 1).ljust(gus.INSTRUMENT_SIZE, b"\0")
    layer = struct.pack("<BBIB", 0, 0, 0, len(samples)).ljust(gus.LAYER_SIZE, b"\0")
    return head + instrument + layer + b"".join(samples)


def sine(seconds: float = 1.0, hz: float = ROOT_HZ) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.round(12_000 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def chunks(blob: bytes, start: int = 12):
    """{tag: body} of the RIFF chunks in ``blob``, LIST chunks opened."""
    found, pos = {}, start
    while pos < len(blob):
        tag, size = blob[pos : pos + 4], struct.unpack_from("<I", blob, pos + 4)[0]
        body = blob[pos + 8 : pos + 8 + size]
        found.update(chunks(body, 4) if tag == b"LIST" else {tag: body})
        pos += 8 + size + size % 2
    return found


def generators(sf2: bytes) -> list[dict]:
    """Each instrument zone's generators, by name, from a SoundFont's igen and ibag records."""
    parts = chunks(sf2)
    names = {v: k for k, v in gus.GEN.items()}
    igen = [struct.unpack_from("<Hh", parts[b"igen"], i) for i in range(0, len(parts[b"igen"]), 4)]
    ibag = [struct.unpack_from("<HH", parts[b"ibag"], i)[0] for i in range(0, len(parts[b"ibag"]), 4)]
    zones = []
    for a, b in zip(ibag, ibag[1:]):
        zone = {names[op]: value for op, value in igen[a:b]}
        zone["keyRange"] = (zone["keyRange"] & 0xFF, (zone["keyRange"] >> 8) & 0xFF)
        zones.append(zone)
    return zones


def render(path, key: int, seconds: float) -> np.ndarray:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=RATE)
    sfid = synth.sfload(str(path))
    synth.program_select(0, sfid, 0, 0)
    synth.noteon(0, key, 100)
    block = bytearray(8 * int(seconds * RATE))
    synth.generate(int(seconds * RATE), memoryview(block))
    return np.frombuffer(bytes(block), dtype=np.float32).reshape(-1, 2).mean(axis=1)


def test_a_patch_is_read_field_by_field():
    patch = gus.read_patch(patch_bytes(sample_bytes(sine())))
    (s,) = patch.samples
    assert patch.name == "test" and s.name == "tone" and s.rate == RATE
    assert (s.loop_start, s.loop_end) == (1000, 3000) and s.root_hz == pytest.approx(ROOT_HZ, abs=1e-3)
    assert s.data.dtype == np.int16 and len(s.data) == RATE and np.array_equal(s.data, sine())
    assert s.rates == (63, 63, 63, 141, 63, 63) and s.offsets == (246, 246, 246, 0, 0, 0)


def test_8_bit_and_unsigned_samples_become_signed_16_bit():
    raw = np.array([0, 64, 128, 192, 255], dtype=np.uint8)
    header = sample_bytes(np.zeros(0), loop=(0, 0), modes=gus.MODE_UNSIGNED)
    blob = header[: gus.SAMPLE_HEADER_SIZE]
    blob = blob[:8] + struct.pack("<I", len(raw)) + blob[12:]
    (s,) = gus.read_patch(patch_bytes(blob + raw.tobytes())).samples
    assert s.data.tolist() == [-32768, -16384, 0, 16384, 32512]


def test_the_soundfont_holds_the_patchs_fields(tmp_path):
    patch = gus.read_patch(patch_bytes(sample_bytes(sine())))
    path = gus.write_soundfont(tmp_path / "t.sf2", {0: patch}, "test font")
    sf2 = path.read_bytes()
    assert sf2[:4] == b"RIFF" and sf2[8:12] == b"sfbk" and struct.unpack_from("<I", sf2, 4)[0] == len(sf2) - 8
    (zone,) = generators(sf2)
    root = 69 + 12 * math.log2(ROOT_HZ / 440)  # 69.039: key 69, 3.9 cents sharp
    assert zone["keyRange"] == (0, 127) and zone["overridingRootKey"] == 69
    assert zone["fineTune"] == round((69 - root) * 100) == -4 and zone["sampleModes"] == 1
    attack = 246 * 8192 / ((63 << 9) * RATE)  # rate 63: 63 << 9 per period, 1.4 ms from 0 to 246
    assert zone["attackVolEnv"] == round(1200 * math.log2(attack)) == gus.timecents(attack)
    release = 246 * 8192 / ((13 << 3) * RATE)  # rate 141: 13 << 3 per period, 0.44 s from 246 to 0
    assert zone["releaseVolEnv"] == round(1200 * math.log2(release)) and zone["sustainVolEnv"] == 0
    shdr = chunks(sf2)[b"shdr"]
    start, end, loop_start, loop_end, rate, original = struct.unpack_from("<IIIIIB", shdr, 20)
    assert (start, end, loop_start, loop_end, rate, original) == (0, RATE, 1000, 3000, RATE, 69)
    assert shdr[-46:-26].rstrip(b"\0") == b"EOS"
    smpl = chunks(sf2)[b"smpl"]
    assert len(smpl) == 2 * (RATE + gus.SF2_SAMPLE_PAD)


def test_a_rendered_note_has_the_right_pitch_and_no_click_at_the_loop(tmp_path):
    # The sample is 1 s long, looped from 1000 to 3000: a 3 s note crosses the loop point about 1,300 times.
    path = gus.write_soundfont(
        tmp_path / "t.sf2", {0: gus.read_patch(patch_bytes(sample_bytes(sine())))}, "t"
    )
    audio = render(path, 69, 3.0)
    steady = audio[RATE // 2 :]
    spectrum = np.abs(np.fft.rfft(steady * np.hanning(len(steady)), 16 * len(steady)))
    peak = np.fft.rfftfreq(16 * len(steady), 1 / RATE)[np.argmax(spectrum)]
    assert abs(1200 * math.log2(peak / 440.0)) < 10  # key 69 sounds A4, the sample's sharpness tuned away
    # A sine's largest step between samples is 2 pi f A / rate (measured: 0.999 of it); a loop one sample
    # long or short steps 1.25 or 1.84 times it at the loop point.
    amplitude = np.abs(steady).max()
    assert np.abs(np.diff(steady)).max() < 1.1 * 2 * np.pi * peak * amplitude / RATE


def test_a_pingpong_loop_is_unrolled_forward():
    data = np.arange(20, dtype=np.int16)
    modes = gus.MODE_16BIT | gus.MODE_LOOP | gus.MODE_PINGPONG
    (s,) = gus.read_patch(patch_bytes(sample_bytes(data, loop=(4, 10), modes=modes))).samples
    unrolled, start, end = gus._forward_loop(s)
    assert (start, end) == (4, 14)
    assert unrolled[start:end].tolist() == [4, 5, 6, 7, 8, 9, 8, 7, 6, 5]
    assert unrolled[end:].tolist() == list(range(10, 20))


def test_each_key_gets_the_sample_timidity_would_play():
    low = sample_bytes(sine(0.1), low=20.0, high=300.0, root=220.0, loop=(0, 100))
    high = sample_bytes(sine(0.1), low=600.0, high=2000.0, root=880.0, loop=(0, 100))
    patch = gus.read_patch(patch_bytes(low, high))
    chosen = gus.key_samples(patch)
    assert chosen[57] == 0 and chosen[81] == 1  # A3 and A5, inside the ranges
    assert chosen[64] == 0 and chosen[74] == 1  # 330 and 587 Hz: in no range; the nearest root decides
    assert chosen[0] == 0 and chosen[127] == 1


def test_envelope_rates_read_as_timidity_reads_them():
    assert gus.envelope_seconds(63, 0, 246) == pytest.approx(246 * 8192 / (32256 * 44_100))
    assert gus.envelope_seconds(0b11_000001, 0, 255) == pytest.approx(255 * 8192 / (1 * 44_100))
    assert gus.envelope_seconds(0, 10, 10) == 0 and math.isinf(gus.envelope_seconds(0, 0, 10))
    assert gus.timecents(1.0) == 0 and gus.timecents(2.0) == 1200 and gus.timecents(1e-4) == gus.INSTANT


@pytest.mark.parametrize(
    ("blob", "problem"),
    [
        (b"RIFF" + bytes(300), "no GF1PATCH header"),
        (patch_bytes(sample_bytes(sine()))[:-10], "truncated"),
        (patch_bytes(sample_bytes(sine(), scale_factor=512)), "scale factor 512"),
        (patch_bytes(sample_bytes(sine(), loop=(100, 90_000))), "loop [100, 90000) outside"),
        (patch_bytes(sample_bytes(sine(), rate=0)), "a sample rate of 0"),
        (patch_bytes(sample_bytes(sine(), modes=gus.MODE_16BIT | gus.MODE_REVERSE)), "a reversed sample"),
    ],
)
def test_a_bad_patch_is_one_error_naming_the_file(tmp_path, blob, problem):
    path = tmp_path / "bad.pat"
    path.write_bytes(blob)
    with pytest.raises(DatasetError, match=rf"bad\.pat: not a usable GUS patch: .*{re.escape(problem)}"):
        gus.read_patch(path)
