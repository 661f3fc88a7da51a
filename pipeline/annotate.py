"""Annotate job: ingested documents in, the same documents out with language, quality and safety
signals as typed columns and span lists (schemas.ANNOTATED). Nothing is dropped here.

Work is split by Parquet row group: each (shard, row group) of the input is annotated as one
batch by annotators whose models load once per worker (``DoFn.setup``) and written to its own
output file, so output files are deterministic and a retry overwrites its own file.
"""
from __future__ import annotations

import copy
import threading
import time
import traceback
from collections import OrderedDict

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.annotators import build_annotators
from pipeline.beam_io import WriteStats, WriteTable, table_metadata, table_rows, write_parquet
from pipeline.counting import StageCounts, nest
from pipeline.config import Config
from pipeline.runner import RowGroup, fingerprint, list_row_groups, match_inputs, note_progress
from pipeline.stages import BY_NAME, Job
from schemas import ANNOTATED, ERRORS
from pipeline.fs import FileDoFn
from pipeline.process import kernel_mode, settle_after_setup

STAGE = "annotate"
SECTIONS = BY_NAME[STAGE].sections

# Per-process model cache: the annotators set up for a config (fastText, lingua, word and URL lists,
# classifiers), keyed by the annotate section's hash (which stamps the model files), shared by every
# AnnotateRowGroup instance of the process (a runner starts one per worker thread) and by later
# annotate jobs in it. The filters' objects only read their models (plus idempotent memo caches),
# so threads share them; each DoFn gets shallow copies with its own per-batch timings. Two configs
# at most are kept.
_SHARED_MAX = 2
_shared: "OrderedDict[str, list]" = OrderedDict()
_shared_lock = threading.Lock()


def shared_annotators(config: Config) -> list:
    """Set-up annotators for ``config``, loaded once per process (see ``_shared``)."""
    key = config.hash(SECTIONS)
    with _shared_lock:
        loaded = _shared.get(key)
        if loaded is None:
            loaded = build_annotators(config)
            for a in loaded:
                a.setup()
            settle_after_setup()
            _shared[key] = loaded
            while len(_shared) > _SHARED_MAX:
                _shared.popitem(last=False)
        _shared.move_to_end(key)
    mine = [copy.copy(a) for a in loaded]
    for a in mine:
        if hasattr(a, "timings"):
            a.timings = {}
    return mine


class AnnotateRowGroup(FileDoFn):
    """RowGroup -> writes its annotated file; emits a stats dict and ``errors`` rows.

    An annotator that fails on a batch is retried document by document; a document it still
    fails on keeps its other signals, gets a note and an error row: every document in is out.
    """

    def __init__(self, config: Config, out_dir: str, metadata: dict):
        self.config, self.out_dir, self.metadata = config, out_dir, metadata
        self.annotators = None
        self.kernels = "pure_python"
        self.schema = ANNOTATED   # plus the optional columns of the configured annotators (setup)
        self.counts = StageCounts(STAGE)

    def setup(self):
        super().setup()
        self.annotators = shared_annotators(self.config)
        self.kernels = kernel_mode()
        self.schema = ANNOTATED
        for a in self.annotators:
            if hasattr(a, "schema"):   # optional columns (embedding): only when configured
                self.schema = a.schema(self.schema)

    def process(self, item: RowGroup):
        timings: dict[str, float] = {}
        signal_timings: dict[str, float] = {}
        with FileSystems.open(item.path) as stream:
            table = pq.ParquetFile(stream).read_row_group(item.index)
        rows, kept = table_rows(table)  # the input columns are written back from their Arrow arrays
        del table
        for row in rows:
            row["annotate_notes"] = []
        failed: dict[str, int] = {}
        for annotator in self.annotators:
            start = time.perf_counter()
            count = self.counts.scoped(annotator.name)
            try:
                annotator.annotate(rows, count)
            except Exception:
                for row in rows:
                    try:
                        annotator.annotate([row], count)
                    except Exception as exc:
                        row["annotate_notes"].append(f"failed:{annotator.name}")
                        count("failed")
                        reason = f"annotator_failed:{annotator.name}"
                        failed[reason] = failed.get(reason, 0) + 1
                        yield beam.pvalue.TaggedOutput("errors", {
                            "stage": STAGE, "source_file": item.path, "position": row.get("position"),
                            "reason": f"annotator_failed:{annotator.name}",
                            "detail": f"{row['id']}: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=2)}",
                            "excerpt": (row.get("text") or "")[:200]})
            timings[annotator.name] = time.perf_counter() - start
            for group, seconds in getattr(annotator, "timings", {}).items():
                signal_timings[f"{annotator.name}.{group}"] = seconds
            getattr(annotator, "timings", {}).clear()
        write_parquet(FileSystems.join(self.out_dir, item.out_name), rows, self.schema, self.metadata, kept)
        self.counts("docs", len(rows))
        note_progress(STAGE, len(rows))
        stats = {"by_annotator": nest(self.counts.flush())}
        stats["docs"] = stats["by_annotator"].pop("docs", 0)
        stats["seconds_by_annotator"] = timings
        stats["seconds_by_signal"] = signal_timings
        stats["records"] = len(rows)
        stats["errors_by_reason"] = failed
        stats["row_groups_by_kernels"] = {self.kernels: 1}
        yield stats


