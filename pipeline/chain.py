"""``thresher run``: every stage in order, each under OUTPUT/<stage>/, skipping stages that are
already complete for the current settings and input (``force=True`` redoes everything).

Stages come from the registry (pipeline.stages.STAGES) and run through runner.run_stage, which
writes the completion marker once the stage has finished. A stage is up to date when its marker
records
  * ``config_hash``: ``config.hash(stage.sections)``, a digest of the config sections the stage
    reads (plus the schema version and model files), so a dedup-only change leaves ingest and
    annotate alone;
  * ``chain_input``: for the first stage, the fingerprint of the matched input files (paths,
    sizes, format); for a later stage, the previous stage's ``run_id`` and its docs/ file sizes,
    so any re-run upstream makes every later stage run again.
A run killed part-way leaves finished stages sealed and the interrupted one without a matching
marker; the next ``thresher run`` resumes from there.
"""
from __future__ import annotations

import sys

from apache_beam.io.filesystems import FileSystems

from pipeline.config import Config
from pipeline.process import release_memory
from pipeline.runner import MARKER, InputError, fingerprint, match_inputs, read_marker, run_stage
from pipeline.stages import STAGES, Stage
from schemas import SCHEMA_VERSION


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
    return FileSystems.exists(FileSystems.join(stage_dir, "stats", stage.stats_file))


def run_all(inputs: list[str], output: str, config: Config, options, fmt: str | None = None, *,
            force: bool = False, stages: list[Stage] | None = None, log=sys.stderr, run=run_stage) -> dict:
    """Run every stage (ingest -> annotate -> dedup -> manifest) in order, then write the run
    report (report/funnel.json and .png); return {stage: headline stats}.

    Each stage's summary carries ``skipped`` (True when its outputs were already up to date).
    ``run`` stands for runner.run_stage (tests pass stand-ins).
    """
    from pipeline.beam_io import read_json

    report = {}
    prev_dir = None
    stages = stages or STAGES
    dirs = {stage.name: FileSystems.join(output, stage.name) for stage in stages}
    for stage in stages:
        stage_dir = dirs[stage.name]
        if prev_dir is None:
            chain_input = fingerprint(match_inputs(inputs), fmt or "")
        else:
            chain_input = upstream_fingerprint(prev_dir)
        expected = {"config_hash": config.hash(stage.sections), "chain_input": chain_input,
                    "schema_version": SCHEMA_VERSION}
        if not force and chain_input is not None and _up_to_date(stage_dir, stage, expected):
            if log is not None:
                print(f"[{stage.name}] up to date (config {expected['config_hash']}, input "
                      f"{chain_input}): skipped", file=log)
            stats = read_json(FileSystems.join(stage_dir, "stats", stage.stats_file))
            report[stage.name] = dict(summary(stats), skipped=True)
        else:
            stats = run(stage, stage.from_chain(inputs, fmt, dirs), stage_dir, config, options,
                        marker={"chain_input": chain_input}, log=log)
            report[stage.name] = dict(summary(stats), skipped=False)
            release_memory()
        prev_dir = stage_dir
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
