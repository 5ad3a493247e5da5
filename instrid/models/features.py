"""Front-ends: from a waveform crop to the 3-channel image the ResNet sees.

Used by every notebook that extracts embeddings (``03_loss_mse_vs_iou`` on).
Two front-ends, both ``torch.nn.Module`` so they sit inside the model:

* :class:`ReportSpectrogram` -- what the report's code did: torchaudio's
  ``Spectrogram()`` with its defaults (n_fft 400, hop 200, power 2) on a
  10,240-sample crop at 44.1 kHz (232 ms), giving 201 x 52 linear power
  values, no log, no normalization, copied to 3 channels.
* :class:`LogMel` -- a corrected front-end: the same 10,240-sample crop,
  resampled inside the model to 22.05 kHz (torchaudio, batched), then a
  log-compressed mel spectrogram with a window long enough to resolve pitch
  (46 ms), normalized per frequency (statistics fitted on training crops) or
  ImageNet-style, copied to 3 channels.

Each takes ``(batch, samples)`` waveform crops as cut by
:func:`instrid.data.examples.crops`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
import torchaudio
from torch import nn

#: ImageNet channel statistics that torchvision's ResNet weights expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ReportSpectrogram(nn.Module):
    """The report code's front-end: linear power spectrogram, 3 identical channels.

    Input ``(batch, samples)`` at 44.1 kHz; output ``(batch, 3, 201, 1 + samples // 200)``
    (201 x 52 for the 10,240-sample crop).
    """

    sample_rate = 44_100
    crop_samples = 10_240

    def __init__(self):
        super().__init__()
        self.spectrogram = torchaudio.transforms.Spectrogram()  # n_fft 400, hop 200, power 2

    def config(self) -> dict:
        return {
            "name": "report_spectrogram",
            "sample_rate": self.sample_rate,
            "crop_samples": self.crop_samples,
            "n_fft": 400,
            "hop": 200,
            "power": 2.0,
            "log": False,
            "normalization": None,
        }

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.spectrogram(waveform).unsqueeze(1).expand(-1, 3, -1, -1)


@dataclass(frozen=True)
class LogMelSettings:
    """The settings of a :class:`LogMel` front-end: what it takes, what it records, what a model file keeps.

    Attributes
    ----------
    sample_rate : int
        Rate of the input waveform, Hz (MusicNet's 44.1 kHz: crops are read
        without resampling, and resampled here, in batches).
    analysis_rate : int
        Rate the spectrogram is computed at, Hz.
    crop_samples : int
        Example length in input samples (default 10,240: the report's 232 ms).
    n_fft, hop, n_mels : int
        STFT window (default 1024 samples = 46 ms at 22.05 kHz), hop, mel bands,
        at ``analysis_rate``.
    normalization : {"per_frequency", "imagenet"}
        ``per_frequency``: subtract each mel band's mean and divide by its
        standard deviation, both fitted with :meth:`LogMel.fit` on training crops
        (identity until fitted). ``imagenet``: map ``[-top_db, 0]`` dB to
        ``[0, 1]``, then apply ImageNet's channel mean and std.
    top_db : float
        Dynamic range kept below each example's peak, dB.
    """

    sample_rate: int = 44_100
    analysis_rate: int = 22_050
    crop_samples: int = 10_240
    n_fft: int = 1024
    hop: int = 128
    n_mels: int = 128
    normalization: str = "per_frequency"
    top_db: float = 80.0

    def __post_init__(self):
        if self.normalization not in ("per_frequency", "imagenet"):
            raise ValueError(
                f"normalization must be 'per_frequency' or 'imagenet', got {self.normalization!r}"
            )

    @classmethod
    def from_config(cls, config: dict) -> LogMelSettings:
        """The settings recorded in a :meth:`LogMel.config` (other keys ignored)."""
        return cls(**{f.name: config[f.name] for f in fields(cls) if f.name in config})


class LogMel(nn.Module):
    """Log-mel spectrogram, normalized, 3 identical channels.

    Takes the fields of :class:`LogMelSettings` as keyword arguments (each
    also an attribute). Output ``(batch, 3, n_mels, 1 + analysis samples // hop)``:
    128 x 41 by default.
    """

    def __init__(self, **options):
        super().__init__()
        self.settings = LogMelSettings(**options)
        for name, value in asdict(self.settings).items():
            setattr(self, name, value)
        self.resample = (
            torchaudio.transforms.Resample(self.sample_rate, self.analysis_rate)
            if self.analysis_rate != self.sample_rate
            else nn.Identity()
        )
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=self.analysis_rate,
            n_fft=self.n_fft,
            hop_length=self.hop,
            n_mels=self.n_mels,
            power=2.0,
        )
        self.register_buffer("band_mean", torch.zeros(self.n_mels, 1))
        self.register_buffer("band_std", torch.ones(self.n_mels, 1))
        self.register_buffer("channel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("channel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.fitted = False

    def config(self) -> dict:
        """The settings, ``name`` and fitted band statistics (rounded): part of the embedding cache's key."""
        return {
            "name": "log_mel",
            **asdict(self.settings),
            "log": True,
            "band_stats": [round(float(x), 6) for x in torch.cat([self.band_mean, self.band_std]).flatten()]
            if self.fitted
            else None,
        }

    def log_mel(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, n_mels, frames)`` in dB, floored ``top_db`` below each example's peak."""
        db = 10.0 * torch.log10(self.mel(self.resample(waveform)).clamp_min(1e-10))
        peak = db.amax(dim=(-2, -1), keepdim=True)
        return torch.maximum(db, peak - self.top_db)

    @torch.no_grad()
    def fit(self, waveforms: torch.Tensor) -> LogMel:
        """Fit the per-band mean and std on training crops ``(batch, samples)``."""
        db = self.log_mel(waveforms)
        self.band_mean.copy_(db.mean(dim=(0, 2)).unsqueeze(1))
        self.band_std.copy_(db.std(dim=(0, 2)).clamp_min(1e-3).unsqueeze(1))
        self.fitted = True
        return self

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        db = self.log_mel(waveform)
        if self.normalization == "per_frequency":
            return ((db - self.band_mean) / self.band_std).unsqueeze(1).expand(-1, 3, -1, -1)
        peak = db.amax(dim=(-2, -1), keepdim=True)
        unit = (db - (peak - self.top_db)) / self.top_db
        return (unit.unsqueeze(1).expand(-1, 3, -1, -1) - self.channel_mean) / self.channel_std


class MusicnnMel(nn.Module):
    """musicnn's input: a 96-band log-mel spectrogram at 16 kHz, compressed as its models were trained.

    The crop is resampled to 16 kHz (torchaudio, batched), then a mel power
    spectrogram as librosa computes it (512-sample Hann window, hop 256,
    Slaney mel scale and area normalization, centred frames padded by
    reflection, as in the librosa releases musicnn was trained with), rounded
    to float16 (musicnn's extractor and training data store it so), then
    ``log10(10000 x + 1)``. Output ``(batch, frames, 96)``: 15 frames for the
    10,240-sample crop.

    ``window`` says what the crop is: ``"segment"`` (as every front-end: the
    example's own stretch, tiled when shorter) or ``"centred"`` (the
    recording's ``crop_samples`` around the example's middle, other sounds
    included: context, :func:`instrid.data.examples.centred_windows`).
    """

    sample_rate = 44_100
    analysis_rate = 16_000

    def __init__(self, crop_samples: int = 10_240, window: str = "segment"):
        super().__init__()
        if crop_samples < 1:
            raise ValueError(f"crop_samples must be at least 1, got {crop_samples}")
        if window not in ("segment", "centred"):
            raise ValueError(f"window must be 'segment' or 'centred', got {window!r}")
        self.crop_samples, self.window = int(crop_samples), window
        self.resample = torchaudio.transforms.Resample(self.sample_rate, self.analysis_rate)
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=self.analysis_rate,
            n_fft=512,
            hop_length=256,
            n_mels=96,
            power=2.0,
            norm="slaney",
            mel_scale="slaney",
            pad_mode="reflect",
        )

    def config(self) -> dict:
        return {
            "name": "musicnn_mel",
            "sample_rate": self.sample_rate,
            "analysis_rate": self.analysis_rate,
            "crop_samples": self.crop_samples,
            "window": self.window,
            "n_fft": 512,
            "hop": 256,
            "n_mels": 96,
            "compression": "log10(10000 x + 1) of float16",
        }

    def from_analysis_rate(self, waveform: torch.Tensor) -> torch.Tensor:
        """The log-mel patches of waveforms already at 16 kHz: ``(batch, frames, 96)``."""
        power = self.mel(waveform).clamp(max=torch.finfo(torch.float16).max)
        return torch.log10(10_000 * power.half().float() + 1).transpose(-1, -2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.from_analysis_rate(self.resample(waveform))


def make_front_end(name: str, **options) -> nn.Module:
    """``"report_spectrogram"``, ``"log_mel"`` (options go to :class:`LogMel`) or ``"musicnn_mel"``."""
    if name == "report_spectrogram":
        if options:
            raise ValueError(f"report_spectrogram takes no options, got {sorted(options)}")
        return ReportSpectrogram()
    if name == "log_mel":
        return LogMel(**options)
    if name == "musicnn_mel":
        return MusicnnMel(**options)
    raise ValueError(f"unknown front-end {name!r}; use 'report_spectrogram', 'log_mel' or 'musicnn_mel'")


def white_noise(n: int, samples: int, level_dbfs: float, *, seed: int = 0) -> torch.Tensor:
    """``(n, samples)`` Gaussian white noise with RMS ``level_dbfs`` dB below full scale (seeded)."""
    generator = torch.Generator().manual_seed(seed)
    rms = 10.0 ** (level_dbfs / 20.0)
    return rms * torch.randn(n, samples, generator=generator)


def bernoulli_images(n: int, height: int, width: int, p: float = 0.2, *, seed: int = 0) -> torch.Tensor:
    """``(n, 3, height, width)`` images of independent Bernoulli(p) pixels (seeded).

    The report's code probed its model's bias with such an image fed straight
    to the ResNet, bypassing the spectrogram front-end.
    """
    generator = torch.Generator().manual_seed(seed)
    return torch.bernoulli(torch.full((n, 3, height, width), float(p)), generator=generator)
