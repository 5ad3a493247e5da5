"""The ``instrid`` command line.

::

    instrid data synth    --root DIR [--soundfont SF2] [--recordings ID ...] [--jobs N]
    instrid data musicnet --root DIR [--md5 HASH | --no-verify] [--url URL]
    instrid data musicnet --from DIR
    instrid data info     --root DIR
    instrid results-table [--results results] [--readme README.md]
    instrid tidy-notebook NOTEBOOK ...
    instrid train   --root DIR --out MODEL.pt [--weights auto|imagenet|none|FILE] [--epochs N]
    instrid predict MODEL.pt AUDIO ... [--hop SECONDS] [--out predictions.csv]

Errors are reported as one line naming the file and the problem, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import time

from instrid.errors import InstridError


def _summary(index) -> str:
    lines = []
    for split, part in index.groupby("split", sort=False):
        lines.append(f"  {split:5s} {len(part):4d} recordings, {part['duration_s'].sum() / 3600:6.2f} h")
    return "\n".join(lines)


def _data_synth(args) -> None:
    from instrid import synth

    started = time.perf_counter()
    result = synth.build_synthetic_musicnet(
        args.root, soundfont=args.soundfont, recordings=args.recordings, jobs=args.jobs,
        audio_format=args.format, progress=not args.quiet,
    )
    elapsed = time.perf_counter() - started
    print(
        f"{args.root}: rendered {result['recordings']} recording(s) ({result['seconds'] / 3600:.2f} h of audio) "
        f"in {elapsed:.1f} s, {result['skipped']} already done"
    )


def _data_musicnet(args) -> None:
    from instrid import sources

    if args.from_dir:
        index = sources.validate_tree(args.from_dir, progress=not args.quiet)
        where = args.from_dir
    else:
        if not args.root:
            raise SystemExit("instrid data musicnet: give --root DIR (download there) or --from DIR (existing copy)")
        md5 = None if args.no_verify else (args.md5 or sources.MUSICNET_MD5)
        index = sources.install_musicnet(args.root, url=args.url, md5=md5, progress=not args.quiet)
        where = args.root
    print(f"{where}: MusicNet-format tree OK\n{_summary(index)}")


def _data_info(args) -> None:
    from instrid.data import MusicNet

    dataset = MusicNet(args.root)
    print(f"{dataset.root}\n{_summary(dataset.index)}")


def _results_table(args) -> None:
    from instrid import results

    if args.readme:
        changed = results.update_readme(args.readme, args.results)
        print(f"{args.readme}: findings {'updated' if changed else 'unchanged'}")
    else:
        print(results.findings_section(args.results))


def _tidy(args) -> None:
    from instrid.tidy import tidy_notebook

    for path in args.notebooks:
        tidy_notebook(path)


def _train(args) -> None:
    from instrid import predict

    weights = None if args.weights == "none" else args.weights
    summary = predict.train_model(args.root, args.out, weights=weights, epochs=args.epochs, top_n=args.top_n,
                                  train_examples=args.train_examples, validation_examples=args.validation_examples,
                                  seed=args.seed, progress=not args.quiet)
    print(f"{args.out}: saved; on validation recall {summary['recall']:.3f}, "
          f"{summary['fp_per_frame']:.2f} false positives per frame, micro F1 {summary['f1_micro']:.3f}")


def _predict(args) -> None:
    import pandas as pd

    from instrid import predict

    net, state = predict.load_model(args.model)
    tables = [predict.predict_file(net, state, path, hop_s=args.hop) for path in args.audio]
    table = pd.concat(tables, ignore_index=True)
    if args.out:
        from instrid.files import atomic_path

        with atomic_path(args.out) as tmp:
            table.to_csv(tmp, index=False)
    for path, part in zip(args.audio, tables):
        named = part["instruments"].str.split(";").explode()
        share = named[named != ""].value_counts() / len(part)
        found = ", ".join(f"{name} {100 * s:.0f}%" for name, s in share.items()) or "nothing"
        print(f"{path}: {len(part)} windows; {found}")
    if not args.out:
        print(table.to_csv(index=False), end="")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="instrid", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    data_parser = commands.add_parser("data", help="build, download or check a MusicNet-format dataset")
    data_commands = data_parser.add_subparsers(dest="data_command", required=True)

    synth = data_commands.add_parser("synth", help="render MusicNetEM into a synthetic MusicNet-format tree")
    synth.add_argument("--root", required=True, help="output tree (resumable)")
    synth.add_argument("--soundfont", help="General MIDI .sf2/.sf3 (default: TimGM6mb from pretty_midi)")
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

    info = data_commands.add_parser("info", help="summarise a MusicNet-format tree")
    info.add_argument("--root", required=True)
    info.set_defaults(run=_data_info)

    table = commands.add_parser("results-table", help="the README's findings and headline numbers, from results/*.json")
    table.add_argument("--results", default="results", help="folder of the notebooks' JSON results")
    table.add_argument("--readme", help="rewrite the generated section of this README instead of printing")
    table.set_defaults(run=_results_table)

    tidy = commands.add_parser("tidy-notebook", help="clean executed notebooks for committing (progress bars, run metadata)")
    tidy.add_argument("notebooks", nargs="+")
    tidy.set_defaults(run=_tidy)

    fit = commands.add_parser("train", help="fit the corrected pipeline on a dataset and save a model file")
    fit.add_argument("--root", required=True, help="MusicNet-format tree")
    fit.add_argument("--out", required=True, help="model file to write (.pt)")
    fit.add_argument("--weights", default="auto", help="backbone: auto, imagenet, none, or a .pth file")
    fit.add_argument("--epochs", type=int, default=3)
    fit.add_argument("--top-n", type=int, default=3, help="at most this many instruments per window")
    fit.add_argument("--train-examples", type=int, default=20_000)
    fit.add_argument("--validation-examples", type=int, default=5_000)
    fit.add_argument("--seed", type=int, default=0)
    fit.set_defaults(run=_train)

    apply = commands.add_parser("predict", help="instruments in your own audio files, window by window")
    apply.add_argument("model", help="a model file from `instrid train`")
    apply.add_argument("audio", nargs="+", help="audio files (anything soundfile reads)")
    apply.add_argument("--hop", type=float, default=None, help="seconds between windows (default: window length)")
    apply.add_argument("--out", help="write the per-window CSV here instead of printing it")
    apply.set_defaults(run=_predict)

    for sub in (synth, musicnet, info, fit):
        sub.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "url", "unset") is None:
        from instrid.sources import MUSICNET_URL

        args.url = MUSICNET_URL
    try:
        args.run(args)
    except InstridError as exc:
        print(f"instrid: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("instrid: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
