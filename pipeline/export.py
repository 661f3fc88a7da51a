"""Export a manifest for a consumer's own preprocessing. In: a manifest directory
(``manifest.json``, ``index/``, ``curated/``). Out, for ``megatron``:

  OUTPUT/<prefix>.jsonl      one JSON object a line, ``{"text": ..., "id": ...}``, per bucket; each
                             document written as many times as the index gives it copies in epoch 0
                             (the ManifestReader's copies for the manifest's seed), in shard-row order
  OUTPUT/blend.txt           ``weight prefix_text_document`` pairs, one a line: the prefixes Megatron's
                             ``tools/preprocess_data.py --input OUTPUT/<prefix>.jsonl --output-prefix
                             OUTPUT/<prefix> --json-keys text`` writes (``<prefix>_text_document.bin/.idx``),
                             weighted by each file's share of the exported tokens, so ``--data-path``
                             (or ``--data-args-path blend.txt``) reproduces the manifest's token mixture
  OUTPUT/stats/export.json   docs, copies and tokens per bucket

``<prefix>`` is the bucket name with ``/`` replaced by ``__`` (bucket names are already safe path parts).
One Beam job; each bucket is exported by one worker, which reads only that bucket's index rows.
"""
from __future__ import annotations

import json
import posixpath

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from filters.sampling import realize_copies
from pipeline.beam_io import WriteStats, read_json
from pipeline.counting import StageCounts
from pipeline.fs import FileDoFn
from pipeline.runner import InputError, clear_dir, match_inputs, run_job, write_marker
from schemas import MANIFEST_FORMAT, SCHEMA_VERSION

STAGE = "export"


def bucket_prefix(bucket: str) -> str:
    """The file prefix of a bucket's export (``web/en/high`` -> ``web__en__high``)."""
    return bucket.replace("/", "__")


def _inside(manifest_dir: str, rel: str) -> str:
    """``rel`` from manifest.json joined under the manifest folder; paths that leave it are refused."""
    if not rel or rel.startswith("/") or "://" in rel or "\\" in rel or ".." in rel.split("/"):
        raise InputError(f"manifest path {rel[:200]!r} points outside {manifest_dir}")
    return FileSystems.join(manifest_dir, rel)


class ExportBucket(FileDoFn):
    """bucket entry of manifest.json -> OUTPUT/<prefix>.jsonl written; emits one stats dict."""

    def __init__(self, manifest_dir: str, index_files: list[str], output: str, seed: int):
        self.manifest_dir, self.index_files, self.output, self.seed = manifest_dir, index_files, output, seed
        self.counts = StageCounts(STAGE)

    def process(self, bucket: dict):
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        name = bucket["name"]
        parts = []
        for path in self.index_files:
            with FileSystems.open(path) as f:
                t = pq.read_table(f, columns=["id", "shard", "row", "bucket", "repeats", "tokens"])
            parts.append(t.filter(pc.equal(t["bucket"], name)))
        index = pa.concat_tables(parts) if parts else None
        ids = index["id"].to_pylist()
        copies = realize_copies(ids, index["repeats"].to_numpy(), self.seed, tokens=index["tokens"].to_numpy())
        want = {(s, r): c for s, r, c in zip(index["shard"].to_pylist(), index["row"].to_pylist(), copies) if c}
        tokens_of = {(s, r): t for s, r, t in zip(index["shard"].to_pylist(), index["row"].to_pylist(),
                                                  index["tokens"].to_pylist())}
        docs = written = tokens = 0
        out_path = FileSystems.join(self.output, bucket_prefix(name) + ".jsonl")
        with FileSystems.create(out_path) as out:
            for shard in sorted(set(index["shard"].to_pylist())):
                with FileSystems.open(_inside(self.manifest_dir, shard)) as f:
                    pf = pq.ParquetFile(f)
                    row = 0
                    for g in range(pf.metadata.num_row_groups):
                        part = pf.read_row_group(g, columns=["id", "text"])
                        for doc_id, text in zip(part["id"].to_pylist(), part["text"].to_pylist()):
                            n = want.get((shard, row), 0)
                            if n:
                                line = (json.dumps({"text": text, "id": doc_id}, ensure_ascii=False) + "\n").encode()
                                for _ in range(n):
                                    out.write(line)
                                docs += 1
                                written += n
                                tokens += n * tokens_of[(shard, row)]
                            row += 1
        self.counts("docs", docs)
        self.counts("copies", written)
        self.counts.flush()
        yield {"docs": docs, "copies": written, "tokens": tokens,
               "by_bucket": {name: {"docs": docs, "copies": written, "tokens": tokens}}}


def finalize_export_stats(acc: dict) -> dict:
    return {k: acc.get(k, 0) for k in ("docs", "copies", "tokens")} | {"by_bucket": acc.get("by_bucket", {})}


def write_blend(output: str, stats: dict) -> str:
    """blend.txt: ``weight prefix_text_document`` per bucket, weights = share of exported tokens."""
    total = sum(b["tokens"] for b in stats["by_bucket"].values()) or 1
    lines = [f"{b['tokens'] / total:.8f} {posixpath.join(output, bucket_prefix(name))}_text_document"
             for name, b in sorted(stats["by_bucket"].items()) if b["tokens"]]
    path = FileSystems.join(output, "blend.txt")
    with FileSystems.create(path) as f:
        f.write(("\n".join(lines) + "\n").encode())
    return path


def run_export_megatron(manifest_dir: str, output: str, options) -> dict:
    """Export ``manifest_dir`` for Megatron's preprocessing; returns the export stats."""
    manifest = read_json(FileSystems.join(manifest_dir, "manifest.json"))
    if manifest.get("format") != MANIFEST_FORMAT:
        raise InputError(f"{manifest_dir}: not a thresher manifest")
    index_dir = _inside(manifest_dir, manifest.get("index", "index/").rstrip("/"))
    index_files = [f.path for f in match_inputs([FileSystems.join(index_dir, "*.parquet")])]
    buckets = [b for b in manifest["buckets"] if b.get("shards")]
    for b in buckets:
        for shard in b["shards"]:
            _inside(manifest_dir, shard)
    clear_dir(FileSystems.join(output, "stats"))
    seed = int(manifest.get("seed", 0))

    def build(p):
        (p | "ListBuckets" >> beam.Create(buckets)
           | "SpreadBuckets" >> beam.Reshuffle()
           | "ExportBuckets" >> beam.ParDo(ExportBucket(manifest_dir, index_files, output, seed))
           | "ExportStats" >> WriteStats(FileSystems.join(output, "stats", "export.json"), finalize_export_stats,
                                         extra={"stage": STAGE, "format": "megatron", "seed": seed}))

    run_job(STAGE, build, options)
    write_marker(output, {"stage": STAGE, "manifest": manifest_dir, "format": "megatron",
                          "schema_version": SCHEMA_VERSION})
    stats = read_json(FileSystems.join(output, "stats", "export.json"))
    stats["blend"] = write_blend(output, stats)
    return stats
