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
only. Documents are joined with their cluster and repetition rows by id (CoGroupByKey).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.pvalue import AsSingleton

from filters.sampling import BucketStats, InfeasibleMixture, doc_weights, estimate_tokens, plan_buckets
from filters.selection import select
from pipeline.beam_io import Counters, WriteStats, WriteTable, shard_of, table_metadata, write_parquet
from pipeline.config import Config
from pipeline.runner import clear_dir, fingerprint, match_inputs, note_progress, run_stage
from schemas import CURATED, ERRORS, MANIFEST_INDEX, REJECTED, SCHEMA_VERSION

STAGE = "manifest"
MANIFEST_FORMAT = "thresher-manifest"
MANIFEST_VERSION = 1
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")
# the annotated columns selection and the curated rows read (not the 62 quality signals, notes...)
SELECTION_COLUMNS = ("id", "text", "url", "source", "date", "source_file", "position", "lang", "lang_score",
                     "quality_score", "quality_tier", "paragraphs", "sentences", "pii", "badword_distinct",
                     "badword_ratio", "badword_categories", "url_category", "toxicity_score")


def bucket_name(source: str, lang: str, tier: str) -> str:
    """'<source>/<lang>/<tier>' with path-unsafe characters replaced."""
    return "/".join(_SLUG.sub("_", part or "unknown") for part in (source, lang, tier))


class SelectDocument(beam.DoFn):
    """(id, {doc, cluster, repeats}) -> kept record (main), ``rejected`` rows, ``stats`` dicts."""

    def __init__(self, config: Config):
        self.cfg = config.manifest
        self.counter = None
        self.counters = Counters(STAGE)

    def setup(self):
        if self.cfg.tokenizer:
            from filters.sampling import load_token_counter
            self.counter = load_token_counter(self.cfg.tokenizer)

    def process(self, element):
        doc_id, grouped = element
        docs = list(grouped["doc"])
        if not docs:   # a cluster/repeat row without its document: report, do not invent one
            yield beam.pvalue.TaggedOutput("errors", {"stage": STAGE, "source_file": "dedup", "position": -1,
                                                      "reason": "orphan_dedup_row", "detail": doc_id,
                                                      "excerpt": ""})
            return
        doc = docs[0]
        cluster = next(iter(grouped["cluster"]), None)
        repeats = next(iter(grouped["repeats"]), None)
        lang, tier = doc.get("lang") or "und", doc.get("quality_tier") or "unknown"
        chars_in = len(doc["text"])
        stats = {"records": 1, "lang_before": {lang: 1}, "tier_before": {tier: 1},
                 "chars_before": {lang: chars_in}}
        decision = select(doc, cluster, repeats, self.cfg.selection)
        if not decision.keep:
            self.counters.inc(f"rejected_{decision.reason}")
            stats.update(rejected=1, rejected_by_reason={decision.reason: 1},
                         rejected_chars_by_reason={decision.reason: chars_in})
            yield beam.pvalue.TaggedOutput("stats", stats)
            yield beam.pvalue.TaggedOutput("rejected", {
                "id": doc_id, "stage": STAGE, "reason": decision.reason, "detail": decision.detail or None,
                "source_file": doc.get("source_file"), "position": doc.get("position")})
            return
        text = decision.text
        tokens = self.counter([text])[0] if self.counter else estimate_tokens(text, lang)
        cluster_size = cluster["cluster_size"] if cluster else 1
        quality = float(doc.get("quality_score") or 0.0)
        weight = doc_weights([quality], [cluster_size], self.cfg.mixture)[0] * decision.weight_factor
        source = doc.get("source") or "unknown"
        bucket = bucket_name(source, lang, tier)
        cut_chars = Counter()
        for cut in decision.cuts:
            cut_chars[cut["reason"]] += cut["end"] - cut["start"]
        self.counters.inc("kept")
        note_progress(STAGE, 1)
        stats.update(kept=1, lang_after={lang: 1}, tier_after={tier: 1}, chars_after={lang: len(text)},
                     cut_chars_by_reason=dict(cut_chars), cut_docs=int(bool(decision.cuts)),
                     redactions_by_type=dict(Counter(r["type"] for r in decision.redactions)),
                     actions={a.split(":")[0] if a in ("cut", "redact") else a: 1 for a in decision.actions})
        yield beam.pvalue.TaggedOutput("stats", stats)
        yield {
            "id": doc_id, "text": text, "bucket": bucket, "source": source, "lang": lang,
            "lang_score": doc.get("lang_score"), "quality_score": quality, "quality_tier": tier,
            "cluster_id": cluster["cluster_id"] if cluster else doc_id, "cluster_size": cluster_size,
            "url": doc.get("url"), "date": doc.get("date"), "tokens": int(tokens), "chars": len(text),
            "doc_weight": float(weight), "cuts": decision.cuts,
            "redactions": [{"type": r["type"], "start": r["start"], "end": r["end"]} for r in decision.redactions],
            "actions": decision.actions, "toxicity_score": doc.get("toxicity_score"),
        }


