"""Where the data come from: public homes, checksums, and getting them.

* Real MusicNet (Thickstun, Harchaoui & Kakade, ICLR 2017; CC BY 4.0):
  ``musicnet.tar.gz`` (about 11 GB) from Zenodo record 5120004,
  see :func:`install_musicnet` (``instrid data musicnet``).
* MusicNetEM (Maman & Bermano, ICML 2022; CC BY-NC-SA 4.0): re-aligned note
  labels as MIDI, the input of the offline synthetic dataset,
  see :func:`fetch_musicnet_em` and :mod:`instrid.data.synth`.
* FluidR3_GM (Frank Wen; MIT): the second General MIDI SoundFont of the
  synthetic dataset, 148 MB, from the release files of the GitHub project
  pianobooster/fluid-soundfont (the ``fluid-soundfont`` 3.1 source package of
  Debian and Ubuntu), see :func:`fetch_fluidr3_gm`.
* Freepats (Debian's ``freepats``; GPL-2+ with an exception for
  compositions), a sampled General MIDI set in GUS patch format that no model
  trains on, converted here to a SoundFont (:mod:`instrid.data.gus`), see
  :func:`fetch_converted_font`.
* The held-out SoundFonts that no model trains on (notebook 10), each taken
  out of the Debian package that installs it, see :func:`fetch_held_out_font`:
  sf_GMbank (Csound; public domain; 4 MB, package ``csound-soundfont``), a
  sampled bank, and OPL3_FM (``OPL-3_FM_128M.sf2``, Zandro Reveille; CC BY-SA
  4.0; 135 MB, package ``opl3-soundfont``), an FM synthesizer's timbre,
  unlike any sampled font.

Neither is ever committed to this repository. Offline (tests, CI), set
``$INSTRID_SEED_DIR`` to a folder holding verified copies.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from instrid.data import gus, musicnet
from instrid.data.download import cached, deb_member, deb_members, fetch, safe_extract, verify
from instrid.errors import ArchiveError, ChecksumError, DatasetError, DownloadError
from instrid.files import atomic_path, cache_dir, write_json_atomic

MUSICNET_URL = "https://zenodo.org/records/5120004/files/musicnet.tar.gz?download=1"
#: md5 of musicnet.tar.gz as published on Zenodo (reported by third parties;
#: no copy could be checked from here).
MUSICNET_MD5 = "844764911fa0d5b97c97da944a057590"

MUSICNET_EM_URL = "https://github.com/benadar293/benadar293.github.io/raw/main/musicnet_em.zip"
MUSICNET_EM_SHA256 = "13340a54ae8d4ec9239ea3f0652eb36346ce2e4b44354a090f727668dc3be5a6"

FLUIDR3_GM_URL = "https://github.com/pianobooster/fluid-soundfont/releases/download/v3.1/FluidR3_GM.sf2"
FLUIDR3_GM_SHA256 = "74594e8f4250680adf590507a306655a299935343583256f3b722c48a1bc1cb0"
#: What to do when FluidR3_GM cannot be downloaded or verified.
FLUIDR3_GM_ADVICE = (
    "Or give a local copy: instrid data synth --fonts TimGM6mb PATH/FluidR3_GM.sf2 (Debian and Ubuntu's "
    "fluid-soundfont-gm package installs it as /usr/share/sounds/sf2/FluidR3_GM.sf2)"
)


@dataclass(frozen=True)
class DebianFont:
    """A SoundFont that a Debian package installs: the package's addresses, and what to verify."""

    file: str  # its name in the download cache (and in a seed folder)
    sha256: str
    size: int
    package: str  # the .deb's file name
    package_sha256: str
    urls: tuple[str, ...]  # tried in order
    member: str  # its path inside the package
    advice: str  # how to go on without the download


