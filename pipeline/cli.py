"""``thresher`` command line: one sub-command per stage, ``run`` to chain them, ``demo``.

Curation settings come from ``--config FILE`` (YAML); every flag the command does not know is
passed to Beam untouched (``--runner``, ``--direct_num_workers``, ``--project``, ...).
"""
from __future__ import annotations

import argparse
import json
import sys

from pipeline.config import ConfigError, load_config
from pipeline.runner import InputError, beam_options


def _common(p: argparse.ArgumentParser, *, many_inputs: bool) -> None:
    if many_inputs:
        p.add_argument("--input", action="append", required=True, metavar="GLOB",
                       help="input files: glob, directory or path (repeatable)")
    else:
        p.add_argument("--input", required=True, metavar="DIR", help="the previous stage's output directory")
    p.add_argument("--output", required=True, metavar="DIR", help="where this stage writes its tables")
    p.add_argument("--config", metavar="FILE", help="YAML curation settings (default: built-in defaults)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thresher", allow_abbrev=False,
        description="Corpus curation for LLM pre-training on Apache Beam. Unknown flags go to Beam.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", allow_abbrev=False, help="raw files -> Parquet document shards")
    _common(ingest, many_inputs=True)
    ingest.add_argument("--format", choices=["auto", "jsonl", "parquet", "wet", "warc", "txt"],
                        help="override the format taken from file extensions")

    run = sub.add_parser("run", allow_abbrev=False, help="chain every stage, each under OUTPUT/<stage>/")
    _common(run, many_inputs=True)
    run.add_argument("--format", choices=["auto", "jsonl", "parquet", "wet", "warc", "txt"])

    demo = sub.add_parser("demo", allow_abbrev=False, help="build a small sample corpus and run everything on it")
    demo.add_argument("--output", default="demo_out", metavar="DIR")
    demo.add_argument("--docs", type=int, default=300, help="documents in the generated sample")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    try:
        if args.command == "demo":
            from pipeline.demo import run_demo
            return run_demo(args.output, args.docs, beam_args)
        config = load_config(args.config)
        options = beam_options(beam_args, args.command)
        if args.command == "ingest":
            from pipeline.ingest import run_ingest
            stats = run_ingest(args.input, args.output, config, options, fmt=args.format)
            print(json.dumps(summary(stats), indent=1))
        elif args.command == "run":
            from pipeline.chain import run_all
            report = run_all(args.input, args.output, config, options, fmt=args.format)
            print(json.dumps(report, indent=1))
    except (ConfigError, InputError) as exc:
        print(f"thresher {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def summary(stats: dict) -> dict:
    """The headline figures of a stage's stats (no per-file breakdown)."""
    return {k: v for k, v in stats.items() if not k.startswith("by_file")}


if __name__ == "__main__":
    sys.exit(main())
