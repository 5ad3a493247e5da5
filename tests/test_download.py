"""Downloads over a loopback HTTP server: resume, checksums, safe extraction, MusicNet install."""

from __future__ import annotations

import dataclasses
import errno
import gzip
import hashlib
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from conftest import TINY, make_tar, make_tree
from instrid.app import cli
from instrid.data import sources, synth
from instrid.data.download import DownloadError, fetch, safe_extract
from instrid.errors import ArchiveError, ChecksumError, DatasetError, InstridError


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves server.files; honours Range unless server.ignore_range; cuts
    the first server.cut_after bytes-responses short to mimic a dropped line."""

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        server = self.server
        server.requests.append(dict(self.headers))
        body = server.files.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        start = 0
        range_header = self.headers.get("Range")
        if range_header and not server.ignore_range:
            start = int(range_header.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        if server.cuts_left > 0:
            server.cuts_left -= 1
            payload = payload[: server.cut_after]
        self.wfile.write(payload)
        self.wfile.flush()
        self.close_connection = True


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.requests = {}, []
    httpd.ignore_range, httpd.cuts_left, httpd.cut_after = False, 0, 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_seed(monkeypatch):
    monkeypatch.setenv("INSTRID_SEED_DIR", "")


PAYLOAD = bytes(range(256)) * 4000  # 1 MB
SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_and_verify(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    dest = fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "f.bin.part").exists()
    # In place and verified: no second request.
    fetch(server.url + "/f.bin", dest, sha256=SHA, progress=False)
    assert len(server.requests) == 1


def test_cut_off_download_resumes_with_range(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.cuts_left, server.cut_after = 1, 300_000
    with pytest.raises(DownloadError, match=r"300000 bytes received.*run the same command again to resume"):
        fetch(
            server.url + "/f.bin",
            tmp_path / "f.bin",
            sha256=SHA,
            retries=0,
            chunk_bytes=65536,
            progress=False,
        )
    part = tmp_path / "f.bin.part"
    assert part.stat().st_size == 300_000 and not (tmp_path / "f.bin").exists()
    dest = fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, retries=0, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests[-1]["Range"] == "bytes=300000-"


def test_retries_resume_by_themselves(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.cuts_left, server.cut_after = 2, 250_000
    dest = fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, retries=3, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert [r.get("Range") for r in server.requests] == [None, "bytes=250000-", "bytes=500000-"]


def test_complete_part_file_is_verified_not_refetched(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD  # the server answered 416


def test_server_ignoring_range_restarts(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.ignore_range = True
    (tmp_path / "f.bin.part").write_bytes(b"stale bytes")
    dest = fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_corrupted_download_is_rejected(server, tmp_path):
    corrupted = bytearray(PAYLOAD)
    corrupted[500_000] ^= 0xFF
    server.files["/f.bin"] = bytes(corrupted)
    with pytest.raises(ChecksumError, match=rf"f\.bin\.part: sha256 mismatch: expected {SHA}") as info:
        fetch(server.url + "/f.bin", tmp_path / "f.bin", sha256=SHA, progress=False)
    assert "delete it and run again" in str(info.value)
    assert not (tmp_path / "f.bin").exists()


def test_http_error_is_clear(server, tmp_path):
    with pytest.raises(DownloadError, match="server answered 404"):
        fetch(server.url + "/missing", tmp_path / "m", progress=False)


def test_seed_folder_is_used_and_checked(tmp_path, monkeypatch):
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "f.bin").write_bytes(PAYLOAD)
    monkeypatch.setenv("INSTRID_SEED_DIR", str(seed))
    dest = fetch("http://127.0.0.1:9/unreachable", tmp_path / "cache" / "f.bin", sha256=SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    (seed / "g.bin").write_bytes(b"tampered")
    with pytest.raises(ChecksumError, match=r"seed/g\.bin: sha256 mismatch"):
        fetch("http://127.0.0.1:9/unreachable", tmp_path / "cache" / "g.bin", sha256=SHA, progress=False)


# ---- extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "members, links",
    [
        ({"ok.txt": b"1", "../evil.txt": b"x"}, None),
        ({"/etc/evil.txt": b"x"}, None),
        ({"ok.txt": b"1"}, {"link": "../../outside"}),
    ],
    ids=["dotdot", "absolute", "symlink-out"],
)
def test_unsafe_archives_are_refused_and_leave_nothing(tmp_path, members, links):
    archive = make_tar(tmp_path / "a.tar.gz", members, links)
    with pytest.raises(ArchiveError, match=r"a\.tar\.gz: refused unsafe member"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.extracting").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_truncated_archive_is_an_error(tmp_path):
    archive = make_tar(tmp_path / "a.tar.gz", {"big.bin": PAYLOAD})
    archive.write_bytes(archive.read_bytes()[:2000])
    with pytest.raises(ArchiveError, match="corrupt or truncated"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


# ---- real MusicNet's path, end to end on a small archive of the same layout ----------------


@pytest.fixture
def musicnet_archive(tmp_path) -> bytes:
    tree = make_tree(tmp_path / "src", TINY, nested="musicnet")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(tree, arcname="musicnet")
    return buffer.getvalue()


def test_install_musicnet_over_loopback(server, tmp_path, musicnet_archive):
    server.files["/musicnet.tar.gz"] = musicnet_archive
    server.cuts_left, server.cut_after = 1, len(musicnet_archive) // 2
    md5 = hashlib.md5(musicnet_archive).hexdigest()
    index = sources.install_musicnet(
        tmp_path / "mn", url=server.url + "/musicnet.tar.gz", md5=md5, progress=False
    )
    assert index["id"].tolist() == [1727, 1728, 1759]
    assert (tmp_path / "mn" / "musicnet" / "musicnet_metadata.csv").exists()
    assert (tmp_path / "mn" / sources.INSTALLED_MARKER).exists()
    assert server.requests[1]["Range"] == f"bytes={len(musicnet_archive) // 2}-"
    # Installed: a second call checks the tree without the network.
    server.shutdown()
    assert len(sources.install_musicnet(tmp_path / "mn", url="http://127.0.0.1:9/x", progress=False)) == 3


def test_install_musicnet_rejects_bad_checksum_via_cli(server, tmp_path, musicnet_archive, capsys):
    server.files["/musicnet.tar.gz"] = musicnet_archive
    code = cli.main(
        [
            "data",
            "musicnet",
            "--root",
            str(tmp_path / "mn"),
            "--url",
            server.url + "/musicnet.tar.gz",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"musicnet.tar.gz.part: md5 mismatch: expected {sources.MUSICNET_MD5}" in err
    assert "--md5 HASH" in err and "--no-verify" in err
    assert not (tmp_path / "mn" / "musicnet").exists()
    # The user accepts this copy: no new download, the part file is used.
    md5 = hashlib.md5(musicnet_archive).hexdigest()
    assert (
        cli.main(
            [
                "data",
                "musicnet",
                "--root",
                str(tmp_path / "mn"),
                "--url",
                server.url + "/musicnet.tar.gz",
                "--md5",
                md5,
                "--quiet",
            ]
        )
        == 0
    )
    assert "MusicNet-format tree OK" in capsys.readouterr().out


def test_archive_without_musicnet_layout(server, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("musicnet/train_data/readme.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    server.files["/m.tar.gz"] = buffer.getvalue()
    with pytest.raises(DatasetError, match=r"not a MusicNet archive, it lacks \['train_labels'"):
        sources.install_musicnet(tmp_path / "mn", url=server.url + "/m.tar.gz", md5=None, progress=False)


def test_a_flipped_bit_in_the_gzip_stream_is_found_without_a_checksum(tmp_path):
    body = np.random.default_rng(0).integers(0, 255, 200_000, dtype=np.uint8).tobytes()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("musicnet/train_data/x.bin")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    packed = bytearray(gzip.compress(buffer.getvalue(), mtime=0))
    packed[-6] ^= 0x01  # inside the CRC32 trailer: every member decompresses, only the CRC can tell
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(bytes(packed))
    with pytest.raises(ArchiveError, match="corrupt or truncated archive"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    archive.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    assert (
        safe_extract(archive, tmp_path / "ok", progress=False) / "musicnet" / "train_data" / "x.bin"
    ).exists()


def test_disk_full_during_extraction_is_named_as_such(tmp_path, monkeypatch):
    archive = make_tar(tmp_path / "a.tar.gz", {"f.txt": b"hi"})

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "extract", full)
    with pytest.raises(InstridError, match="no space left on the device while extracting"):
        safe_extract(archive, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.extracting").exists()


# ---- the second SoundFont: FluidR3_GM ------------------------------------------------------


def test_fluidr3_gm_from_the_offline_copy_is_verified_and_linked_not_copied(monkeypatch):
    seed = sources.Path(__file__).resolve().parents[2] / "shared" / "data"
    if not (seed / "FluidR3_GM.sf2").is_file():
        pytest.skip("no offline copy of FluidR3_GM.sf2 beside the repository")
    monkeypatch.setenv("INSTRID_SEED_DIR", str(seed))
    before = (seed / "FluidR3_GM.sf2").stat()
    path = sources.fetch_fluidr3_gm(progress=False)
    assert path.stat().st_size == 148_398_306 and path.parent.name == "downloads"
    after = (seed / "FluidR3_GM.sf2").stat()
    assert (after.st_mode, after.st_mtime_ns) == (before.st_mode, before.st_mtime_ns)  # the copy is untouched
    assert sources.fetch_fluidr3_gm(progress=False) == path  # the second call finds it in the cache


@pytest.mark.parametrize("served", ["another file", "cut short"])
def test_a_fluidr3_gm_download_that_does_not_match_says_what_to_do(server, capsys, served):
    body = b"RIFF" + bytes(5000) if served == "another file" else b"RIFF" + bytes(100)
    server.files["/FluidR3_GM.sf2"] = body
    with pytest.raises(ChecksumError) as failure:
        sources.fetch_fluidr3_gm(url=server.url + "/FluidR3_GM.sf2", progress=False)
    message = str(failure.value)
    assert "FluidR3_GM.sf2.part: sha256 mismatch: expected 74594e8f" in message
    assert "--font-sha256 HASH" in message and "--fonts TimGM6mb PATH/FluidR3_GM.sf2" in message
    assert "--no-verify" not in message
    # Accepting that copy on purpose, with its digest, works.
    path = sources.fetch_fluidr3_gm(
        url=server.url + "/FluidR3_GM.sf2", sha256=hashlib.sha256(body).hexdigest(), progress=False
    )
    assert path.read_bytes() == body


def test_an_unreachable_fluidr3_gm_host_names_the_way_around_it(capsys, monkeypatch):
    monkeypatch.setattr(
        sources, "FLUIDR3_GM_URL", "http://127.0.0.1:9/FluidR3_GM.sf2"
    )  # nothing listens there
    with pytest.raises(
        DownloadError, match=r"Or give a local copy: instrid data synth --fonts TimGM6mb PATH"
    ):
        sources.fetch_fluidr3_gm(url="http://127.0.0.1:9/FluidR3_GM.sf2", progress=False)
    code = cli.main(["data", "synth", "--root", "/nonexistent/x", "--fonts", "FluidR3_GM", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "FluidR3_GM.sf2" in err[0] and "--fonts TimGM6mb PATH" in err[0]


# ---- the held-out SoundFonts, each inside the Debian package that installs it ------------------

FONT = b"RIFF" + bytes(range(256)) * 64  # stands in for the held-out font


def deb(members: dict[str, bytes], data_members: dict[str, bytes] | None = None) -> bytes:
    """A Debian package (an ar archive) whose data.tar.xz holds ``data_members``."""
    if data_members is not None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
            for name, body in data_members.items():
                info = tarfile.TarInfo("./" + name)
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
        members = {**members, "data.tar.xz": buffer.getvalue()}
    out = b"!<arch>\n"
    for name, body in members.items():
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(body):<10}".encode() + b"`\n"
        out += body + (b"\n" if len(body) % 2 else b"")
    return out


@pytest.fixture(params=sources.HELD_OUT_FONTS)
def held_out(request, server, monkeypatch):
    """``(name, font, package)``: the package served, its and the font's digests in place of the published."""
    name = request.param
    font = sources.HELD_OUT_FONTS[name]
    package = deb({"debian-binary": b"2.0\n"}, {font.member: FONT, "usr/share/doc/x": b"doc"})
    font = dataclasses.replace(
        font,
        sha256=hashlib.sha256(FONT).hexdigest(),
        size=len(FONT),
        package_sha256=hashlib.sha256(package).hexdigest(),
    )
    monkeypatch.setitem(sources.HELD_OUT_FONTS, name, font)
    server.files["/pool/font.deb"] = package
    return name, font, package


