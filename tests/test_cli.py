"""The command line (instrid.app.cli): signals, errors, summaries."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from conftest import make_tree, one_line, run
from instrid.app import cli


def busy_tree(root):
    """Three recordings (train, validation, test in the committed splits) with a note every 50 ms."""

    def notes(seconds, code):
        step = 2205
        return [
            (i * step, (i + 1) * step, code if i % 3 else 1, 60 + i % 12)
            for i in range(int(seconds * 20) - 1)
        ]

    return make_tree(
        root,
        {
            2238: ("train", 20.0, notes(20.0, 41)),
            2232: ("train", 20.0, notes(20.0, 42)),
            1759: ("test", 20.0, notes(20.0, 43)),
        },
    )


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGTERM"), reason="POSIX signals")
def test_sigterm_during_train_leaves_nothing_half_written_and_a_rerun_gives_the_same_model(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import torch

    tree = busy_tree(tmp_path / "tree")
    command = [
        sys.executable,
        "-m",
        "instrid.app.cli",
        "train",
        "--root",
        str(tree),
        "--backbone",
        "resnet18",
        "--weights",
        "none",
        "--epochs",
        "1",
        "--backbone-epochs",
        "0",
        "--train-examples",
        "200",
        "--validation-examples",
        "150",
        "--test-examples",
        "150",
        "--quiet",
    ]
    env = {
        **os.environ,
        "INSTRID_CACHE": str(tmp_path / "cache"),
        "PYTHONPATH": str(Path(cli.__file__).parents[1]),
    }
    proc = subprocess.Popen(command + ["--out", str(tmp_path / "m.pt")], env=env, stderr=subprocess.PIPE)
    staging = tmp_path / "cache" / "embeddings"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(staging.glob(".*")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)  # mid-extraction: the cache entry is being written
    assert proc.wait(timeout=60) == 130
    assert (
        "interrupted; rerun the same command: what was computed is read from the cache"
        in proc.stderr.read().decode()
    )
    assert not list(staging.glob(".*")) and not (tmp_path / "m.pt").exists()
    assert not list(tmp_path.glob(".*.part*"))
    assert (
        subprocess.run(command + ["--out", str(tmp_path / "m.pt")], env=env, capture_output=True).returncode
        == 0
    )
    clean_env = {**env, "INSTRID_CACHE": str(tmp_path / "clean-cache")}
    assert (
        subprocess.run(
            command + ["--out", str(tmp_path / "clean.pt")], env=clean_env, capture_output=True
        ).returncode
        == 0
    )
    resumed, clean = (torch.load(tmp_path / name, weights_only=True) for name in ("m.pt", "clean.pt"))
    assert all(torch.equal(resumed["head"][k], clean["head"][k]) for k in clean["head"])
    assert resumed["thresholds"] == clean["thresholds"]


def test_console_script_reports_errors_with_the_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "instrid.app.cli", "data", "info", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"instrid: error: {tmp_path}: not a MusicNet-format root")


def test_info_summarises_a_tree(tiny_tree, capsys):
    assert cli.main(["data", "info", "--root", str(tiny_tree)]) == 0
    assert "train    2 recordings" in capsys.readouterr().out


def test_train_can_train_the_backbone_first(tiny_tree, tmp_path, capsys):
    from instrid import cache
    from instrid.models import modelfile

    def train(name, backbone_epochs):
        out = tmp_path / name
        options = [
            "--backbone",
            "resnet18",
            "--weights",
            "none",
            "--epochs",
            "1",
            "--train-examples",
            "4",
            "--validation-examples",
            "3",
        ]
        argv = ["train", "--root", str(tiny_tree), "--out", str(out), *options, "--quiet"]
        assert cli.main([*argv, "--backbone-epochs", str(backbone_epochs)]) == 0
        return modelfile.load_model(out)[1]

    state = train("m.pt", 1)
    # Only the trained backbone's outputs are computed: the frozen one's are not needed to train it.
    assert [e.kind for e in cache.entries()].count("embeddings") == 1
    plain = train("frozen.pt", 0)
    assert state["config"]["backbone_epochs"] == 1 and state["weights_used"].startswith("file:")
    assert "then trained on the task for 1 epoch" in modelfile.trained_on(state)
    assert plain["weights_used"] == "random:seed=0" and "trained on the task" not in modelfile.trained_on(
        plain
    )
    assert not all(torch.equal(state["backbone"][k], plain["backbone"][k]) for k in plain["backbone"])
    code, err = run(
        capsys, "train", "--root", str(tiny_tree), "--out", str(tmp_path / "x.pt"), "--backbone-epochs", "-1"
    )
    assert code == 2 and "argument --backbone-epochs: must be at least 0, got -1" in one_line(err)
    assert not (tmp_path / "x.pt").exists()


def test_train_ships_the_listening_model_and_predict_reads_it(tiny_tree, tmp_path, capsys):
    from instrid.models import modelfile

    out = tmp_path / "listening.pt"
    sizes = ["--epochs", "1", "--train-examples", "4", "--validation-examples", "3", "--quiet"]
    assert cli.main(["train", "--root", str(tiny_tree), "--out", str(out), *sizes]) == 0
    net, state = modelfile.load_model(out)
    assert net.backbone_kind == "musicnn" and state["config"]["model_name"] == "listening"
    assert "musicnn weights musicnn:MTT_musicnn" in modelfile.trained_on(state)
    capsys.readouterr()
    audio = tiny_tree / "test_data" / "1759.wav"
    assert cli.main(["predict", str(audio), "--model", str(out), "-q"]) == 0
    assert "p_piano" in capsys.readouterr().out


@pytest.mark.parametrize("option", [["--weights", "none"], ["--backbone-epochs", "1"]])
def test_the_listening_model_refuses_the_resnets_options(tiny_tree, tmp_path, capsys, option):
    code, err = run(capsys, "train", "--root", str(tiny_tree), "--out", str(tmp_path / "m.pt"), *option)
    assert code == 2
    assert "choose and train the ResNet-18 (--backbone resnet18); musicnn has its own weights" in one_line(
        err
    )
    assert not (tmp_path / "m.pt").exists()
