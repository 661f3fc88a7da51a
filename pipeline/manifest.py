"""Manifest job: annotated documents + dedup tables -> selected, cut and redacted text in
weighted buckets, and the manifest a tokenization stage consumes.

Outputs under OUTPUT:
  curated/<bucket>/part-*.parquet   final text and the signals a tokenizer or analyst needs
  index/part-*.parquet              one row per document: shard, row, bucket, weight, repeats, tokens
  rejected/, errors/                every dropped document with its reason
  manifest.json, blend.txt          buckets with shards, counts, target share, weight, epochs;
                                    Megatron-style "weight path" lines
  stats/manifest.json               records == kept + rejected; cuts, redactions, mixes before/after
Thresholds live in config (manifest.selection / manifest.mixture): changing one re-runs this stage
only.

Memory stays bounded by design: document text is never shuffled. Only small per-document records
move through the runner: each document's location (row group), its cluster row and repeated spans
are joined by id in hash partitions, then sent to the row group that holds the document. One worker
reads one annotated row group at a time, selects, cuts and redacts, and spills its kept documents
into one temporary file (``_tmp/``) holding a Parquet row group per bucket (one object per row
group: object stores charge per request); each curated shard is then compacted from its bucket's
row groups of those files (Arrow only), which are removed when the job ends.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
import re
from datetime import datetime, timezone

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.pvalue import AsSingleton

from filters.sampling import (BucketStats, InfeasibleMixture, doc_weights, estimate_tokens, plan_buckets,
                              topic_cap_plan, topic_mixture_shares, topic_table, topic_weight)
from filters.selection import select
from pipeline.beam_io import (ROWS_PER_GROUP, WriteStats, WriteTable, pack, shard_of, unpack,
                              table_metadata)
from pipeline.config import Config
from pipeline.counting import StageCounts, by_prefix, nest
from pipeline.runner import fingerprint, list_row_groups, match_inputs, note_progress
from pipeline.stages import BY_NAME, Job
from schemas import (CURATED, CURATED_SPILL, ERRORS, MANIFEST_FORMAT, MANIFEST_INDEX, MANIFEST_VERSION, REJECTED, SCHEMA_VERSION,
                     conform)
from pipeline.fs import FileDoFn, FsCall

STAGE = "manifest"
SECTIONS = BY_NAME[STAGE].sections
INDEX_ROWS_PER_SHARD = 500_000
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
# the annotated columns selection and the curated rows read (not the 62 quality signals, notes...)
SELECTION_COLUMNS = ("id", "text", "url", "source", "date", "source_file", "position", "lang", "lang_score",
                     "quality_score", "quality_tier", "paragraphs", "sentences", "pii", "badword_distinct", "badword_score",
                     "badword_max_weight", "badword_ratio", "badword_categories", "url_category", "toxicity_score")


_PART_CHARS = 64


def path_part(value: str | None) -> str:
    """One folder name made from data: only ``[A-Za-z0-9._-]``, no leading dot (so never ``.`` or
    ``..``), at most 64 characters (a longer value keeps its head plus a hash); '' -> 'unknown'."""
    part = _SLUG.sub("_", value or "").lstrip(".")
    if len(part) > _PART_CHARS:
        digest = hashlib.blake2b(part.encode(), digest_size=6).hexdigest()
        part = f"{part[:_PART_CHARS - 13]}-{digest}"
    return part or "unknown"


def bucket_name(source: str, lang: str, tier: str) -> str:
    """'<source>/<lang>/<tier>', each part a safe folder name (``path_part``)."""
    return "/".join(path_part(part) for part in (source, lang, tier))


class LocateDocs(FileDoFn):
    """(row group number, RowGroup) of annotated docs -> (partition, packed [(id, row group number)])."""

    def __init__(self, partitions: int):
        self.partitions = partitions

    def process(self, element):
        number, item = element
        with FileSystems.open(item.path) as stream:
            ids = pq.ParquetFile(stream).read_row_group(item.index, columns=["id"]).column("id").to_pylist()
        out: dict[int, list] = {}
        for doc_id in ids:
            out.setdefault(shard_of(doc_id, self.partitions), []).append((doc_id, number))
        for part in sorted(out):
            yield part, pack(out[part])


class ReadDedupRows(FileDoFn):
    """RowGroup of a clusters/repeats/topics table -> (partition, packed [(id, row dict)])."""

    def __init__(self, partitions: int):
        self.partitions = partitions

    def process(self, item):
        with FileSystems.open(item.path) as stream:
            rows = pq.ParquetFile(stream).read_row_group(item.index).to_pylist()
        out: dict[int, list] = {}
        for row in rows:
            out.setdefault(shard_of(row["id"], self.partitions), []).append((row["id"], row))
        for part in sorted(out):
            yield part, pack(out[part])


def route_dedup_rows(element):
    """(partition, {'where', 'cluster', 'repeats'[, 'topic']}) -> (row group number, packed
    {id: [cluster, repeats, topic]})
    for the documents of the partition that have dedup rows; a dedup row whose id is in no annotated
    row group is an ``errors`` row (orphan_dedup_row)."""
    _, grouped = element
    where = {}
    for blob in grouped["where"]:
        where.update(unpack(blob))
    by_group: dict[int, dict] = {}
    for kind, slot in (("cluster", 0), ("repeats", 1), ("topic", 2)):
        for blob in grouped.get(kind, ()):
            for doc_id, row in unpack(blob):
                number = where.get(doc_id)
                if number is None:
                    yield beam.pvalue.TaggedOutput("errors", {
                        "stage": STAGE, "source_file": f"dedup/{kind}", "position": -1,
                        "reason": "orphan_dedup_row", "detail": doc_id, "excerpt": ""})
                    continue
                entry = by_group.setdefault(number, {}).setdefault(doc_id, [None, None, None])
                entry[slot] = row
    for number in sorted(by_group):
        yield number, pack(by_group[number])


class SelectRowGroup(FileDoFn):
    """(row group number, {'item': [RowGroup], 'dedup': [packed {id: [cluster, repeats, topic]}]}) ->
    selects, cuts and redacts every document of the row group and spills the kept ones into one
    temporary Parquet file whose row groups each hold one bucket's rows (one object per row group,
    not per bucket: object stores charge per request). Outputs: main ``(bucket, ((temp path,
    row group indices), totals))``; ``rejected`` lists of rows; ``stats`` dicts."""

    def __init__(self, config: Config, temp_dir: str, metadata: dict):
        self.cfg = config.manifest
        self.temp_dir, self.metadata = temp_dir, metadata
        self.topics = {}
        self.counter = None
        self.counts = StageCounts(STAGE)

    def setup(self):
        super().setup()
        if self.cfg.tokenizer:
            from filters.sampling import load_token_counter
            from pipeline.fs import local_copy
            self.counter = load_token_counter(local_copy(self.cfg.tokenizer))

    def process(self, element, topics=None):
        number, grouped = element
        self.topics = topics or {}
        items = list(grouped["item"])
        if not items:
            return
        item = items[0]
        dedup: dict = {}
        for blob in grouped["dedup"]:
            dedup.update(unpack(blob))
        with FileSystems.open(item.path) as stream:
            pf = pq.ParquetFile(stream)
            names = [c for c in SELECTION_COLUMNS if c in pf.schema_arrow.names]
            docs = pf.read_row_group(item.index, columns=names).to_pylist()
        rejected, kept = [], {}
        for doc in docs:
            cluster, repeats, topic = dedup.get(doc["id"], (None, None, None))
            record, rejection = self._select(doc, cluster, repeats, topic)
            if record is None:
                rejected.append(rejection)
            else:
                kept.setdefault(record["bucket"], []).append(record)
        note_progress(STAGE, len(docs))
        stem = item.out_name[: -len(".parquet")]
        path = FileSystems.join(self.temp_dir, f"{stem}.parquet")
        groups = write_bucket_groups(path, kept, self.metadata) if kept else {}
        for bucket in sorted(kept):
            records = kept[bucket]
            totals = {"docs": len(records), "chars": sum(r["chars"] for r in records),
                      "tokens": sum(r["tokens"] for r in records),
                      "weighted_tokens": sum(r["tokens"] * r["doc_weight"] for r in records),
                      "source": records[0]["source"], "lang": records[0]["lang"], "tier": records[0]["quality_tier"]}
            if self.cfg.mixture.topic_cap is not None:   # the cap is solved on these (make_plan)
                by_topic = Counter()
                for r in records:
                    by_topic[r["topic_id"] or ""] += r["tokens"] * r["doc_weight"]
                totals["topic_weighted_tokens"] = dict(by_topic)
            yield bucket, ((path, groups[bucket]), totals)
        if rejected:
            yield beam.pvalue.TaggedOutput("rejected", rejected)
        yield beam.pvalue.TaggedOutput("stats", self._stats(self.counts.flush()))

    @staticmethod
    def _stats(flat: dict) -> dict:
        """The flushed counts of a row group -> its stats dict (per-reason and per-language groups)."""
        stats = nest({k: v for k, v in flat.items() if not k.startswith("rejected.")})
        if "rejected" in flat:
            stats["rejected_by_reason"] = by_prefix(flat, "rejected")
        if "kept" in flat:
            for group in ("cut_chars_by_reason", "cut_tokens_by_reason", "redactions_by_type", "actions"):
                stats.setdefault(group, {})
        return stats

    def _tokens(self, text: str, lang: str) -> int:
        """Token count of one text: the configured tokenizer, else the per-script estimate."""
        return int(self.counter([text])[0] if self.counter else estimate_tokens(text, lang))

    def _select(self, doc, cluster, repeats, topic=None):
        """One document -> (curated record, None) or (None, rejected row); counts what it decided."""
        count = self.counts
        doc_id = doc["id"]
        lang, tier = doc.get("lang") or "und", doc.get("quality_tier") or "unknown"
        chars_in = len(doc["text"])
        count("records")
        count.tally(f"lang_before.{lang}")
        count.tally(f"tier_before.{tier}")
        count.tally(f"chars_before.{lang}", chars_in)
        decision = select(doc, cluster, repeats, self.cfg.selection, count)
        info = self.topics.get(topic["topic_id"]) if topic and self.topics else None
        if decision.keep and info is not None:
            decision = self._topic_policy(decision, topic, info)
        if not decision.keep:
            count("rejected")
            count(f"rejected.{decision.reason}")
            count.tally(f"rejected_chars_by_reason.{decision.reason}", chars_in)
            tokens_in = self._tokens(doc["text"], lang)
            count.tally(f"tokens_before.{lang}", tokens_in)
            count.tally(f"rejected_tokens_by_reason.{decision.reason}", tokens_in)
            return None, {"id": doc_id, "stage": STAGE, "reason": decision.reason,
                                 "detail": decision.detail or None, "source_file": doc.get("source_file"),
                                 "position": doc.get("position")}
        text = decision.text
        tokens = self._tokens(text, lang)
        cluster_size = cluster["cluster_size"] if cluster else 1
        quality = float(doc.get("quality_score") or 0.0)
        weight = doc_weights([quality], [cluster_size], self.cfg.mixture)[0] * decision.weight_factor
        source = doc.get("source") or "unknown"
        bucket = bucket_name(source, lang, tier)
        cut_chars = Counter()
        for cut in decision.cuts:
            cut_chars[cut["reason"]] += cut["end"] - cut["start"]
        # tokens of the cut text at the kept text's density (so tokens_before reconciles exactly)
        per_char = tokens / len(text) if text else 0.0
        cut_tokens = {reason: int(round(n * per_char)) for reason, n in cut_chars.items()}
        count("kept")
        count.tally(f"lang_after.{lang}")
        count.tally(f"tier_after.{tier}")
        count.tally(f"chars_after.{lang}", len(text))
        count.tally(f"tokens_after.{lang}", int(tokens))
        count.tally(f"tokens_before.{lang}", int(tokens) + sum(cut_tokens.values()))
        for reason, n in cut_tokens.items():
            count.tally(f"cut_tokens_by_reason.{reason}", n)
        count.tally("redaction_chars_delta", len(text) - (chars_in - sum(cut_chars.values())))
        for reason, n in cut_chars.items():
            count.tally(f"cut_chars_by_reason.{reason}", n)
        count.tally("cut_docs", int(bool(decision.cuts)))
        for r in decision.redactions:
            count.tally(f"redactions_by_type.{r['type']}")
        for action in {a.split(":")[0] if a in ("cut", "redact") else a for a in decision.actions}:
            count.tally(f"actions.{action}")
        record = {
            "id": doc_id, "text": text, "bucket": bucket, "source": source, "lang": lang,
            "lang_score": doc.get("lang_score"), "quality_score": quality, "quality_tier": tier,
            "cluster_id": cluster["cluster_id"] if cluster else doc_id, "cluster_size": cluster_size,
            "url": doc.get("url"), "date": doc.get("date"), "tokens": int(tokens), "chars": len(text),
            "doc_weight": float(weight), "cuts": decision.cuts,
            "redactions": [{"type": r["type"], "start": r["start"], "end": r["end"]} for r in decision.redactions],
            "actions": decision.actions, "toxicity_score": doc.get("toxicity_score"),
            "topic_id": topic["topic_id"] if topic else None,   # spill only (CURATED_SPILL)
        }
        return record, None

    def _topic_policy(self, decision, topic, info):
        """D4-style pruning of near-centroid documents of over-represented topics, then the topic
        weight factor (``filters.sampling.topic_weight``)."""
        from filters.selection import Decision
        cfg = self.cfg
        if cfg.prune_topic_above is not None and cfg.prune_topic_frac > 0 and cfg.prune_topic_above < info["share"] < 1.0 \
                and info.get("cutoff") is not None and topic["topic_distance"] <= info["cutoff"]:   # not a language's only topic
            return Decision(keep=False, reason="topic_prototype",
                            detail=f"{topic['topic_id']} share {info['share']:.3f}, distance "
                                   f"{topic['topic_distance']:.4f} <= {info['cutoff']:.4f}")
        factor = topic_weight(info["share"], info["size"], info["mean_size"], cfg.mixture)
        if factor != 1.0:
            decision.weight_factor *= factor
            decision.actions = list(decision.actions) + ["downweight:topic" if factor < 1 else "upweight:topic"]
        return decision


def _topic_rows(element):
    """(partition, packed [(id, topics row)]) -> (topic_id, distance) for each row."""
    _, blob = element
    return [(row["topic_id"], row["topic_distance"]) for _, row in unpack(blob)]


def _topic_info(sizes: dict, cutoffs: list, frac: float) -> dict:
    """Topic sizes and (when pruning) the distance below which ``frac`` of a topic's documents lie,
    from 101 approximate quantiles per topic."""
    cut = {}
    for topic, qs in cutoffs:
        cut[topic] = qs[min(len(qs) - 1, int(round(frac * (len(qs) - 1))))]
    return topic_table(sizes, cut)


class _SumBucket(beam.CombineFn):
    """Sums docs, chars, tokens and weighted tokens of one bucket (source, lang, tier ride along)."""
    _NUMERIC = ("docs", "chars", "tokens", "weighted_tokens")

    def create_accumulator(self):
        return {"docs": 0, "chars": 0, "tokens": 0, "weighted_tokens": 0.0, "source": None, "lang": None,
                "tier": None}

    def add_input(self, acc, x):   # per-topic weighted tokens too, when the topic cap asks for them
        for k in self._NUMERIC:
            acc[k] += x[k]
        for k in ("source", "lang", "tier"):
            acc[k] = acc[k] or x[k]
        if "topic_weighted_tokens" in x:
            by_topic = acc.setdefault("topic_weighted_tokens", {})
            for t, v in x["topic_weighted_tokens"].items():
                by_topic[t] = by_topic.get(t, 0.0) + v
        return acc

    def merge_accumulators(self, accs):
        out = self.create_accumulator()
        for a in accs:
            self.add_input(out, a)
        return out

    def extract_output(self, acc):
        return acc


def make_plan(bucket_totals: list, config: Config, shard_chars: int) -> dict:
    """[(bucket, totals)] -> {bucket: plan dict} (target tokens, epochs, weight, shard count)."""
    bucket_totals = sorted(bucket_totals)
    stats = [BucketStats(name=b, source=t["source"], lang=t["lang"], tier=t["tier"], docs=t["docs"],
                         chars=t["chars"], tokens=t["tokens"]) for b, t in bucket_totals]
    plans = plan_buckets(stats, config.manifest.mixture) if stats else []
    out = {}
    for (b, totals), plan in zip(bucket_totals, plans):
        out[b] = {"name": b, "source": totals["source"], "lang": totals["lang"], "tier": totals["tier"],
                  "docs": totals["docs"], "chars": totals["chars"], "tokens": totals["tokens"],
                  "weighted_tokens": totals["weighted_tokens"], "target_share": plan.target_share,
                  "target_tokens": plan.target_tokens, "epochs": plan.epochs, "weight": plan.weight,
                  "shards": max(1, -(-totals["chars"] // shard_chars))}
    cap = config.manifest.mixture.topic_cap
    if cap is not None:
        apply_topic_cap(out, bucket_totals, cap, config.manifest.mixture.max_epochs)
    return out


def apply_topic_cap(plan: dict, bucket_totals: list, cap: float, max_epochs: float) -> None:
    """Per language, ``filters.sampling.topic_cap_plan`` from the buckets' targets and per-topic
    weighted tokens: each bucket's plan gets its new ``target_tokens`` (integers by largest
    remainder, the language's total unchanged; share, weight and epochs with them),
    ``topic_factors`` (the capped topics' weight factors), ``weighted_tokens`` recomputed with them
    (so WriteCurated's repeats sum to the new target) and ``topic_shares`` {topic: [share before,
    share after]} of its language's mixture tokens. No new target passes ``max_epochs`` passes over
    its bucket (``topic_cap_plan``'s limits)."""
    budget = sum(p["target_tokens"] for p in plan.values()) or 1
    by_lang: dict = {}
    for b, totals in bucket_totals:
        by_lang.setdefault(totals["lang"], []).append((b, totals.get("topic_weighted_tokens") or {}))
    for lang, buckets in sorted(by_lang.items()):
        targets = {b: float(plan[b]["target_tokens"]) for b, _ in buckets}
        weighted = {b: w for b, w in buckets}
        limits = {b: max_epochs * plan[b]["tokens"] for b, _ in buckets}
        new, factors = topic_cap_plan(targets, weighted, cap, limits)
        if factors:
            floors = {b: math.floor(v + 1e-9) for b, v in new.items()}
            missing = int(round(sum(targets.values()))) - sum(floors.values())
            for b in sorted(new, key=lambda b: (-(new[b] - floors[b]), b))[:max(0, missing)]:
                floors[b] += 1
            for b, w in buckets:
                p = plan[b]
                floors[b] = min(floors[b], int(math.floor(limits[b] + 1e-9)))   # rounding never passes max_epochs
                p["target_tokens"] = floors[b]
                p["target_share"] = p["weight"] = floors[b] / budget
                p["epochs"] = floors[b] / p["tokens"] if p["tokens"] else 0.0
                p["topic_factors"] = {t: f for t, f in factors.items() if t in w}
                p["weighted_tokens"] = sum(factors.get(t, 1.0) * a for t, a in w.items())
        before = topic_mixture_shares(targets, weighted)
        after = topic_mixture_shares({b: float(plan[b]["target_tokens"]) for b, _ in buckets}, weighted, factors)
        shares = {t: [before[t], after.get(t, 0.0)] for t in sorted(before) if t}
        for b, _ in buckets:
            plan[b]["topic_shares"] = shares
            plan[b].setdefault("topic_factors", {})


def topic_cap_stats(plan: dict) -> dict:
    """The topic cap's outcome for stats/manifest.json: per topic its share of its language's mixture
    tokens before and after the cap and its weight factor."""
    out = {}
    for b in sorted(plan):
        p = plan[b]
        factors = {}
        for q in plan.values():
            if q["lang"] == p["lang"]:
                factors.update(q.get("topic_factors", {}))
        for t, (before, after) in p.get("topic_shares", {}).items():
            out[t] = {"share_before": round(before, 6), "share_after": round(after, 6),
                      "factor": round(factors.get(t, 1.0), 9)}
    return {"topic_cap": out} if out else {}


def write_bucket_groups(path: str, kept: dict[str, list[dict]], metadata: dict) -> dict[str, tuple[int, ...]]:
    """Write ``{bucket: rows}`` to one Parquet file, each bucket in row groups of its own (at most
    ROWS_PER_GROUP rows each); returns ``{bucket: row group indices}``."""
    schema = CURATED_SPILL.with_metadata({**(CURATED_SPILL.metadata or {}),
                                    **{k.encode(): v.encode() for k, v in metadata.items()}})
    groups: dict[str, tuple[int, ...]] = {}
    n = 0
    with FileSystems.create(path) as f:
        with pq.ParquetWriter(f, schema, compression="zstd") as writer:
            for bucket in sorted(kept):
                rows = kept[bucket]
                for i in range(0, len(rows), ROWS_PER_GROUP):
                    writer.write_table(conform(rows[i:i + ROWS_PER_GROUP], schema), row_group_size=ROWS_PER_GROUP)
                    groups[bucket] = groups.get(bucket, ()) + (n,)
                    n += 1
    return groups


def curated_shards(element, plan):
    """(bucket, [(spill, totals)]) -> ((bucket, shard), [spills]) for each shard the plan gives it;
    a spill is (temp path, row group indices)."""
    bucket, spills = element
    paths = sorted(spill for spill, _ in spills)
    for shard in range(plan[bucket]["shards"]):
        yield (bucket, shard), paths


class WriteCurated(FileDoFn):
    """((bucket, shard), [spills]) -> one curated Parquet file: the bucket's spilled rows whose id
    falls in this shard, sorted by id, with their ``repeats``. Outputs: main, a list of index rows;
    ``tokens`` ``(bucket, file name, tokens)``. Arrow only: rows are never turned into Python dicts."""

    def __init__(self, output: str, metadata: dict):
        self.output, self.metadata = output, metadata

    def process(self, element, plan):
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        (bucket, shard), paths = element
        p = plan[bucket]
        n_shards = p["shards"]
        parts = []
        for path, groups in paths:
            with FileSystems.open(path) as stream:
                table = pq.ParquetFile(stream).read_row_groups(list(groups))
            if n_shards > 1:
                mask = np.array([shard_of(i, n_shards) == shard for i in table.column("id").to_pylist()], dtype=bool)
                table = table.filter(pa.array(mask))
            if table.num_rows:
                parts.append(table)
        if not parts:
            return
        table = pa.concat_tables(parts).sort_by("id")
        factors = p.get("topic_factors")
        if factors:   # the topic cap (make_plan): each capped topic's documents weigh its factor more
            topics = table.column("topic_id").to_pylist()
            f = pa.array([factors.get(t, 1.0) if t else 1.0 for t in topics], type=pa.float64())
            table = table.set_column(table.schema.get_field_index("doc_weight"), "doc_weight",
                                     pc.multiply(table.column("doc_weight"), f))
            actions = [list(a or []) + (["downweight:topic"] if t in factors else [])
                       for a, t in zip(table.column("actions").to_pylist(), topics)]
            table = table.set_column(table.schema.get_field_index("actions"), "actions",
                                     pa.array(actions, type=table.schema.field("actions").type))
        if "topic_id" in table.column_names:
            table = table.drop_columns(["topic_id"])
        if p["weighted_tokens"] > 0:  # doc_weight * target / weighted, in that order (as the reader's sums)
            repeats = pc.divide(pc.multiply(table.column("doc_weight").cast(pa.float64()), float(p["target_tokens"])),
                                float(p["weighted_tokens"]))
        else:
            repeats = pc.multiply(table.column("doc_weight").cast(pa.float64()), 0.0)
        table = table.set_column(table.schema.get_field_index("repeats"), "repeats", repeats)
        name = f"curated/{bucket}/part-{shard:05d}-of-{n_shards:05d}.parquet"
        meta = dict(CURATED.metadata or {})
        meta.update({k.encode(): v.encode() for k, v in self.metadata.items()})
        table = table.replace_schema_metadata(meta)
        with FileSystems.create(FileSystems.join(self.output, name)) as f:
            pq.write_table(table, f, compression="zstd", row_group_size=ROWS_PER_GROUP)
        ids = table.column("id").to_pylist()
        weights = table.column("doc_weight").to_pylist()
        reps = repeats.to_pylist()
        tokens = table.column("tokens").to_pylist()
        yield [{"id": i, "shard": name, "row": row, "bucket": bucket, "weight": w, "repeats": r, "tokens": t}
               for row, (i, w, r, t) in enumerate(zip(ids, weights, reps, tokens))]
        yield beam.pvalue.TaggedOutput("tokens", (bucket, name, int(sum(tokens))))


def add_sampling_contract(buckets: list[dict]) -> None:
    """Add to each bucket what a consumer needs to reproduce the mixture:

    - ``token_share``: the bucket's share of the tokens of one pass over the manifest
      (``target_tokens`` over their sum; ``weight`` holds the same number);
    - ``doc_probability``: for samplers that draw whole documents from per-bucket datasets, each
      document once per pass (``datasets.interleave_datasets``), the probability of drawing from
      this bucket that yields ``token_share``: proportional to ``token_share`` over the bucket's
      mean tokens per document;
    - ``epochs`` (already there): passes over the bucket's documents in one pass over the manifest.
    The per-document copies of one pass are in the index (``repeats``, realised by ManifestReader)."""
    total = sum(b["target_tokens"] for b in buckets) or 1
    raw = {}
    for b in buckets:
        b["token_share"] = b["target_tokens"] / total
        mean = b["tokens"] / b["docs"] if b.get("docs") else 0
        raw[b["name"]] = b["token_share"] / mean if mean else 0.0
    norm = sum(raw.values()) or 1
    for b in buckets:
        b["doc_probability"] = raw[b["name"]] / norm


def _write_manifest(shards: list, plan: dict, output: str, extra: dict) -> dict:
    by_bucket: dict = {}
    for bucket, name, tokens in shards:
        entry = by_bucket.setdefault(bucket, {})
        entry[name] = entry.get(name, 0) + tokens
    buckets = []
    for b in sorted(plan):
        p = dict(plan[b])
        for key in ("weighted_tokens", "topic_factors", "topic_shares"):
            p.pop(key, None)
        p["shards"] = sorted(by_bucket.get(b, {}))
        p["shard_tokens"] = {k: v for k, v in sorted(by_bucket.get(b, {}).items())}
        buckets.append(p)
    add_sampling_contract(buckets)
    manifest = {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "schema_version": SCHEMA_VERSION,
                **extra, "token_budget": int(round(sum(b["target_tokens"] for b in buckets))),
                "buckets": buckets,
                "totals": {"docs": sum(b["docs"] for b in buckets), "tokens": sum(b["tokens"] for b in buckets),
                           "chars": sum(b["chars"] for b in buckets)},
                "index": "index/", "curated": "curated/"}
    with FileSystems.create(FileSystems.join(output, "manifest.json")) as f:
        f.write(json.dumps(manifest, indent=1, sort_keys=True).encode())
    lines = []
    for b in buckets:
        total = sum(b["shard_tokens"].values()) or 1
        for name, tokens in b["shard_tokens"].items():
            lines.append(f"{b['weight'] * tokens / total:.8f} {name[: -len('.parquet')]}")
    with FileSystems.create(FileSystems.join(output, "blend.txt")) as f:
        f.write(("\n".join(lines) + "\n").encode())
    return manifest


def finalize_manifest_stats(acc: dict) -> dict:
    stats = {k: acc.get(k, 0) for k in ("records", "kept", "rejected")}
    stats.update({k: v for k, v in acc.items() if k not in stats})
    stats["errors"] = acc.get("errors", 0)
    stats["docs"] = stats["kept"]
    stats["balanced"] = stats["records"] == stats["kept"] + stats["rejected"]
    return stats


def list_manifest_inputs(annotated: str, dedup: str, topics: bool = False) -> tuple[list, dict]:
    """Row groups of the annotated docs and of the dedup clusters/repeats (and topics) tables
    (footers only)."""
    kinds = ("clusters", "repeats") + (("topics",) if topics else ())
    return list_row_groups(annotated), {kind: list_row_groups(FileSystems.join(dedup, kind, "*.parquet"))
                                        for kind in kinds}


class TopicInfo(beam.PTransform):
    """Packed dedup topics rows (``ReadDedupRows``) -> one dict {topic_id: share, size, mean size and
    (when pruning) the distance cutoff} (``filters.sampling.topic_table``): sizes and distance
    quantiles computed in Beam, only the per-topic figures gathered."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg

    def expand(self, topic_rows):
        pipeline = topic_rows.pipeline
        pairs = topic_rows | "TopicDistances" >> beam.FlatMap(_topic_rows)
        sizes = (pairs | "TopicOnes" >> beam.Map(lambda kv: (kv[0], 1)) | "TopicSizes" >> beam.CombinePerKey(sum)
                 | "TopicSizeDict" >> beam.combiners.ToDict())
        frac = self.cfg.prune_topic_frac
        if self.cfg.prune_topic_above is not None and frac > 0:
            cutoffs = pairs | "TopicDistanceQuantiles" >> beam.ApproximateQuantiles.PerKey(101)
        else:
            cutoffs = pipeline | "NoTopicCutoffs" >> beam.Create([])
        return (pipeline | "TopicInfoOnce" >> beam.Create([None])
                | "TopicTable" >> beam.Map(lambda _, s, c, f: _topic_info(s, c, f), AsSingleton(sizes, default_value={}),
                                          beam.pvalue.AsList(cutoffs), frac))


class SelectDocs(beam.PTransform):
    """The manifest core: selection, cuts and redaction of every annotated document, joined with its
    dedup rows by id. Input {"docs": PCollection[(row group number, RowGroup)] of annotated docs,
    "clusters"/"repeats" (and, when the manifest uses topics, "topics"): PCollection[RowGroup] of
    the dedup tables}; output DoOutputsTuple:
    ``spills`` (bucket, ((temp path, row groups), totals)), ``rejected`` lists of schemas.REJECTED
    rows, ``stats`` count dicts, ``errors`` rows (dedup rows naming unknown ids)."""

    def __init__(self, config: Config, temp_dir: str, metadata: dict, partitions: int):
        super().__init__()
        self.config, self.temp_dir, self.metadata, self.partitions = config, temp_dir, metadata, partitions

    def expand(self, inputs):
        items = inputs["docs"]
        where = items | "LocateDocs" >> beam.ParDo(LocateDocs(self.partitions))
        dedup_rows = {kind: inputs[kind] | f"Read{label}" >> beam.ParDo(ReadDedupRows(self.partitions))
                      for kind, label in (("clusters", "Clusters"), ("repeats", "Repeats"))}
        joined = {"where": where, "cluster": dedup_rows["clusters"], "repeats": dedup_rows["repeats"]}
        side = []
        if "topics" in inputs:
            topic_rows = inputs["topics"] | "ReadTopics" >> beam.ParDo(ReadDedupRows(self.partitions))
            joined["topic"] = topic_rows
            side = [AsSingleton(topic_rows | "TopicInfo" >> TopicInfo(self.config.manifest))]
        routed = (joined
                  | "JoinDedupById" >> beam.CoGroupByKey()
                  | "RouteToRowGroups" >> beam.FlatMap(route_dedup_rows).with_outputs("errors", main="routed"))
        selected = ({"item": items, "dedup": routed.routed}
                    | "JoinRowGroups" >> beam.CoGroupByKey()
                    | "Select" >> beam.ParDo(SelectRowGroup(self.config, self.temp_dir, self.metadata), *side)
                    .with_outputs("rejected", "stats", main="spills"))
        return {"spills": selected["spills"], "rejected": selected["rejected"], "stats": selected["stats"],
                "errors": routed.errors}


def index_shards(groups: list) -> int:
    """Shards of the index table: one per INDEX_ROWS_PER_SHARD annotated documents (an upper bound
    on the kept ones, known from Parquet footers before the job; a shard's rows meet on one worker)."""
    return max(1, -(-sum(g.rows for g in groups) // INDEX_ROWS_PER_SHARD))


def build_manifest(pipeline, groups: list, dedup_groups: dict, output: str, config: Config, extra: dict,
                   config_hash: str | None = None) -> None:
    """groups: RowGroups of annotated docs; dedup_groups: {'clusters': [...], 'repeats': [...]}."""
    config_hash = config_hash or config.hash(SECTIONS)
    meta = table_metadata(STAGE, config_hash)
    shard_chars = config.manifest.shard_target_mb << 20
    numbered = list(enumerate(groups))
    selected = ({"docs": pipeline | "ListDocRowGroups" >> beam.Create(numbered),
                 "clusters": pipeline | "ListClustersRowGroups" >> beam.Create(dedup_groups["clusters"]),
                 "repeats": pipeline | "ListRepeatsRowGroups" >> beam.Create(dedup_groups["repeats"]),
                 **({"topics": pipeline | "ListTopicsRowGroups" >> beam.Create(dedup_groups["topics"])}
                    if "topics" in dedup_groups else {})}
                | "SelectDocs" >> SelectDocs(config, FileSystems.join(output, "_tmp"), meta, max(1, len(groups))))
    plan = (selected["spills"] | "BucketTotals" >> beam.Map(lambda kv: (kv[0], kv[1][1]))
            | "SumBuckets" >> beam.CombinePerKey(_SumBucket())
            | "AllBuckets" >> beam.combiners.ToList()
            | "PlanBuckets" >> beam.Map(make_plan, config, shard_chars))
    written = (selected["spills"] | "GroupSpillsByBucket" >> beam.GroupByKey()
               | "CuratedShards" >> beam.FlatMap(curated_shards, AsSingleton(plan))
               | "SpreadShards" >> beam.Reshuffle()
               | "WriteCurated" >> beam.ParDo(WriteCurated(output, meta), AsSingleton(plan))
               .with_outputs("tokens", main="index"))
    written.index | "WriteIndex" >> WriteTable(FileSystems.join(output, "index"), MANIFEST_INDEX,
                                               index_shards(groups), table="index", metadata=meta, batched=True)
    (written.tokens | "AllShards" >> beam.combiners.ToList()
     | "WriteManifestJson" >> beam.Map(FsCall(_write_manifest), AsSingleton(plan), output, extra))
    selected["rejected"] | "WriteRejected" >> WriteTable(FileSystems.join(output, "rejected"), REJECTED, 1,
                                                         table="rejected", metadata=meta, batched=True)
    selected["errors"] | "WriteErrors" >> WriteTable(FileSystems.join(output, "errors"), ERRORS, 1,
                                                     table="errors", key_field="detail", metadata=meta)
    error_stats = selected["errors"] | "ErrorStats" >> beam.Map(lambda r: {"errors": 1,
                                                                        "errors_by_reason": {r["reason"]: 1}})
    stats_parts = [selected["stats"], error_stats]
    if config.manifest.mixture.topic_cap is not None:
        stats_parts.append(plan | "TopicCapStats" >> beam.Map(topic_cap_stats))
    (tuple(stats_parts) | "AllManifestStats" >> beam.Flatten()
     | "ManifestStats" >> WriteStats(FileSystems.join(output, "stats", "manifest.json"), finalize_manifest_stats,
                                     extra={"stage": STAGE, "config_hash": config_hash}))


def prepare(inputs: dict, output: str, config: Config, config_hash: str) -> Job:
    """inputs ``{"annotated": annotate output, "dedup": dedup output}``: their tables' row groups
    (Parquet footers only) and fingerprints."""
    annotated, dedup = inputs["annotated"], inputs["dedup"]
    described = {}
    use_topics = config.manifest.uses_topics
    tables = (("annotated", annotated, "docs"), ("clusters", dedup, "clusters"), ("repeats", dedup, "repeats"))
    for name, directory, table in tables + ((("topics", dedup, "topics"),) if use_topics else ()):
        files = match_inputs([FileSystems.join(directory, table, "*.parquet")])
        described[name] = {"path": FileSystems.join(directory, table), "files": len(files),
                           "fingerprint": fingerprint(files)}
    extra = {"config_hash": config_hash, "seed": config.manifest.mixture.seed, "inputs": described,
             "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    marker = {"input_fingerprint": fingerprint([], json.dumps(described, sort_keys=True))}
    groups, dedup_groups = list_manifest_inputs(annotated, dedup, use_topics)
    return Job(lambda p: build_manifest(p, groups, dedup_groups, output, config, extra, config_hash), marker)


def explain_failure(exc: Exception) -> Exception | None:
    """The mixture plan runs inside the job: its InfeasibleMixture comes back as the runner's error."""
    if "InfeasibleMixture" in f"{type(exc).__name__}{exc}":
        return InfeasibleMixture(str(exc).split("InfeasibleMixture:")[-1].strip().splitlines()[0])
    return None
