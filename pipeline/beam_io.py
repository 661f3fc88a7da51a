"""Beam building blocks shared by every stage: Parquet shard writing, stats JSON, table reading.

Shards are written by key: rows are keyed by a hash of their id into ``num_shards`` groups, each
group is sorted by id and written as ``part-SSSSS-of-NNNNN.parquet`` (rolling over to ``-kKKK``
files past the byte cap), so the same input gives byte-identical shards on any runner and a retry
overwrites rather than duplicates. Files go through Beam's FileSystems (local, gs://, s3://...).
"""
from __future__ import annotations

import json
import pickle
import re
from typing import Any, Iterable

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from apache_beam.io.filesystems import FileSystems

from schemas import SCHEMA_VERSION, conform
from pipeline.counting import StageCounts
from pipeline.fs import FileDoFn, FsCall

ROWS_PER_GROUP = 2_000


def shard_of(key: str, num_shards: int) -> int:
    """Stable shard index of a row id."""
    return xxhash.xxh64_intdigest(key.encode("utf-8")) % num_shards


def shard_path(directory: str, shard: int, num_shards: int, part: int = 0) -> str:
    suffix = f"-k{part:03d}" if part else ""
    return FileSystems.join(directory, f"part-{shard:05d}-of-{num_shards:05d}{suffix}.parquet")


def table_rows(table: pa.Table) -> tuple[list[dict], dict]:
    """The rows of ``table`` as dicts, and ``kept`` for ``write_parquet``: its flat columns (strings,
    numbers, timestamps: immutable in Python), each as one Arrow array with the values handed out, so
    the columns the rows still hold are written back without converting them again (same bytes)."""
    names = table.column_names
    cols = [_pylist(c) for c in table.columns]
    rows = [dict(zip(names, vals)) for vals in zip(*cols)]  # == table.to_pylist()
    kept = {}
    for f, c, vals in zip(table.schema, table.columns, cols):
        if not pa.types.is_nested(f.type) and rows:
            kept[f.name] = (c.combine_chunks(), vals)
    return rows, kept


def _pylist(column) -> list:
    """``column.to_pylist()``; a UTC timestamp column through naive datetimes given the UTC tzinfo pyarrow
    uses (the same objects, about 2.5 us a value faster)."""
    t = column.type
    if pa.types.is_timestamp(t) and t.tz == "UTC":
        tz = pa.scalar(0, type=t).as_py().tzinfo
        return [v if v is None else v.replace(tzinfo=tz) for v in column.cast(pa.timestamp(t.unit)).to_pylist()]
    return column.to_pylist()


def write_parquet(path: str, rows: list[dict], schema: pa.Schema, metadata: dict[str, str] | None = None,
                  kept: dict | None = None) -> None:
    """Write rows (dicts, conformed to ``schema``) to one zstd Parquet file at any FileSystems path,
    in row groups of ROWS_PER_GROUP; no rows give a file with the schema and no data. ``kept``: from
    ``table_rows`` of the table ``rows`` came from (same rows, same order; see ``conform``)."""
    meta = dict(schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in (metadata or {}).items()})
    schema = schema.with_metadata(meta)
    with FileSystems.create(path) as f:
        with pq.ParquetWriter(f, schema, compression="zstd") as writer:
            for i in range(0, max(len(rows), 1), ROWS_PER_GROUP):
                part = kept
                if kept and (i or len(rows) > ROWS_PER_GROUP):
                    part = {k: (a.slice(i, ROWS_PER_GROUP), v[i:i + ROWS_PER_GROUP]) for k, (a, v) in kept.items()}
                writer.write_table(conform(rows[i:i + ROWS_PER_GROUP], schema, part))


def write_table_parquet(path: str, table: pa.Table, schema: pa.Schema, metadata: dict[str, str] | None = None) -> None:
    """``write_parquet`` of the rows of ``table`` (an Arrow table holding ``schema``'s columns), the
    same bytes without row dicts: each row group is made one contiguous chunk, as ``conform`` makes it."""
    meta = dict(schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in (metadata or {}).items()})
    schema = schema.with_metadata(meta)
    table = table.select(schema.names)
    if not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema)
    with FileSystems.create(path) as f:
        with pq.ParquetWriter(f, schema, compression="zstd") as writer:
            for i in range(0, max(table.num_rows, 1), ROWS_PER_GROUP):
                writer.write_table(table.slice(i, ROWS_PER_GROUP).combine_chunks())


