"""The ``instrid`` command line.

::

    instrid data synth    --root DIR [--fonts NAME|SF2 ...] [--variation all|none|EFFECT,...] [--single-font]
                          [--recordings ID ...] [--jobs N] [--covered-parts-only]
    instrid data fonts    --root DIR --like DIR [--held-out NAME ...] [--jobs N]
    instrid data musicnet --root DIR [--md5 HASH | --no-verify] [--url URL]
    instrid data musicnet --from DIR
    instrid data info     --root DIR [--decode]
    instrid cache info
    instrid cache prune   [--unused-days N] [--max-gb X] [--dry-run]
    instrid results-table [--results results] [--readme README.md [--findings FINDINGS.md]]
    instrid run-notebook  NOTEBOOK [--out PATH] [-f PARAMETERS.yaml] [-p NAME VALUE ...]
    instrid tidy-notebook NOTEBOOK ...
    instrid train   --root DIR [--out MODEL.pt] [--backbone musicnn|resnet18] [--epochs N]
    instrid predict AUDIO ... [--model MODEL.pt] [--out DIR] [--hop SECONDS] [--top-n N | --threshold T]
    instrid train-notes --root DIR [--out MODEL.pt] [--epochs N] [--notes-per-recording N]
    instrid transcribe AUDIO ... --out DIR [--model MODEL.pt]

Errors are reported as one line naming the file and the problem, exit status 2.
"""

from __future__ import annotations

import argparse
import math
import signal
import string
import sys
import threading
import time
from pathlib import Path

from instrid.errors import InstridError


class _Parser(argparse.ArgumentParser):
    """argparse, with the one-line error contract: ``instrid: error: ...`` on stderr, exit status 2."""

    def error(self, message):
        self.exit(2, f"instrid: error: {self.prog}: {message} (see {self.prog} --help)\n")


