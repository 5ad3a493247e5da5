"""Exceptions raised by instrid. Every message names the file and the problem."""


class InstridError(Exception):
    """Base class of instrid's errors."""


class DatasetError(InstridError, ValueError):
    """A dataset file is missing, truncated or malformed."""


class ChecksumError(InstridError):
    """A downloaded file does not match its published checksum."""


class ArchiveError(InstridError):
    """An archive is unsafe (path traversal, links, devices) or malformed."""