def write_arrow_shard(directory: str, shard: int, num_shards: int, table: pa.Table, schema: pa.Schema,
                      metadata: dict, max_shard_bytes: int = 512 << 20) -> None:
    """One shard of a table keyed by ``id``, already an Arrow table of ``schema``'s columns in id
    order (no text column) -> the files ``WriteTable`` writes for the same rows (``_WriteShard``): a
    new file every ``max_shard_bytes`` / 64 rows, row groups of ROWS_PER_GROUP, zstd."""
    meta = dict(schema.metadata or {})
    meta.update({k.encode(): v.encode() for k, v in (metadata or {}).items()})
    schema = schema.with_metadata(meta)
    table = table.cast(schema) if not table.schema.equals(schema) else table
    per_file = max(1, max_shard_bytes // 64)
    for k, lo in enumerate(range(0, max(table.num_rows, 1), per_file)):
        part = table.slice(lo, per_file)
        with FileSystems.create(shard_path(directory, shard, num_shards, k)) as f:
            with pq.ParquetWriter(f, schema, compression="zstd") as writer:
                for i in range(0, max(part.num_rows, 1), ROWS_PER_GROUP):
                    writer.write_table(part.slice(i, ROWS_PER_GROUP))


class _WriteShard(FileDoFn):
    """(shard, rows) -> rows sorted by sort key, written to one or more files; emits stats events."""

    def __init__(self, directory, num_shards, schema, sort_key, max_bytes, metadata, unique_ids, table,
                 key_field="id"):
        self.directory, self.num_shards, self.schema, self.key_field = directory, num_shards, schema, key_field
        self.sort_key, self.max_bytes, self.metadata = sort_key, max_bytes, metadata
        self.unique_ids, self.table = unique_ids, table
        self.count = StageCounts(metadata.get("thresher.stage", "write"))

    def process(self, element):
        shard, batches = element
        rows = [dict(r) for batch in batches for r in batch]
        rows.sort(key=self.sort_key)
        renamed = self._rename_duplicates(rows) if self.unique_ids else 0
        parts, current, size = [], [], 0
        for row in rows:
            n = len(row.get("text") or "") + 64
            if current and size + n > self.max_bytes:
                parts.append(current)
                current, size = [], 0
            current.append(row)
            size += n
        parts.append(current)
        for k, part_rows in enumerate(parts):
            write_parquet(shard_path(self.directory, shard, self.num_shards, k), part_rows, self.schema, self.metadata)
        yield from self._renamed(renamed)

    def _renamed(self, renamed: int):
        if renamed:
            self.count(f"write.{self.table}_duplicate_ids_renamed", renamed)
            self.count.flush()
            yield (f"{self.table}_duplicate_ids_renamed", renamed)

    def process_table(self, shard: int, tables: list[pa.Table]):
        """``process`` of a shard given as Arrow tables (the spilled files read back; the list is
        emptied, so each copy is freed as soon as the next one is made: at most two copies of the
        shard at a time): sorted, split and written in Arrow, row dicts only for the key columns.
        A shard whose ids repeat (``unique_ids`` renames them) goes through ``process``."""
        table = pa.concat_tables(tables)
        tables.clear()
        n = table.num_rows
        names = set(table.column_names)
        key_names = [k for k in (self.key_field, "source_file", "position", "reason", "part") if k in names]
        keys = [dict(zip(key_names, values)) for values in
                zip(*(table.column(k).to_pylist() for k in key_names))] if key_names else [{}] * n
        if self.unique_ids and self.key_field in names and len({k.get(self.key_field) for k in keys}) < n:
            yield from self.process((shard, [table.to_pylist()]))
            return
        order = sorted(range(n), key=lambda i: self.sort_key(keys[i]))
        if n:   # one chunk first: take() over the spill files' chunks costs ~20x more
            table = table.combine_chunks()
            table = table.take(pa.array(order, type=pa.int64()))
        if "text" in names:
            import pyarrow.compute as pc
            sizes = pc.utf8_length(table.column("text")).fill_null(0).to_pylist()
        else:
            sizes = [0] * n
        parts, lo, size = [], 0, 0
        for i, chars in enumerate(sizes):
            if i > lo and size + chars + 64 > self.max_bytes:
                parts.append((lo, i))
                lo, size = i, 0
            size += chars + 64
        parts.append((lo, n))
        for k, (a, b) in enumerate(parts):
            write_table_parquet(shard_path(self.directory, shard, self.num_shards, k), table.slice(a, b - a),
                                self.schema, self.metadata)
        yield from self._renamed(0)

    @staticmethod
    def _rename_duplicates(rows: list[dict]) -> int:
        """Rows sharing an id (sorted together) keep it once; later ones get the first free ``~1``,
        ``~2``... A free name is one no row of the shard holds, and since ``unique_ids`` tables
        shard by ``id_family`` (``x``, ``x~1`` and ``x#2~1`` share a shard), no row anywhere."""
        taken = {row["id"] for row in rows}
        renamed, prev, k = 0, None, 0
        for row in rows:
            if row["id"] == prev:
                k += 1
                while f"{prev}~{k}" in taken:
                    k += 1
                row["id"] = f"{prev}~{k}"
                taken.add(row["id"])
                notes = list(row.get("notes") or [])
                row["notes"] = notes + ["duplicate_id"]
                renamed += 1
            else:
                prev, k = row["id"], 0
        return renamed


class WriteTable(beam.PTransform):
    """PCollection[dict] (or, with ``batched=True``, PCollection[list[dict]]) -> Parquet shards under
    ``directory``; output: PCollection of (stat, n).

    Batched input travels as one element per (input list, shard) instead of one per row: the same
    shards, a fraction of the per-element cost. With ``spill_dir``, rows never go through the
    runner's shuffle: each bundle spills them into temporary files per shard (Arrow IPC; at most
    ``spill_bytes`` of text buffered), only the file paths are grouped, and each shard is compacted
    from its files, so memory is bounded by one shard, not by the table (the caller deletes
    ``spill_dir`` after the job). At least shard 0 is always written (empty if need be) so every
    table directory is readable.
    """

    def __init__(self, directory: str, schema: pa.Schema, num_shards: int, *, table: str,
                 key_field: str = "id", max_shard_bytes: int = 512 << 20, metadata: dict | None = None,
                 unique_ids: bool = False, batched: bool = False, spill_dir: str | None = None,
                 spill_bytes: int = 64 << 20):
        super().__init__()
        self.directory, self.schema, self.num_shards = directory, schema, max(1, num_shards)
        self.key_field, self.max_shard_bytes, self.metadata = key_field, max_shard_bytes, metadata or {}
        self.unique_ids, self.table, self.batched = unique_ids, table, batched
        self.spill_dir, self.spill_bytes = spill_dir, spill_bytes

    def expand(self, rows):
        key_field, n = self.key_field, self.num_shards

        family = self.unique_ids

        def shard(row):
            return row_shard(row, key_field, n, family)

        def keyed(row):
            return shard(row), [row]

        def keyed_batch(batch):
            by_shard: dict[int, list] = {}
            for row in batch:
                by_shard.setdefault(shard(row), []).append(row)
            return sorted(by_shard.items(), key=lambda kv: kv[0])

        def sort_key(row):
            return (str(row.get(key_field) or ""), str(row.get("source_file") or ""), row.get("position") or 0,
                    str(row.get("reason") or ""), row.get("part") or 0)

        writer = _WriteShard(self.directory, n, self.schema, sort_key, self.max_shard_bytes, self.metadata,
                             self.unique_ids, self.table, key_field)
        if self.spill_dir:
            if self.batched:
                raise ValueError("spill_dir takes rows, not batches")
            spills = rows | "SpillRows" >> beam.ParDo(_SpillRows(self.spill_dir, self.schema, key_field, n,
                                                                  self.spill_bytes, family))
            always = rows.pipeline | "ShardZero" >> beam.Create([(0, None)])
            return ((spills, always) | "WithShardZero" >> beam.Flatten()
                    | "GroupByShard" >> beam.GroupByKey()
                    | "WriteShards" >> beam.ParDo(_CompactShard(writer)))
        keyed_rows = rows | "KeyByShard" >> (beam.FlatMap(keyed_batch) if self.batched else beam.Map(keyed))
        always = rows.pipeline | "ShardZero" >> beam.Create([(0, [])])
        return ((keyed_rows, always) | "WithShardZero" >> beam.Flatten()
                | "GroupByShard" >> beam.GroupByKey()
                | "WriteShards" >> beam.ParDo(writer))


_DERIVED_SUFFIX = re.compile(r"(?:[~#][0-9]+)+$")


def id_family(doc_id: str) -> str:
    """An id without the suffixes Thresher derives ids with (``~k`` for repeats, ``#k`` for parts):
    every id that a rename could produce from ``doc_id`` has the same family."""
    return _DERIVED_SUFFIX.sub("", doc_id)


def row_shard(row: dict, key_field: str, num_shards: int, family: bool = False) -> int:
    """Shard of a table row: by its key field (its id family with ``family``), else by
    (source_file, position, reason)."""
    key = row.get(key_field)
    if key is None:
        key = f"{row.get('source_file')}:{row.get('position')}:{row.get('reason')}"
    elif family:
        key = id_family(str(key))
    return shard_of(str(key), num_shards)


class _SpillRows(FileDoFn):
    """rows -> (shard, temporary file path): buffers rows per shard and writes a file whenever the
    bundle's buffer passes ``spill_bytes`` of text, and at the end of the bundle."""

    def __init__(self, spill_dir, schema, key_field, num_shards, spill_bytes, family=False):
        self.spill_dir, self.schema, self.key_field = spill_dir, schema, key_field
        self.num_shards, self.spill_bytes, self.family = num_shards, spill_bytes, family

    def start_bundle(self):
        import uuid
        self.buffers: dict[int, list] = {}
        self.size = 0
        self.prefix = uuid.uuid4().hex
        self.files = 0

    def process(self, row):
        self.buffers.setdefault(row_shard(row, self.key_field, self.num_shards, self.family), []).append(row)
        self.size += len(row.get("text") or "") + 64
        if self.size >= self.spill_bytes:
            yield from self._flush()

    def finish_bundle(self):
        from apache_beam.transforms.window import GlobalWindows
        for element in self._flush():
            yield GlobalWindows.windowed_value(element)

    def _flush(self):
        buffers, self.buffers, self.size = self.buffers, {}, 0
        for shard in sorted(buffers):
            path = FileSystems.join(self.spill_dir, f"shard-{shard:05d}", f"{self.prefix}-{self.files:05d}.arrows")
            self.files += 1
            write_spill(path, conform(buffers[shard], self.schema))
            yield shard, path


def write_spill(path: str, table: pa.Table) -> None:
    """A temporary table (read back once by the same job) as an Arrow IPC stream, lz4-compressed:
    a fraction of Parquet's encoding and decoding CPU, and the exact Arrow types come back."""
    with FileSystems.create(path) as f:
        with pa.ipc.new_stream(f, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
            writer.write_table(table)


def read_spill(path: str) -> pa.Table:
    with FileSystems.open(path) as stream:
        return pa.ipc.open_stream(stream).read_all()


class _CompactShard(FileDoFn):
    """(shard, [temporary paths]) -> the shard's rows read back and written by ``_WriteShard``."""

    def __init__(self, writer: "_WriteShard"):
        self.writer = writer

    def setup(self):
        super().setup()
        self.writer.setup()

    def process(self, element):
        shard, paths = element
        tables = []
        for path in sorted(p for p in paths if p):
            tables.append(read_spill(path))
        if not tables:
            yield from self.writer.process((shard, [[]]))
            return
        yield from self.writer.process_table(shard, tables)


def pack(entries) -> bytes:
    """A batch of small records -> one element. Beam's default coder walks nested lists and tuples
    element by element; one pickled blob per batch decodes several times faster."""
    return pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(blob: bytes):
    return pickle.loads(blob)


def merge_counts(dicts: Iterable[dict]) -> dict:
    """Sum nested count dicts (ints at the leaves)."""
    out: dict = {}
    for d in dicts:
        _merge_into(out, d)
    return out


def _merge_into(out: dict, d: dict) -> None:
    """Add the nested count dict ``d`` into ``out`` in place (the stats combiner's step)."""
    for k, v in d.items():
        if isinstance(v, dict):
            _merge_into(out.setdefault(k, {}), v)
        else:
            out[k] = out.get(k, 0) + v


class MergeCounts(beam.CombineFn):
    """CombineFn over nested count dicts (small: per reason and per file)."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, d):
        _merge_into(acc, d)
        return acc

    def merge_accumulators(self, accs):
        return merge_counts(accs)

    def extract_output(self, acc):
        return acc


class WriteStats(beam.PTransform):
    """PCollection of nested count dicts -> one JSON file at ``path`` (summed, plus ``extra``)."""

    def __init__(self, path: str, finalize, extra: dict[str, Any] | None = None):
        super().__init__()
        self.path, self.finalize, self.extra = path, finalize, extra or {}

    def expand(self, counts):
        path, finalize, extra = self.path, self.finalize, self.extra

        def write(acc):
            stats = finalize(acc)
            stats.update(extra)
            with FileSystems.create(path) as f:
                f.write(json.dumps(stats, indent=1, sort_keys=True, default=str).encode())
            return stats

        # an empty dict joins the counts, so the sum exists for an empty input too (cheaper than the
        # default a global combine injects: a side-input stage of its own)
        empty = counts.pipeline | "NoCounts" >> beam.Create([{}], reshuffle=False)
        return ((counts, empty) | "WithNoCounts" >> beam.Flatten()
                | "SumCounts" >> beam.CombineGlobally(MergeCounts()).without_defaults()
                | "WriteStatsJson" >> beam.Map(FsCall(write)))


def read_json(path: str) -> Any:
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode("utf-8"))


def table_metadata(stage: str, config_hash: str) -> dict[str, str]:
    return {"thresher.stage": stage, "thresher.config_hash": config_hash, "thresher.schema_version": SCHEMA_VERSION}
