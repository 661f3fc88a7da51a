"""Dedup's embedding half (issue 18): semantic duplicate clusters and topic clusters, as Beam
transforms wired into ``pipeline/dedup.py`` when its input has an ``embedding`` column.

Semantic duplicates: ``ExtractFeatures`` emits, per (row group, partition), the random-hyperplane
band keys of its documents (``sembands``) and, per (row group, payload shard), their float16
vectors (``semvectors``); ``SemanticBucketEdges`` (``pipeline.buckets.VerifiedBuckets``) brings the
vectors to the partitions whose buckets need them, verifies every pair inside a bucket by cosine
and contracts the partition's edges into stars; the
components are the dedup job's Beam rounds (``ConnectedComponents``); ``AddSemanticColumns``
joins the labels onto the cluster rows by shard and picks each semantic cluster's representative
(the smallest id among its MinHash representatives).

Topics: each document offers (lang, (hash of id, id, vector, text head)) to a bottom-k per
language by hash (``Top.PerKey``: combined before the shuffle, so at most ``sample_per_lang``
items per language and bundle travel); centroids are fitted per language on that sample in one
element each and reach ``AssignTopics`` as a side input (the only data gathered: the sample);
``AssignTopics`` re-reads each row group's embeddings, writes its topics/ file in place and
emits per-topic sizes and nearest-document candidates; the summary goes to stats/topics.json.
"""
from __future__ import annotations

import json
from collections import Counter

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from filters import semantic
from pipeline.beam_io import shard_of
from pipeline.buckets import PlanBuckets, plan_with_payloads
from pipeline.counting import StageCounts, nest
from pipeline.fs import FileDoFn, FsCall
from schemas import TOPICS

STAGE = "dedup"
SAMPLE_TEXT_CHARS = 2000


