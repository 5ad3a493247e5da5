"""Nothing of a user's is lost, whatever they type: the output guard, options checked at the parser, and a
property-based fuzz of every subcommand (exit 0, or one line and exit 2; never a changed file of theirs)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TINY_TRAINING, TREE, make_tree, one_line, run, tone_file
from instrid import outputs
from instrid.app import cli
from instrid.data import synth
from instrid.errors import DatasetError, UsageError


def snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with the digest of its bytes (links as their target)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path)] = "-> " + os.readlink(path)
        elif path.is_file():
            found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def users_copy(tmp_path) -> Path:
    """A MusicNet-format copy that is the user's own: recordings and labels instrid did not write."""
    return make_tree(tmp_path / "mine", {2191: ("test", 0.5, [(0, 20000, 1, 60)])})


# --- data synth -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("audio_format", ["flac", "wav"])
def test_synth_never_renders_into_a_folder_it_did_not_make(users_copy, capsys, audio_format):
    before = snapshot(users_copy)
    code, err = run(
        capsys, "data", "synth", "--root", str(users_copy), "--recordings", "2191", "--format", audio_format
    )
    assert (
        code == 2 and "holds files instrid did not render" in one_line(err) and "give a new or empty" in err
    )
    assert snapshot(users_copy) == before


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "unreadable synth manifest (JSONDecodeError)"),
        ("{not json", "unreadable synth manifest (JSONDecodeError)"),
        ("[1, 2]", "not a JSON object"),
        ('{"fonts": ["A"]}', "lacks source_sha256"),
    ],
)
def test_a_damaged_synth_manifest_is_one_line_and_stays(tmp_path, capsys, content, problem):
    root = make_tree(tmp_path / "t", {2191: ("test", 0.3, [(0, 9000, 1, 60)])})
    (root / "synth.json").write_text(content)
    code, err = run(capsys, "data", "synth", "--root", str(root), "--recordings", "2191")
    assert code == 2 and problem in one_line(err) and "synth.json" in err
    assert (root / "synth.json").read_text() == content
    if content.startswith("{n") or not content:
        from instrid.data import musicnet

        with pytest.raises(DatasetError, match="synth.json: unreadable synth manifest"):
            musicnet.MusicNet(root).rendering()


def test_a_recordings_files_the_manifest_does_not_list_are_refused(tmp_path, seed_dir):
    root = tmp_path / "t"
    synth.build_synthetic_musicnet(root, recordings=[2191], fonts=["TimGM6mb"], progress=False)
    mine = root / "test_data" / "2382.wav"
    tone_file(mine)
    stray = root / "test_data" / "2191.wav"  # beside instrid's 2191.flac
    tone_file(stray)
    before = snapshot(root)
    with pytest.raises(DatasetError, match="2382.wav: not rendered by instrid"):
        synth.build_synthetic_musicnet(root, recordings=[2382], fonts=["TimGM6mb"], progress=False)
    stray.unlink()
    mine.unlink()
    # A listed recording's own files are instrid's: the same render resumes (and finds it done).
    result = synth.build_synthetic_musicnet(root, recordings=[2191], fonts=["TimGM6mb"], progress=False)
    assert result["skipped"] == 1
    assert all(snapshot(root)[k] == v for k, v in before.items() if "2382" not in k and "2191.wav" not in k)