def _bucket_totals(record):
    return record["bucket"], {"docs": 1, "chars": record["chars"], "tokens": record["tokens"],
                              "weighted_tokens": record["tokens"] * record["doc_weight"],
                              "source": record["source"], "lang": record["lang"], "tier": record["quality_tier"]}


class _SumBucket(beam.CombineFn):
    """Sums docs, chars, tokens and weighted tokens of one bucket (source, lang, tier ride along)."""
    _NUMERIC = ("docs", "chars", "tokens", "weighted_tokens")

    def create_accumulator(self):
        return {"docs": 0, "chars": 0, "tokens": 0, "weighted_tokens": 0.0, "source": None, "lang": None,
                "tier": None}

    def add_input(self, acc, x):
        for k in self._NUMERIC:
            acc[k] += x[k]
        for k in ("source", "lang", "tier"):
            acc[k] = acc[k] or x[k]
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
    return out


def _with_repeats(record, plan):
    p = plan[record["bucket"]]
    record = dict(record)
    record["repeats"] = (record["doc_weight"] * p["target_tokens"] / p["weighted_tokens"]
                         if p["weighted_tokens"] > 0 else 0.0)
    return (record["bucket"], shard_of(record["id"], p["shards"])), record


class WriteCurated(beam.DoFn):
    """((bucket, shard), records) -> one curated Parquet file (rows sorted by id); emits index rows."""

    def __init__(self, output: str, metadata: dict):
        self.output, self.metadata = output, metadata

    def process(self, element, plan):
        (bucket, shard), records = element
        records = sorted(records, key=lambda r: r["id"])
        name = f"curated/{bucket}/part-{shard:05d}-of-{plan[bucket]['shards']:05d}.parquet"
        write_parquet(FileSystems.join(self.output, name), records, CURATED, self.metadata)
        for row, r in enumerate(records):
            yield {"id": r["id"], "shard": name, "row": row, "bucket": bucket, "weight": r["doc_weight"],
                   "repeats": r["repeats"], "tokens": r["tokens"]}


def _write_manifest(shards: list, plan: dict, output: str, extra: dict) -> dict:
    by_bucket: dict = {}
    for bucket, name, tokens in shards:
        entry = by_bucket.setdefault(bucket, {})
        entry[name] = entry.get(name, 0) + tokens
    buckets = []
    for b in sorted(plan):
        p = dict(plan[b])
        p.pop("weighted_tokens", None)
        p["shards"] = sorted(by_bucket.get(b, {}))
        p["shard_tokens"] = {k: v for k, v in sorted(by_bucket.get(b, {}).items())}
        buckets.append(p)
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


