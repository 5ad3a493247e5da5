"""The ``instrid`` command line.

::

    instrid data synth    --root DIR [--soundfont SF2] [--recordings ID ...] [--jobs N]
    instrid data musicnet --root DIR [--md5 HASH | --no-verify] [--url URL]
    instrid data musicnet --from DIR
    instrid data info     --root DIR
    instrid results-table [--results results] [--readme README.md]
    instrid tidy-notebook NOTEBOOK ...

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
    from instrid import plots

    if args.readme:
        changed = plots.update_readme(args.readme, args.results)
        print(f"{args.readme}: results table {'updated' if changed else 'unchanged'}")
    else:
        print(plots.results_table(args.results))


def _tidy(args) -> None:
    from instrid import plots

    for path in args.notebooks:
        plots.tidy_notebook(path)


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

    table = commands.add_parser("results-table", help="the README's results table, from results/*.json")
    table.add_argument("--results", default="results", help="folder of the notebooks' JSON results")
    table.add_argument("--readme", help="rewrite the generated section of this README instead of printing")
    table.set_defaults(run=_results_table)

    tidy = commands.add_parser("tidy-notebook", help="collapse progress-bar output of executed notebooks")
    tidy.add_argument("notebooks", nargs="+")
    tidy.set_defaults(run=_tidy)

    for sub in (synth, musicnet, info):
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
