"""Ingest job: raw files (JSONL(.gz/.zst), Parquet, WET, WARC, text) -> Parquet document shards.

Outputs under OUTPUT: docs/ (schemas.DOCUMENTS), rejected/, errors/ (dead letter),
stats/ingest.json with ``records == docs + rejected + errors`` overall and per file.
"""
from __future__ import annotations

import math
import traceback
from typing import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.io.filesystem import CompressionTypes

from pipeline.beam_io import WriteStats, WriteTable, table_metadata
from pipeline.counting import StageCounts, by_prefix
from pipeline.process import kernel_mode
from filters.normalize import clean_field
from pipeline.config import Config
from pipeline.input_formats import STAGE, Source, detect_format, error_row, id_prefix_for, read_records
from pipeline.runner import InputFile, StageError, fingerprint, match_inputs, note_progress
from pipeline.stages import BY_NAME, Job
from schemas import DOCUMENTS, ERRORS, REJECTED
from pipeline.fs import FileDoFn

SECTIONS = BY_NAME[STAGE].sections

# Rough text yield per input byte, to size shards before reading anything.
_TEXT_PER_BYTE = {"warc": 0.08, "parquet": 2.0}
_COMPRESSED_RATIO = 3.5


class ReadFile(FileDoFn):
    """InputFile -> documents (main), ``rejected`` and ``errors`` rows, and one ``stats`` dict per file.

    Nothing escapes: an unexpected exception inside a reader becomes an error row for the file
    (records already emitted stay), so a bad file never fails the job. ``records`` counts the
    readers' ``record`` events, apart from the outcomes, so a record lost on the way shows as
    ``balanced: false`` in stats/ingest.json.
    """

    def __init__(self, config: Config, fmt: str | None):
        self.cfg, self.fmt = config.ingest, fmt
        self.kernels = "pure_python"
        self.counts = StageCounts(STAGE)

    def setup(self):
        super().setup()
        self.kernels = kernel_mode()

    def process(self, f: InputFile) -> Iterator:
        fmt, codec = detect_format(f.path)
        if self.fmt and self.fmt != "auto":
            fmt = self.fmt
        shown_path, _ = clean_field(f.path.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), 4096)
        source = Source(shown_path, id_prefix_for(shown_path, f.base), fmt, codec)
        count, n = self.counts, self.counts.get
        try:
            with FileSystems.open(f.path, compression_type=CompressionTypes.UNCOMPRESSED) as stream:
                for kind, row in read_records(stream, source, self.cfg):
                    if kind == "record":
                        count("records")
                    elif kind == "doc":
                        if not row.get("part"):
                            count("docs")
                            if n("docs") % 1000 == 0:
                                note_progress(STAGE, 1000)
                        count.tally("doc_rows")
                        count.tally("doc_chars", len(row["text"]))
                        for note in row.get("notes") or ():
                            count(f"notes.{note.split(':', 1)[0]}")
                        row.pop("part", None)
                        yield row
                    elif kind == "rejected":
                        count("rejected")
                        count(f"rejected.{row['reason']}")
                        yield beam.pvalue.TaggedOutput("rejected", row)
                    elif kind == "error":
                        count("errors")
                        count(f"errors.{row['reason']}")
                        yield beam.pvalue.TaggedOutput("errors", row)
                    else:
                        count(f"ignored.{row['reason']}")
        except Exception as exc:  # a reader bug or an unreadable file: one error, never a crash
            row = error_row(source, -1, "unreadable_file", f"{type(exc).__name__}: {exc}\n"
                            f"{traceback.format_exc(limit=3)}", b"", self.cfg.excerpt_chars)
            if n("records") == n("docs") + n("rejected") + n("errors"):
                count("records")      # else the error stands for the record the reader had begun
            count("errors")
            count("errors.unreadable_file")
            yield beam.pvalue.TaggedOutput("errors", row)
        note_progress(STAGE, n("docs") % 1000)
        flat = self.counts.flush()
        stats = {k: flat.get(k, 0) for k in ("records", "docs", "doc_rows", "doc_chars", "rejected", "errors")}
        stats.update({f"{g}_by_reason": by_prefix(flat, g) for g in ("rejected", "errors", "ignored", "notes")})
        stats["files"] = 1
        stats["by_file"] = {shown_path: {k: stats[k] for k in ("records", "docs", "rejected", "errors")}}
        stats["by_format"] = {fmt: 1}
        stats["files_by_kernels"] = {self.kernels: 1}
        yield beam.pvalue.TaggedOutput("stats", stats)