# snapshot.debian.org is Debian's permanent archive, for when a release has moved on from the package; it
# does not resolve from the development machine, so those addresses are tested only over a loopback server.
_SNAPSHOT = "http://snapshot.debian.org/archive/debian/20250520T000000Z/pool/main"
#: The fonts no model of the study trains on (notebook 10 tests on them), by instrid's name. sf_GMbank, a
#: small sampled General MIDI bank shipped with Csound (public domain; also samples/sf_GMbank.sf2 of
#: Csound's sources), turned out to play most notes with TimGM6mb's very samples (instrid.data.font_overlap);
#: OPL3_FM renders General MIDI with an emulated OPL3 FM chip (CC BY-SA 4.0), a timbre unlike both.
HELD_OUT_FONTS = {
    "sf_GMbank": DebianFont(
        file="sf_GMbank.sf2",
        sha256="9f39fc53bd3a1a69f13cb486838944eded358b3b6e8afbd6c1c2c33675b2034b",
        size=4_191_916,
        package="csound-soundfont_6.18.1+dfsg-1_all.deb",
        package_sha256="0d05bec0cff2486f4537dd0236fece99f3565b62959717f82e975be8e0cf1393",
        urls=(
            "http://deb.debian.org/debian/pool/main/c/csound/csound-soundfont_6.18.1+dfsg-1_all.deb",
            f"{_SNAPSHOT}/c/csound/csound-soundfont_6.18.1%2Bdfsg-1_all.deb",
        ),
        member="usr/share/sounds/sf2/sf_GMbank.sf2",
        advice="Or give a local copy: --fonts PATH/sf_GMbank.sf2 (Debian and Ubuntu's csound-soundfont "
        "package installs it as /usr/share/sounds/sf2/sf_GMbank.sf2; Csound's sources hold it as "
        "samples/sf_GMbank.sf2)",
    ),
    "OPL3_FM": DebianFont(
        file="OPL-3_FM_128M.sf2",
        sha256="39bff96eee3dcfbce9665e3968701b894ca2136c7d0bd580281b2bbf59e80392",
        size=135_020_964,
        package="opl3-soundfont_1.0-4_all.deb",
        package_sha256="d0534cc07a536e1cfa05b1d0c0befb8586840c8d0e163ef24c536ca1bb5c9aff",
        urls=(
            "http://deb.debian.org/debian/pool/main/o/opl3-soundfont/opl3-soundfont_1.0-4_all.deb",
            f"{_SNAPSHOT}/o/opl3-soundfont/opl3-soundfont_1.0-4_all.deb",
        ),
        member="usr/share/sounds/sf2/OPL-3_FM_128M.sf2",
        advice="Or give a local copy: --fonts PATH/OPL-3_FM_128M.sf2 (Debian and Ubuntu's opl3-soundfont "
        "package installs it as /usr/share/sounds/sf2/OPL-3_FM_128M.sf2)",
    ),
}


@dataclass(frozen=True)
class DebianPatches:
    """A General MIDI set of GUS patches that a Debian package installs, converted to one SoundFont here.

    ``patches`` maps each General MIDI program (0-based) the study needs, and
    the set has, to its file in the package and that file's SHA-256;
    ``converted_sha256`` pins what :mod:`instrid.data.gus` makes of them (the
    conversion is deterministic; a change to it must change this digest).
    """

    file: str  # the converted SoundFont's name in the download cache
    converted_sha256: str
    package: str
    package_sha256: str
    size: int
    urls: tuple[str, ...]
    patches: dict  # program -> (member, sha256)
    advice: str


_FREEPATS = "usr/share/midi/freepats/Tone_000"
#: Freepats (Debian's freepats 20060219-4; GPL-2+ with an exception for compositions; upstream
#: https://freepats.zenvoid.org/): a sampled General MIDI set in GUS patch format, sharing no sample with the
#: training fonts. It has 9 of the 11 classes' programs: no viola (41) and no contrabass (43).
CONVERTED_FONTS = {
    "Freepats": DebianPatches(
        file="Freepats-gus1.sf2",
        converted_sha256="54cb0b4bfe827d5d3c4e4b709a5b1cc9e9d5cbd52e91011cb909b3362613e386",
        package="freepats_20060219-4_all.deb",
        package_sha256="1282628c7ec015f0d39a8b1ee58a2d942220bbad38173d005bbfbaaf36e1d6f1",
        size=25_089_504,
        urls=(
            "http://deb.debian.org/debian/pool/main/f/freepats/freepats_20060219-4_all.deb",
            f"{_SNAPSHOT}/f/freepats/freepats_20060219-4_all.deb",
        ),
        patches={
            0: (
                f"{_FREEPATS}/000_Acoustic_Grand_Piano.pat",
                "d2769247e01837946f9c7540d22e7e3e99cf49cf660f5efeaff58f0dbe73ea68",
            ),
            6: (
                f"{_FREEPATS}/006_Harpsichord.pat",
                "b74799d269f5a0a46fd703ef789e99cd3be1498a467afe6582ba9cdcb3a4f822",
            ),
            40: (
                f"{_FREEPATS}/040_Violin.pat",
                "65ce8cd8d6f5d6a64e9e1f935a9bf3f598a54cc14661dcc71713219e3c3875a1",
            ),
            42: (
                f"{_FREEPATS}/042_Cello.pat",
                "c11af44104cb7a152582cf49e131616ede3ba642d7a9f9210f00a1e8553d2d4b",
            ),
            60: (
                f"{_FREEPATS}/060_French_Horn.pat",
                "cf6bb03459af4d140cdb48bf3286ed506a6849995690c247e8fd782073f949d4",
            ),
            68: (
                f"{_FREEPATS}/068_Oboe.pat",
                "a988c7f7c4465e0772f6c2d8018feaf217769eb8455850cf048da715a2b2f2cc",
            ),
            70: (
                f"{_FREEPATS}/070_Bassoon.pat",
                "f9c93021e5b7d276213f6d912627011bc36082237134f6dec37be611ad26b5ac",
            ),
            71: (
                f"{_FREEPATS}/071_Clarinet.pat",
                "f611ac07ea45002208b09659b65b9fddb829e23eb556869a53025ef52d29053d",
            ),
            73: (
                f"{_FREEPATS}/073_Flute.pat",
                "f0d580d848fad8dd44e78c5c513ed7f1a5b311a2b6f7728152b4f59d3aa3bdf8",
            ),
        },
        advice="Or put a copy of freepats_20060219-4_all.deb (Debian's freepats package) in a folder "
        "named by $INSTRID_SEED_DIR",
    )
}