def build_manifest(pipeline, annotated: str, dedup: str, output: str, config: Config, extra: dict) -> None:
    meta = table_metadata(STAGE, config.hash())
    shard_chars = config.manifest.shard_target_mb << 20
    docs = (pipeline | "ReadAnnotated" >> beam.io.ReadFromParquet(FileSystems.join(annotated, "docs", "*.parquet"),
                                                                validate=False, columns=list(SELECTION_COLUMNS))
            | "KeyDocs" >> beam.Map(lambda d: (d["id"], d)))
    clusters = (pipeline | "ReadClusters" >> beam.io.ReadFromParquet(FileSystems.join(dedup, "clusters", "*.parquet"),
                                                                    validate=False)
                | "KeyClusters" >> beam.Map(lambda r: (r["id"], r)))
    repeats = (pipeline | "ReadRepeats" >> beam.io.ReadFromParquet(FileSystems.join(dedup, "repeats", "*.parquet"),
                                                                  validate=False)
               | "KeyRepeats" >> beam.Map(lambda r: (r["id"], r)))
    selected = ({"doc": docs, "cluster": clusters, "repeats": repeats}
                | "JoinById" >> beam.CoGroupByKey()
                | "Select" >> beam.ParDo(SelectDocument(config)).with_outputs("rejected", "errors", "stats",
                                                                               main="kept"))
    plan = (selected.kept | "BucketOf" >> beam.Map(_bucket_totals)
            | "SumBuckets" >> beam.CombinePerKey(_SumBucket())
            | "AllBuckets" >> beam.combiners.ToList()
            | "PlanBuckets" >> beam.Map(make_plan, config, shard_chars))
    index = (selected.kept | "Repeats" >> beam.Map(_with_repeats, AsSingleton(plan))
             | "GroupByShard" >> beam.GroupByKey()
             | "WriteCurated" >> beam.ParDo(WriteCurated(output, meta), AsSingleton(plan)))
    index | "WriteIndex" >> WriteTable(FileSystems.join(output, "index"), MANIFEST_INDEX,
                                       max(1, len(extra.get("inputs", {})) // 8), table="index", metadata=meta)
    (index | "ShardTokens" >> beam.Map(lambda r: (r["bucket"], r["shard"], r["tokens"]))
     | "AllShards" >> beam.combiners.ToList()
     | "WriteManifestJson" >> beam.Map(_write_manifest, AsSingleton(plan), output, extra))
    selected.rejected | "WriteRejected" >> WriteTable(FileSystems.join(output, "rejected"), REJECTED, 1,
                                                      table="rejected", metadata=meta)
    selected.errors | "WriteErrors" >> WriteTable(FileSystems.join(output, "errors"), ERRORS, 1, table="errors",
                                                  key_field="detail", metadata=meta)
    error_stats = selected.errors | "ErrorStats" >> beam.Map(lambda r: {"errors": 1, "errors_by_reason": {r["reason"]: 1}})
    ((selected.stats, error_stats) | "AllManifestStats" >> beam.Flatten()
     | "ManifestStats" >> WriteStats(FileSystems.join(output, "stats", "manifest.json"), finalize_manifest_stats,
                                     extra={"stage": STAGE, "config_hash": config.hash()}))


def run_manifest(annotated: str, dedup: str, output: str, config: Config, options) -> dict:
    """Select, cut, weight and write the manifest; returns the stats."""
    from pipeline.beam_io import read_json

    inputs = {}
    for name, directory, table in (("annotated", annotated, "docs"), ("clusters", dedup, "clusters"),
                                   ("repeats", dedup, "repeats")):
        files = match_inputs([FileSystems.join(directory, table, "*.parquet")])
        inputs[name] = {"path": FileSystems.join(directory, table), "files": len(files),
                        "fingerprint": fingerprint(files)}
    for sub in ("curated", "index", "rejected", "errors", "stats"):
        clear_dir(FileSystems.join(output, sub))
    extra = {"config_hash": config.hash(), "seed": config.manifest.mixture.seed, "inputs": inputs,
             "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    marker = {"config_hash": config.hash(), "input_fingerprint": fingerprint([], json.dumps(inputs, sort_keys=True))}
    try:
        run_stage(STAGE, lambda p: build_manifest(p, annotated, dedup, output, config, extra), options, output,
                  marker)
    except Exception as exc:  # the mixture plan runs inside the job: surface its message plainly
        if "InfeasibleMixture" in f"{type(exc).__name__}{exc}":
            message = str(exc).split("InfeasibleMixture:")[-1].strip().splitlines()[0]
            raise InfeasibleMixture(message) from None
        raise
    return read_json(FileSystems.join(output, "stats", "manifest.json"))