# Every numeric and path option is checked here, at the parser, so no value reaches the code unchecked.
def _integer(low: int, high: int | None = None):
    """An argparse type: an integer in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"must be {span}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _number(low: float, high: float):
    """An argparse type: a finite number in ``[low, high]``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def _path(text: str) -> str:
    """An argparse type: a path, never empty (an empty one would mean the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty path")
    return text


def _hex_digest(length: int):
    def parse(text: str) -> str:
        if len(text) != length or not set(text) <= set(string.hexdigits):
            raise argparse.ArgumentTypeError(f"must be {length} hexadecimal digits, got {text!r}")
        return text.lower()

    parse.__name__ = "digest"
    return parse


SEED = _integer(0, 2**32 - 1)
COUNT = _integer(1)
#: `instrid train --backbone`: the model of instrid.app.trainer.MODELS each backbone gives, and the shipped
#: one's (instrid.app.trainer.SHIPPED), named here so that `--help` needs no torch (a test checks).
MODEL_OF_BACKBONE = {"musicnn": "listening", "resnet18": "corrected"}
SHIPPED_BACKBONE = "musicnn"
#: The largest cache size ``cache prune --max-gb`` takes: a petabyte.
MAX_CACHE_GB = 1e6
#: The longest prune age in days (a thousand years): beyond it nothing is ever old enough.
MAX_UNUSED_DAYS = 365_000.0


def _summary(index) -> str:
    lines = []
    for split, part in index.groupby("split", sort=False):
        lines.append(f"  {split:5s} {len(part):4d} recordings, {part['duration_s'].sum() / 3600:6.2f} h")
    return "\n".join(lines)


def _data_fonts(args) -> None:
    from instrid.data import synth

    started = time.perf_counter()
    trees = synth.build_font_trees(
        args.root, args.like, held_out=args.held_out, jobs=args.jobs, progress=not args.quiet
    )
    print(
        f"{args.root}: {len(trees)} one-font trees ({', '.join(t.name for t in trees)}) in "
        f"{time.perf_counter() - started:.1f} s"
    )


def _data_synth(args) -> None:
    from instrid.data import synth, variation
    from instrid.errors import UsageError

    given = [flag for flag, value in (("--fonts", args.fonts), ("--variation", args.variation)) if value]
    if args.single_font and given:
        raise UsageError(f"--single-font fixes the fonts and the variation: drop {' and '.join(given)}")
    if args.soundfont and args.fonts:
        raise UsageError("--soundfont names the one font of every recording: drop --fonts")
    try:
        varied = variation.Variation.parse(
            "none" if args.single_font else args.variation or "all", seed=args.variation_seed
        )
    except ValueError as exc:
        raise UsageError(f"--variation: {exc}") from None
    fonts = ["TimGM6mb"] if args.single_font else args.fonts or list(synth.DEFAULT_FONTS)
    started = time.perf_counter()
    result = synth.build_synthetic_musicnet(
        args.root,
        fonts=fonts,
        font_seed=args.font_seed,
        font_sha256=args.font_sha256,
        varied=varied,
        soundfont=args.soundfont,
        recordings=args.recordings,
        jobs=args.jobs,
        audio_format=args.format,
        covered_parts_only=args.covered_parts_only,
        progress=not args.quiet,
    )
    elapsed = time.perf_counter() - started
    print(
        f"{args.root}: rendered {result['recordings']} recording(s) "
        f"({result['seconds'] / 3600:.2f} h of audio) "
        f"in {elapsed:.1f} s, {result['skipped']} already done"
        + (
            f"; {result['transposed_notes']} note(s) a font cannot play moved by octaves into its range"
            if result["transposed_notes"]
            else ""
        )
        + (
            f"; {result['left_out_notes']} note(s) of instruments the font lacks left out"
            if result["left_out_notes"]
            else ""
        )
        + (
            f"; recording(s) {', '.join(map(str, result['empty']))} not written: no part the font has"
            if result["empty"]
            else ""
        )
    )


def _data_musicnet(args) -> None:
    from instrid.data import sources
    from instrid.errors import UsageError

    if args.from_dir:
        download = [
            flag
            for flag, value in (
                ("--root", args.root),
                ("--url", args.url),
                ("--md5", args.md5),
                ("--no-verify", args.no_verify),
            )
            if value
        ]
        if download:
            raise UsageError(f"--from indexes a copy you have; {', '.join(download)} concern a download")
        index = sources.validate_tree(args.from_dir, progress=not args.quiet)
        where = args.from_dir
    else:
        if not args.root:
            raise UsageError("data musicnet: give --root DIR (download there) or --from DIR (existing copy)")
        if args.md5 and args.no_verify:
            raise UsageError("--md5 gives the checksum to verify; --no-verify skips it: choose one")
        md5 = None if args.no_verify else (args.md5 or sources.MUSICNET_MD5)
        index = sources.install_musicnet(
            args.root, url=args.url or sources.MUSICNET_URL, md5=md5, progress=not args.quiet
        )
        where = args.root
    print(f"{where}: MusicNet-format tree OK\n{_summary(index)}")


def _data_info(args) -> None:
    from instrid.data import sources
    from instrid.data.musicnet import find_root

    index = sources.validate_tree(args.root, decode=args.decode, progress=not args.quiet)
    print(f"{find_root(args.root)}\n{_summary(index)}")


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


def _cache_info(args) -> None:
    from instrid import cache
    from instrid.files import cache_dir

    print(cache_dir())
    for folder, use in cache.usage().items():
        unit = "entries" if folder in cache.PRUNED else "files"
        print(f"  {folder:<11} {use['entries']:>6} {unit:<7}  {_gb(use['bytes'])}")
    found = cache.entries()
    if found:
        days = (time.time() - found[0].last_used) / 86400
        print(f"  least recently used entry: {days:.1f} days ago ({found[0].path.name})")


def _cache_prune(args) -> None:
    from instrid import cache
    from instrid.errors import UsageError
    from instrid.files import cache_dir

    if args.unused_days is None and args.max_gb is None:
        raise UsageError("cache prune: say what to remove: --unused-days N, --max-gb X or both")
    chosen = cache.select(
        cache.entries(),
        unused_s=None if args.unused_days is None else args.unused_days * 86400,
        max_bytes=None if args.max_gb is None else int(args.max_gb * 1e9),
    )
    kept = [] if args.dry_run else [e for e in chosen if not cache.remove(e)]
    gone = [e for e in chosen if e not in kept]
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"{cache_dir()}: {verb} {len(gone)} entries, {_gb(sum(e.bytes for e in gone))} "
        "(embeddings, relabelings and trained backbones: recomputed when needed; "
        "downloads and the model kept)"
    )
    for entry in gone:
        print(f"  {entry.kind:<10} {_gb(entry.bytes)}  {entry.path}")
    for entry in kept:
        print(f"{entry.path}: being computed by another run, kept")


def _results_table(args) -> None:
    from instrid.errors import UsageError
    from instrid.report import results

    if not Path(args.results).is_dir():
        raise UsageError(f"{args.results}: no such results folder")
    if args.findings and not args.readme:
        raise UsageError("--findings goes with --readme (the README links to it)")
    if args.readme:
        changed = results.update_readme(args.readme, args.results, findings=args.findings)
        print(f"{args.readme}: findings {'updated' if changed else 'unchanged'}")
    else:
        print(results.findings_section(args.results))


def _run_notebook(args) -> None:
    import yaml

    from instrid.app.notebooks import run_notebook
    from instrid.errors import UsageError

    parameters = {}
    if args.parameters_file:
        try:
            with open(args.parameters_file, encoding="utf-8") as f:
                parameters = yaml.safe_load(f) or {}
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise UsageError(
                f"{args.parameters_file}: cannot read parameters: {(str(exc).splitlines() or [''])[0]}"
            ) from None
        if not isinstance(parameters, dict):
            raise UsageError(f"{args.parameters_file}: parameters must be a mapping of name: value")
    # As papermill's -p: a value is read as YAML (numbers, null, lists), a path stays a string.
    for name, value in args.parameter:
        try:
            parameters[name] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise UsageError(f"-p {name}: not a value: {(str(exc).splitlines() or [''])[0]}") from None
    print(f"papermill {args.notebook}" + (f" -> {args.out}" if args.out else ""), flush=True)
    start = time.perf_counter()
    run_notebook(
        args.notebook,
        args.out,
        parameters,
        named=[name for name, _ in args.parameter],
        force=args.force,
        progress=not args.quiet,
    )
    # benchmarks/bench_study.py reads these lines for each notebook's share of a study.
    print(f"{args.notebook}: ran in {time.perf_counter() - start:.1f} s", flush=True)


def _tidy(args) -> None:
    from instrid.app.notebooks import read_notebook, tidy_notebook

    for path in args.notebooks:
        read_notebook(path)  # every one checked before any is rewritten
    for path in args.notebooks:
        tidy_notebook(path)


def _train(args) -> None:
    from instrid import outputs
    from instrid.app import predict, trainer
    from instrid.errors import UsageError
    from instrid.models import modelfile

    default = predict.default_model_path()
    out = Path(args.out) if args.out else default
    weights = None if args.weights == "none" else args.weights
    named_weights = [] if args.weights in ("auto", "imagenet", "none") else [args.weights]
    outputs.check_file(
        out,
        mark=modelfile.mark,
        what="an instrid model file",
        inputs=outputs.existing(named_weights),
        trees=[args.root],
        # The study's model, where `predict` looks, is retrained by every `make model`.
        replace=lambda found: found.resolve() == default.resolve(),
        force=args.force,
    )
    model_name = MODEL_OF_BACKBONE[args.backbone]
    if args.backbone != "resnet18" and (args.weights != "auto" or args.backbone_epochs):
        raise UsageError(
            f"--weights and --backbone-epochs choose and train the ResNet-18 (--backbone resnet18); "
            f"{args.backbone} has its own weights"
        )
    trainer.check_trainable(args.root)
    summary = trainer.train_model(
        args.root,
        out,
        model_name=model_name,
        weights=weights,
        epochs=args.epochs,
        backbone_epochs=args.backbone_epochs,
        top_n=args.top_n,
        train_examples=args.train_examples,
        validation_examples=args.validation_examples,
        test_examples=args.test_examples,
        seed=args.seed,
        progress=not args.quiet,
    )
    print(
        f"{out}: saved; on validation recall {summary['recall']:.3f}, "
        f"{summary['fp_per_frame']:.2f} false positives per frame, micro F1 {summary['f1_micro']:.3f}"
    )


def _predict(args) -> int:
    from instrid.app import predict
    from instrid.errors import UsageError
    from instrid.models import modelfile

    model_path = Path(args.model) if args.model else predict.default_model_path()
    if not args.model and not model_path.exists():
        raise UsageError(
            f"{model_path}: no model yet; make one with `make model` (the study's final model) or "
            "`instrid train --root DIR`, or name one with --model"
        )
    if args.stream:
        return _predict_stream(args, model_path)
    if not args.audio:
        raise UsageError("give audio files, or --stream to read audio from standard input")
    inputs = [Path(a) for a in args.audio]
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None:
        _check_outputs(out_dir, inputs, model_path, force=args.force)
    net, state = modelfile.load_model(model_path)
    # Said once, with the first result (an error alone stays one line): where the summaries go.
    said = [f"{model_path}: trained on {modelfile.trained_on(state)}"]
    rule = (
        f"top-{args.top_n}"
        if args.top_n is not None
        else f"threshold {args.threshold}"
        if args.threshold is not None
        else modelfile.rule_of(state)
    )

    def one(path):
        table = predict.predict_file(
            net,
            state,
            path,
            hop_s=args.hop,
            top_n=args.top_n,
            threshold=args.threshold,
            progress=not args.quiet,
        )
        summary = predict.summarize(table, trained_on=modelfile.trained_on(state), rule=rule)
        found = ", ".join(
            f"{name} {100 * v['share_of_windows']:.0f}%" for name, v in summary["instruments"].items()
        )
        # Without --out, standard output is the CSV alone; the one-line summary goes to stderr.
        where = sys.stdout if out_dir else sys.stderr
        while said:
            print(said.pop(), file=where)
        print(f"{path}: {len(table)} windows; {found or 'nothing'}", file=where)
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            predict.write_outputs(table, summary, out_dir, path.stem)
        else:
            print(table.to_csv(index=False), end="")

    return _each_file(inputs, one)


def _train_notes(args) -> None:
    import shutil

    from instrid import outputs
    from instrid.app import transcribe
    from instrid.data import musicnet
    from instrid.files import atomic_path
    from instrid.models import note_instruments

    default = transcribe.default_model_path()
    out = Path(args.out) if args.out else default
    outputs.check_file(
        out,
        mark=note_instruments.mark,
        what="an instrid note-instrument model file",
        trees=[args.root],
        replace=lambda found: found.resolve() == default.resolve(),
        force=args.force,
    )
    given = {"notes_per_recording": args.notes_per_recording, "epochs": args.epochs, "seed": args.seed}
    settings = note_instruments.Training(**{k: v for k, v in given.items() if v is not None})
    trained = note_instruments.train(musicnet.MusicNet(args.root), settings, progress=not args.quiet)
    with atomic_path(out) as tmp:
        shutil.copyfile(trained, tmp)
    _, state = note_instruments.load(out)
    scores = state["validation"]
    print(
        f"{out}: saved; on validation notes mean F {scores['mean_f']:.3f}, "
        f"accuracy {scores['accuracy']:.3f} (epoch {scores['epoch']})"
    )


def _transcribe(args) -> int:
    from instrid.app import transcribe
    from instrid.errors import UsageError
    from instrid.models import note_instruments, notes

    model_path = Path(args.model) if args.model else transcribe.default_model_path()
    if not args.model and not model_path.exists():
        raise UsageError(
            f"{model_path}: no note-instrument model yet; make one with `make model` or "
            "`instrid train-notes --root DIR`, or name one with --model"
        )
    inputs, out_dir = [Path(a) for a in args.audio], Path(args.out)
    _check_outputs(out_dir, inputs, model_path, force=args.force, tool=transcribe)
    network, state = note_instruments.load(model_path)
    note_model = notes.NoteModel()
    said = [f"{model_path}: instruments of notes trained on {state['trained_on'].get('root', '?')}"]

    def one(path):
        table = note_instruments.transcribe(note_model, network, path, progress=not args.quiet)
        summary = transcribe.summarize(table, path, trained_on=state["trained_on"])
        while said:
            print(said.pop())
        found = ", ".join(f"{name} {v['notes']}" for name, v in summary["instruments"].items())
        print(f"{path}: {len(table)} notes; {found or 'none'}")
        out_dir.mkdir(parents=True, exist_ok=True)
        transcribe.write_outputs(table, summary, out_dir, path.stem)

    return _each_file(inputs, one)


def _each_file(inputs, one) -> int:
    """``one(path)`` for each input; a file that fails (an InstridError) is named in one line and skipped,
    the others still done; exit status 2 when any failed."""
    failed = 0
    for path in inputs:
        try:
            one(path)
        except InstridError as exc:
            print(f"instrid: error: {exc}", file=sys.stderr)
            failed += 1
    if failed:
        if len(inputs) > 1:
            print(
                f"instrid: {failed} of {len(inputs)} file(s) failed; the others were written", file=sys.stderr
            )
        return 2
    return 0


def _predict_stream(args, model_path) -> int:
    """Windows of standard input's audio, each printed as soon as it is decided."""
    from instrid.app import predict
    from instrid.data import musicnet
    from instrid.errors import UsageError
    from instrid.models import modelfile

    if args.audio or args.out:
        raise UsageError("--stream reads standard input and prints to standard output: no files, no --out")
    stream = sys.stdin.buffer
    if args.rate is None:
        rate, channels, sample_format = musicnet.wav_stream_header(stream)
    else:
        rate, channels, sample_format = args.rate, args.channels, args.format
    net, state = modelfile.load_model(model_path)
    said = [f"{model_path}: trained on {modelfile.trained_on(state)}"]
    blocks = musicnet.stream_blocks(
        stream,
        net.front_end.sample_rate,
        rate=rate,
        channels=channels,
        sample_format=sample_format,
        block_frames=max(256, rate // 50),
    )
    print("start_s,end_s,instruments", flush=True)
    for start, end, _, names in predict.predict_stream(
        net, state, blocks, hop_s=args.hop, top_n=args.top_n, threshold=args.threshold
    ):
        while said:
            print(said.pop(), file=sys.stderr, flush=True)
        print(f"{start:.4f},{end:.4f},{';'.join(names)}", flush=True)
    return 0


#: The shortest hop ``instrid predict`` accepts: 100 windows per second of audio; the longest, an hour.
MIN_HOP_S = 0.01
MAX_HOP_S = 3600.0
#: Raw PCM on standard input: the highest rate and the most channels accepted.
MAX_RATE = 768_000
MAX_CHANNELS = 64


def _check_outputs(out_dir, inputs, model_path, *, force: bool, tool=None) -> None:
    """Refuse, before any work, outputs that would replace an input, the model, each other, or a file
    the command (``tool``: :mod:`instrid.app.predict`, the default, or :mod:`instrid.app.transcribe`) did
    not write (an instrid output of another input needs ``--force``)."""
    from instrid import outputs
    from instrid.app import predict
    from instrid.errors import UsageError

    tool = tool or predict
    command = tool.__name__.rsplit(".", 1)[-1]

    outputs.check_folder(out_dir)
    protected = outputs.existing([*inputs, model_path])
    stems = {}
    for path in inputs:
        if path.stem in stems:
            raise UsageError(
                f"{path}: writes the same outputs as {stems[path.stem]} ({path.stem}.csv ...); "
                "rename one or predict them separately"
            )
        stems[path.stem] = path

        def same_input(found, source=path):
            summary = tool.summary_beside(found)
            return Path(summary["file"]).resolve() == source.resolve()

        for target in tool.output_paths(out_dir, path.stem):
            suffix = target.name[len(path.stem) :]
            outputs.check_file(
                target,
                mark=tool.mark,
                what=f"an output of instrid {command} ({path.name}'s {suffix} is due there)",
                inputs=protected,
                replace=same_input,
                force=force,
            )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="instrid", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data_parser = commands.add_parser("data", help="build, download or check a MusicNet-format dataset")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)

    synth = data_commands.add_parser("synth", help="render MusicNetEM into a synthetic MusicNet-format tree")
    synth.add_argument(
        "--root", required=True, type=_path, help="output tree: new, empty, or one it rendered (resumed)"
    )
    synth.add_argument(
        "--fonts",
        nargs="+",
        type=_path,
        metavar="NAME|SF2",
        help="General MIDI SoundFonts, assigned per recording (seeded, balanced per split and ensemble): "
        "TimGM6mb (ships with pretty_midi), FluidR3_GM (downloaded once, 148 MB, checksum verified), "
        "the study's held-out fonts sf_GMbank (Csound's, from Debian's csound-soundfont package, 4 MB) and "
        "OPL3_FM (an OPL3 FM chip's timbre, from Debian's opl3-soundfont package, 135 MB), each verified, "
        "or paths of .sf2 files (default: TimGM6mb FluidR3_GM)",
    )
    synth.add_argument("--font-seed", type=SEED, default=0, help="seed of the font assignment")
    synth.add_argument(
        "--font-sha256",
        type=_hex_digest(64),
        help="accept a FluidR3_GM download with this SHA-256 instead of the published one",
    )
    synth.add_argument(
        "--variation",
        help="performance and room per recording, seeded: all (default), none, or a comma-separated list "
        "of dynamics, timing, tuning, room, equalisation, level, noise",
    )
    synth.add_argument("--variation-seed", type=SEED, default=0, help="seed of the variation draws")
    synth.add_argument(
        "--single-font",
        action="store_true",
        help="TimGM6mb only and no variation: the first single-font dataset (same audio); not with --fonts "
        "or --variation",
    )
    synth.add_argument("--soundfont", type=_path, help="one .sf2 for every recording (not with --fonts)")
    synth.add_argument(
        "--recordings", nargs="+", type=_integer(0), metavar="ID", help="only these recording ids"
    )
    synth.add_argument("--jobs", type=_integer(1, 256), help="worker processes (default: all cores)")
    synth.add_argument("--format", choices=("flac", "wav"), default="flac", help="audio files (default flac)")
    synth.add_argument(
        "--covered-parts-only",
        action="store_true",
        help="for a font that lacks some instruments (Freepats: no viola, no contrabass): render only the "
        "parts it has, the labels likewise; a recording with none is not written",
    )
    synth.set_defaults(run=_data_synth)

    fonts = data_commands.add_parser(
        "fonts",
        help="render a synthetic tree's test recordings with one font each (the generalization trees)",
    )
    fonts.add_argument(
        "--root", required=True, type=_path, help="folder of the trees: <font>-varied, <font>-plain"
    )
    fonts.add_argument(
        "--like", required=True, type=_path, help="the synthetic tree whose test recordings are rendered"
    )
    fonts.add_argument(
        "--held-out",
        nargs="*",
        metavar="NAME",
        help="held-out fonts to render (default: all the study holds out; none with an empty list)",
    )
    fonts.add_argument("--jobs", type=_integer(1, 256), help="worker processes (default: all cores)")
    fonts.set_defaults(run=_data_fonts)

    musicnet = data_commands.add_parser("musicnet", help="download (or index) the real MusicNet")
    musicnet.add_argument("--root", type=_path, help="download and extract here (about 11 GB archive + tree)")
    musicnet.add_argument(
        "--from", dest="from_dir", type=_path, help="index an existing copy (Zenodo or Kaggle layout)"
    )
    musicnet.add_argument("--url", default=None, help="archive address (default: Zenodo record 5120004)")
    musicnet.add_argument(
        "--md5", type=_hex_digest(32), help="expected md5 of the archive instead of the published one"
    )
    musicnet.add_argument("--no-verify", action="store_true", help="do not check the archive's md5")
    musicnet.set_defaults(run=_data_musicnet)

    info = data_commands.add_parser("info", help="check and summarise a MusicNet-format tree")
    info.add_argument("--root", required=True, type=_path)
    info.add_argument(
        "--decode",
        action="store_true",
        help="decode all audio, not just each file's end (finds corruption anywhere; slower)",
    )
    info.set_defaults(run=_data_info)

    cache_parser = commands.add_parser(
        "cache",
        help="what instrid's cache holds; remove embeddings, relabelings and trained backbones "
        "not used lately",
    )
    cache_commands = cache_parser.add_subparsers(dest="cache_command", required=True)
    cache_commands.add_parser("info", help="size of each part of the cache").set_defaults(run=_cache_info)
    prune_help = (
        "remove cached embeddings, relabelings and trained backbones (recomputed when needed; downloads "
        "and the model kept)"
    )
    prune = cache_commands.add_parser(
        "prune", help=prune_help, description=prune_help[0].upper() + prune_help[1:]
    )
    prune.add_argument(
        "--unused-days", type=_number(0, MAX_UNUSED_DAYS), help="remove entries not read for more than N days"
    )
    prune.add_argument(
        "--max-gb",
        type=_number(0, MAX_CACHE_GB),
        help="then the least recently used until the rest fit in X GB",
    )
    prune.add_argument("--dry-run", action="store_true", help="list what would go; remove nothing")
    prune.set_defaults(run=_cache_prune)

    table = commands.add_parser(
        "results-table",
        help="the README's table of the report's claims (and FINDINGS.md), from results/*.json",
    )
    table.add_argument(
        "--results", default="results", type=_path, help="folder of the notebooks' JSON results"
    )
    table.add_argument(
        "--readme", type=_path, help="rewrite the generated section of this README instead of printing"
    )
    table.add_argument(
        "--findings",
        type=_path,
        help="with --readme: also write the full findings, claim by claim, to this file (created if missing)",
    )
    table.set_defaults(run=_results_table)

    run_nb = commands.add_parser(
        "run-notebook",
        help="execute a study notebook (papermill) with the parameters it declares, then tidy it",
    )
    run_nb.add_argument("notebook", type=_path)
    run_nb.add_argument(
        "--out",
        type=_path,
        help="executed copy to write (default: in place); an existing copy of the same notebook is replaced",
    )
    run_nb.add_argument(
        "-f", dest="parameters_file", type=_path, help="YAML parameters; those the notebook lacks are skipped"
    )
    run_nb.add_argument(
        "-p",
        dest="parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="one parameter; a study notebook beside this one must declare NAME",
    )
    run_nb.add_argument("--force", action="store_true", help="replace an --out copy of another notebook")
    run_nb.add_argument("-q", "--quiet", action="store_true", help="no progress bar over the cells")
    run_nb.set_defaults(run=_run_notebook)

    tidy = commands.add_parser(
        "tidy-notebook", help="clean executed notebooks for committing (progress bars, run metadata)"
    )
    tidy.add_argument("notebooks", nargs="+", type=_path)
    tidy.set_defaults(run=_tidy)

    fit = commands.add_parser("train", help="fit the corrected pipeline on a dataset and save a model file")
    fit.add_argument("--root", required=True, type=_path, help="MusicNet-format tree")
    fit.add_argument(
        "--backbone",
        choices=sorted(MODEL_OF_BACKBONE),
        default=SHIPPED_BACKBONE,
        help="musicnn: its pooled maps, pretrained on music (the listening model, notebook 02); resnet18: "
        "log-mel into a ResNet-18, random where ImageNet weights cannot be loaded (the corrected "
        f"pipeline); default {SHIPPED_BACKBONE}, the one notebook 11 finds best on a font no model heard",
    )
    fit.add_argument(
        "--out",
        type=_path,
        help="model file to write (default: the study's model in instrid's cache, where `instrid predict` "
        "looks by default); not inside the dataset, never over a file instrid did not write",
    )
    fit.add_argument("--force", action="store_true", help="replace an instrid model file already at --out")
    fit.add_argument(
        "--weights",
        default="auto",
        type=_path,
        help="the ResNet-18's (--backbone resnet18): auto, imagenet, none, or a .pth file",
    )
    fit.add_argument("--epochs", type=COUNT, default=3, help="epochs of the head (default 3)")
    fit.add_argument(
        "--backbone-epochs",
        type=_integer(0),
        default=0,
        help="--backbone resnet18: first train it for this many epochs (instrid.models.finetune, "
        "notebook 14; 45 to 53 minutes for 3 at the default size on the 2-core development machine); "
        "default 0 keeps it frozen, as the report did",
    )
    fit.add_argument(
        "--top-n",
        type=_integer(1, 11),
        default=3,
        help="at most this many instruments per window (default 3)",
    )
    fit.add_argument("--train-examples", type=COUNT, default=20_000, help="segments drawn for training")
    fit.add_argument("--validation-examples", type=COUNT, default=5_000, help="segments drawn for validation")
    fit.add_argument(
        "--test-examples", type=COUNT, default=5_000, help="drawn as in the study, to share its cache"
    )
    fit.add_argument("--seed", type=SEED, default=0)
    fit.set_defaults(run=_train)

    apply = commands.add_parser(
        "predict",
        help="instruments in your own audio files, window by window",
        description="Instruments in your own audio, one 232 ms window at a time (latency: one window plus "
        "the model's compute). The default model is the study's final one (`make model`): a head on "
        "musicnn, a network pretrained to tag music, trained on the default synthetic dataset, "
        "MusicNetEM's labels rendered with two General MIDI SoundFonts (TimGM6mb, FluidR3_GM) with "
        "performance and room varied per recording. Notebook 11 measures how far it carries to a font "
        "it never heard; real recordings differ more. Every run prints what its model was trained on. "
        "Train on real MusicNet for real recordings.",
    )
    apply.add_argument("audio", nargs="*", type=_path, help="audio files (anything soundfile reads)")
    apply.add_argument(
        "--model",
        type=_path,
        help="model file from `instrid train` (default: the study's, made by `make model`)",
    )
    apply.add_argument(
        "--out",
        type=_path,
        help="folder for one CSV, JSON summary and PNG timeline per input (default: print the CSV); "
        "a rerun on the same input replaces its own outputs, nothing else is overwritten",
    )
    apply.add_argument(
        "--force", action="store_true", help="replace predict's outputs of another input of the same name"
    )
    apply.add_argument(
        "--hop",
        type=_number(MIN_HOP_S, MAX_HOP_S),
        default=None,
        help=f"seconds between windows, {MIN_HOP_S} to {MAX_HOP_S:g} (default: the window length)",
    )
    apply.add_argument(
        "--stream",
        action="store_true",
        help="read a WAV stream (or raw PCM: --rate, --channels, --format) from standard input and "
        "print each window's instruments as soon as it is decided; latency: one window "
        "(232 ms) plus a forward pass (milliseconds), then every --hop",
    )
    apply.add_argument(
        "--rate", type=_integer(1, MAX_RATE), help="raw PCM on standard input: sample rate, Hz"
    )
    apply.add_argument(
        "--channels",
        type=_integer(1, MAX_CHANNELS),
        default=1,
        help="raw PCM: interleaved channels (default 1)",
    )
    apply.add_argument(
        "--format",
        default="s16",
        choices=("s16", "s32", "f32"),
        help="raw PCM: little-endian sample format (default s16)",
    )
    rule = apply.add_mutually_exclusive_group()
    rule.add_argument(
        "--top-n", type=_integer(1, 11), help="declare the N most probable instruments (the report's rule)"
    )
    rule.add_argument(
        "--threshold", type=_number(0, 1), help="declare every instrument above this probability"
    )
    apply.set_defaults(run=_predict)

    notes_fit = commands.add_parser(
        "train-notes",
        help="train the instrument of each note on a dataset's notes (for instrid transcribe)",
        description="Train the small network that names the instrument of each note "
        "(instrid.models.note_instruments) on the notes of a MusicNet-format tree's training recordings, "
        "keeping the epoch of best mean F on its validation recordings' notes.",
    )
    notes_fit.add_argument("--root", required=True, type=_path, help="MusicNet-format tree")
    notes_fit.add_argument(
        "--out",
        type=_path,
        help="model file to write (default: instrid's cache, where `instrid transcribe` looks); not "
        "inside the dataset, never over a file instrid did not write",
    )
    notes_fit.add_argument(
        "--force", action="store_true", help="replace a note-instrument model file already at --out"
    )
    notes_fit.add_argument("--epochs", type=COUNT, help="epochs (default: the study's, 10)")
    notes_fit.add_argument(
        "--notes-per-recording",
        type=COUNT,
        help="notes drawn at random from each training recording (default: the study's, 400)",
    )
    notes_fit.add_argument("--seed", type=SEED, default=0)
    notes_fit.set_defaults(run=_train_notes)

    notes_apply = commands.add_parser(
        "transcribe",
        help="the notes in your own audio files and the instrument playing each, as MIDI",
        description="The notes of each recording (Basic Pitch's network, from the basic-pitch package, "
        "and a note tracker) and the instrument of each note (a network trained by `instrid train-notes`; "
        "the study's, by `make model`, on the default synthetic dataset). Writes per input a MIDI file "
        "with one track per instrument, a CSV of the notes, a JSON summary and a piano roll.",
    )
    notes_apply.add_argument("audio", nargs="+", type=_path, help="audio files (anything soundfile reads)")
    notes_apply.add_argument(
        "--out",
        required=True,
        type=_path,
        help="folder for <name>.mid, .notes.csv, .notes.json and .notes.png per input; a rerun on the "
        "same input replaces its own outputs, nothing else is overwritten",
    )
    notes_apply.add_argument(
        "--model", type=_path, help="note-instrument model file (default: the study's, from `make model`)"
    )
    notes_apply.add_argument(
        "--force", action="store_true", help="replace transcribe's outputs of another input of the same name"
    )
    notes_apply.set_defaults(run=_transcribe)

    for sub in (synth, fonts, musicnet, info, fit, apply, notes_fit, notes_apply):
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    # What an interrupted command leaves: every command removes its half-written files on the way out.
    parser.set_defaults(after_interrupt="nothing was left half-written")
    for sub in (synth, fonts, musicnet):
        sub.set_defaults(after_interrupt="rerun the same command to resume")
    fit.set_defaults(after_interrupt="rerun the same command: what was computed is read from the cache")
    notes_fit.set_defaults(after_interrupt="rerun the same command")
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0) or a refused option (2, its one line already printed)
        return exc.code if isinstance(exc.code, int) else 0
    # SIGTERM and SIGHUP (a closed terminal, a job scheduler) stop work like Ctrl-C: every half-written
    # file is removed on the way out, and rerunning the same command resumes.
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _interrupt)
    try:
        code = args.run(args)
    except InstridError as exc:
        print(f"instrid: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        # Disk full, a folder where a file was expected, no permission: the OS names the path.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"instrid: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"instrid: interrupted; {args.after_interrupt}", file=sys.stderr)
        return 130
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
