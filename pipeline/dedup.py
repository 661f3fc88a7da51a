"""Dedup job: exact, paragraph/sentence repetition and MinHash-LSH near duplicates, with clusters
computed in Beam (connected components in rounds; nothing gathers the graph on one worker).

Input: an annotate (or ingest) output directory. Outputs under OUTPUT:
  clusters/    one row per document (schemas.CLUSTERS): cluster id, size, representative, match
  repeats/     documents holding paragraphs/sentences seen in other documents (schemas.REPEATS)
  signatures/  MinHash signatures (schemas.SIGNATURES) to dedup a later crawl against
  rejected/, errors/ (the stage contract; dedup decides nothing, selection does)
  stats/dedup.json
Element shapes are noted at each step; only ids, hashes, band keys and 8-bit sketches are shuffled,
never text, packed as numpy columns in one element per (row group, partition). The LSH banding
shuffles (band key, id) only; a document's sketch (and, with embeddings, its vector) is brought by a
keyed join to the partitions where one of its buckets has another member (``pipeline.buckets``).
Each LSH partition contracts its own verified edges into stars (a union-find over that partition's
edges only) before the global rounds; cluster rows of unclustered documents never leave their
shard's batch, and each repeats shard is built as an Arrow table and written where its units are
grouped.
"""
from __future__ import annotations

import functools
import heapq
import re
from collections import Counter

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from filters.dedup_text import FlatFeatures, dedup_features
from filters.minhash import EMPTY_VALUE, MinHasher, band_key_matrix
from filters.urlfilter import normalize_host, split_url
from pipeline.beam_io import (WriteStats, WriteTable, pack, shard_of, table_metadata, unpack,
                              write_arrow_shard)
from pipeline.buckets import PlanBuckets, VerifiedBuckets, bucket_partitions, key_runs, payload_batches, \
    plan_with_payloads
from pipeline.components import ConnectedComponents, is_not_converged, rounds_for
from pipeline.counting import StageCounts
from pipeline.config import Config
from pipeline.runner import RowGroup, fingerprint, list_row_groups, match_inputs, note_progress
from pipeline.stages import BY_NAME, Job
from schemas import CLUSTERS, REPEATS, SIGNATURES, with_semantic_clusters
from pipeline.fs import FileDoFn
from pipeline.process import kernel_mode, raise_young_gc_threshold

STAGE = "dedup"
SECTIONS = BY_NAME[STAGE].sections
_COLUMNS = ("id", "text", "url", "date", "lang", "quality_score", "sentences")


