"""The stage registry: what each curation stage reads, writes and takes on the command line.

``STAGES`` lists the chain in order. ``thresher <stage>`` (pipeline/cli.py) and ``thresher run``
(pipeline/chain.py) both go through ``runner.run_stage(stage, inputs, output, config, options)``,
which owns the stage contract: clear the stage's tables, build and run the job, write the tables a
stage leaves empty, read its stats and write the completion marker with the one config hash
(``Config.hash(stage.sections)``).

A stage's module (``Stage.module``, imported on first use) provides
``prepare(inputs, output, config, config_hash) -> Job``: the driver-side listing of its inputs
(metadata only) and the function that adds the stage's steps to a Beam pipeline.
"""
from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass, field
from typing import Callable

FORMATS = ("auto", "jsonl", "parquet", "wet", "warc", "txt")


@dataclass(frozen=True)
class Job:
    """What ``prepare`` returns: ``build(pipeline)`` adds the stage's steps; ``marker`` holds the
    input description recorded in the completion marker (fingerprints, input paths); ``rerun``,
    when given, maps the job's failure to a Job to run instead (None: the failure stands); the new
    job's ``marker["rerun"]`` says why, on stderr and in the completion marker."""
    build: Callable
    marker: dict = field(default_factory=dict)
    rerun: Callable[[BaseException], "Job | None"] | None = None


@dataclass(frozen=True)
class Stage:
    """One curation stage.

    name: sub-command and output folder name; sections: Config sections it reads (its config hash
    covers these and the schema version); tables: the tables it writes under its output (cleared
    before it runs); empty_tables: contract tables its job never fills, written empty afterwards;
    scratch: temporary folders cleared before and after; optional_tables: tables written only
    when a setting or the input asks for them (dedup's topics/), cleared before it runs; inputs: (args or chain values) ->
    the ``inputs`` dict its ``prepare`` takes."""
    name: str
    help: str
    module: str
    sections: tuple[str, ...]
    tables: tuple[str, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    from_args: Callable[[argparse.Namespace], dict]
    from_chain: Callable[[list, str | None, dict], dict]
    empty_tables: tuple[str, ...] = ()
    scratch: tuple[str, ...] = ()
    optional_tables: tuple[str, ...] = ()

    @property
    def stats_file(self) -> str:
        return f"{self.name}.json"

    def impl(self):
        """The stage's module (``prepare``, optional ``check(stats, output)``)."""
        return importlib.import_module(self.module)


def _output_and_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output", required=True, metavar="DIR", help="where this stage writes its tables")
    p.add_argument("--config", metavar="FILE", help="YAML curation settings (default: built-in defaults)")


def raw_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", action="append", required=True, metavar="GLOB",
                   help="input files: glob, directory or path (repeatable)")
    _output_and_config(p)
    p.add_argument("--format", choices=FORMATS, help="override the format taken from file extensions")


def _stage_input_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, metavar="DIR", help="the previous stage's output directory")
    _output_and_config(p)


def _annotate_arguments(p: argparse.ArgumentParser) -> None:
    _stage_input_arguments(p)
    p.add_argument("--toxicity-model", metavar="MODEL", help="score toxicity with this model")
    p.add_argument("--quality-model", metavar="MODEL", help="add this classifier to quality_score")


def _manifest_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--annotated", required=True, metavar="DIR", help="thresher annotate output")
    p.add_argument("--dedup", required=True, metavar="DIR", help="thresher dedup output")
    _output_and_config(p)


STAGES: list[Stage] = [
    Stage("ingest", "raw files -> Parquet document shards", "pipeline.ingest", ("ingest",),
          ("docs", "rejected", "errors"), raw_input_arguments,
          from_args=lambda a: {"inputs": list(a.input), "format": a.format},
          from_chain=lambda raw, fmt, dirs: {"inputs": list(raw), "format": fmt},
          scratch=("_tmp",)),
    Stage("annotate", "add language, quality and safety signals to every document", "pipeline.annotate",
          ("annotate",), ("docs", "rejected", "errors"), _annotate_arguments,
          from_args=lambda a: {"input": a.input},
          from_chain=lambda raw, fmt, dirs: {"input": dirs["ingest"]},
          empty_tables=("rejected",)),
    Stage("dedup", "exact, repetition and MinHash near-duplicate clusters (semantic ones and topics with embeddings)", "pipeline.dedup", ("dedup",),
          ("clusters", "repeats", "signatures", "rejected", "errors"), _stage_input_arguments,
          from_args=lambda a: {"input": a.input},
          from_chain=lambda raw, fmt, dirs: {"input": dirs["annotate"]},
          empty_tables=("rejected", "errors"), optional_tables=("topics",)),
    Stage("manifest", "select, cut, redact and weight documents into a sampling manifest", "pipeline.manifest",
          ("manifest",), ("curated", "index", "rejected", "errors"), _manifest_arguments,
          from_args=lambda a: {"annotated": a.annotated, "dedup": a.dedup},
          from_chain=lambda raw, fmt, dirs: {"annotated": dirs["annotate"], "dedup": dirs["dedup"]},
          scratch=("_tmp",)),
]

BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}