def test_a_held_out_font_is_taken_out_of_the_verified_package_once(server, held_out, tmp_path):
    name, font, _ = held_out
    unreachable = "http://127.0.0.1:9/font.deb"  # nothing listens: the next address is tried
    path = sources.fetch_held_out_font(
        name, urls=(unreachable, server.url + "/pool/font.deb"), progress=False
    )
    assert path.read_bytes() == FONT and path.name == font.file
    served = len(server.requests)
    assert sources.fetch_held_out_font(name, urls=(unreachable,), progress=False) == path  # from the cache
    assert len(server.requests) == served
    # A local copy is recognised by its content, wherever it lies and whatever its name.
    (tmp_path / "mine.sf2").write_bytes(FONT)
    assert synth.resolve_font(str(tmp_path / "mine.sf2"))[0] == name
    assert synth.resolve_font(name, progress=False) == (name, path)


def test_a_held_out_font_from_a_seed_folder_holding_only_the_font(held_out, tmp_path, monkeypatch):
    name, font, _ = held_out
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / font.file).write_bytes(FONT)
    monkeypatch.setenv("INSTRID_SEED_DIR", str(tmp_path / "seed"))
    got = sources.fetch_held_out_font(name, urls=("http://127.0.0.1:9/x.deb",), progress=False)
    assert got.read_bytes() == FONT