class ExtractFeatures(FileDoFn):
    """RowGroup -> per-row-group feature batches, as tagged outputs (one element per batch):
    main  ``(shard, packed [(id, quality, date, doc_hash), ...])``  per cluster-table shard
    exact ``(partition, packed HashBatch)``   doc hashes              exact groups
    bands ``(partition, packed (ids, band keys, doc index))``   LSH buckets (no sketches)
    sketches ``(payload shard, packed (ids, 8-bit sketches))``  one row per document with shingles
    units ``(partition, packed UnitBatch)``   paragraph/sentence hashes and spans
    stats  count dicts. Signatures are written to signatures/ here, one file per row group.

    Entries are many (about 45 per document) and tiny, so they travel as numpy columns in one
    pickled blob per (row group, partition): the shuffle moves a few bytes per entry and the
    per-element and decoding costs are paid once per batch."""

    def __init__(self, config: Config, parts: "DedupPartitions", signatures_dir: str, metadata: dict,
                 semantic_parts: int = 0, topics: bool = False):
        self.cfg = config.dedup
        self.parts = parts
        self.semantic_parts, self.topics = semantic_parts, topics   # embedding outputs (0/False: off)
        self.signatures_dir, self.metadata = signatures_dir, metadata
        self.hasher = None
        self.kernels = "pure_python"
        self.counts = StageCounts(STAGE)

    def setup(self):
        super().setup()
        self.hasher = MinHasher(self.cfg.minhash)
        self.kernels = kernel_mode()
        raise_young_gc_threshold()

    def process(self, item: RowGroup):
        parts, mh = self.parts, self.cfg.minhash
        with FileSystems.open(item.path) as stream:
            pf = pq.ParquetFile(stream)
            names = [c for c in _COLUMNS if c in pf.schema_arrow.names]
            if (self.semantic_parts or self.topics) and "embedding" in pf.schema_arrow.names:
                names.append("embedding")
            table = pf.read_row_group(item.index, columns=names)
        ids = table.column("id").to_pylist()
        texts = table.column("text").to_pylist()
        n = len(ids)
        langs = table.column("lang").to_pylist() if "lang" in names else [None] * n
        quality = table.column("quality_score").to_pylist() if "quality_score" in names else [None] * n
        dates = (table.column("date").cast("int64").to_pylist() if "date" in names else [None] * n)
        sentence_spans_by_doc = _span_lists(table.column("sentences")) if "sentences" in names else None
        # site lines (dedup.site_lines) are hashed in the same pass as the paragraphs and sentences
        urls = (table.column("url").to_pylist() if "url" in names and self.cfg.repetition and self.cfg.site_lines
                else [])
        site_lines = any(urls)
        hosts = [_host(u) if u else None for u in urls] if site_lines else None

        sigs, features = dedup_features(texts, self.hasher, self.cfg.text, langs=langs,
                                        sentences=sentence_spans_by_doc, repetition=self.cfg.repetition,
                                        count=self.counts, hosts=hosts, flat=self.cfg.repetition)
        _write_signatures(FileSystems.join(self.signatures_dir, item.out_name), ids, sigs, self.metadata)
        hashes = features.doc_hashes if self.cfg.repetition else [f.doc_hash for f in features]

        info = [[] for _ in range(parts.shards)]
        for doc_id, q, d, h in zip(ids, quality, dates, hashes):
            info[shard_of(doc_id, parts.shards)].append(
                (doc_id, float(q) if q is not None else -1.0, _seconds(d), h))
        for part, entries in enumerate(info):
            if entries:
                yield part, pack(entries)

        has_hash = np.array([h is not None for h in hashes], dtype=bool)
        if n - int(has_hash.sum()):
            self.counts("docs_without_hash", n - int(has_hash.sum()))
        hash_arr = np.array([h if h is not None else 0 for h in hashes], dtype=np.uint64)
        yield from _partitioned("exact", parts.exact, hash_arr[has_hash], np.flatnonzero(has_hash), ids)

        nonempty = ~np.all(sigs == EMPTY_VALUE, axis=1)
        if n - int(nonempty.sum()):
            self.counts("docs_without_shingles", n - int(nonempty.sum()))
        keys = band_key_matrix(sigs, mh.bands, mh.rows)  # (n, bands) uint64
        key_part = keys % np.uint64(parts.bands)
        for part in range(parts.bands):
            doc_idx, band_idx = np.nonzero((key_part == part) & nonempty[:, None])
            if len(doc_idx):
                used, local = np.unique(doc_idx, return_inverse=True)
                batch = ([ids[i] for i in used.tolist()], keys[doc_idx, band_idx], local.astype(np.int32))
                yield beam.pvalue.TaggedOutput("bands", (part, pack(batch)))
        for shard, blob in payload_batches(ids, b_bit_sketches(sigs), np.flatnonzero(nonempty), parts.bands):
            yield beam.pvalue.TaggedOutput("sketches", (shard, blob))

        if self.cfg.repetition:
            yield from self._units(ids, features, site_lines)
        if "embedding" in names:
            yield from self._embeddings(ids, langs, texts, table.column("embedding"), n)
        self.counts("docs", n)
        note_progress(STAGE, n)
        yield beam.pvalue.TaggedOutput("stats", {**self.counts.flush(), "row_groups_by_kernels": {self.kernels: 1}})

    def _embeddings(self, ids, langs, texts, column, n):
        """Semantic LSH band batches ('sembands'), float16 vectors by payload shard ('semvectors') and
        topic sample offers ('topicoffers')."""
        from pipeline import semantic
        vectors, mask = semantic.embedding_matrix(column, n)
        self.counts("docs_with_embedding", int(mask.sum()))
        if self.semantic_parts:
            for part, blob in semantic.semantic_band_batches(ids, vectors, mask, self.cfg.semantic,
                                                             self.semantic_parts, pack):
                yield beam.pvalue.TaggedOutput("sembands", (part, blob))
            for shard, blob in payload_batches(ids, vectors.astype(np.float16), np.flatnonzero(mask),
                                               self.semantic_parts):
                yield beam.pvalue.TaggedOutput("semvectors", (shard, blob))
        if self.topics:
            for offer in semantic.topic_offers(ids, langs, texts, vectors, mask, self.cfg.topics.seed):
                yield beam.pvalue.TaggedOutput("topicoffers", offer)

    def _units(self, ids, features: FlatFeatures, site_lines: bool):
        """Paragraph, sentence and (``site_lines``: ``features`` hold them) host-salted line hashes
        of the row group -> ('units', (partition, packed UnitBatch)); kinds 0 paragraph, 1 sentence,
        2 site line."""
        n = len(ids)
        span_first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(features.span_doc, minlength=n), out=span_first[1:])
        g = features.unit_span
        doc = features.span_doc[g]
        h = features.unit_hash
        kind = (g - span_first[doc] >= features.n_paragraphs[doc]).astype(np.uint8)
        start, end = features.spans[g].T if len(h) else (np.zeros(0, np.int64),) * 2
        if site_lines:
            line_doc = features.line_doc
            self.counts("site_lines_hashed", len(line_doc))
            if len(line_doc):
                # each document's site lines right after its units: a stable sort by document
                order = np.argsort(np.concatenate((doc, line_doc)), kind="stable")
                h = np.concatenate((h, features.line_hash))[order]
                doc = np.concatenate((doc, line_doc))[order]
                kind = np.concatenate((kind, np.full(len(line_doc), 2, dtype=np.uint8)))[order]
                start = np.concatenate((start, features.line_edges[:, 0]))[order]
                end = np.concatenate((end, features.line_edges[:, 1]))[order]
        if not len(h):
            return
        start, end = start.astype(np.int32), end.astype(np.int32)
        part_of = h % np.uint64(self.parts.units)
        for part in range(self.parts.units):
            sel = np.flatnonzero(part_of == part)
            if len(sel):
                used, local = np.unique(doc[sel], return_inverse=True)
                batch = ([ids[i] for i in used.tolist()], h[sel], local.astype(np.int32), kind[sel],
                         start[sel], end[sel])
                yield beam.pvalue.TaggedOutput("units", (part, pack(batch)))


