"""The ``instrid`` command line.

::

    instrid data synth    --root DIR [--fonts NAME|SF2 ...] [--variation all|none|EFFECT,...] [--single-font]
                          [--recordings ID ...] [--jobs N]
    instrid data musicnet --root DIR [--md5 HASH | --no-verify] [--url URL]
    instrid data musicnet --from DIR
    instrid data info     --root DIR [--decode]
    instrid cache info
    instrid cache prune   [--unused-days N] [--max-gb X] [--dry-run]
    instrid results-table [--results results] [--readme README.md]
    instrid run-notebook  NOTEBOOK [--out PATH] [-f PARAMETERS.yaml] [-p NAME VALUE ...]
    instrid tidy-notebook NOTEBOOK ...
    instrid train   --root DIR [--out MODEL.pt] [--weights auto|imagenet|none|FILE] [--epochs N]
    instrid predict AUDIO ... [--model MODEL.pt] [--out DIR] [--hop SECONDS] [--top-n N | --threshold T]

Errors are reported as one line naming the file and the problem, exit status 2.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time

from instrid.errors import InstridError


def _summary(index) -> str:
    lines = []
    for split, part in index.groupby("split", sort=False):
        lines.append(f"  {split:5s} {len(part):4d} recordings, {part['duration_s'].sum() / 3600:6.2f} h")
    return "\n".join(lines)


def _synth_defaults() -> dict:
    from instrid import synth

    return {"fonts": synth.DEFAULT_FONTS}


def _data_synth(args) -> None:
    from instrid import synth, variation
    from instrid.errors import UsageError

    try:
        varied = variation.Variation.parse(
            "none" if args.single_font else args.variation, seed=args.variation_seed
        )
    except ValueError as exc:
        raise UsageError(f"--variation: {exc}") from None
    fonts = ["TimGM6mb"] if args.single_font else args.fonts
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
    )


def _data_musicnet(args) -> None:
    from instrid import sources

    if args.from_dir:
        index = sources.validate_tree(args.from_dir, progress=not args.quiet)
        where = args.from_dir
    else:
        if not args.root:
            raise SystemExit(
                "instrid data musicnet: give --root DIR (download there) or --from DIR (existing copy)"
            )
        md5 = None if args.no_verify else (args.md5 or sources.MUSICNET_MD5)
        index = sources.install_musicnet(args.root, url=args.url, md5=md5, progress=not args.quiet)
        where = args.root
    print(f"{where}: MusicNet-format tree OK\n{_summary(index)}")


def _data_info(args) -> None:
    from instrid import sources
    from instrid.data import find_root

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
    for name, value in (("--unused-days", args.unused_days), ("--max-gb", args.max_gb)):
        if value is not None and value < 0:
            raise UsageError(f"cache prune: {name} must be at least 0, got {value:g}")
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
        "(embeddings and relabelings: recomputed when needed; downloads and the model kept)"
    )
    for entry in kept:
        print(f"{entry.path}: being computed by another run, kept")


def _results_table(args) -> None:
    from instrid import results

    if args.readme:
        changed = results.update_readme(args.readme, args.results)
        print(f"{args.readme}: findings {'updated' if changed else 'unchanged'}")
    else:
        print(results.findings_section(args.results))


def _run_notebook(args) -> None:
    import yaml

    from instrid.errors import UsageError
    from instrid.notebooks import run_notebook

    parameters = {}
    if args.parameters_file:
        try:
            parameters = yaml.safe_load(open(args.parameters_file)) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise UsageError(
                f"{args.parameters_file}: cannot read parameters: {str(exc).splitlines()[0]}"
            ) from None
        if not isinstance(parameters, dict):
            raise UsageError(f"{args.parameters_file}: parameters must be a mapping of name: value")
    # As papermill's -p: a value is read as YAML (numbers, null, lists), a path stays a string.
    parameters.update({name: yaml.safe_load(value) for name, value in args.parameter})
    print(f"papermill {args.notebook}" + (f" -> {args.out}" if args.out else ""), flush=True)
    start = time.perf_counter()
    run_notebook(args.notebook, args.out, parameters)
    # benchmarks/bench_study.py reads these lines for each notebook's share of a study.
    print(f"{args.notebook}: ran in {time.perf_counter() - start:.1f} s", flush=True)


def _tidy(args) -> None:
    from instrid.notebooks import tidy_notebook

    for path in args.notebooks:
        tidy_notebook(path)


def _train(args) -> None:
    from instrid import pipeline, predict
    from instrid.errors import UsageError

    if args.backbone_epochs < 0:
        raise UsageError(f"--backbone-epochs must be at least 0, got {args.backbone_epochs}")
    out = args.out or predict.default_model_path()
    weights = None if args.weights == "none" else args.weights
    summary = pipeline.train_model(
        args.root,
        out,
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
    import math
    from pathlib import Path

    from instrid import modelfile, predict
    from instrid.errors import UsageError
    from instrid.instruments import N_INSTRUMENTS

    if args.hop is not None and not (math.isfinite(args.hop) and args.hop >= MIN_HOP_S):
        raise UsageError(f"--hop must be at least {MIN_HOP_S} seconds, got {args.hop}")
    if args.top_n is not None and not 1 <= args.top_n <= N_INSTRUMENTS:
        raise UsageError(f"--top-n must be 1..{N_INSTRUMENTS}, got {args.top_n}")
    if args.threshold is not None and not (math.isfinite(args.threshold) and 0 <= args.threshold <= 1):
        raise UsageError(f"--threshold must be a probability in [0, 1], got {args.threshold}")
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
        _check_outputs(out_dir, inputs, model_path)
    net, state = modelfile.load_model(model_path)
    rule = (
        f"top-{args.top_n}"
        if args.top_n is not None
        else f"threshold {args.threshold}"
        if args.threshold is not None
        else modelfile.rule_of(state)
    )
    failed = 0
    for path in inputs:
        try:
            table = predict.predict_file(
                net, state, path, hop_s=args.hop, top_n=args.top_n, threshold=args.threshold
            )
        except InstridError as exc:
            print(f"instrid: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        summary = predict.summarize(table, trained_on=modelfile.trained_on(state), rule=rule)
        found = ", ".join(
            f"{name} {100 * v['share_of_windows']:.0f}%" for name, v in summary["instruments"].items()
        )
        # Without --out, standard output is the CSV alone; the one-line summary goes to stderr.
        print(
            f"{path}: {len(table)} windows; {found or 'nothing'}", file=sys.stdout if out_dir else sys.stderr
        )
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            predict.write_outputs(table, summary, out_dir, path.stem)
        else:
            print(table.to_csv(index=False), end="")
    if failed:
        if len(inputs) > 1:
            print(
                f"instrid: {failed} of {len(inputs)} file(s) failed; the others were written", file=sys.stderr
            )
        return 2
    return 0


def _predict_stream(args, model_path) -> int:
    """Windows of standard input's audio, each printed as soon as it is decided."""
    from instrid import data, modelfile, predict
    from instrid.errors import UsageError

    if args.audio or args.out:
        raise UsageError("--stream reads standard input and prints to standard output: no files, no --out")
    stream = sys.stdin.buffer
    if args.rate is None:
        rate, channels, sample_format = data.wav_stream_header(stream)
    else:
        rate, channels, sample_format = args.rate, args.channels, args.format
    net, state = modelfile.load_model(model_path)
    blocks = data.stream_blocks(
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
        print(f"{start:.4f},{end:.4f},{';'.join(names)}", flush=True)
    return 0


#: The shortest hop ``instrid predict`` accepts: 100 windows per second of audio.
MIN_HOP_S = 0.01


def _check_outputs(out_dir, inputs, model_path) -> None:
    """Refuse an output folder that is a file, or outputs that would overwrite an input or each other."""
    from instrid.errors import UsageError

    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(
            f"{out_dir}: --out must be a folder (it will hold one .csv, .json and .png per input)"
        )
    protected = {p.resolve() for p in [*inputs, model_path] if p.exists()}
    stems = {}
    for path in inputs:
        if path.stem in stems:
            raise UsageError(
                f"{path}: writes the same outputs as {stems[path.stem]} ({path.stem}.csv ...); "
                "rename one or predict them separately"
            )
        stems[path.stem] = path
        for suffix in (".csv", ".json", ".png"):
            target = (out_dir / f"{path.stem}{suffix}").resolve()
            if target in protected:
                raise UsageError(f"{target}: is an input; refusing to write {path.name}'s output over it")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="instrid", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data_parser = commands.add_parser("data", help="build, download or check a MusicNet-format dataset")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)

    synth = data_commands.add_parser("synth", help="render MusicNetEM into a synthetic MusicNet-format tree")
    synth.add_argument("--root", required=True, help="output tree (resumable)")
    synth.add_argument(
        "--fonts",
        nargs="+",
        default=list(_synth_defaults()["fonts"]),
        metavar="NAME|SF2",
        help="General MIDI SoundFonts, assigned per recording (seeded, balanced per split and ensemble): "
        "TimGM6mb (ships with pretty_midi), FluidR3_GM (downloaded once, 148 MB, checksum verified), "
        "the study's held-out fonts sf_GMbank (Csound's, from Debian's csound-soundfont package, 4 MB) and "
        "OPL3_FM (an OPL3 FM chip's timbre, from Debian's opl3-soundfont package, 135 MB), each verified, "
        "or paths of .sf2 files (default: TimGM6mb FluidR3_GM)",
    )
    synth.add_argument("--font-seed", type=int, default=0, help="seed of the font assignment")
    synth.add_argument(
        "--font-sha256", help="accept a FluidR3_GM download with this SHA-256 instead of the published one"
    )
    synth.add_argument(
        "--variation",
        default="all",
        help="performance and room per recording, seeded: all (default), none, or a comma-separated list "
        "of dynamics, timing, tuning, room, equalisation, level, noise",
    )
    synth.add_argument("--variation-seed", type=int, default=0, help="seed of the variation draws")
    synth.add_argument(
        "--single-font",
        action="store_true",
        help="TimGM6mb only and no variation: the single-font dataset of instrid 0.1 (same audio)",
    )
    synth.add_argument("--soundfont", help="one .sf2 for every recording (instead of --fonts)")
    synth.add_argument("--recordings", nargs="+", type=int, metavar="ID", help="only these recording ids")
    synth.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    synth.add_argument("--format", choices=("flac", "wav"), default="flac", help="audio files (default flac)")
    synth.set_defaults(run=_data_synth)

    musicnet = data_commands.add_parser("musicnet", help="download (or index) the real MusicNet")
    musicnet.add_argument("--root", help="download and extract here (about 11 GB archive + tree)")
    musicnet.add_argument("--from", dest="from_dir", help="index an existing copy (Zenodo or Kaggle layout)")
    musicnet.add_argument("--url", default=None, help="archive address (default: Zenodo record 5120004)")
    musicnet.add_argument("--md5", help="expected md5 of the archive instead of the published one")
    musicnet.add_argument("--no-verify", action="store_true", help="do not check the archive's md5")
    musicnet.set_defaults(run=_data_musicnet)

    info = data_commands.add_parser("info", help="check and summarise a MusicNet-format tree")
    info.add_argument("--root", required=True)
    info.add_argument(
        "--decode",
        action="store_true",
        help="decode all audio, not just each file's end (finds corruption anywhere; slower)",
    )
    info.set_defaults(run=_data_info)

    cache_parser = commands.add_parser(
        "cache", help="what instrid's cache holds; remove embeddings and relabelings not used lately"
    )
    cache_commands = cache_parser.add_subparsers(dest="cache_command", required=True)
    cache_commands.add_parser("info", help="size of each part of the cache").set_defaults(run=_cache_info)
    prune = cache_commands.add_parser(
        "prune",
        help="remove cached embeddings and relabelings (recomputed when needed; downloads and model kept)",
    )
    prune.add_argument("--unused-days", type=float, help="remove entries not read for more than N days")
    prune.add_argument("--max-gb", type=float, help="then the least recently used until the rest fit in X GB")
    prune.add_argument("--dry-run", action="store_true", help="say what would go; remove nothing")
    prune.set_defaults(run=_cache_prune)

    table = commands.add_parser(
        "results-table", help="the README's findings and headline numbers, from results/*.json"
    )
    table.add_argument("--results", default="results", help="folder of the notebooks' JSON results")
    table.add_argument("--readme", help="rewrite the generated section of this README instead of printing")
    table.set_defaults(run=_results_table)

    run_nb = commands.add_parser(
        "run-notebook",
        help="execute a study notebook (papermill) with the parameters it declares, then tidy it",
    )
    run_nb.add_argument("notebook")
    run_nb.add_argument("--out", help="executed notebook to write (default: in place)")
    run_nb.add_argument(
        "-f", dest="parameters_file", help="YAML parameters; those the notebook lacks are skipped"
    )
    run_nb.add_argument(
        "-p", dest="parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE")
    )
    run_nb.set_defaults(run=_run_notebook)

    tidy = commands.add_parser(
        "tidy-notebook", help="clean executed notebooks for committing (progress bars, run metadata)"
    )
    tidy.add_argument("notebooks", nargs="+")
    tidy.set_defaults(run=_tidy)

    fit = commands.add_parser("train", help="fit the corrected pipeline on a dataset and save a model file")
    fit.add_argument("--root", required=True, help="MusicNet-format tree")
    fit.add_argument(
        "--out", help="model file to write (default: where `instrid predict` looks, see --model)"
    )
    fit.add_argument("--weights", default="auto", help="backbone: auto, imagenet, none, or a .pth file")
    fit.add_argument("--epochs", type=int, default=3, help="epochs of the head")
    fit.add_argument(
        "--backbone-epochs",
        type=int,
        default=3,
        help="first train the backbone itself for this many epochs (instrid.finetune; 45 to 53 minutes at "
        "the default size on the 2-core development machine, one thread each, sharing its cores; 0 keeps it "
        "frozen, as the report did)",
    )
    fit.add_argument("--top-n", type=int, default=3, help="at most this many instruments per window")
    fit.add_argument("--train-examples", type=int, default=20_000)
    fit.add_argument("--validation-examples", type=int, default=5_000)
    fit.add_argument(
        "--test-examples", type=int, default=5_000, help="drawn as in the study, to share its cache"
    )
    fit.add_argument("--seed", type=int, default=0)
    fit.set_defaults(run=_train)

    apply = commands.add_parser(
        "predict",
        help="instruments in your own audio files, window by window",
        description="Instruments in your own audio, one 232 ms window at a time (latency: one window plus "
        "the model's compute). The default model is the study's final one (`make model`): trained on "
        "the default synthetic dataset, MusicNetEM's labels rendered with two General MIDI SoundFonts "
        "(TimGM6mb, FluidR3_GM) with performance and room varied per recording, and a randomly "
        "initialized backbone where ImageNet weights could not be loaded, then trained on the task "
        "for 3 epochs with a random equalisation per example. Notebook 07 measures how far "
        "such a model carries to a font it never heard; real recordings differ more. Every run prints "
        "what its model was trained on. Train on real MusicNet with ImageNet weights for real recordings.",
    )
    apply.add_argument("audio", nargs="*", help="audio files (anything soundfile reads)")
    apply.add_argument(
        "--model", help="model file from `instrid train` (default: the study's, made by `make model`)"
    )
    apply.add_argument(
        "--out", help="folder for one CSV, JSON summary and PNG timeline per input (default: print the CSV)"
    )
    apply.add_argument(
        "--hop",
        type=float,
        default=None,
        help=f"seconds between windows, at least {MIN_HOP_S} (default: the window length)",
    )
    apply.add_argument(
        "--stream",
        action="store_true",
        help="read a WAV stream (or raw PCM: --rate, --channels, --format) from standard input and "
        "print each window's instruments as soon as it is decided; latency: one window "
        "(232 ms) plus a forward pass (milliseconds), then every --hop",
    )
    apply.add_argument("--rate", type=int, help="raw PCM on standard input: sample rate, Hz")
    apply.add_argument("--channels", type=int, default=1, help="raw PCM: interleaved channels (default 1)")
    apply.add_argument(
        "--format",
        default="s16",
        choices=("s16", "s32", "f32"),
        help="raw PCM: little-endian sample format (default s16)",
    )
    rule = apply.add_mutually_exclusive_group()
    rule.add_argument("--top-n", type=int, help="declare the N most probable instruments (the report's rule)")
    rule.add_argument("--threshold", type=float, help="declare every instrument above this probability")
    apply.set_defaults(run=_predict)

    for sub in (synth, musicnet, info, fit):
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM and SIGHUP (a closed terminal, a job scheduler) stop work like Ctrl-C: every half-written
    # file is removed on the way out, and rerunning the same command resumes.
    if threading.current_thread() is threading.main_thread():
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _interrupt)
    if getattr(args, "url", "unset") is None:
        from instrid.sources import MUSICNET_URL

        args.url = MUSICNET_URL
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
        print("instrid: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
