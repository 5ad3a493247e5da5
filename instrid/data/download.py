"""Downloads that resume and verify, and archive extraction that cannot escape.

Used by ``instrid data musicnet`` (the 11 GB MusicNet archive from Zenodo) and
``instrid data synth`` (the 3 MB MusicNetEM label archive).

* :func:`fetch` downloads into ``<dest>.part`` with a progress bar, resumes an
  interrupted download with an HTTP ``Range`` request, verifies the published
  checksum and only then renames the file to ``dest``. A file already in place
  is re-verified, not downloaded again. Before going to the network it looks
  for a verified copy in the seed directories (``$INSTRID_SEED_DIR``), which is
  how tests and CI run offline.
* :func:`safe_extract` extracts a tar archive into a temporary folder beside
  the destination, refusing absolute paths, ``..``, links that leave the tree
  and device files, and renames the result into place only when complete.
"""

from __future__ import annotations

import errno
import gzip
import http.client
import io
import os
import shutil
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from instrid.errors import ArchiveError, ChecksumError, DownloadError, InstridError  # noqa: F401 (DownloadError: re-exported)
from instrid.files import atomic_path, file_digest

SEED_ENV = "INSTRID_SEED_DIR"
USER_AGENT = "instrid (+https://github.com/instrid)"


def seed_dirs() -> list[Path]:
    """Folders named by ``$INSTRID_SEED_DIR`` (``os.pathsep``-separated)."""
    value = os.environ.get(SEED_ENV, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p]


def verify(path, *, sha256: str | None = None, md5: str | None = None) -> None:
    """Check a file against its expected digest(s).

    Raises
    ------
    ChecksumError
        Naming the file, the expected and the actual digest.
    """
    for algorithm, expected in (("sha256", sha256), ("md5", md5)):
        if expected is None:
            continue
        actual = file_digest(path, algorithm)
        if actual.lower() != expected.lower():
            raise ChecksumError(f"{path}: {algorithm} mismatch: expected {expected.lower()}, got {actual}")


def cached(dest, *, sha256: str | None = None, md5: str | None = None) -> bool:
    """Whether ``dest`` holds its verified file, placing a seed directory's copy there first if it has one.

    Raises
    ------
    ChecksumError
        ``dest``, or the seed directory's copy, does not match.
    """
    dest = Path(dest)
    if dest.exists():
        verify(dest, sha256=sha256, md5=md5)
        return True
    for seed in seed_dirs():
        candidate = seed / dest.name
        if candidate.is_file():
            verify(candidate, sha256=sha256, md5=md5)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:  # a hard link is made whole or not at all, and costs nothing for a large file
                os.link(candidate, dest)
            except OSError:  # another file system, or links not allowed
                with atomic_path(dest) as tmp:
                    shutil.copyfile(candidate, tmp)
            return True
    return False


def deb_member(package, member: str, out) -> None:
    """Write the file ``member`` of the Debian package ``package`` (a ``.deb``) to ``out``.

    A ``.deb`` is an ``ar`` archive whose ``data.tar.*`` member holds the
    installed files (Debian policy, deb(5)); ``member`` is a path in it such as
    ``usr/share/sounds/sf2/sf_GMbank.sf2``.

    Raises
    ------
    ArchiveError
        Not an ``ar`` archive, truncated, no data member, or ``member`` missing.
    """
    deb_members(package, {member: out})


