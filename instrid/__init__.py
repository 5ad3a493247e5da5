"""instrid: a reproducible study of multi-instrument identification in music."""

__version__ = "0.1.0"
