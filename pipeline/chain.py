"""``thresher run``: every stage in order, each under OUTPUT/<stage>/, skipping stages whose
completion marker matches the current config and input."""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from pipeline.config import Config


def run_all(inputs: list[str], output: str, config: Config, options, fmt: str | None = None) -> dict:
    """Run ingest (and every later stage as they exist) and return {stage: headline stats}."""
    from pipeline.annotate import run_annotate
    from pipeline.cli import summary
    from pipeline.dedup import run_dedup
    from pipeline.ingest import run_ingest

    report = {}
    ingest_dir, annotate_dir = FileSystems.join(output, "ingest"), FileSystems.join(output, "annotate")
    report["ingest"] = summary(run_ingest(inputs, ingest_dir, config, options, fmt=fmt))
    report["annotate"] = summary(run_annotate(ingest_dir, annotate_dir, config, options))
    report["dedup"] = summary(run_dedup(annotate_dir, FileSystems.join(output, "dedup"), config, options))
    return report