INSTALLED_MARKER = ".instrid-musicnet.json"
#: Left inside a tree instrid extracted, so that only such a tree is ever replaced.
EXTRACTED_MARKER = ".instrid-extracted"


def fetch_musicnet_em(*, url: str = MUSICNET_EM_URL, progress: bool = True) -> Path:
    """Path of the verified ``musicnet_em.zip`` in the download cache (fetched once)."""
    return fetch(
        url, cache_dir() / "downloads" / "musicnet_em.zip", sha256=MUSICNET_EM_SHA256, progress=progress
    )


def fetch_fluidr3_gm(*, sha256: str | None = None, url: str | None = None, progress: bool = True) -> Path:
    """Path of the verified ``FluidR3_GM.sf2`` in the download cache (fetched once, 148 MB).

    ``sha256`` accepts a copy with another digest (a host that republished the
    file). Every failure says how to go on without the download.
    """
    try:
        return fetch(
            url or FLUIDR3_GM_URL,
            cache_dir() / "downloads" / "FluidR3_GM.sf2",
            sha256=sha256 or FLUIDR3_GM_SHA256,
            progress=progress,
            accept_hint="instrid data synth --font-sha256 HASH",
        )
    except DownloadError as exc:
        raise DownloadError(f"{exc}. {FLUIDR3_GM_ADVICE}") from None
    except ChecksumError as exc:
        raise ChecksumError(f"{exc} {FLUIDR3_GM_ADVICE}") from None


def _font_from_package(font, sha256: str, urls, accept_hint: str, progress: bool, write) -> Path:
    """``font.file`` in the download cache, made once out of ``font``'s Debian package.

    The cached file (or a seed directory's copy) is taken when it matches
    ``sha256``; otherwise the package is fetched from the first of ``urls``
    that answers and verified, and ``write(package, path)`` makes the file
    at a temporary path, which is checked against ``sha256`` before it is
    renamed into place. Every failure says how to go on without the download
    (``font.advice``).
    """
    dest = cache_dir() / "downloads" / font.file
    try:
        if cached(dest, sha256=sha256):
            return dest
        failures = []
        for url in urls:
            try:
                package = fetch(
                    url,
                    dest.parent / font.package,
                    sha256=font.package_sha256,
                    progress=progress,
                    accept_hint=accept_hint,
                )
                break
            except DownloadError as exc:
                failures.append(str(exc))
        else:
            raise DownloadError("; ".join(failures))
        with atomic_path(dest) as tmp:
            write(package, tmp)
            verify(tmp, sha256=sha256)
    except DownloadError as exc:
        raise DownloadError(f"{exc}. {font.advice}") from None
    except (ChecksumError, ArchiveError) as exc:
        raise type(exc)(f"{exc} {font.advice}") from None
    return dest


def fetch_converted_font(name: str, *, urls=None, progress: bool = True) -> Path:
    """Path of the SoundFont made from the GUS patch set ``name`` (:data:`CONVERTED_FONTS`), in the cache.

    Made once: the Debian package is downloaded and verified (or taken from a
    seed directory), the patches the study needs are taken out of it in one
    pass and verified one by one, converted (:mod:`instrid.data.gus`), and the
    result checked against its pinned digest.
    """
    if name not in CONVERTED_FONTS:
        raise DatasetError(f"{name}: not a converted font (known: {', '.join(CONVERTED_FONTS)})")
    font = CONVERTED_FONTS[name]

    def convert(package, out: Path) -> None:
        with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
            paths = {member: Path(scratch) / Path(member).name for member, _ in font.patches.values()}
            deb_members(package, paths)
            for member, sha256 in font.patches.values():
                verify(paths[member], sha256=sha256)
            presets = {
                program: gus.read_patch(paths[member]) for program, (member, _) in font.patches.items()
            }
        out.write_bytes(gus.soundfont_bytes(presets, name))

    return _font_from_package(
        font, font.converted_sha256, urls or font.urls, "none for this file", progress, convert
    )


