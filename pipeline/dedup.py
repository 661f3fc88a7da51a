"""Dedup job: exact, paragraph/sentence repetition and MinHash-LSH near duplicates, with clusters
computed in Beam (connected components in rounds; nothing gathers the graph on one worker).

Input: an annotate (or ingest) output directory. Outputs under OUTPUT:
  clusters/    one row per document (schemas.CLUSTERS): cluster id, size, representative, match
  repeats/     documents holding paragraphs/sentences seen in other documents (schemas.REPEATS)
  signatures/  MinHash signatures (schemas.SIGNATURES) to dedup a later crawl against
  rejected/, errors/ (the stage contract; dedup decides nothing, selection does)
  stats/dedup.json
Element shapes are noted at each step; only hashes, ids and signatures are shuffled, never text.
"""
from __future__ import annotations

import heapq
from collections import Counter

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import xxhash
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from filters.dedup_text import doc_hash, unit_hashes_indexed
from filters.minhash import MinHasher, band_keys, is_empty_signature
from filters.segment import paragraph_spans, sentence_spans
from pipeline.annotate import RowGroup, list_row_groups
from pipeline.beam_io import Counters, WriteStats, WriteTable, table_metadata, write_parquet
from pipeline.components import ConnectedComponents
from pipeline.config import Config
from pipeline.runner import clear_dir, fingerprint, match_inputs, note_progress, run_stage
from schemas import CLUSTERS, ERRORS, REJECTED, REPEATS, SIGNATURES

STAGE = "dedup"
_COLUMNS = ("id", "text", "date", "lang", "quality_score", "sentences")


class ExtractFeatures(beam.DoFn):
    """RowGroup -> per-document features, as tagged outputs:
    main  ``(id, (quality, date, doc_hash))``           for representative choice
    exact ``(doc_hash, id)``                              exact groups
    bands ``(partition, [(band_key, (id, signature bytes)), ...])``   LSH bucket entries
    units ``(partition, [(unit_hash, (id, kind, start, end)), ...])`` paragraph 'p' / sentence 's'
    sigs  signature rows written to signatures/; stats  count dicts.

    Band and unit entries are many (20 and ~25 per document) and tiny, so they travel in one list
    per (row group, partition) instead of one element each: the shuffle moves the same bytes with
    a hundredth of the per-element cost, and a partition is grouped by key in memory downstream."""

    def __init__(self, config: Config, band_partitions: int, unit_partitions: int):
        self.cfg = config.dedup
        self.band_partitions, self.unit_partitions = band_partitions, unit_partitions
        self.hasher = None
        self.counters = Counters(STAGE)

    def setup(self):
        self.hasher = MinHasher(self.cfg.minhash)

    def _count(self, name, n=1):
        self.counters.inc(name, n)
        self.stats[name] += n

    def process(self, item: RowGroup):
        self.stats = Counter()
        with FileSystems.open(item.path) as stream:
            pf = pq.ParquetFile(stream)
            names = [c for c in _COLUMNS if c in pf.schema_arrow.names]
            table = pf.read_row_group(item.index, columns=names)
        sentence_spans_by_doc = _span_lists(table.column("sentences")) if "sentences" in names else None
        rows = table.drop_columns(["sentences"]).to_pylist() if sentence_spans_by_doc else table.to_pylist()
        texts = [r["text"] for r in rows]
        sigs = self.hasher.signatures(texts, count=self._count)
        sig_rows = []
        bands = [[] for _ in range(self.band_partitions)]
        units = [[] for _ in range(self.unit_partitions)]
        for k, (row, sig) in enumerate(zip(rows, sigs)):
            doc_id, text = row["id"], row["text"]
            h = doc_hash(text, self.cfg.text)
            quality = row.get("quality_score")
            date = row.get("date")
            date = int(date.timestamp()) if date is not None else 0
            yield doc_id, (float(quality) if quality is not None else -1.0, date, h)
            if h is not None:
                yield beam.pvalue.TaggedOutput("exact", (h, doc_id))
            else:
                self._count("docs_without_hash")
            if is_empty_signature(sig):
                self._count("docs_without_shingles")
            else:
                blob = b_bit_sketch(sig)
                for key in band_keys(sig, self.cfg.minhash):
                    bands[xxhash.xxh32_intdigest(key) % self.band_partitions].append((key, (doc_id, blob)))
            sig_rows.append({"id": doc_id, "signature": sig.tolist()})
            if self.cfg.repetition:
                paras = paragraph_spans(text)
                sents = sentence_spans_by_doc[k] if sentence_spans_by_doc is not None else \
                    sentence_spans(text, row.get("lang"), paras)
                # a sentence that is its whole paragraph is counted once, as the paragraph
                whole = set(paras)
                spans = list(paras) + [s for s in sents if s not in whole]
                for idx, h_unit in unit_hashes_indexed(text, spans, self.cfg.text):
                    start, end = spans[idx]
                    kind = "p" if idx < len(paras) else "s"
                    units[h_unit % self.unit_partitions].append((h_unit, (doc_id, kind, start, end)))
        for part, entries in enumerate(bands):
            if entries:
                yield beam.pvalue.TaggedOutput("bands", (part, entries))
        for part, entries in enumerate(units):
            if entries:
                yield beam.pvalue.TaggedOutput("units", (part, entries))
        self._count("docs", len(rows))
        note_progress(STAGE, len(rows))
        yield beam.pvalue.TaggedOutput("sigs", (item.out_name, sig_rows))
        yield beam.pvalue.TaggedOutput("stats", dict(self.stats))