_HTTP_HOST = re.compile(r"[hH][tT][tT][pP][sS]?://([A-Za-z0-9.\-]+)(?:[/?#]|\Z)")


@functools.lru_cache(maxsize=1 << 14)
def _normal_host(netloc: str) -> str:
    return normalize_host(netloc)


def _host(url: str) -> str:
    """``split_url(url)[0]``; an http(s) URL whose host is plain ASCII (no port, user, brackets or
    characters urlsplit would drop) is cut by one regex, its host normalized once per process."""
    m = _HTTP_HOST.match(url)
    return _normal_host(m.group(1)) if m else split_url(url)[0]


def _seconds(epoch_ms: int | None) -> int:
    """Epoch milliseconds -> whole seconds (truncated, as datetime.timestamp() then int()); None -> 0."""
    if epoch_ms is None:
        return 0
    return epoch_ms // 1000 if epoch_ms >= 0 else -((-epoch_ms) // 1000)


def _partitioned(tag, n_parts, hashes: np.ndarray, doc_idx: np.ndarray, ids):
    """Hash entries -> ``(tag, (partition, packed (ids, hashes)))`` by hash modulo ``n_parts``."""
    part_of = hashes % np.uint64(n_parts)
    for part in range(n_parts):
        sel = np.flatnonzero(part_of == part)
        if len(sel):
            yield beam.pvalue.TaggedOutput(tag, (part, pack(([ids[i] for i in doc_idx[sel].tolist()], hashes[sel]))))


def _write_signatures(path: str, ids: list[str], sigs: np.ndarray, metadata: dict) -> None:
    """One row group's signatures -> a SIGNATURES Parquet file (built from the numpy array directly)."""
    import pyarrow as pa
    n, k = sigs.shape
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    column = pa.ListArray.from_arrays(offsets, pa.array(sigs.reshape(-1), type=pa.uint32()))
    meta = dict(SIGNATURES.metadata or {})
    meta.update({key.encode(): v.encode() for key, v in metadata.items()})
    schema = SIGNATURES.with_metadata(meta)
    table = pa.Table.from_arrays([pa.array(ids, type=pa.string()), column], schema=schema)
    with FileSystems.create(path) as f:
        pq.write_table(table, f, compression="zstd")


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