def test_two_different_fonts_of_one_file_name_are_told_apart_from_one_font_named_twice(tmp_path, capsys):
    for folder, body in (("a", b"one"), ("b", b"two")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.sf2").write_bytes(body)
    root = str(tmp_path / "r")
    code, err = run(
        capsys, "data", "synth", "--root", root, "--fonts", f"{tmp_path}/a/x.sf2", f"{tmp_path}/b/x.sf2"
    )
    assert code == 2 and "has the same name 'x.sf2'; rename one of them" in one_line(err)
    code, err = run(
        capsys, "data", "synth", "--root", root, "--fonts", f"{tmp_path}/a/x.sf2", f"{tmp_path}/a/x.sf2"
    )
    assert code == 2 and "the font x.sf2 is named twice" in one_line(err)
    assert not (tmp_path / "r").exists()


def test_of_two_renders_into_one_root_the_second_with_other_settings_is_refused(tmp_path):
    root = tmp_path / "t"
    first = {key: "a" for key in synth.SETTINGS_COMPARED} | {"audio_format": "flac"}
    synth.claim_tree(root, first, {2191: {"font": "A"}})
    synth.claim_tree(root, first, {2382: {"font": "A"}})  # the same settings: both go on
    assert set(json.loads((root / "synth.json").read_text())["recordings"]) == {"2191", "2382"}
    with pytest.raises(DatasetError, match=r"different settings \(fonts\)"):
        synth.claim_tree(root, {**first, "fonts": "b"}, {2191: {"font": "B"}})


# --- train --out ------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    return make_tree(tmp_path / "tree", TREE)


def train(capsys, tree, out, *extra):
    return run(capsys, "train", "--root", str(tree), "--out", str(out), *TINY_TRAINING, *extra)


def test_train_never_writes_over_a_recording_a_file_or_into_a_folder(tree, tmp_path, capsys):
    before = snapshot(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    for out, problem in (
        (tree / "train_data" / "2238.wav", "lies inside the dataset"),
        (tmp_path / "notes.txt", "exists and is not an instrid model file"),
        (tmp_path / "tree", "is a folder"),
        (tmp_path / "notes.txt" / "m.pt", "notes.txt: is not a folder"),
    ):
        code, err = train(capsys, tree, out)
        assert code == 2 and problem in one_line(err), out
    assert snapshot(tmp_path) == {**before, str(tmp_path / "notes.txt"): hashlib.sha256(b"mine").hexdigest()}


def test_train_replaces_its_own_model_only_when_told(tree, tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert train(capsys, tree, out)[0] == 0
    first = out.read_bytes()
    code, err = train(capsys, tree, out, "--seed", "1")
    assert code == 2 and "already holds an instrid model" in one_line(err) and "--force" in err
    assert out.read_bytes() == first
    assert train(capsys, tree, out, "--seed", "1", "--force")[0] == 0
    assert out.read_bytes() != first


def test_train_refuses_a_tree_without_validation_recordings(tmp_path, capsys):
    no_validation = make_tree(tmp_path / "t", {k: v for k, v in TREE.items() if k != 2232})
    code, err = train(capsys, no_validation, tmp_path / "m.pt")
    assert code == 2 and "no validation recording of the study's split" in one_line(err)
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize(
    ("option", "value", "problem"),
    [
        ("--epochs", "0", "argument --epochs: must be at least 1, got 0"),
        ("--epochs", "-2", "must be at least 1, got -2"),
        ("--top-n", "0", "argument --top-n: must be from 1 to 11, got 0"),
        ("--train-examples", "0", "argument --train-examples: must be at least 1"),
        ("--seed", "-1", "argument --seed: must be from 0 to"),
        ("--weights", "", "argument --weights: empty path"),
    ],
)
def test_train_refuses_a_useless_or_impossible_setting_before_any_work(
    tree, tmp_path, capsys, option, value, problem
):
    code, err = run(capsys, "train", "--root", str(tree), "--out", str(tmp_path / "m.pt"), option, value)
    assert code == 2 and problem in one_line(err)
    assert not (tmp_path / "m.pt").exists()


def test_a_weights_file_of_the_wrong_kind_is_one_line(tree, tmp_path, capsys):
    (tmp_path / "w.pth").write_text("not weights")
    code, err = train(capsys, tree, tmp_path / "m.pt", "--weights", str(tmp_path / "w.pth"))
    assert code == 2 and "w.pth: not a ResNet-18 state dict" in one_line(err)


# --- predict --out ----------------------------------------------------------------------------------------


def test_predict_never_overwrites_a_file_it_did_not_write(model_file, tmp_path, capsys):
    audio = tone_file(tmp_path / "2191.flac")
    out = tmp_path / "out"
    out.mkdir()
    (out / "2191.csv").write_text("start_time,end_time,instrument,note\n0,1,1,60\n")  # a label file
    before = snapshot(out)
    code, err = run(capsys, "predict", str(audio), "--model", str(model_file), "--out", str(out))
    assert code == 2 and "2191.csv: exists and is not an output of instrid predict" in one_line(err)
    assert snapshot(out) == before


def test_predict_reruns_into_its_own_outputs_and_needs_force_for_another_inputs(model_file, tmp_path, capsys):
    out = tmp_path / "out"
    (tmp_path / "a").mkdir()
    first = tone_file(tmp_path / "a" / "x.wav")
    assert run(capsys, "predict", str(first), "--model", str(model_file), "--out", str(out))[0] == 0
    assert run(capsys, "predict", str(first), "--model", str(model_file), "--out", str(out))[0] == 0
    (tmp_path / "b").mkdir()
    other = tone_file(tmp_path / "b" / "x.wav", seconds=2.0)
    code, err = run(capsys, "predict", str(other), "--model", str(model_file), "--out", str(out))
    assert code == 2 and "already holds instrid predict's output for" in one_line(err)
    assert (
        run(capsys, "predict", str(other), "--model", str(model_file), "--out", str(out), "--force")[0] == 0
    )
    assert json.loads((out / "x.json").read_text())["file"] == str(other)


def test_absurd_float_samples_are_refused_not_turned_into_nan(model_file, tmp_path, capsys):
    audio = np.zeros(30_000, dtype=np.float32)
    audio[2_000] = 1e30
    soundfile.write(str(tmp_path / "loud.wav"), audio, 44_100, subtype="FLOAT")
    code, err = run(capsys, "predict", str(tmp_path / "loud.wav"), "--model", str(model_file))
    assert code == 2 and "loud.wav: sample 2000 (0.045 s) is 1e+30, far outside" in one_line(err)


def test_predict_says_what_its_model_was_trained_on(model_file, tmp_path, capsys):
    audio = tone_file(tmp_path / "a.wav")
    assert cli.main(["predict", str(audio), "--model", str(model_file), "--out", str(tmp_path / "o")]) == 0
    assert f"{model_file}: trained on synthetic MusicNet" in capsys.readouterr().out
    assert cli.main(["predict", str(audio), "--model", str(model_file)]) == 0
    assert f"{model_file}: trained on " in capsys.readouterr().err


# --- results-table, notebooks, the cache ------------------------------------------------------------------


def test_results_table_with_no_results_leaves_the_readme_alone(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n<!-- results:start (generated by `instrid results-table`; do not edit) -->\nold\n"
        "<!-- results:end -->\n"
    )
    before = readme.read_text()
    code, err = run(capsys, "results-table", "--results", str(tmp_path / "reslts"), "--readme", str(readme))
    assert code == 2 and "reslts: no such results folder" in one_line(err)
    (tmp_path / "empty").mkdir()
    code, err = run(capsys, "results-table", "--results", str(tmp_path / "empty"), "--readme", str(readme))
    assert code == 2 and "holds no results" in one_line(err)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "03_loss_mse_vs_iou.json").write_text("{cut sho")
    code, err = run(capsys, "results-table", "--results", str(tmp_path / "bad"), "--readme", str(readme))
    assert code == 2 and "03_loss_mse_vs_iou.json: not a results file" in one_line(err)
    (tmp_path / "bad" / "03_loss_mse_vs_iou.json").write_text('{"config": {}}')
    code, err = run(capsys, "results-table", "--results", str(tmp_path / "bad"), "--readme", str(readme))
    assert code == 2 and "03_loss_mse_vs_iou.json: incomplete results" in one_line(err)
    assert readme.read_text() == before
    (tmp_path / "plain.md").write_text("no markers")
    code, err = run(
        capsys, "results-table", "--results", str(tmp_path / "bad"), "--readme", str(tmp_path / "plain.md")
    )
    assert code == 2 and "plain.md: no findings markers" in one_line(err)


def test_notebook_commands_refuse_what_is_no_notebook_and_a_mistyped_parameter(tmp_path, capsys):
    from test_notebooks import notebook_with_parameters

    text = tmp_path / "notes.ipynb"
    text.write_text("not json")
    for argv in (["run-notebook", str(text)], ["tidy-notebook", str(text)]):
        code, err = run(capsys, *argv)
        assert code == 2 and "notes.ipynb: not a Jupyter notebook" in one_line(err)
    assert text.read_text() == "not json"
    source = notebook_with_parameters(tmp_path / "01_nb.ipynb", "print(a)")
    code, err = run(capsys, "run-notebook", str(source), "-p", "aa", "2")
    assert code == 2 and "declares the parameter(s) aa (this one declares: a, b)" in one_line(err)
    code, err = run(capsys, "run-notebook", str(source), "-p", "a", "[unclosed")
    assert code == 2 and "-p a: not a value" in one_line(err)
    mine = tmp_path / "copy.ipynb"
    mine.write_text(text.read_text())
    code, err = run(capsys, "run-notebook", str(source), "--out", str(mine), "--quiet")
    assert code == 2 and "copy.ipynb: exists and is not a notebook run instrid wrote" in one_line(err)
    assert mine.read_text() == "not json"


@pytest.mark.parametrize("kind", ["file", "loop"])
def test_a_cache_that_is_no_folder_is_one_line(tmp_path, capsys, monkeypatch, kind):
    cache = tmp_path / "cache"
    if kind == "file":
        cache.write_text("x")
    else:
        cache.symlink_to(cache)
    monkeypatch.setenv("INSTRID_CACHE", str(cache))
    for argv in (["cache", "info"], ["cache", "prune", "--unused-days", "1"]):
        code, err = run(capsys, *argv)
        assert code == 2 and "instrid's cache is" in one_line(err) and "not a folder" in err


def test_output_guard_rules(tmp_path):
    ours = tmp_path / "ours.bin"
    ours.write_text("instrid")

    def mark(path):
        return "ours" if path.read_text() == "instrid" else None

    outputs.check_file(tmp_path / "new.bin", mark=mark, what="x")
    with pytest.raises(UsageError, match="already holds ours; add --force"):
        outputs.check_file(ours, mark=mark, what="x")
    assert outputs.check_file(ours, mark=mark, what="x", force=True) == ours
    assert outputs.check_file(ours, mark=mark, what="x", replace=lambda p: True) == ours
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    with pytest.raises(UsageError, match="dangling: exists and is not x"):
        outputs.check_file(tmp_path / "dangling", mark=mark, what="x", force=True)
    with pytest.raises(UsageError, match="is an input of this run"):
        outputs.check_file(ours, mark=mark, what="x", inputs=outputs.existing([ours]), force=True)
    with pytest.raises(UsageError, match="empty path"):
        outputs.check_folder(" ")


# --- options checked at the parser ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["data", "synth", "--root", "r", "--variation-seed", "-1"], "--variation-seed: must be from 0"),
        (["data", "synth", "--root", "r", "--font-seed", "-5"], "--font-seed: must be from 0"),
        (["data", "synth", "--root", "r", "--jobs", "-3"], "--jobs: must be from 1 to 256, got -3"),
        (["data", "synth", "--root", ""], "--root: empty path"),
        (["data", "synth", "--root", "r", "--soundfont", ""], "--soundfont: empty path"),
        (["data", "synth", "--root", "r", "--single-font", "--fonts", "A"], "drop --fonts"),
        (["data", "synth", "--root", "r", "--single-font", "--variation", "room"], "drop --variation"),
        (["data", "synth", "--root", "r", "--soundfont", "a.sf2", "--fonts", "A"], "drop --fonts"),
        (["data", "synth", "--root", "r", "--font-sha256", "xyz"], "must be 64 hexadecimal digits"),
        (["data", "musicnet"], "give --root DIR (download there) or --from DIR"),
        (["data", "musicnet", "--from", "d", "--md5", "0" * 32], "--md5 concern a download"),
        (["data", "musicnet", "--root", "d", "--md5", "0" * 32, "--no-verify"], "choose one"),
        (["cache", "prune", "--max-gb", "nan"], "--max-gb: must be a number from 0 to 1e+06, got nan"),
        (["cache", "prune", "--max-gb", "inf"], "got inf"),
        (["cache", "prune", "--max-gb", "1e300"], "got 1e300"),
        (["cache", "prune", "--unused-days", "nan"], "--unused-days: must be a number"),
        (["predict", "--stream", "--rate", "0"], "--rate: must be from 1 to"),
        (["predict", "--stream", "--rate", "8000", "--channels", "-1"], "--channels: must be from 1 to 64"),
        (["predict", "a.wav", "--top-n", "2", "--threshold", "0.5"], "not allowed with argument"),
        (["train", "--root", "t", "--model", "m.pt"], "unrecognized arguments: --model"),
        (["train", "--root", "t", "--backbone", "vgg"], "argument --backbone: invalid choice: 'vgg'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_every_option_is_checked_at_the_parser(capsys, argv, problem):
    code, err = run(capsys, *argv)
    assert code == 2 and problem in one_line(err), err


def test_help_tells_the_truth(capsys):
    for argv, said in (
        (["train", "--help"], "default 0 keeps it frozen"),
        (["train", "--help"], "default musicnn"),
        (["cache", "prune", "--help"], "trained backbones"),
        (["predict", "--help"], "Every run prints what its model was trained on"),
    ):
        assert cli.main(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert said in out, argv
    assert cli.main(["train", "--help"]) == 0
    assert "--model" not in capsys.readouterr().out  # an option of predict's, not train's


# --- the fuzz: every subcommand, random values, random files ----------------------------------------------

#: Values a hostile but ordinary user types: numbers at and beyond every edge, empty and odd strings.
VALUES = st.sampled_from(
    [
        "0",
        "-1",
        "-3",
        "1",
        "2",
        "11",
        "12",
        "nan",
        "inf",
        "-inf",
        "1e300",
        "1e-9",
        "0.5",
        "",
        " ",
        "x",
        "[",
        "a,b",
        "2191",
        "auto",
        "none",
        "s16",
    ]
)
#: Contents a file in an input position may have.
CONTENTS = st.sampled_from(
    [b"", b"{", b"[1]", b'{"a": 1}', b"RIFF\x00\x00\x00\x00WAVE", b"\x89PNG\r\n", b"x" * 64]
)

COMMANDS = {
    "data synth": [
        "--root",
        "--fonts",
        "--font-seed",
        "--variation",
        "--variation-seed",
        "--soundfont",
        "--recordings",
        "--jobs",
        "--format",
        "--font-sha256",
    ],
    "data musicnet": ["--root", "--from", "--md5"],
    "data info": ["--root"],
    "cache prune": ["--unused-days", "--max-gb"],
    "results-table": ["--results", "--readme"],
    "run-notebook": ["--out", "-f"],
    "tidy-notebook": [],
    "train": [
        "--root",
        "--out",
        "--backbone",
        "--weights",
        "--epochs",
        "--backbone-epochs",
        "--top-n",
        "--train-examples",
        "--validation-examples",
        "--test-examples",
        "--seed",
    ],
    "predict": ["--model", "--out", "--hop", "--top-n", "--threshold", "--rate", "--channels", "--format"],
}
#: Options that name a path: the fuzz points them at the user's files, or at files with random content.
PATHS = {
    "--root",
    "--from",
    "--soundfont",
    "--fonts",
    "--results",
    "--readme",
    "--out",
    "-f",
    "--weights",
    "--model",
}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, model_file):
    """The user's files: a folder of everything the fuzz may point a path option at, a model among them."""
    root = tmp_path_factory.mktemp("user")
    (root / "model.pt").write_bytes(model_file.read_bytes())
    make_tree(root / "copy", {2191: ("test", 0.3, [(0, 9000, 1, 60)])})
    (root / "notes.txt").write_text("my notes")
    (root / "README.md").write_text("# mine\n")
    tone_file(root / "take.wav", seconds=0.3)
    (root / "empty").mkdir()
    return root


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data())
def test_fuzz_every_subcommand_ends_in_a_result_or_one_line_and_never_changes_a_users_file(sandbox, data):
    command = data.draw(st.sampled_from(sorted(COMMANDS)))
    options = (
        data.draw(st.lists(st.sampled_from(COMMANDS[command]), unique=True, max_size=4))
        if COMMANDS[command]
        else []
    )
    scratch = sandbox / "scratch"
    scratch.mkdir(exist_ok=True)
    argv = command.split()
    targets = sorted(p for p in sandbox.rglob("*") if "scratch" not in p.parts)
    for option in options:
        if option in PATHS:
            if data.draw(st.booleans()):
                path = data.draw(st.sampled_from(targets))
            else:
                path = (
                    scratch
                    / f"f{len(argv)}{data.draw(st.sampled_from(['', '.json', '.ipynb', '.pt', '.wav']))}"
                )
                path.write_bytes(data.draw(CONTENTS))
            argv += [option, str(path)]
        else:
            argv += [option, data.draw(VALUES)]
    if command in ("run-notebook", "tidy-notebook", "predict"):
        argv.append(str(data.draw(st.sampled_from(targets))))
    if command in ("train", "predict"):
        argv += ["--quiet"]
    if command == "predict" and "--model" not in options and data.draw(st.booleans()):
        argv += ["--model", str(sandbox / "model.pt")]  # so that some predictions run to the end
    if command == "data synth" and "--recordings" not in options:
        argv += ["--recordings", "2191"]  # never all 323 recordings
    if command == "data musicnet":
        argv += ["--url", "http://127.0.0.1:9/musicnet.tar.gz"]  # refused at once: nothing leaves the machine
    before = {k: v for k, v in snapshot(sandbox).items() if "scratch" not in k}
    err = _run_quietly(argv)
    code, err = err
    assert code in (0, 2), (argv, err)
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("instrid: error: ") and "Traceback" not in err, (argv, err)
    after = {k: v for k, v in snapshot(sandbox).items() if "scratch" not in k}
    assert {k: v for k, v in after.items() if k in before} == before, argv


def _run_quietly(argv) -> tuple[int, str]:
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(argv)
    return code, err.getvalue()
