"""``thresher run``: every stage in order, each under OUTPUT/<stage>/, skipping stages that are
already complete for the current settings and input (``force=True`` redoes everything).

A stage is up to date when its completion marker (runner.MARKER, written by run_stage and sealed
here once the stage function has returned) records
  * ``stage_config_hash``: a digest of the config sections the stage reads (plus the schema
    version), so a dedup-only change leaves ingest and annotate alone;
  * ``chain_input``: for the first stage, the fingerprint of the matched input files (paths,
    sizes, format); for a later stage, the previous stage's ``run_id`` and its docs/ file sizes,
    so any re-run upstream makes every later stage run again.
A run killed part-way leaves finished stages sealed and the interrupted one without a matching
marker; the next ``thresher run`` resumes from there.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable

from apache_beam.io.filesystems import FileSystems

from pipeline.config import Config
from pipeline.runner import MARKER, InputError, fingerprint, match_inputs, read_marker, write_marker
from schemas import SCHEMA_VERSION


@dataclass(frozen=True)
class Stage:
    """One step of the chain: ``run(input, output_dir, config, options, fmt, dirs=...) -> stats`` where
    ``input`` is the previous stage's directory (the raw input globs for the first stage) and
    ``dirs`` maps every stage name to its directory (for stages reading more than one)."""
    name: str
    sections: tuple[str, ...]          # Config sections whose values change this stage's output
    run: Callable[..., dict]
    stats: str                         # stats file under OUTPUT/<stage>/stats/


def _run_ingest(inp, out, config, options, fmt, dirs=None):
    from pipeline.ingest import run_ingest
    return run_ingest(inp, out, config, options, fmt=fmt)


def _run_annotate(inp, out, config, options, fmt, dirs=None):
    from pipeline.annotate import run_annotate
    return run_annotate(inp, out, config, options)


def _run_dedup(inp, out, config, options, fmt, dirs=None):
    from pipeline.dedup import run_dedup
    return run_dedup(inp, out, config, options)


def _run_manifest(inp, out, config, options, fmt, dirs=None):
    from pipeline.manifest import run_manifest
    return run_manifest(dirs["annotate"], dirs["dedup"], out, config, options)


STAGES: list[Stage] = [
    Stage("ingest", ("ingest",), _run_ingest, "ingest.json"),
    Stage("annotate", ("annotate",), _run_annotate, "annotate.json"),
    Stage("dedup", ("dedup",), _run_dedup, "dedup.json"),
    Stage("manifest", ("manifest",), _run_manifest, "manifest.json"),
]


def _file_digest(path) -> str | None:
    """Size and mtime of a model file named in the config, any scheme (None when absent)."""
    if isinstance(path, str) and path:
        from pipeline.fs import stamp
        return stamp(path)
    return None


def stage_config_hash(config: Config, sections: tuple[str, ...]) -> str:
    """Digest of the named config sections (and of model files they name) plus the schema version."""
    parts = {"schema_version": SCHEMA_VERSION}
    for name in sections:
        section = dataclasses.asdict(getattr(config, name))
        parts[name] = section
        if name == "annotate":
            parts["models"] = [_file_digest(section.get("quality_model")),
                               _file_digest(section.get("safety", {}).get("toxicity_model"))]
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def upstream_fingerprint(prev_dir: str) -> str | None:
    """The previous stage's run id plus the paths and sizes of its output files (None when it has
    no marker, i.e. never finished)."""
    marker = read_marker(prev_dir)
    if marker is None or "run_id" not in marker:
        return None
    try:
        files = [f for f in match_inputs([prev_dir]) if not f.path.endswith(MARKER)]
    except InputError:
        files = []
    return fingerprint(files, marker["run_id"])


def _up_to_date(stage_dir: str, stage: Stage, expected: dict) -> bool:
    marker = read_marker(stage_dir)
    if marker is None or any(marker.get(k) != v for k, v in expected.items()):
        return False
    return FileSystems.exists(FileSystems.join(stage_dir, "stats", stage.stats))


def run_all(inputs: list[str], output: str, config: Config, options, fmt: str | None = None, *,
            force: bool = False, stages: list[Stage] | None = None, log=sys.stderr) -> dict:
    """Run every stage (ingest -> annotate -> dedup -> manifest) in order, then write the run
    report (report/funnel.json and .png); return {stage: headline stats}.

    Each stage's summary carries ``skipped`` (True when its outputs were already up to date).
    """
    from pipeline.beam_io import read_json

    report = {}
    stage_input = inputs
    prev_dir = None
    stages = stages or STAGES
    dirs = {stage.name: FileSystems.join(output, stage.name) for stage in stages}
    for stage in stages:
        stage_dir = dirs[stage.name]
        if prev_dir is None:
            chain_input = fingerprint(match_inputs(inputs), fmt or "")
        else:
            chain_input = upstream_fingerprint(prev_dir)
        expected = {"stage_config_hash": stage_config_hash(config, stage.sections), "chain_input": chain_input,
                    "schema_version": SCHEMA_VERSION}
        if not force and chain_input is not None and _up_to_date(stage_dir, stage, expected):
            if log is not None:
                print(f"[{stage.name}] up to date (config {expected['stage_config_hash']}, input "
                      f"{chain_input}): skipped", file=log)
            stats = read_json(FileSystems.join(stage_dir, "stats", stage.stats))
            report[stage.name] = dict(summary(stats), skipped=True)
        else:
            marker_path = FileSystems.join(stage_dir, MARKER)
            if FileSystems.exists(marker_path):   # a run killed from here on must not look finished
                FileSystems.delete([marker_path])
            stats = stage.run(stage_input, stage_dir, config, options, fmt, dirs=dirs)
            marker = dict(read_marker(stage_dir) or {}, **expected)
            marker.setdefault("run_id", f"{time.time_ns():x}-{os.getpid()}")
            write_marker(stage_dir, marker)   # sealed: the stage function has returned
            report[stage.name] = dict(summary(stats), skipped=False)
        stage_input, prev_dir = stage_dir, stage_dir
    ran = any(not r["skipped"] for r in report.values())
    if "manifest" in report and (ran or not FileSystems.exists(FileSystems.join(output, "report", "funnel.json"))):
        from pipeline.report import write_report
        path = write_report(output)
        if log is not None:
            print(f"[report] {path}/funnel.json, {path}/funnel.png", file=log)
    return report


def summary(stats: dict) -> dict:
    """The headline figures of a stage's stats (no per-file breakdown)."""
    return {k: v for k, v in stats.items() if not k.startswith("by_file")}