def fetch_held_out_font(name: str, *, urls=None, progress: bool = True) -> Path:
    """Path of the verified held-out SoundFont ``name`` (:data:`HELD_OUT_FONTS`) in the download cache.

    Fetched once: its Debian package is downloaded and verified (the first of
    ``urls``, default the font's own, that answers), the SoundFont written out
    of it and verified in turn. A seed directory may hold either file. Every
    failure says how to go on without the download.
    """
    if name not in HELD_OUT_FONTS:
        raise DatasetError(f"{name}: not a held-out font (known: {', '.join(HELD_OUT_FONTS)})")
    font = HELD_OUT_FONTS[name]
    return _font_from_package(
        font,
        font.sha256,
        urls or font.urls,
        "none for this file: give a local copy of the SoundFont instead",
        progress,
        lambda package, out: deb_member(package, font.member, out),
    )


def validate_tree(root, *, decode: bool = True, progress: bool = True) -> pd.DataFrame:
    """Index a MusicNet-format tree, read every label file and check every audio file; return the index.

    ``decode=True`` decodes all audio (finds corruption anywhere; about a
    minute for MusicNet's 34 hours); ``decode=False`` reads only each file's
    end (finds truncation; what ``instrid data info`` does). Raises
    :class:`~instrid.errors.DatasetError` at the first bad file.
    """
    dataset = musicnet.MusicNet(root)
    for row in tqdm(
        list(dataset.index.itertuples()), desc="check files", unit="rec", disable=not progress, leave=False
    ):
        dataset.labels(row.id)
        musicnet.check_audio(row.audio_path, int(row.n_samples), decode=decode)
    return dataset.index


def install_musicnet(
    root,
    *,
    url: str = MUSICNET_URL,
    md5: str | None = MUSICNET_MD5,
    keep_archive: bool = True,
    progress: bool = True,
) -> pd.DataFrame:
    """Download, verify, extract and index real MusicNet under ``root``.

    The archive goes to ``root/musicnet.tar.gz`` (resumable), the tree to
    ``root/musicnet/`` (``train_data/`` ... and the metadata CSV). A marker
    file is written last, so a tree without it was not completed; rerunning
    resumes the download or redoes the extraction.

    Parameters
    ----------
    md5 : str or None
        Expected md5 of the archive; None skips verification.

    Returns
    -------
    pandas.DataFrame
        The recording index (see :func:`instrid.data.musicnet.build_index`).
    """
    root = Path(root).expanduser()
    tree = root / "musicnet"
    if (root / INSTALLED_MARKER).exists():
        return validate_tree(tree, progress=progress)
    # Never delete a folder instrid did not make: only a tree carrying our own
    # mark (an earlier run stopped before its last step) may be replaced.
    if tree.exists() and not (tree / EXTRACTED_MARKER).exists():
        raise DatasetError(
            f"{tree}: already exists and was not made by instrid; check your copy with "
            f"`instrid data musicnet --from {tree}`, or move it away to download here"
        )
    archive = fetch(url, root / "musicnet.tar.gz", md5=md5, progress=progress)
    if tree.exists():
        shutil.rmtree(tree)
    staging = root / ".musicnet-extract"
    if staging.exists():
        shutil.rmtree(staging)
    safe_extract(archive, staging, progress=progress)
    found = musicnet.find_root(staging) if not (staging / "train_data").is_dir() else staging
    missing = [
        d for d in ("train_data", "train_labels", "test_data", "test_labels") if not (found / d).is_dir()
    ]
    if missing:
        shutil.rmtree(staging)
        raise DatasetError(f"{archive}: not a MusicNet archive, it lacks {missing}")
    (found / EXTRACTED_MARKER).write_text(f"extracted by instrid from {archive.name}\n")
    found.rename(tree)
    shutil.rmtree(staging, ignore_errors=True)
    if not (tree / musicnet.METADATA_NAME).exists():
        shutil.copyfile(musicnet.packaged_metadata_path(), tree / musicnet.METADATA_NAME)
    index = validate_tree(tree, progress=progress)
    write_json_atomic(root / INSTALLED_MARKER, {"url": url, "md5": md5, "recordings": len(index)})
    if not keep_archive:
        archive.unlink()
    return index