def partitions_for(entries: int, bytes_per_entry: int, target_bytes: int = 64 << 20, minimum: int = 4) -> int:
    """How many shuffle partitions keep one partition's entries near ``target_bytes`` in memory."""
    return max(minimum, -(-entries * bytes_per_entry // target_bytes))


class DedupPartitions:
    """Partition counts of the dedup shuffles, from the corpus size: ``shards`` of the cluster and
    repeats tables (the per-document info travels by them), and ``exact``/``bands``/``units``
    partitions of the hash entries, each partition small enough to group in one worker's memory
    (``bands`` also numbers the shards of the sketch table, see ``pipeline.buckets``)."""

    def __init__(self, docs: int, shards: int, bands_per_doc: int, sketch_bytes: int):
        self.docs = docs
        self.shards = max(1, shards)
        self.exact = partitions_for(docs, 48)
        self.bands = bucket_partitions(docs, bands_per_doc, sketch_bytes)
        self.units = partitions_for(docs * 40, 96)


def b_bit_sketches(signatures: np.ndarray) -> np.ndarray:
    """The lowest 8 bits of each MinHash value (b-bit MinHash, Li & König 2010), as uint8 of the
    same shape: what LSH bucket entries carry for verification, a quarter of the signature's bytes."""
    return (np.asarray(signatures, dtype=np.uint32) & 0xFF).astype(np.uint8)


def b_bit_sketch(signature: np.ndarray) -> bytes:
    """One signature's 8-bit sketch as bytes (see ``b_bit_sketches``)."""
    return b_bit_sketches(signature).tobytes()


def b_bit_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard estimate from two 8-bit sketches: unrelated values collide with probability 1/256,
    so J = (matches - 1/256) / (1 - 1/256)."""
    matches = float(np.count_nonzero(a == b)) / len(a)
    return max(0.0, (matches - 1 / 256) / (1 - 1 / 256))


_runs = key_runs   # sorted runs of equal keys (pipeline.buckets)


class ExactEdges(beam.DoFn):
    """(partition, [packed (ids, doc hashes)]) -> star edges from each group's smallest id;
    counts exact duplicates."""

    def __init__(self):
        self.count = StageCounts(STAGE)

    def process(self, element):
        _, batches = element
        ids, hashes = [], []
        for blob in batches:
            batch_ids, batch_hashes = unpack(blob)
            ids.extend(batch_ids)
            hashes.append(batch_hashes)
        if not ids:
            return
        order, runs = _runs(np.concatenate(hashes))
        order = order.tolist()
        groups = dups = 0
        for lo, hi in runs:
            group = sorted({ids[i] for i in order[lo:hi]})
            if len(group) < 2:
                continue
            groups += 1
            dups += len(group) - 1
            for other in group[1:]:
                yield group[0], other
        if groups:
            self.count("exact_groups", groups)
            self.count("exact_duplicate_docs", dups)
            yield beam.pvalue.TaggedOutput("stats", self.count.flush())


class PlanLshBuckets(PlanBuckets):
    """MinHash LSH buckets -> plans (see ``pipeline.buckets``): a bucket's members are its documents in
    id order, at most ``max_bucket`` of them (the rest is counted, not linked)."""

    def __init__(self, payload_shards: int, max_bucket: int):
        super().__init__(payload_shards)
        self.max_bucket = max_bucket
        self.count = StageCounts(STAGE)

    def plan(self, ids, keys, doc_of):
        """``PlanBuckets.plan`` with numpy: each bucket's entries sorted by (id, doc index), the first
        ``max_bucket`` kept (what ``members`` keeps), the same counts."""
        order = np.argsort(keys, kind="stable")
        ks = keys[order]
        if not len(ks):
            return [], [0]
        starts = np.flatnonzero(np.concatenate(([True], ks[1:] != ks[:-1])))
        sizes = np.diff(np.append(starts, len(ks)))
        run_of = np.repeat(np.arange(len(starts)), sizes)
        sel = (sizes >= 2)[run_of]
        sizes = sizes[sizes >= 2]
        if not len(sizes):
            return [], [0]
        doc, run = doc_of[order][sel], run_of[sel]
        rank = {doc_id: k for k, doc_id in enumerate(sorted(set(ids)))}
        id_rank = np.array([rank[doc_id] for doc_id in ids], dtype=np.int64)
        by = np.lexsort((doc, id_rank[doc], run))
        doc = doc[by]
        first = np.repeat(np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
        keep = np.arange(len(doc)) - first < self.max_bucket
        self.count("lsh_buckets_with_pairs", len(sizes))
        capped = int(np.count_nonzero(sizes > self.max_bucket))
        if capped:
            self.count("lsh_buckets_capped", capped)
        return doc[keep], np.concatenate(([0], np.cumsum(np.minimum(sizes, self.max_bucket))))

    def members(self, bucket):
        members = heapq.nsmallest(self.max_bucket + 1, bucket)
        self.count("lsh_buckets_with_pairs")
        if len(members) > self.max_bucket:
            members = members[: self.max_bucket]
            self.count("lsh_buckets_capped")
        return members

    def stats(self) -> dict:
        return self.count.flush()


class VerifyLshBuckets(beam.DoFn):
    """(partition, {'plan', 'payload': 8-bit sketches}) -> verified edges inside each planned bucket.
    Each member is linked to the first member it matches among the bucket's smallest id and its
    ``lookback`` predecessors, when the estimated Jaccard of the 8-bit sketches reaches
    ``verify_threshold`` (None: link without checking); the partition's edges are contracted into
    stars (``local_stars``)."""

    def __init__(self, verify_threshold: float | None, lookback: int = 3):
        self.verify, self.lookback = verify_threshold, lookback
        self.count = StageCounts(STAGE)

    def process(self, element):
        joined = plan_with_payloads(element[1])
        if joined is None:
            return
        ids, members, bounds, sketches = joined
        if sketches is None or self.verify is None:
            edges = []
            members = members.tolist()
            for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
                edges.extend(self._bucket([(ids[m], m) for m in members[lo:hi]], sketches))
        else:
            edges = self._verified_edges(ids, members, bounds, sketches)
        # near duplicates share many bands, so the same pair comes from many buckets: contract the
        # partition's own edges locally (a partition, never the whole graph) and emit one star per
        # local component, centred on its smallest id; components are unchanged
        star = local_stars(edges)
        self.count("lsh_edges", len(edges))
        self.count("lsh_edges_after_local_contraction", len(star))
        yield from star
        stats = self.count.flush()
        if stats:
            yield beam.pvalue.TaggedOutput("stats", stats)

    def _verified_edges(self, ids, members, bounds, sketches) -> list[tuple[str, str]]:
        """``_bucket`` over every bucket at once, with numpy: each member after a bucket's first is
        compared with its candidates (the first member, then its ``lookback`` predecessors) and
        linked to the first that passes, unless a candidate before it has the same id. The same
        edges in the same order, and the same count of members that failed."""
        members = np.asarray(members, dtype=np.int64)
        bounds = np.asarray(bounds, dtype=np.int64)
        sizes = np.diff(bounds)
        pos = np.arange(len(members), dtype=np.int64)
        first = np.repeat(bounds[:-1], sizes)          # position of each member's bucket's first member
        later = np.flatnonzero(pos > first)            # members that look for a link
        if not len(later):
            return []
        code_of = {}
        codes = np.array([code_of.setdefault(doc_id, len(code_of)) for doc_id in ids], dtype=np.int64)
        i = later - first[later]                       # index inside the bucket
        back = self.lookback
        # candidate slots in order: the first member, then i - back ... i - 1 (those >= 1)
        local = np.concatenate([np.zeros((len(later), 1), dtype=np.int64),
                                i[:, None] + np.arange(-back, 0, dtype=np.int64)[None, :]], axis=1)
        valid = np.ones(local.shape, dtype=bool)
        valid[:, 1:] = local[:, 1:] >= 1
        cand = members[first[later][:, None] + np.where(valid, local, 0)]
        me = members[later]
        same = codes[cand] == codes[me][:, None]
        passed = np.zeros(local.shape, dtype=bool)
        rows, cols = np.nonzero(valid & ~same)
        width = sketches.shape[1]
        step = max(1, (1 << 24) // max(width, 1))
        for lo in range(0, len(rows), step):
            r, c = rows[lo:lo + step], cols[lo:lo + step]
            matches = np.count_nonzero(sketches[me[r]] == sketches[cand[r, c]], axis=1)
            # b_bit_jaccard, the same float operations
            jaccard = np.maximum(0.0, (matches.astype(np.float64) / width - 1 / 256) / (1 - 1 / 256))
            passed[r, c] = jaccard >= self.verify
        stop = valid & (same | passed)
        has = stop.any(axis=1)
        at = np.argmax(stop, axis=1)
        hit = np.arange(len(later))
        link = has & ~same[hit, at]
        failed = int(np.count_nonzero(~has))
        if failed:
            self.count("lsh_pairs_failed_verification", failed)
        return [(ids[a], ids[b]) for a, b in zip(cand[hit, at][link].tolist(), me[link].tolist())]

    def _bucket(self, members, sketches):
        for i in range(1, len(members)):
            candidates = [0] + list(range(max(1, i - self.lookback), i))
            for j in candidates:
                if members[i][0] == members[j][0]:
                    break
                if self.verify is None or b_bit_jaccard(sketches[members[i][1]],
                                                        sketches[members[j][1]]) >= self.verify:
                    yield members[j][0], members[i][0]
                    break
            else:
                self.count("lsh_pairs_failed_verification")


def local_stars(edges) -> list[tuple[str, str]]:
    """Edges -> (smallest id, other id) for every other node of each connected component of these
    edges (a union-find over one partition's edges; the same components with at most n - 1 edges)."""
    parent: dict[str, str] = {}

    def find(x):
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
        parent.setdefault(ra, ra)
    return sorted((find(x), x) for x in parent if find(x) != x)


def _cluster_row(doc_id, label, size, representative, match):
    return {"id": doc_id, "cluster_id": label, "cluster_size": size, "is_representative": doc_id == representative,
            "match": match, "representative_id": representative}


def _split_clustered(element):
    """(shard, {'info': [[(id, quality, date, hash)]], 'label': [(id, label)]}) ->
    main: [cluster rows] of the shard's unclustered documents (each its own cluster);
    'members': (label, (id, quality, date, hash)) of the clustered ones."""
    _, grouped = element
    labels = dict(grouped["label"])
    singles = []
    for blob in grouped["info"]:
        for info in unpack(blob):
            label = labels.get(info[0])
            if label is None:
                singles.append(_cluster_row(info[0], info[0], 1, info[0], "none"))
            else:
                yield beam.pvalue.TaggedOutput("members", (label, info))
    if singles:
        yield singles


def _choose_cluster(element, policy):
    """(label, [(id, quality, date, doc_hash)]) -> [cluster rows] with one representative."""
    label, members = element
    members = list(members)
    size = len(members)
    hashes = Counter(m[3] for m in members if m[3] is not None)

    def rank(m):
        doc_id, quality, date, _ = m
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
    rows = []
    for doc_id, _, _, h in members:
        match = "none" if size == 1 else ("exact" if h is not None and hashes[h] > 1 else "near")
        rows.append(_cluster_row(doc_id, label, size, best, match))
    return rows


def _cluster_stats(rows) -> dict:
    stats = Counter()
    for r in rows:
        stats["cluster_rows"] += 1
        stats["clusters"] += int(r["is_representative"])
        stats["duplicate_docs"] += int(not r["is_representative"])
        stats[f"docs_match_{r['match']}"] += 1
    return dict(stats)


def _repeated_units(element, min_docs, shards):
    """(partition, [packed UnitBatch]) -> (shard, packed RepeatBatch) for the paragraphs/sentences
    found in at least ``min_docs`` documents, one batch per repeats-table shard.
    RepeatBatch = (ids, doc index, kind (0 paragraph, 1 sentence), start, end, n_docs)."""
    _, batches = element
    ids, cols, offset = [], [[] for _ in range(5)], 0
    for blob in batches:
        batch_ids, h, doc, kind, start, end = unpack(blob)
        ids.extend(batch_ids)
        for col, values in zip(cols, (h, doc.astype(np.int64) + offset, kind, start, end)):
            col.append(values)
        offset += len(batch_ids)
    if not ids:
        return []
    h, doc, kind, start, end = (np.concatenate(c) for c in cols)
    uniq, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
    cand = np.flatnonzero(counts[inverse] >= min_docs)
    if not len(cand):
        return []
    # distinct documents per candidate unit
    inverse = inverse.reshape(-1)
    n_ids = np.int64(len(ids))
    pairs = np.unique(inverse[cand].astype(np.int64) * n_ids + doc[cand])   # (unit, doc) as one int64
    n_docs = np.bincount(pairs // n_ids, minlength=len(uniq))
    occ = cand[n_docs[inverse[cand]] >= min_docs]
    if not len(occ):
        return []
    occ_docs, occ_doc_of = np.unique(doc[occ], return_inverse=True)
    occ_shard = np.array([shard_of(ids[d], shards) for d in occ_docs.tolist()], dtype=np.int64)[occ_doc_of.reshape(-1)]
    out = []
    for sh in np.unique(occ_shard).tolist():
        sel = occ[occ_shard == sh]
        used, local = np.unique(doc[sel], return_inverse=True)
        out.append((sh, pack(([ids[d] for d in used.tolist()], local.astype(np.int32), kind[sel], start[sel],
                               end[sel], n_docs[inverse[sel]].astype(np.int32)))))
    return out


def _repeat_rows(element) -> list[dict]:
    """(shard, [packed RepeatBatch]) -> repeats rows, one per document, units in (kind, start) order
    (``_repeat_table`` as row dicts)."""
    return _repeat_table(element).to_pylist()


def _repeat_table(element) -> pa.Table:
    """(shard, [packed RepeatBatch]) -> the shard's repeats table (schemas.REPEATS columns): one row
    per document in id order, its distinct units by kind in (start, end, count) order, built from
    the numpy columns (no row dicts)."""
    _, batches = element
    ids, cols, offset = [], [[] for _ in range(5)], 0
    for blob in batches:
        if blob is None:
            continue
        batch_ids, doc, kind, start, end, n = unpack(blob)
        for col, values in zip(cols, (doc.astype(np.int64) + offset, kind, start, end, n)):
            col.append(np.asarray(values, dtype=np.int64))
        ids.extend(batch_ids)
        offset += len(batch_ids)
    if not ids:
        return REPEATS.empty_table()
    names = sorted(set(ids))                                   # Python str order
    rank = {doc_id: i for i, doc_id in enumerate(names)}
    key = np.fromiter((rank[doc_id] for doc_id in ids), dtype=np.int64, count=len(ids))
    doc, kind, start, end, n = (np.concatenate(c) for c in cols)
    # distinct (document, kind, start, end, count), sorted in that order
    units = np.stack([key[doc], kind, start, end, n], axis=1)
    units = units[np.lexsort(units.T[::-1])]
    if len(units) > 1:
        units = units[np.concatenate(([True], np.any(units[1:] != units[:-1], axis=1)))]
    columns = [pa.array(names, type=pa.string())]
    span_type = REPEATS.field("paragraphs").type
    for k in (0, 1, 2):
        sel = units[units[:, 1] == k]
        offsets = np.zeros(len(names) + 1, dtype=np.int32)
        np.cumsum(np.bincount(sel[:, 0], minlength=len(names)), out=offsets[1:])
        values = pa.StructArray.from_arrays(
            [pa.array(sel[:, 2].astype(np.int32)), pa.array(sel[:, 3].astype(np.int32)), pa.array(sel[:, 4])],
            fields=list(span_type.value_type))
        columns.append(pa.ListArray.from_arrays(pa.array(offsets), values, type=span_type))
    return pa.Table.from_arrays(columns, schema=REPEATS)


class WriteRepeatShard(FileDoFn):
    """(shard, [packed RepeatBatch]) -> writes the shard of repeats/ in place (the table is built
    here from the numpy columns, never shuffled as rows); emits a stats dict."""

    def __init__(self, directory: str, num_shards: int, metadata: dict):
        self.directory, self.num_shards, self.metadata = directory, num_shards, metadata

    def process(self, element):
        table = _repeat_table(element)
        write_arrow_shard(self.directory, element[0], self.num_shards, table, REPEATS, self.metadata)
        yield _repeat_stats(table)


def _repeat_stats(table: pa.Table) -> dict:
    import pyarrow.compute as pc

    def total(name):
        return int(pc.sum(pc.list_value_length(table.column(name))).as_py() or 0)
    return {"docs_with_repeats": table.num_rows, "repeated_paragraphs": total("paragraphs"),
            "repeated_sentences": total("sentences"), "repeated_site_lines": total("site_lines")}


def finalize_dedup_stats(acc: dict) -> dict:
    stats = {"records": acc.get("docs", 0), "docs": acc.get("docs", 0), "rejected": 0, "errors": 0}
    stats.update(acc)
    stats["balanced"] = stats.get("cluster_rows", 0) == stats["docs"]
    return stats


def has_embeddings(items: list[RowGroup]) -> bool:
    """Whether the input's docs carry the ``embedding`` column (first file's footer)."""
    if not items:
        return False
    with FileSystems.open(items[0].path) as stream:
        return "embedding" in pq.ParquetFile(stream).schema_arrow.names


class FindDuplicates(beam.PTransform):
    """The dedup core. PCollection[RowGroup] -> {"clusters": lists of schemas.CLUSTERS rows (one
    list per batch; with the semantic columns when ``embedded``), "stats": count dicts}. Signatures,
    repeats (and topics) shards are written by the steps that hold them (``signatures_dir``,
    ``repeats_dir``, ``topics_dir``). ``embedded``: the input has the ``embedding`` column
    (``has_embeddings``), which adds the semantic-duplicate and topic steps (``pipeline/semantic.py``)."""

    def __init__(self, config: Config, parts: "DedupPartitions", signatures_dir: str, repeats_dir: str,
                 metadata: dict, embedded: bool = False, topics_dir: str | None = None,
                 topics_summary: str | None = None, cc_rounds: int | None = None):
        super().__init__()
        self.config, self.parts, self.metadata = config, parts, metadata
        # connected-components rounds unrolled (default: cc_rounds_for the corpus size); fewer than
        # dedup.max_cc_rounds fail the job on non-convergence, and prepare's rerun re-runs it with all
        self.cc_rounds = cc_rounds or cc_rounds_for(parts.docs, config)
        self.signatures_dir, self.repeats_dir = signatures_dir, repeats_dir
        cfg = config.dedup
        self.semantic_on = embedded and cfg.semantic.threshold is not None
        self.topics_on = embedded and cfg.topics.enabled and topics_dir is not None
        self.topics_dir, self.topics_summary = topics_dir, topics_summary

    def expand(self, items):
        cfg, parts, meta = self.config.dedup, self.parts, self.metadata
        semantic_parts = (bucket_partitions(parts.docs, cfg.semantic.params[0], 2 * 256)
                          if self.semantic_on else 0)
        extra_tags = (("sembands", "semvectors") if self.semantic_on else ()) + (("topicoffers",) if self.topics_on else ())
        feats = (items
                 | "SpreadRowGroups" >> beam.Reshuffle()
                 | "ExtractFeatures" >> beam.ParDo(ExtractFeatures(self.config, parts, self.signatures_dir, meta,
                                                                   semantic_parts, self.topics_on))
                 .with_outputs("exact", "bands", "sketches", "units", "stats", *extra_tags, main="info"))

        exact = (feats.exact | "GroupByDocHash" >> beam.GroupByKey()
                 | "ExactEdges" >> beam.ParDo(ExactEdges()).with_outputs("stats", main="edges"))
        near = ((feats.bands, feats.sketches)
                | "BucketEdges" >> VerifiedBuckets(PlanLshBuckets(parts.bands, cfg.max_bucket_size),
                                                   VerifyLshBuckets(cfg.minhash.verify_threshold)))
        labels = ((exact.edges, near["edges"]) | "AllEdges" >> beam.Flatten()
                  | "Components" >> ConnectedComponents(max_rounds=self.cc_rounds, namespace=f"{STAGE}.components",
                                                        fail_if_not_converged=self.cc_rounds < cfg.max_cc_rounds))
        # documents without an edge are their own cluster and stay in their shard's batch; only the
        # clustered ones are regrouped by label to choose a representative
        n_shards = parts.shards
        split = ({"info": feats.info,
                  "label": labels | "KeyLabelsByShard" >> beam.Map(lambda kv: (shard_of(kv[0], n_shards), kv))}
                 | "JoinLabels" >> beam.CoGroupByKey()
                 | "SplitClustered" >> beam.FlatMap(_split_clustered).with_outputs("members", main="singles"))
        policy = cfg.representative
        clustered = (split.members
                     | "GroupByCluster" >> beam.GroupByKey()
                     | "ChooseRepresentatives" >> beam.Map(_choose_cluster, policy))
        clusters = (split.singles, clustered) | "AllClusterRows" >> beam.Flatten()
        extra_stats = []
        if self.semantic_on:
            from pipeline.semantic import AddSemanticColumns, PlanSemanticBuckets, VerifySemanticBuckets, _semantic_stats
            sem = ((feats.sembands, feats.semvectors)
                   | "SemanticBucketEdges" >> VerifiedBuckets(
                       PlanSemanticBuckets(semantic_parts, cfg.semantic.max_bucket_size),
                       VerifySemanticBuckets(cfg.semantic.threshold, local_stars)))
            sem_labels = sem["edges"] | "SemanticComponents" >> ConnectedComponents(
                max_rounds=self.cc_rounds, namespace=f"{STAGE}.semantic_components",
                fail_if_not_converged=self.cc_rounds < cfg.max_cc_rounds)
            clusters = (clusters, sem_labels) | "SemanticClusters" >> AddSemanticColumns(n_shards)
            extra_stats += [sem["stats"], clusters | "SemanticStats" >> beam.Map(_semantic_stats)]
        if self.topics_on:
            from pipeline.semantic import Topics
            extra_stats.append((feats.topicoffers, items)
                               | "Topics" >> Topics(cfg.topics, self.topics_dir, self.topics_summary, meta))
        cluster_stats = clusters | "ClusterStats" >> beam.Map(_cluster_stats)

        repeats = (feats.units | "GroupByUnitHash" >> beam.GroupByKey()
                   | "RepeatedUnits" >> beam.FlatMap(_repeated_units, cfg.min_repeat_docs, n_shards))
        repeat_shard_zero = items.pipeline | "RepeatShardZero" >> beam.Create([(0, None)])
        repeat_stats = ((repeats, repeat_shard_zero) | "WithRepeatShardZero" >> beam.Flatten()
                        | "GroupRepeatsByShard" >> beam.GroupByKey()
                        | "WriteRepeats" >> beam.ParDo(WriteRepeatShard(self.repeats_dir, n_shards, meta)))
        stats = ((feats.stats, exact.stats, near["stats"], cluster_stats, repeat_stats, *extra_stats)
                 | "AllDedupStats" >> beam.Flatten())
        return {"clusters": clusters, "stats": stats}


def cc_rounds_for(docs: int, config: Config) -> int:
    """Connected-components rounds to unroll for ``docs`` documents (every graph node is a document):
    ``components.rounds_for``'s bound, at most ``dedup.max_cc_rounds``. Each unrolled round is a
    fixed cost (about 0.06 CPU s on the local runner) that dominated small jobs at 12 rounds."""
    return rounds_for(docs, config.dedup.max_cc_rounds)


def build_dedup(pipeline, items: list[RowGroup], output: str, config: Config, config_hash: str | None = None,
                embedded: bool = False, cc_rounds: int | None = None) -> None:
    """The dedup graph; ``embedded``: the input has the ``embedding`` column (``has_embeddings``,
    read by ``prepare``, so the graph builds without input files); ``cc_rounds``: connected-components
    rounds to unroll (default ``cc_rounds_for`` the documents)."""
    cfg = config.dedup
    config_hash = config_hash or config.hash(SECTIONS)
    meta = table_metadata(STAGE, config_hash)
    shards = max(1, len(items) // 4)
    docs = sum(item.rows for item in items)
    parts = DedupPartitions(docs, shards, cfg.minhash.bands, cfg.minhash.num_perm)
    found = (pipeline
             | "ListRowGroups" >> beam.Create(items, reshuffle=False)   # FindDuplicates spreads them
             | "FindDuplicates" >> FindDuplicates(config, parts, FileSystems.join(output, "signatures"),
                                                  FileSystems.join(output, "repeats"), meta, embedded,
                                                  FileSystems.join(output, "topics"),
                                                  FileSystems.join(output, "stats", "topics.json"),
                                                  cc_rounds))
    schema = with_semantic_clusters(CLUSTERS) if embedded and cfg.semantic.threshold is not None else CLUSTERS
    found["clusters"] | "WriteClusters" >> WriteTable(FileSystems.join(output, "clusters"), schema, parts.shards,
                                                      table="clusters", metadata=meta, batched=True)
    extra = {"stage": STAGE, "config_hash": config_hash,
             "minhash": {"num_perm": cfg.minhash.num_perm, "bands": cfg.minhash.bands, "rows": cfg.minhash.rows}}
    if embedded and cfg.semantic.threshold is not None:
        bands, rows = cfg.semantic.params
        extra["semantic_lsh"] = {"threshold": cfg.semantic.threshold, "bands": bands, "rows": rows}
    (found["stats"]
     | "DedupStats" >> WriteStats(FileSystems.join(output, "stats", "dedup.json"), finalize_dedup_stats,
                                  extra=extra))


def prepare(inputs: dict, output: str, config: Config, config_hash: str) -> Job:
    """inputs ``{"input": a stage directory}``: its docs/ row groups (Parquet footers only)."""
    input_dir = inputs["input"]
    items = list_row_groups(input_dir)
    marker = {"input": input_dir,
              "input_fingerprint": fingerprint(match_inputs([FileSystems.join(input_dir, "docs", "*.parquet")]))}
    embedded = has_embeddings(items)
    docs = sum(item.rows for item in items)
    rounds, full = cc_rounds_for(docs, config), config.dedup.max_cc_rounds
    marker["cc_rounds"] = rounds

    def rerun(exc: BaseException) -> Job | None:
        """The bound was too low for this graph (NotConverged): the same job with every round."""
        if rounds >= full or not is_not_converged(exc):
            return None
        return Job(lambda p: build_dedup(p, items, output, config, config_hash, embedded, cc_rounds=full),
                   dict(marker, cc_rounds=full,
                        rerun=f"connected components needed more than the {rounds} rounds bounded for {docs} "
                              f"documents: re-running with dedup.max_cc_rounds = {full}"))

    return Job(lambda p: build_dedup(p, items, output, config, config_hash, embedded), marker, rerun)