def estimate_shards(files: list[InputFile], target_mb: int) -> int:
    """Shard count from input sizes only (metadata), aiming at ``target_mb`` of text per shard."""
    text_bytes = 0.0
    for f in files:
        fmt, codec = detect_format(f.path)
        text_bytes += f.size * (_COMPRESSED_RATIO if codec else 1.0) * _TEXT_PER_BYTE.get(fmt, 1.0)
    return max(1, math.ceil(text_bytes / (target_mb << 20)))


def finalize_ingest_stats(acc: dict) -> dict:
    stats = {k: acc.get(k, 0) for k in ("records", "docs", "doc_rows", "rejected", "errors", "files")}
    for k, v in acc.items():
        if k not in stats:
            stats[k] = v
    stats["balanced"] = stats["records"] == stats["docs"] + stats["rejected"] + stats["errors"]
    return stats


class ReadInputs(beam.PTransform):
    """The ingest core. PCollection[InputFile] -> DoOutputsTuple: ``docs`` (schemas.DOCUMENTS row
    dicts), ``rejected`` and ``errors`` rows, ``stats`` (one count dict per file)."""

    def __init__(self, config: Config, fmt: str | None = None):
        super().__init__()
        self.config, self.fmt = config, fmt

    def expand(self, files):
        return (files
                | "SpreadFiles" >> beam.Reshuffle()
                | "ReadFiles" >> beam.ParDo(ReadFile(self.config, self.fmt))
                .with_outputs("rejected", "errors", "stats", main="docs"))


def build_ingest(pipeline: beam.Pipeline, files: list[InputFile], output: str, config: Config,
                 fmt: str | None = None, config_hash: str | None = None) -> None:
    """Add the ingest steps to ``pipeline``."""
    config_hash = config_hash or config.hash(SECTIONS)
    meta = table_metadata(STAGE, config_hash)
    shards = estimate_shards(files, config.ingest.shard_target_mb)
    max_bytes = 4 * (config.ingest.shard_target_mb << 20)
    outputs = (pipeline
               | "ListInputFiles" >> beam.Create(files, reshuffle=False)   # ReadInputs spreads them
               | "ReadInputs" >> ReadInputs(config, fmt))
    dup_stats = outputs.docs | "WriteDocs" >> WriteTable(FileSystems.join(output, "docs"), DOCUMENTS, shards,
                                                          table="docs", max_shard_bytes=max_bytes, metadata=meta,
                                                          unique_ids=True,
                                                          spill_dir=FileSystems.join(output, "_tmp", "docs"))
    small = max(1, shards // 8)
    outputs.rejected | "WriteRejected" >> WriteTable(FileSystems.join(output, "rejected"), REJECTED, small,
                                                      table="rejected", metadata=meta)
    outputs.errors | "WriteErrors" >> WriteTable(FileSystems.join(output, "errors"), ERRORS, small,
                                                  table="errors", key_field="source_file", metadata=meta)
    dup_counts = dup_stats | "DuplicateIdStats" >> beam.Map(lambda kv: {kv[0]: kv[1]})
    ((outputs.stats, dup_counts) | "AllIngestStats" >> beam.Flatten()
     | "IngestStats" >> WriteStats(FileSystems.join(output, "stats", "ingest.json"), finalize_ingest_stats,
                                   extra={"stage": STAGE, "config_hash": config_hash, "shards": shards}))


def check(stats: dict, output: str = "") -> None:
    """A StageError when not one input file could be opened (every file an ``unreadable_file``
    error): typically workers that cannot see the driver's paths."""
    files = stats.get("files", 0)
    unreadable = (stats.get("errors_by_reason") or {}).get("unreadable_file", 0)
    if files and unreadable >= files:
        where = f" (details in {FileSystems.join(output, 'errors')})" if output else ""
        raise StageError(f"[{STAGE}] none of the {files} input files could be read by the workers{where}; "
                         "workers that share no disk with the driver need inputs on an object store "
                         "or a shared file system")


def prepare(inputs: dict, output: str, config: Config, config_hash: str) -> Job:
    """inputs ``{"inputs": [glob, ...], "format": fmt or None}``: the matched files (metadata only)."""
    files, fmt = match_inputs(inputs["inputs"]), inputs.get("format")
    marker = {"input_fingerprint": fingerprint(files, fmt or ""), "inputs": list(inputs["inputs"])}
    return Job(lambda p: build_ingest(p, files, output, config, fmt, config_hash), marker)
