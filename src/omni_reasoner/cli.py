"""`omni-reasoner`: a thin command line over the Python API."""

from __future__ import annotations

import argparse
import json
import os
import sys

from omni_reasoner import __version__


def _cmd_data_build(args: argparse.Namespace) -> int:
    from omni_reasoner.data.build import build_dataset
    from omni_reasoner.data.config import load_config

    config = load_config(args.preset, args.config)
    if args.n is not None:
        config.n_train = args.n
    if args.schedule:
        config.schedules = args.schedule
    if args.trace:
        config.trace_style = args.trace
    if args.seed is not None:
        config.seed = args.seed
    config.validate()
    manifest = build_dataset(config, args.out, force=args.force, progress=not args.quiet)
    counts = ", ".join(f"{split} {c['total']}" for split, c in manifest["counts"].items())
    drift = ", ".join(f"{s} {r:.4f}" for s, r in manifest["drift_rate"].items())
    print(f"dataset in {args.out}: {counts}")
    print(f"drift rate (train): {drift}")
    return 0


def _cmd_data_show(args: argparse.Namespace) -> int:
    from omni_reasoner.data.inspect import show_examples

    colour = (
        sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        if args.color == "auto"
        else args.color == "always"
    )
    print(show_examples(args.dir, args.n, args.schedule, args.split, colour))
    return 0


def _cmd_data_check(args: argparse.Namespace) -> int:
    from omni_reasoner.data.inspect import check_dataset, format_check

    report = check_dataset(args.dir)
    print(json.dumps(report, indent=2) if args.json else format_check(report))
    return 0 if report["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omni-reasoner",
        description="Token-level thinking-in-speaking: build data, train and run a model that reasons while it speaks.",
    )
    parser.add_argument("--version", action="version", version=f"omni-reasoner {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="build, show and check interleaved datasets")
    data_commands = data.add_subparsers(dest="data_command", required=True)

    build = data_commands.add_parser(
        "build", help="collect, rewrite, split, schedule and check a dataset"
    )
    build.add_argument(
        "--preset", default="tiny", help="preset name under configs/ (default: tiny)"
    )
    build.add_argument("--config", help="a data config YAML file (instead of --preset)")
    build.add_argument("--out", required=True, help="output directory")
    build.add_argument("--n", type=int, help="number of training items (overrides the preset)")
    build.add_argument(
        "--schedule", action="append", metavar="S", help="build only these schedules (repeatable)"
    )
    build.add_argument(
        "--trace", choices=("calculator", "scratchpad"), help="reasoning trace style"
    )
    build.add_argument("--seed", type=int, help="override the preset's seed")
    build.add_argument(
        "--force", action="store_true", help="rebuild even if OUT holds another build"
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(func=_cmd_data_build)

    show = data_commands.add_parser(
        "show", help="print examples with the two streams visibly distinct"
    )
    show.add_argument("dir")
    show.add_argument("--n", type=int, default=3)
    show.add_argument("--schedule", help="which schedule's stream (default interleave:2:8)")
    show.add_argument("--split", default="train")
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    show.set_defaults(func=_cmd_data_show)

    check = data_commands.add_parser(
        "check", help="counts, drift, eval overlap; exit 1 on drift or overlap"
    )
    check.add_argument("dir")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.set_defaults(func=_cmd_data_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError) as exc:
        if os.environ.get("OMNI_REASONER_DEBUG"):
            raise
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"omni-reasoner: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