def test_the_held_out_fonts_are_known_by_name_only():
    # The names make data and the notebooks pass.
    assert synth.HELD_OUT_FONTS == ("sf_GMbank", "OPL3_FM", "Freepats")
    with pytest.raises(DatasetError, match="not a held-out font"):
        sources.fetch_held_out_font("TimGM6mb", progress=False)


@pytest.mark.parametrize(
    "package, error, says",
    [
        (b"!<arch>\nnot a package at all", ChecksumError, "sha256 mismatch: expected"),
        ("cut", ArchiveError, "truncated"),
        ("no font", ArchiveError, "the package holds no usr/share/sounds/sf2/"),
        ("other font", ChecksumError, ".sf2"),
        (b"PK\x03\x04 a zip, not a deb", ArchiveError, "not a Debian package"),
    ],
)
def test_a_bad_held_out_package_says_what_to_do_and_leaves_no_font(
    server, held_out, monkeypatch, package, error, says
):
    name, font, served = held_out
    if package == "cut":
        package = served[: len(served) - 300]
    elif package == "no font":
        package = deb({"debian-binary": b"2.0\n"}, {"usr/share/doc/x": b"doc"})
    elif package == "other font":
        package = deb({"debian-binary": b"2.0\n"}, {font.member: FONT[::-1]})
    if not package.startswith(b"!<arch>\nnot"):
        # Only the first case tests the package's own checksum; the others pass it to reach the contents.
        font = dataclasses.replace(font, package_sha256=hashlib.sha256(package).hexdigest())
        monkeypatch.setitem(sources.HELD_OUT_FONTS, name, font)
    server.files["/pool/font.deb"] = package
    with pytest.raises(error) as failure:
        sources.fetch_held_out_font(name, urls=(server.url + "/pool/font.deb",), progress=False)
    message = str(failure.value)
    assert says in message and f"Or give a local copy: --fonts PATH/{font.file}" in message
    downloads = sources.cache_dir() / "downloads"
    assert not (downloads / font.file).exists()
    assert not [p for p in downloads.iterdir() if p.name.startswith(f".{font.file}")]  # no half-written font


