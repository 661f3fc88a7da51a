"""LSH bucket verification that shuffles only (band key, doc id) through the banding, shared by
MinHash (8-bit sketches) and semantic (float16 vectors) near-duplicate detection.

``VerifiedBuckets`` takes
  bands     ``(partition, packed (ids, band keys, doc index into ids))``   one per (row group, partition)
  payloads  ``(payload shard, packed (ids, payload rows))``                one per (row group, shard)
and runs, with a planner and a verifier DoFn given by the caller:
  GroupByBand -> PlanBuckets: each partition's buckets (members chosen and capped by the planner) as
      a plan ``(partition, packed (ids, member index, bucket bounds))``, and the ids whose payload it
      needs, ``(payload shard, packed (ids, partition))``;
  JoinPayloads (CoGroupByKey by payload shard) -> SendPayloads: ``(partition, packed (ids, rows))``;
  JoinPlans (CoGroupByKey by partition) -> Verify: the verifier gets ``(ids, buckets, payload rows
      aligned with ids)`` and emits edges (main) and count dicts ('stats').
A document's payload thus travels to a partition only when one of its buckets there has another
member (for MinHash: near duplicates only), never once per band partition. Everything is keyed;
nothing is gathered on one worker.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np

from pipeline.beam_io import pack, shard_of, unpack


def bucket_partitions(docs: int, bands: int, payload_bytes: int, entry_bytes: int = 48,
                      target_bytes: int = 64 << 20, minimum: int = 4) -> int:
    """Partitions for banding ``docs`` documents into ``bands`` keys: at least enough that one
    partition's (key, id) entries stay near ``target_bytes``, and enough that the payloads one
    partition may need (every document with a band key there: about docs * (1 - (1 - 1/P)**bands))
    also do; otherwise as few as possible, since a payload travels once per partition."""
    p = max(minimum, -(-docs * bands * entry_bytes // target_bytes))
    while p < docs * bands and docs * (1 - (1 - 1 / p) ** bands) * payload_bytes > target_bytes:
        p = max(p + 1, int(p * 1.1))
    return p


def concat_key_batches(batches):
    """Packed ``(ids, keys, doc index)`` batches of one partition -> ``(ids, keys, doc index into the
    joined ids)`` (None: empty)."""
    ids, keys, docs, offset = [], [], [], 0
    for blob in batches:
        b_ids, b_keys, b_docs = unpack(blob)
        ids.extend(b_ids)
        keys.append(b_keys)
        docs.append(b_docs.astype(np.int64) + offset)
        offset += len(b_ids)
    if not ids:
        return None
    return ids, np.concatenate(keys), np.concatenate(docs)


def key_runs(keys: np.ndarray, min_len: int = 2):
    """Sorted-run view of ``keys``: (order, [(lo, hi), ...]) for every run of equal keys of at
    least ``min_len`` entries in ``keys[order]`` (order = stable argsort)."""
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    if len(ks) == 0:
        return order, []
    bounds = np.flatnonzero(ks[1:] != ks[:-1]) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [len(ks)]))
    keep = (ends - starts) >= min_len
    return order, list(zip(starts[keep].tolist(), ends[keep].tolist()))


class PlanBuckets(beam.DoFn):
    """(partition, [packed key batches]) -> main ``(partition, packed plan)``, 'needs' ``(payload
    shard, packed (ids, partition))`` and 'stats'. Subclasses choose each bucket's members:
    ``members(bucket) -> [(id, doc index)]`` in verification order (``bucket``: the (id, doc index)
    entries sharing a key), or None to drop the bucket. plan = (ids, member index into ids (int32),
    bucket bounds (int64, len buckets + 1))."""

    def __init__(self, payload_shards: int):
        self.payload_shards = payload_shards

    def members(self, bucket):
        raise NotImplementedError

    def stats(self) -> dict:
        return {}

    def plan(self, ids, keys: np.ndarray, doc_of: np.ndarray) -> tuple:
        """(member doc indices, bucket bounds) of the buckets (runs of equal ``keys``, in key order),
        each bucket's members chosen by ``members``."""
        order, runs = key_runs(keys)
        flat, bounds = [], [0]
        for lo, hi in runs:
            members = self.members([(ids[d], d) for d in doc_of[order[lo:hi]].tolist()])
            if members:
                flat.extend(d for _, d in members)
                bounds.append(len(flat))
        return flat, bounds

    def process(self, element):
        part, batches = element
        joined = concat_key_batches(batches)
        if joined is not None:
            flat, bounds = self.plan(*joined)
            ids = joined[0]
            if len(flat):
                used, local = np.unique(np.asarray(flat, dtype=np.int64), return_inverse=True)
                plan_ids = [ids[d] for d in used.tolist()]
                yield part, pack((plan_ids, local.astype(np.int32), np.array(bounds, dtype=np.int64)))
                by_shard: dict[int, list[str]] = {}
                for doc_id in plan_ids:
                    by_shard.setdefault(shard_of(doc_id, self.payload_shards), []).append(doc_id)
                for shard in sorted(by_shard):
                    yield beam.pvalue.TaggedOutput("needs", (shard, pack((by_shard[shard], part))))
        stats = self.stats()
        if stats:
            yield beam.pvalue.TaggedOutput("stats", stats)


