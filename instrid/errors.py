"""Exceptions raised by instrid: one family, caught once in the CLI.

Every message names the file and the problem.
"""


class InstridError(Exception):
    """Base class of instrid's errors: the CLI prints the message on one line and exits 2."""


class DatasetError(InstridError, ValueError):
    """A dataset file is missing, truncated or malformed."""


class ChecksumError(InstridError):
    """A downloaded file does not match its published checksum."""


class ArchiveError(InstridError):
    """An archive is unsafe (path traversal, links, devices) or malformed."""


class DownloadError(InstridError):
    """A download failed or was cut off (the partial file is kept to resume)."""


class ModelError(InstridError):
    """A model file is missing, not an instrid model, or does not fit this instrid."""


class UsageError(InstridError):
    """A command-line value is out of range or would overwrite an input."""


class NotebookError(InstridError):
    """A study notebook failed in one of its cells."""