@pytest.mark.parametrize("name", sources.HELD_OUT_FONTS)
def test_an_unreachable_held_out_font_host_is_one_line_and_exit_2(capsys, monkeypatch, name):
    font = sources.HELD_OUT_FONTS[name]
    urls = ("http://127.0.0.1:9/a.deb", "http://127.0.0.1:9/b.deb")
    monkeypatch.setitem(sources.HELD_OUT_FONTS, name, dataclasses.replace(font, urls=urls))
    code = cli.main(["data", "synth", "--root", "/nonexistent/x", "--fonts", name, "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "127.0.0.1:9/a.deb" in err[0] and "127.0.0.1:9/b.deb" in err[0] and f"PATH/{font.file}" in err[0]


# ---- a GUS patch set inside its Debian package, converted to a SoundFont -------------------------------


@pytest.fixture
def patch_set(server, monkeypatch):
    """``(font, package)``: Freepats' entry pointing at a served package of two hand-made patches."""
    from test_gus import patch_bytes, sample_bytes, sine

    from instrid.data import gus

    blobs = {0: patch_bytes(sample_bytes(sine(0.2))), 40: patch_bytes(sample_bytes(sine(0.2, 220.0)))}
    members = {program: f"usr/share/midi/freepats/Tone_000/{program:03d}.pat" for program in blobs}
    package = deb({"debian-binary": b"2.0\n"}, {members[p]: blobs[p] for p in blobs})
    converted = gus.soundfont_bytes({p: gus.read_patch(b) for p, b in blobs.items()}, "Freepats")
    font = dataclasses.replace(
        sources.CONVERTED_FONTS["Freepats"],
        converted_sha256=hashlib.sha256(converted).hexdigest(),
        package_sha256=hashlib.sha256(package).hexdigest(),
        patches={p: (members[p], hashlib.sha256(blobs[p]).hexdigest()) for p in blobs},
    )
    monkeypatch.setitem(sources.CONVERTED_FONTS, "Freepats", font)
    server.files["/pool/freepats.deb"] = package
    return font, converted


def test_a_patch_set_is_converted_once_from_its_verified_package(server, patch_set, tmp_path):
    font, converted = patch_set
    path = sources.fetch_converted_font("Freepats", urls=(server.url + "/pool/freepats.deb",), progress=False)
    assert path.read_bytes() == converted and path.name == font.file
    served = len(server.requests)
    assert (
        sources.fetch_converted_font("Freepats", urls=("http://127.0.0.1:9/x.deb",), progress=False) == path
    )
    assert len(server.requests) == served  # from the cache
    (tmp_path / "mine.sf2").write_bytes(converted)
    assert synth.resolve_font(str(tmp_path / "mine.sf2"))[0] == "Freepats"  # known by its content
    assert synth.font_coverage(str(path)) == {1, 41}  # piano and violin: the programs it was given


@pytest.mark.parametrize("fault", ["a patch changed", "a patch missing"])
def test_a_bad_patch_set_package_leaves_no_font(server, patch_set, monkeypatch, fault):
    font, _ = patch_set
    first, _ = font.patches[0]
    blobs = {first: b"GF1PATCH110\x00 changed"} if fault == "a patch changed" else {}
    package = deb({"debian-binary": b"2.0\n"}, {**blobs, font.patches[40][0]: b"x"})
    monkeypatch.setitem(
        sources.CONVERTED_FONTS,
        "Freepats",
        dataclasses.replace(font, package_sha256=hashlib.sha256(package).hexdigest()),
    )
    server.files["/pool/freepats.deb"] = package
    error, says = (
        (ChecksumError, "sha256 mismatch") if blobs else (ArchiveError, f"the package holds no {first}")
    )
    with pytest.raises(error, match=says) as failure:
        sources.fetch_converted_font("Freepats", urls=(server.url + "/pool/freepats.deb",), progress=False)
    assert "freepats_20060219-4_all.deb (Debian's freepats package)" in str(failure.value)
    downloads = sources.cache_dir() / "downloads"
    assert not (downloads / font.file).exists()
    assert not [p for p in downloads.iterdir() if p.name.startswith(".") or p.is_dir()]