def deb_members(package, members: dict) -> None:
    """Write each file ``member`` of the Debian package ``package`` to ``members[member]``, in one pass.

    Raises
    ------
    ArchiveError
        As :func:`deb_member`; a missing member is named.
    """
    package = Path(package)
    with open(package, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise ArchiveError(f"{package}: not a Debian package (no ar archive header)")
        while header := f.read(60):
            if len(header) < 60 or header[58:60] != b"`\n":
                raise ArchiveError(f"{package}: corrupt or truncated Debian package")
            name, size = header[:16].decode("ascii", "replace").strip().rstrip("/"), int(header[48:58])
            if not name.startswith("data.tar"):
                f.seek(size + size % 2, os.SEEK_CUR)
                continue
            body = f.read(size)
            if len(body) < size:
                raise ArchiveError(f"{package}: truncated Debian package ({name} is cut short)")
            try:
                with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
                    found = {
                        m.name.lstrip("./"): m for m in tar if m.isfile() and m.name.lstrip("./") in members
                    }
                    missing = [member for member in members if member not in found]
                    if missing:
                        raise ArchiveError(f"{package}: the package holds no {', '.join(missing)}")
                    for member, out in members.items():
                        with tar.extractfile(found[member]) as source, open(out, "wb") as target:
                            shutil.copyfileobj(source, target)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise ArchiveError(f"{package}: corrupt or truncated {name}: {exc}") from exc
            return
    raise ArchiveError(f"{package}: not a Debian package (no data.tar member)")


def fetch(
    url: str,
    dest,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    retries: int = 3,
    timeout_s: float = 60.0,
    chunk_bytes: int = 1 << 20,
    progress: bool = True,
    accept_hint: str = "instrid data musicnet --md5 HASH",
) -> Path:
    """Download ``url`` to ``dest``, resuming and verifying; return ``dest``.

    Parameters
    ----------
    url : str
        HTTP(S) address of the file.
    dest : path-like
        Where the verified file ends up.
    sha256, md5 : str, optional
        Published digest(s); with neither, the file is not verified.
    retries : int
        Further attempts after a connection is cut off; each resumes where the
        last one stopped.
    accept_hint : str
        The command option that accepts a copy with another digest, named in
        the checksum error.

    Raises
    ------
    ChecksumError
        The complete download does not match. It is kept as ``<dest>.part``
        (so that an 11 GB file is not fetched again to inspect or accept it);
        the message says how to retry or to accept it.
    DownloadError
        The server refused or the connection failed ``retries + 1`` times; the
        partial file is kept and the next call resumes it.
    """
    dest = Path(dest)
    if cached(dest, sha256=sha256, md5=md5):
        return dest

    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            _download_once(url, part, timeout_s=timeout_s, chunk_bytes=chunk_bytes, progress=progress)
            break
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            if isinstance(exc, urllib.error.HTTPError) and exc.code < 500 and exc.code != 416:
                raise DownloadError(f"{url}: server answered {exc.code} {exc.reason}") from exc
            have = part.stat().st_size if part.exists() else 0
            if attempt == retries:
                raise DownloadError(
                    f"{url}: download to {part} failed after {retries + 1} attempt(s) "
                    f"with {have} bytes received ({exc}); run the same command again to resume"
                ) from exc
            time.sleep(min(2.0**attempt, 30.0) * 0.1)
    try:
        verify(part, sha256=sha256, md5=md5)
    except ChecksumError as exc:
        raise ChecksumError(
            f"{exc}. The download is kept as {part}: delete it and run again to download afresh, "
            "or, if you trust this copy (for example the host republished the file), "
            f"pass its digest instead of the published one ({accept_hint})"
            + (" or skip verification (--no-verify)." if "musicnet" in accept_hint else ".")
        ) from None
    os.replace(part, dest)
    return dest


def _download_once(url: str, part: Path, *, timeout_s: float, chunk_bytes: int, progress: bool) -> None:
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Nothing left to fetch: the part file is already complete.
            return
        raise
    with response:
        if offset and response.status == 206:
            content_range = response.headers.get("Content-Range", "")
            if not content_range.startswith(f"bytes {offset}-"):
                raise DownloadError(f"{url}: server resumed at the wrong place ({content_range!r})")
            total = int(content_range.rsplit("/", 1)[-1]) if "/" in content_range else None
            mode = "ab"
        else:
            # The server ignored the Range header: start over.
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
        with (
            open(part, mode) as out,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=part.name.removesuffix(".part"),
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            while chunk := response.read(chunk_bytes):
                out.write(chunk)
                bar.update(len(chunk))
    received = part.stat().st_size
    if total is not None and received != total:
        raise http.client.IncompleteRead(b"", total - received)


def safe_extract(archive, dest, *, progress: bool = True) -> Path:
    """Extract a tar archive to the new folder ``dest``, safely and atomically.

    Members are checked with the standard library's ``data`` filter (PEP 706):
    absolute paths, ``..``, links leaving the tree and special files are
    refused. Extraction goes to ``<dest>.extracting`` and is renamed to
    ``dest`` only when complete, so an interrupted run never leaves a tree
    that looks finished; a stale ``.extracting`` folder is removed first.

    Raises
    ------
    ArchiveError
        Unsafe member (nothing is left behind) or a corrupt archive.
    FileExistsError
        ``dest`` exists already.
    """
    archive, dest = Path(archive), Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest}: already exists; remove it to extract {archive} again")
    if not hasattr(tarfile, "data_filter"):
        raise InstridError("safe extraction needs Python >= 3.10.12 / 3.11.4 (tarfile filters)")
    staging = dest.with_name(dest.name + ".extracting")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        with (
            open(archive, "rb") as raw,
            tqdm.wrapattr(
                raw,
                "read",
                total=archive.stat().st_size,
                desc=f"extract {archive.name}",
                disable=not progress,
                leave=False,
            ) as counted,
        ):
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            # tarfile's own stream decompression never checks gzip's CRC; the gzip
            # module does, once the stream is read to its end (drained below).
            stream = gzip.GzipFile(fileobj=counted, mode="rb") if gzipped else counted
            with tarfile.open(fileobj=stream, mode="r|" if gzipped else "r|*") as tar:
                for member in tar:
                    # The data filter would quietly strip a leading "/"; an archive
                    # that asks for one is not what we expect, so refuse it.
                    if member.name.startswith("/") or ".." in Path(member.name).parts:
                        raise tarfile.FilterError(f"{member.name!r} points outside the destination")
                    tar.extract(member, staging, filter="data")
            while gzipped and stream.read(1 << 20):
                pass
    except tarfile.FilterError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ArchiveError(f"{archive}: refused unsafe member: {exc}") from exc
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise InstridError(
                f"{dest}: no space left on the device while extracting {archive}; "
                "free some space and run the same command again"
            ) from exc
        raise ArchiveError(f"{archive}: corrupt or truncated archive: {exc}") from exc
    except (tarfile.TarError, EOFError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ArchiveError(f"{archive}: corrupt or truncated archive: {exc}") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.replace(staging, dest)
    return dest