def _span_lists(column) -> list[list[tuple[int, int]]]:
    """A list<struct<start, end, ...>> column -> per row, its (start, end) pairs (no dicts)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    offsets = pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False).cumsum()
    flat = arr.flatten()
    starts = flat.field("start").to_numpy(zero_copy_only=False).tolist()
    ends = flat.field("end").to_numpy(zero_copy_only=False).tolist()
    pairs = list(zip(starts, ends))
    out, prev = [], 0
    for off in offsets.tolist():
        out.append(pairs[prev:off])
        prev = off
    return out


def group_partition(element):
    """(partition, [[(key, value), ...], ...]) -> (key, [values]) for every key of the partition,
    in key order (deterministic)."""
    _, batches = element
    groups: dict = {}
    for batch in batches:
        for key, value in batch:
            groups.setdefault(key, []).append(value)
    for key in sorted(groups):
        yield key, groups[key]


def partitions_for(entries: int, bytes_per_entry: int, target_bytes: int = 256 << 20, minimum: int = 4) -> int:
    """How many shuffle partitions keep one partition's entries near ``target_bytes`` in memory."""
    return max(minimum, -(-entries * bytes_per_entry // target_bytes))


def b_bit_sketch(signature: np.ndarray) -> bytes:
    """The lowest 8 bits of each MinHash value (b-bit MinHash, Li & König 2010): what LSH bucket
    entries carry for verification, a quarter of the full signature's bytes."""
    return (np.asarray(signature, dtype=np.uint32) & 0xFF).astype(np.uint8).tobytes()


def b_bit_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard estimate from two 8-bit sketches: unrelated values collide with probability 1/256,
    so J = (matches - 1/256) / (1 - 1/256)."""
    matches = float(np.count_nonzero(a == b)) / len(a)
    return max(0.0, (matches - 1 / 256) / (1 - 1 / 256))


class ExactEdges(beam.DoFn):
    """(doc_hash, [ids]) -> star edges from the smallest id; counts exact duplicates."""

    def __init__(self):
        self.dups = Metrics.counter(STAGE, "exact_duplicate_docs")

    def process(self, element):
        _, ids = element
        ids = sorted(set(ids))
        if len(ids) > 1:
            self.dups.inc(len(ids) - 1)
            yield beam.pvalue.TaggedOutput("stats", {"exact_groups": 1, "exact_duplicate_docs": len(ids) - 1})
            for other in ids[1:]:
                yield ids[0], other


class BucketEdges(beam.DoFn):
    """(band_key, [(id, signature)]) -> verified edges inside one LSH bucket.

    Members are taken in id order (at most ``max_bucket`` of them: the rest is counted, not
    shuffled further). Each member is linked to the first member it matches among the bucket's
    smallest id and its ``lookback`` predecessors, when the estimated Jaccard reaches
    ``verify_threshold`` (None: link without checking)."""

    def __init__(self, max_bucket: int, verify_threshold: float | None, lookback: int = 3):
        self.max_bucket, self.verify, self.lookback = max_bucket, verify_threshold, lookback
        self.capped = Metrics.counter(STAGE, "lsh_bucket_members_capped")
        self.rejected = Metrics.counter(STAGE, "lsh_pairs_failed_verification")

    def process(self, element):
        _, members = element
        members = heapq.nsmallest(self.max_bucket + 1, members, key=lambda m: m[0])
        if len(members) < 2:
            return
        stats = {"lsh_buckets_with_pairs": 1}
        if len(members) > self.max_bucket:
            members = members[: self.max_bucket]
            self.capped.inc()
            stats["lsh_buckets_capped"] = 1
        sigs = [np.frombuffer(blob, dtype=np.uint8) for _, blob in members]
        failed = 0
        for i in range(1, len(members)):
            candidates = [0] + list(range(max(1, i - self.lookback), i))
            for j in candidates:
                if members[i][0] == members[j][0]:
                    break
                if self.verify is None or b_bit_jaccard(sigs[i], sigs[j]) >= self.verify:
                    yield members[j][0], members[i][0]
                    break
            else:
                failed += 1
        if failed:
            self.rejected.inc(failed)
            stats["lsh_pairs_failed_verification"] = failed
        yield beam.pvalue.TaggedOutput("stats", stats)


def _choose_cluster(element, policy):
    """(label, [(id, (quality, date, doc_hash))]) -> cluster table rows."""
    label, members = element
    members = list(members)
    size = len(members)
    hashes = Counter(info[2] for _, info in members if info[2] is not None)

    def rank(m):
        doc_id, (quality, date, _) = m
        key = []
        for rule in policy:
            if rule == "quality":
                key.append(-quality)
            elif rule == "newest":
                key.append(-date)
            elif rule == "oldest":
                key.append(date)
        key.append(doc_id)
        return tuple(key)

    best = min(members, key=rank)[0]
    for doc_id, (_, _, h) in members:
        match = "none" if size == 1 else ("exact" if h is not None and hashes[h] > 1 else "near")
        yield {"id": doc_id, "cluster_id": label, "cluster_size": size, "is_representative": doc_id == best,
               "match": match}


def _repeated_units(element, min_docs):
    """(unit_hash, [(id, kind, start, end)]) -> (id, (kind, start, end, n_docs)) when repeated."""
    _, occurrences = element
    occurrences = list(occurrences)
    n_docs = len({o[0] for o in occurrences})
    if n_docs >= min_docs:
        for doc_id, kind, start, end in occurrences:
            yield doc_id, (kind, start, end, n_docs)


def _repeat_row(element):
    doc_id, units = element
    units = sorted(set(units), key=lambda u: (u[0], u[1], u[2]))
    return {"id": doc_id,
            "paragraphs": [{"start": s, "end": e, "count": n} for k, s, e, n in units if k == "p"],
            "sentences": [{"start": s, "end": e, "count": n} for k, s, e, n in units if k == "s"]}


class _WriteSignatures(beam.DoFn):
    def __init__(self, directory, metadata):
        self.directory, self.metadata = directory, metadata

    def process(self, element):
        name, rows = element
        write_parquet(FileSystems.join(self.directory, name), rows, SIGNATURES, self.metadata)


def finalize_dedup_stats(acc: dict) -> dict:
    stats = {"records": acc.get("docs", 0), "docs": acc.get("docs", 0), "rejected": 0, "errors": 0}
    stats.update(acc)
    stats["balanced"] = stats.get("cluster_rows", 0) == stats["docs"]
    return stats


def build_dedup(pipeline, items: list[RowGroup], output: str, config: Config) -> None:
    cfg = config.dedup
    meta = table_metadata(STAGE, config.hash())
    shards = max(1, len(items) // 4)
    docs = sum(item.rows for item in items)
    band_parts = partitions_for(docs * cfg.minhash.bands, 64 + 4 * cfg.minhash.num_perm)
    unit_parts = partitions_for(docs * 40, 96)
    feats = (pipeline
             | "ListRowGroups" >> beam.Create(items)
             | "SpreadRowGroups" >> beam.Reshuffle()
             | "ExtractFeatures" >> beam.ParDo(ExtractFeatures(config, band_parts, unit_parts))
             .with_outputs("exact", "bands", "units", "sigs", "stats", main="info"))
    feats.sigs | "WriteSignatures" >> beam.ParDo(_WriteSignatures(FileSystems.join(output, "signatures"), meta))

    exact = (feats.exact | "GroupByDocHash" >> beam.GroupByKey()
             | "ExactEdges" >> beam.ParDo(ExactEdges()).with_outputs("stats", main="edges"))
    near = (feats.bands | "GroupBandPartitions" >> beam.GroupByKey()
            | "GroupByBand" >> beam.FlatMap(group_partition)
            | "BucketEdges" >> beam.ParDo(BucketEdges(cfg.max_bucket_size, cfg.minhash.verify_threshold))
            .with_outputs("stats", main="edges"))
    labels = ((exact.edges, near.edges) | "AllEdges" >> beam.Flatten()
              | "Components" >> ConnectedComponents(max_rounds=cfg.max_cc_rounds))
    # (id, label) for clustered docs; every other doc is its own cluster
    policy = cfg.representative
    clusters = ({"info": feats.info, "label": labels}
                | "JoinLabels" >> beam.CoGroupByKey()
                | "KeyByCluster" >> beam.FlatMap(
                    lambda kv: [((kv[1]["label"] or [kv[0]])[0], (kv[0], info)) for info in kv[1]["info"]])
                | "GroupByCluster" >> beam.GroupByKey()
                | "ChooseRepresentatives" >> beam.FlatMap(_choose_cluster, policy))
    clusters | "WriteClusters" >> WriteTable(FileSystems.join(output, "clusters"), CLUSTERS, shards,
                                             table="clusters", metadata=meta)
    cluster_stats = clusters | "ClusterStats" >> beam.Map(
        lambda r: {"cluster_rows": 1, "clusters": int(r["is_representative"]),
                   "duplicate_docs": int(not r["is_representative"]),
                   f"docs_match_{r['match']}": 1})

    repeats = (feats.units | "GroupUnitPartitions" >> beam.GroupByKey()
               | "GroupByUnitHash" >> beam.FlatMap(group_partition)
               | "RepeatedUnits" >> beam.FlatMap(_repeated_units, cfg.min_repeat_docs)
               | "GroupRepeatsByDoc" >> beam.GroupByKey()
               | "RepeatRows" >> beam.Map(_repeat_row))
    repeats | "WriteRepeats" >> WriteTable(FileSystems.join(output, "repeats"), REPEATS, shards,
                                           table="repeats", metadata=meta)
    repeat_stats = repeats | "RepeatStats" >> beam.Map(
        lambda r: {"docs_with_repeats": 1, "repeated_paragraphs": len(r["paragraphs"]),
                   "repeated_sentences": len(r["sentences"])})
    ((feats.stats, exact.stats, near.stats, cluster_stats, repeat_stats) | "AllDedupStats" >> beam.Flatten()
     | "DedupStats" >> WriteStats(FileSystems.join(output, "stats", "dedup.json"), finalize_dedup_stats,
                                  extra={"stage": STAGE, "config_hash": config.hash(),
                                         "minhash": {"num_perm": cfg.minhash.num_perm, "bands": cfg.minhash.bands,
                                                     "rows": cfg.minhash.rows}}))


def run_dedup(input_dir: str, output: str, config: Config, options) -> dict:
    """Dedup the documents of ``input_dir``/docs into ``output``; returns the stats."""
    from pipeline.beam_io import read_json

    items = list_row_groups(input_dir)
    for sub in ("clusters", "repeats", "signatures", "rejected", "errors", "stats"):
        clear_dir(FileSystems.join(output, sub))
    marker = {"config_hash": config.hash(), "input": input_dir,
              "input_fingerprint": fingerprint(match_inputs([FileSystems.join(input_dir, "docs", "*.parquet")]))}
    run_stage(STAGE, lambda p: build_dedup(p, items, output, config), options, output, marker)
    meta = table_metadata(STAGE, config.hash())
    write_parquet(FileSystems.join(output, "rejected", "part-00000-of-00001.parquet"), [], REJECTED, meta)
    write_parquet(FileSystems.join(output, "errors", "part-00000-of-00001.parquet"), [], ERRORS, meta)
    return read_json(FileSystems.join(output, "stats", "dedup.json"))