def finalize_annotate_stats(acc: dict) -> dict:
    """Summed row-group stats -> stats/annotate.json. ``errors``: the annotator failures written to
    errors/ (each on a document that is still kept, with its other signals and a note), so
    ``balanced`` is records == docs."""
    stats = {"records": acc.pop("records", 0), "docs": acc.get("docs", 0), "rejected": 0}
    stats.update(acc)
    stats["errors_by_reason"] = {k: v for k, v in sorted(stats.get("errors_by_reason", {}).items()) if v}
    stats["errors"] = sum(stats["errors_by_reason"].values())
    stats["balanced"] = stats["records"] == stats["docs"]
    secs = stats.get("seconds_by_annotator", {})
    if stats["docs"]:
        stats["ms_per_doc_by_annotator"] = {k: round(1000 * v / stats["docs"], 4) for k, v in secs.items()}
        stats["ms_per_doc_by_signal"] = {k: round(1000 * v / stats["docs"], 4)
                                         for k, v in sorted(stats.get("seconds_by_signal", {}).items())}
    return stats


class AnnotateRowGroups(beam.PTransform):
    """The annotate core. PCollection[RowGroup] -> DoOutputsTuple: ``stats`` (one count dict per row
    group) and ``errors`` rows; each row group's annotated rows are written to ``docs_dir``."""

    def __init__(self, config: Config, docs_dir: str, metadata: dict):
        super().__init__()
        self.config, self.docs_dir, self.metadata = config, docs_dir, metadata

    def expand(self, items):
        return (items
                | "SpreadRowGroups" >> beam.Reshuffle()
                | "AnnotateRowGroup" >> beam.ParDo(AnnotateRowGroup(self.config, self.docs_dir, self.metadata))
                .with_outputs("errors", main="stats"))


def build_annotate(pipeline, items: list[RowGroup], output: str, config: Config, config_hash: str | None = None) -> None:
    config_hash = config_hash or config.hash(SECTIONS)
    meta = table_metadata(STAGE, config_hash)
    out = (pipeline
           | "ListRowGroups" >> beam.Create(items, reshuffle=False)   # AnnotateRowGroups spreads them
           | "AnnotateRowGroups" >> AnnotateRowGroups(config, FileSystems.join(output, "docs"), meta))
    out.errors | "WriteErrors" >> WriteTable(FileSystems.join(output, "errors"), ERRORS, 1, table="errors",
                                             key_field="source_file", metadata=meta)
    (out.stats | "AnnotateStats" >> WriteStats(FileSystems.join(output, "stats", "annotate.json"),
                                               finalize_annotate_stats,
                                               extra={"stage": STAGE, "config_hash": config_hash}))


def prepare(inputs: dict, output: str, config: Config, config_hash: str) -> Job:
    """inputs ``{"input": a stage directory}``: its docs/ row groups (Parquet footers only)."""
    input_dir = inputs["input"]
    items = list_row_groups(input_dir)
    marker = {"input": input_dir,
              "input_fingerprint": fingerprint(match_inputs([FileSystems.join(input_dir, "docs", "*.parquet")]))}
    return Job(lambda p: build_annotate(p, items, output, config, config_hash), marker)