def payload_batches(ids, rows: np.ndarray, sel: np.ndarray, n_shards: int):
    """The documents ``sel`` (indices) of a row group -> ``[(payload shard, packed (ids, rows))]``."""
    shard = np.array([shard_of(ids[i], n_shards) for i in sel.tolist()], dtype=np.int64)
    out = []
    for s in range(n_shards):
        pick = sel[shard == s]
        if len(pick):
            out.append((s, pack(([ids[i] for i in pick.tolist()], rows[pick]))))
    return out


def _send_payloads(element):
    """(payload shard, {'payload': [packed (ids, rows)], 'need': [packed (ids, partition)]}) ->
    ``(partition, packed (ids, rows))`` for each partition's needed ids (ids without a payload are
    left out)."""
    _, grouped = element
    ids, rows = [], []
    for blob in grouped["payload"]:
        b_ids, b_rows = unpack(blob)
        ids.extend(b_ids)
        rows.append(b_rows)
    if not ids:
        return
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    table = np.concatenate(rows)
    for blob in grouped["need"]:
        need, part = unpack(blob)
        found = [doc_id for doc_id in need if doc_id in index]
        if found:
            yield part, pack((found, table[[index[doc_id] for doc_id in found]]))


def plan_with_payloads(grouped):
    """{'plan': [packed plan], 'payload': [packed (ids, rows)]} of one partition -> (ids, member
    index, bounds, rows aligned with ids; None where an id had no payload) or None without a plan."""
    if not grouped["plan"]:
        return None
    ids, members, bounds = unpack(grouped["plan"][0])
    found, rows = {}, []
    for blob in grouped["payload"]:
        b_ids, b_rows = unpack(blob)
        for i, doc_id in enumerate(b_ids):
            found[doc_id] = (len(rows), i)
        rows.append(b_rows)
    if not rows:
        return ids, members, bounds, None
    width = rows[0].shape[1:]
    aligned = np.zeros((len(ids), *width), dtype=rows[0].dtype)
    for j, doc_id in enumerate(ids):
        at = found.get(doc_id)
        if at is not None:
            aligned[j] = rows[at[0]][at[1]]
    return ids, members, bounds, aligned


class VerifiedBuckets(beam.PTransform):
    """(bands, payloads) -> {"edges": verified edges, "stats": count dicts}; see the module docstring.
    ``planner``: a ``PlanBuckets``; ``verifier``: a DoFn taking ``(partition, {'plan', 'payload'})``
    (read with ``plan_with_payloads``) and emitting edges and 'stats'. Steps: ``GroupByBand``,
    ``PlanBuckets``, ``JoinPayloads``, ``SendPayloads``, ``JoinPlans``, ``Verify``, ``BucketStats``."""

    def __init__(self, planner: PlanBuckets, verifier: beam.DoFn):
        super().__init__()
        self.planner, self.verifier = planner, verifier

    def expand(self, pcolls):
        bands, payloads = pcolls
        plans = (bands | "GroupByBand" >> beam.GroupByKey()
                 | "PlanBuckets" >> beam.ParDo(self.planner).with_outputs("needs", "stats", main="plans"))
        sent = ({"payload": payloads, "need": plans.needs} | "JoinPayloads" >> beam.CoGroupByKey()
                | "SendPayloads" >> beam.FlatMap(_send_payloads))
        verified = ({"plan": plans.plans, "payload": sent} | "JoinPlans" >> beam.CoGroupByKey()
                    | "Verify" >> beam.ParDo(self.verifier).with_outputs("stats", main="edges"))
        stats = (plans.stats, verified.stats) | "BucketStats" >> beam.Flatten()
        return {"edges": verified.edges, "stats": stats}
