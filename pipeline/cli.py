"""``thresher`` command line: one sub-command per stage, ``run`` to chain them, ``demo``.

Curation settings come from ``--config FILE`` (YAML); every flag the command does not know is
passed to Beam untouched (``--runner``, ``--direct_num_workers``, ``--project``, ...).

Start-up: this module imports only the stage registry (argparse), so ``thresher --help`` and an
argument error never import Apache Beam, pyarrow or the scorers; a command imports what it runs
once its arguments have been parsed.
"""
from __future__ import annotations

import argparse
import json
import sys

from pipeline.stages import BY_NAME, STAGES, raw_input_arguments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thresher", allow_abbrev=False,
        description="Corpus curation for LLM pre-training on Apache Beam. Unknown flags go to Beam.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for stage in STAGES:
        stage.add_arguments(sub.add_parser(stage.name, allow_abbrev=False, help=stage.help))

    train = sub.add_parser("train", allow_abbrev=False, help="train a fastText classifier or the static embedding model for annotate")
    kinds = train.add_subparsers(dest="kind", required=True, metavar="KIND")
    tox = kinds.add_parser("toxicity", allow_abbrev=False, help="offensive-language classifier")
    tox.add_argument("--train", required=True, help="CSV or JSONL with text and label columns")
    tox.add_argument("--dev", help="labelled file to report accuracy/F1 on (not used for tuning)")
    tox.add_argument("--output", required=True, metavar="MODEL")
    tox.add_argument("--text-col", default="TEXT")
    tox.add_argument("--label-col", default="label")
    tox.add_argument("--positive-label", default="1")
    tox.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="fastText training parameter, e.g. bucket=200000 (repeatable)")
    qual = kinds.add_parser("quality", allow_abbrev=False, help="good-vs-bad document classifier")
    qual.add_argument("--positive", action="append", required=True, help="good examples (repeatable)")
    qual.add_argument("--negative", action="append", required=True, help="bad examples (repeatable)")
    qual.add_argument("--output", required=True, metavar="MODEL")
    qual.add_argument("--text-col", default="text")
    qual.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")

    emb = kinds.add_parser("embeddings", allow_abbrev=False,
                           help="static embedding model (PPMI-SVD on a corpus sample) for annotate.embedding_model")
    emb.add_argument("--input", required=True, metavar="DIR", help="an annotate (or ingest) output directory")
    emb.add_argument("--output", required=True, metavar="MODEL", help="model folder to write")
    emb.add_argument("--dim", type=int, default=64, help="vector dimension (default 64)")
    emb.add_argument("--max-docs", type=int, default=20_000, help="documents in the deterministic sample")
    emb.add_argument("--seed", type=int, default=0, help="sample seed")
    emb.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                     help="training parameter, e.g. min_count=3, hashed_dim=256, window=5 (repeatable)")

    run = sub.add_parser("run", allow_abbrev=False, help="chain every stage, each under OUTPUT/<stage>/")
    raw_input_arguments(run)
    run.add_argument("--json", action="store_true",
                     help="print every stage's headline stats as JSON instead of the summary")
    run.add_argument("--force", action="store_true",
                     help="re-run every stage even when its completion marker says it is up to date")
    run.add_argument("--until", choices=[stage.name for stage in STAGES], metavar="STAGE",
                     help="stop after this stage (" + ", ".join(stage.name for stage in STAGES) + "); a later "
                          "full run skips the stages that are still up to date")

    export = sub.add_parser("export", allow_abbrev=False, help="a manifest in a consumer's layout")
    export.add_argument("format", choices=["megatron"], help="megatron: per-bucket JSONL + blend.txt")
    export.add_argument("--manifest", required=True, help="the manifest directory (OUTPUT/manifest of a run)")
    export.add_argument("--output", required=True)
    demo = sub.add_parser("demo", allow_abbrev=False, help="build a small sample corpus and run everything on it")
    demo.add_argument("--output", default="demo_out", metavar="DIR")
    demo.add_argument("--docs", type=int, default=300, help="documents in the generated sample")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, beam_args = parser.parse_known_args(argv)
    # imported here, not at the top: --help and argument errors have exited by now
    from pipeline.process import limit_malloc_arenas
    limit_malloc_arenas()   # before the runner starts its threads and worker processes
    from pipeline.config import ConfigError, load_config
    from pipeline.runner import InputError, StageError, beam_options, run_stage
    try:
        if args.command == "demo":
            from pipeline.demo import run_demo
            return run_demo(args.output, args.docs, beam_args)
        if args.command == "train":
            from pipeline import train
            beam_options(beam_args, "train")   # FileSystems options (--s3_endpoint_url ...) for the paths
            if args.kind == "embeddings":
                metrics = train.train_embeddings(args.input, args.output, dim=args.dim, max_docs=args.max_docs,
                                                 seed=args.seed, params=train.parse_params(args.param))
            elif args.kind == "toxicity":
                metrics = train.on_any_filesystem(train.train_toxicity, [args.train, args.dev], args.output,
                                                  args.text_col, args.label_col, args.positive_label,
                                                  train.parse_params(args.param))
            else:
                metrics = train.on_any_filesystem(train.train_quality, [args.positive, args.negative], args.output,
                                                  args.text_col, params=train.parse_params(args.param))
            train.print_metrics(metrics)
            return 0
        options = beam_options(beam_args, args.command)   # first: FileSystems needs them for --config
        if args.command == "export":
            from pipeline.export import run_export_megatron
            print(json.dumps(run_export_megatron(args.manifest, args.output, options), indent=1))
            return 0
        config = load_config(args.config)
        config = with_model_overrides(config, getattr(args, "toxicity_model", None),
                                      getattr(args, "quality_model", None))
        if args.command in BY_NAME:
            stage = BY_NAME[args.command]
            stats = run_stage(stage, stage.from_args(args), args.output, config, options)
            from pipeline.chain import summary
            print(json.dumps(summary(stats), indent=1))
        elif args.command == "run":
            from pipeline.chain import run_all
            until = [stage.name for stage in STAGES].index(args.until) if args.until else len(STAGES) - 1
            report = run_all(args.input, args.output, config, options, fmt=args.format, force=args.force,
                             stages=STAGES[:until + 1])
            if args.json:
                print(json.dumps(report, indent=1))
            else:
                from pipeline.summary import run_summary
                print("\n".join(run_summary(report, args.output)))
    except (ConfigError, InputError, ValueError, FileNotFoundError) as exc:
        print(f"thresher {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except StageError as exc:
        print(f"thresher {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"thresher {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


def with_model_overrides(config, toxicity_model, quality_model):
    """Apply --toxicity-model / --quality-model on top of the config file."""
    import dataclasses
    annotate = config.annotate
    if toxicity_model:
        annotate = dataclasses.replace(annotate, safety=dataclasses.replace(annotate.safety,
                                                                            toxicity_model=toxicity_model))
    if quality_model:
        annotate = dataclasses.replace(annotate, quality_model=quality_model)
    return dataclasses.replace(config, annotate=annotate)


if __name__ == "__main__":
    sys.exit(main())
