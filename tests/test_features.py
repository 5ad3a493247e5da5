"""Front-ends (instrid.models.features)."""

from __future__ import annotations

import pytest
import torch

from instrid.models import features


def sine(freq, n, sample_rate, amplitude=1.0):
    t = torch.arange(n, dtype=torch.float32) / sample_rate
    return amplitude * torch.sin(2 * torch.pi * freq * t)


def test_report_spectrogram_shape_and_values():
    front = features.ReportSpectrogram()
    x = torch.stack([sine(441.0, 10_240, 44_100), sine(2205.0, 10_240, 44_100, 0.5)])
    image = front(x)
    assert image.shape == (2, 3, 201, 52)
    assert torch.equal(image[:, 0], image[:, 2])
    frame = image[:, 0, :, 26]
    # 110.25 Hz per bin: 441 Hz is bin 4, 2205 Hz bin 20; a Hann window sums to 200,
    # so a unit sine's power there is (200 / 2)^2 and no log is taken.
    assert frame.argmax(dim=1).tolist() == [4, 20]
    assert frame[0, 4].item() == pytest.approx(100.0**2, rel=1e-3)
    assert frame[1, 20].item() == pytest.approx(50.0**2, rel=1e-3)


def test_log_mel_shape_peak_and_normalizations():
    front = features.LogMel()
    assert front.crop_samples == 10_240 and front.sample_rate == 44_100  # read as is, resampled inside
    x = torch.stack([sine(f, front.crop_samples, 44_100) for f in (220.0, 1000.0, 4000.0)])
    db = front.log_mel(x)
    assert db.shape == (3, 128, 41)
    peaks = db[:, :, 20].argmax(dim=1)
    assert peaks[0] < peaks[1] < peaks[2]
    assert (db.amax(dim=(1, 2)) - db.amin(dim=(1, 2)) <= 80.0 + 1e-4).all()
    fitted = front.fit(x)(x)[:, 0]
    assert fitted.shape == (3, 128, 41)
    assert fitted.mean(dim=(0, 2)).abs().max() < 1e-4
    assert front.config()["band_stats"] is not None
    # A 16 kHz tone is far above the 11.025 kHz analysis Nyquist: the resampler removes it (> 40 dB).
    power = [
        front.mel(front.resample(sine(f, front.crop_samples, 44_100)[None])).max() for f in (1000.0, 16_000.0)
    ]
    assert 10 * torch.log10(power[0] / power[1]) > 40
    imagenet = features.LogMel(normalization="imagenet")(x)
    unit = imagenet * torch.tensor(features.IMAGENET_STD).view(1, 3, 1, 1) + torch.tensor(
        features.IMAGENET_MEAN
    ).view(1, 3, 1, 1)
    assert unit.min() >= -1e-5 and unit.max() <= 1 + 1e-5