def embedding_matrix(column, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A list<float16> column -> (float32 [n, dim] with zero rows for nulls, bool mask of non-nulls)."""
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    mask = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    flat = arr.flatten().to_numpy(zero_copy_only=False).astype(np.float32)
    if not mask.any():
        return np.zeros((n, 0), dtype=np.float32), mask
    dim = len(flat) // int(mask.sum())
    out = np.zeros((n, dim), dtype=np.float32)
    out[mask] = flat.reshape(-1, dim)
    return out, mask


def semantic_band_batches(ids, vectors, mask, cfg: semantic.SemanticDedupConfig, n_parts: int, pack):
    """-> [(partition, packed (ids, keys, doc index))] for the documents in ``mask`` (the vectors
    travel apart, by payload shard: ``pipeline.buckets``)."""
    bands, rows = cfg.params
    if not mask.any():
        return []
    planes = semantic.hyperplanes(vectors.shape[1], bands * rows, cfg.seed)
    keys = semantic.band_keys(vectors, planes, bands, rows)
    part_of = keys % np.uint64(n_parts)
    out = []
    for part in range(n_parts):
        doc_idx, band_idx = np.nonzero((part_of == part) & mask[:, None])
        if len(doc_idx):
            used, local = np.unique(doc_idx, return_inverse=True)
            out.append((part, pack(([ids[i] for i in used.tolist()], keys[doc_idx, band_idx],
                                    local.astype(np.int32)))))
    return out


class PlanSemanticBuckets(PlanBuckets):
    """Semantic LSH buckets -> plans (``pipeline.buckets``): a bucket's distinct documents in id
    order, at most ``max_bucket`` of them (the rest is counted); buckets of one document are dropped."""

    def __init__(self, payload_shards: int, max_bucket: int):
        super().__init__(payload_shards)
        self.max_bucket = max_bucket
        self.counts = StageCounts(STAGE)
        self.count = self.counts.scoped("semantic")

    def members(self, bucket):
        members = sorted(set(bucket))
        if len(members) < 2:
            return None
        self.count("semantic_buckets_with_pairs")
        if len(members) > self.max_bucket:
            self.count("semantic_bucket_members_capped", len(members) - self.max_bucket)
            members = members[: self.max_bucket]
        return members

    def stats(self) -> dict:
        return nest(self.counts.flush())


class VerifySemanticBuckets(beam.DoFn):
    """(partition, {'plan', 'payload': float16 vectors}) -> edges between members of one planned
    bucket whose cosine reaches the threshold (every pair), contracted into one star per local
    component (``local_stars``)."""

    def __init__(self, threshold: float, local_stars):
        self.threshold, self.local_stars = threshold, local_stars
        self.counts = StageCounts(STAGE)

    def process(self, element):
        joined = plan_with_payloads(element[1])
        if joined is None:
            return
        ids, members, bounds, vectors = joined
        count = self.counts.scoped("semantic")
        edges = []
        if vectors is not None:
            vectors = vectors.astype(np.float32)
            for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
                rows = members[lo:hi]
                m = len(rows)
                pairs = semantic.similar_pairs(vectors[rows], self.threshold)
                count("semantic_candidate_pairs", m * (m - 1) // 2)
                count("semantic_pairs_below_threshold", m * (m - 1) // 2 - len(pairs))
                edges.extend((ids[rows[i]], ids[rows[j]]) for i, j in pairs)
        star = self.local_stars(edges)
        count("semantic_edges", len(edges))
        count("semantic_edges_after_local_contraction", len(star))
        yield from star
        yield beam.pvalue.TaggedOutput("stats", nest(self.counts.flush()))


def _split_semantic(element):
    """(shard, {'rows': [[cluster rows]], 'label': [(id, label)]}) -> main: [rows] of documents in no
    semantic cluster (their own, size 1); 'members': (label, row) of the others."""
    _, grouped = element
    labels = dict(grouped["label"])
    singles = []
    for batch in grouped["rows"]:
        for row in batch:
            label = labels.get(row["id"])
            if label is None:
                singles.append(dict(row, semantic_cluster_id=row["id"], semantic_cluster_size=1,
                                    semantic_representative_id=row["id"]))
            else:
                yield beam.pvalue.TaggedOutput("members", (label, row))
    if singles:
        yield singles


def _semantic_cluster(element):
    """(label, [cluster rows]) -> [rows] with the semantic columns; the representative is the
    smallest id among the MinHash representatives (the smallest id when there is none)."""
    label, rows = element
    rows = sorted(rows, key=lambda r: r["id"])
    reps = [r["id"] for r in rows if r["is_representative"]]
    rep = reps[0] if reps else rows[0]["id"]
    return [dict(r, semantic_cluster_id=label, semantic_cluster_size=len(rows), semantic_representative_id=rep)
            for r in rows]


def _semantic_stats(rows) -> dict:
    s = Counter()
    for r in rows:
        if r["semantic_cluster_size"] > 1:
            s["docs_in_semantic_clusters"] += 1
            s["semantic_clusters"] += int(r["id"] == r["semantic_representative_id"])
            s["semantic_duplicate_docs"] += int(r["id"] != r["semantic_representative_id"])
    return {"semantic": dict(s)} if s else {}


class AddSemanticColumns(beam.PTransform):
    """(cluster row batches, (id, semantic label)) -> cluster row batches with the semantic columns."""

    def __init__(self, n_shards: int):
        super().__init__()
        self.n_shards = n_shards

    def expand(self, pcolls):
        rows, labels = pcolls
        n = self.n_shards

        def by_shard(batch):
            out: dict[int, list] = {}
            for r in batch:
                out.setdefault(shard_of(r["id"], n), []).append(r)
            return sorted(out.items(), key=lambda kv: kv[0])

        split = ({"rows": rows | "KeyRowsByShard" >> beam.FlatMap(by_shard),
                  "label": labels | "KeySemanticLabelsByShard" >> beam.Map(lambda kv: (shard_of(kv[0], n), kv))}
                 | "JoinSemanticLabels" >> beam.CoGroupByKey()
                 | "SplitSemantic" >> beam.FlatMap(_split_semantic).with_outputs("members", main="singles"))
        clustered = (split.members | "GroupBySemanticCluster" >> beam.GroupByKey()
                     | "SemanticRepresentatives" >> beam.Map(_semantic_cluster))
        return (split.singles, clustered) | "AllSemanticRows" >> beam.Flatten()


# ---------------------------------------------------------------------------------------------
# Topics

def sample_key(doc_id: str, seed: int) -> int:
    import xxhash
    return xxhash.xxh64_intdigest(doc_id.encode("utf-8"), seed=seed)


def topic_offers(ids, langs, texts, vectors, mask, seed: int):
    """(lang, (-hash, id, float16 vector bytes, text head)) for each embedded document: Top.PerKey
    keeps the largest, i.e. the smallest hashes (bottom-k sample)."""
    for i in np.flatnonzero(mask).tolist():
        yield (langs[i] or "und"), (-sample_key(ids[i], seed), ids[i], vectors[i].astype(np.float16).tobytes(),
                                    (texts[i] or "")[:SAMPLE_TEXT_CHARS])


def fit_topics(element, cfg: semantic.TopicConfig):
    """(lang, sample items) -> (lang, {'centroids': float32 [k, dim], 'terms': [[top terms]], 'sample': n})."""
    from filters.embedding import unit_strings
    lang, items = element
    items = sorted(items, key=lambda it: it[1])   # id order: independent of how the sample was combined
    vecs = np.stack([np.frombuffer(it[2], dtype=np.float16).astype(np.float32) for it in items])
    k = 1 if len(items) < cfg.min_docs else semantic.auto_k(len(items), cfg)
    centroids = semantic.spherical_kmeans(vecs, k, seed=cfg.seed, iterations=cfg.iterations,
                                          restarts=cfg.restarts)
    labels, _ = semantic.assign(vecs, centroids)
    terms = semantic.top_terms([unit_strings(it[3]) for it in items], labels, len(centroids), cfg.summary_terms)
    return lang, {"centroids": centroids, "terms": terms, "sample": len(items)}


def topic_id(lang: str, k: int) -> str:
    return f"{lang}:{k}"


class AssignTopics(FileDoFn):
    """RowGroup -> writes topics/<row group>.parquet (id, topic_id, topic_distance) for its embedded
    documents; emits {'topics': {'sizes': {topic: n}}} and ('nearest', (topic, (-distance, id)))."""

    def __init__(self, directory: str, metadata: dict, n_nearest: int):
        self.directory, self.metadata, self.n_nearest = directory, metadata, n_nearest
        self.counts = StageCounts(STAGE)

    def process(self, item, models):
        with FileSystems.open(item.path) as stream:
            pf = pq.ParquetFile(stream)
            names = [c for c in ("id", "lang", "embedding") if c in pf.schema_arrow.names]
            table = pf.read_row_group(item.index, columns=names)
        ids = table.column("id").to_pylist()
        langs = table.column("lang").to_pylist() if "lang" in names else [None] * len(ids)
        vectors, mask = embedding_matrix(table.column("embedding"), len(ids))
        out_ids, out_topic, out_dist = [], [], []
        sizes = Counter()
        nearest: dict[str, list] = {}
        by_lang: dict[str, list[int]] = {}
        for i in np.flatnonzero(mask).tolist():
            by_lang.setdefault(langs[i] or "und", []).append(i)
        for lang in sorted(by_lang):
            model = models.get(lang)
            if model is None or not len(model["centroids"]):
                continue
            rows = np.array(by_lang[lang])
            idx, dist = semantic.assign(vectors[rows], model["centroids"])
            for r, k, d in zip(rows.tolist(), idx.tolist(), dist.tolist()):
                t = topic_id(lang, k)
                out_ids.append(ids[r])
                out_topic.append(t)
                out_dist.append(d)
                sizes[t] += 1
                nearest.setdefault(t, []).append((-d, ids[r]))
        order = sorted(range(len(out_ids)), key=lambda j: out_ids[j])
        meta = dict(TOPICS.metadata or {})
        meta.update({k.encode(): v.encode() for k, v in self.metadata.items()})
        table = pa.Table.from_arrays([pa.array([out_ids[j] for j in order], type=pa.string()),
                                      pa.array([out_topic[j] for j in order], type=pa.string()),
                                      pa.array([out_dist[j] for j in order], type=pa.float32())],
                                     schema=TOPICS.with_metadata(meta))
        with FileSystems.create(FileSystems.join(self.directory, item.out_name)) as f:
            pq.write_table(table, f, compression="zstd")
        for t, cands in sorted(nearest.items()):
            for c in sorted(cands, reverse=True)[: self.n_nearest]:
                yield beam.pvalue.TaggedOutput("nearest", (t, c))
        self.counts("topics.docs_with_topic", len(out_ids))
        stats = nest(self.counts.flush())
        stats.setdefault("topics", {})["sizes"] = dict(sizes)   # per-topic sizes: stats only (TopicSizes)
        yield stats


def _topic_summary(_, sizes, nearest, models):
    """One dict: per topic its size, top terms (from the sample) and nearest documents."""
    sizes = sizes or {}
    near = dict(nearest)
    summary = {}
    for lang in sorted(models):
        for k, terms in enumerate(models[lang]["terms"]):
            t = topic_id(lang, k)
            summary[t] = {"size": int(sizes.get(t, 0)), "top_terms": terms,
                          "nearest": [{"id": i, "distance": round(-d, 4)} for d, i in
                                      sorted(near.get(t, []), reverse=True)]}
    return summary


class Topics(beam.PTransform):
    """(offers, RowGroups) -> writes topics/ and stats/topics.json; output: stats dicts."""

    def __init__(self, cfg: semantic.TopicConfig, directory: str, summary_path: str, metadata: dict):
        super().__init__()
        self.cfg, self.directory, self.summary_path, self.metadata = cfg, directory, summary_path, metadata

    def expand(self, pcolls):
        offers, items = pcolls
        cfg = self.cfg
        models = (offers | "SampleByLanguage" >> beam.combiners.Top.PerKey(cfg.sample_per_lang)
                  | "FitTopics" >> beam.Map(fit_topics, cfg))
        models_side = beam.pvalue.AsDict(models)
        assigned = (items | "SpreadTopicRowGroups" >> beam.Reshuffle()
                    | "AssignTopics" >> beam.ParDo(AssignTopics(self.directory, self.metadata, cfg.summary_docs),
                                                   models_side).with_outputs("nearest", main="stats"))
        nearest = (assigned.nearest | "NearestPerTopic" >> beam.combiners.Top.PerKey(cfg.summary_docs))
        sizes = (assigned.stats | "TopicSizes" >> beam.Map(lambda s: s["topics"]["sizes"])
                 | "SumTopicSizes" >> beam.CombineGlobally(_sum_dicts))
        path = self.summary_path

        def write(summary):
            with FileSystems.create(path) as f:
                f.write(json.dumps(summary, indent=1, sort_keys=True, ensure_ascii=False).encode())
            return summary

        _ = (items.pipeline | "TopicSummaryOnce" >> beam.Create([None])
             | "TopicSummary" >> beam.Map(_topic_summary, beam.pvalue.AsSingleton(sizes),
                                          beam.pvalue.AsList(nearest), models_side)
             | "WriteTopicSummary" >> beam.Map(FsCall(write)))
        topics_fitted = models | "TopicCounts" >> beam.Map(
            lambda kv: {"topics": {"languages": 1, "topics": len(kv[1]["centroids"]), "sample_docs": kv[1]["sample"]}})
        return (assigned.stats, topics_fitted) | "TopicStats" >> beam.Flatten()


def _sum_dicts(dicts) -> dict:
    out = Counter()
    for d in dicts:
        out.update(d)
    return dict(out)
