"""Getting MusicNet: install from the archive or a copy, never losing a user's files (data.sources)."""

from __future__ import annotations

import pytest

from conftest import TINY, make_tree, one_line, run
from instrid.app import cli
from instrid.data import sources
from instrid.errors import InstridError


def test_an_existing_copy_is_never_deleted(tmp_path, capsys):
    mine = make_tree(tmp_path / "mn" / "musicnet", TINY)
    before = sorted(p.relative_to(mine) for p in mine.rglob("*"))
    code, err = run(
        capsys, "data", "musicnet", "--root", str(tmp_path / "mn"), "--url", "http://127.0.0.1:9/x", "--quiet"
    )
    assert code == 2 and "already exists and was not made by instrid" in one_line(err)
    assert "--from" in err and sorted(p.relative_to(mine) for p in mine.rglob("*")) == before


def test_install_replaces_only_its_own_interrupted_tree(tmp_path, monkeypatch):
    ours = make_tree(tmp_path / "mn" / "musicnet", TINY)
    (ours / sources.EXTRACTED_MARKER).write_text("extracted by instrid\n")
    # Our mark, no completion marker: an interrupted earlier run, which may be redone (here up to download).
    monkeypatch.setattr(sources, "fetch", lambda *a, **k: (_ for _ in ()).throw(InstridError("no network")))
    with pytest.raises(InstridError, match="no network"):
        sources.install_musicnet(tmp_path / "mn", progress=False)


def test_from_existing_copy(tmp_path, capsys):
    make_tree(tmp_path / "kaggle", TINY, nested="musicnet/musicnet")
    assert cli.main(["data", "musicnet", "--from", str(tmp_path / "kaggle"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "train    2 recordings" in out and "test     1 recordings" in out


def test_from_existing_copy_with_bad_labels(tmp_path, capsys):
    tree = make_tree(tmp_path / "copy", TINY)
    (tree / "train_labels" / "1728.csv").write_text("start_time,end_time\n1,2\n")
    assert cli.main(["data", "musicnet", "--from", str(tmp_path / "copy"), "--quiet"]) == 2
    assert "1728.csv: missing column(s) ['instrument', 'note'" in capsys.readouterr().err
