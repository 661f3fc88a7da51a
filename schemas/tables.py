"""Table schemas for every stage output.

Spans (paragraphs, sentences, PII, ...) share one layout: a list of structs with ``start`` and
``end`` (Python str code point offsets into ``text``, end exclusive) plus typed score fields.
Every file written carries ``thresher.schema_version`` and ``thresher.table`` in its metadata.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import pyarrow as pa

from schemas.signals import SIGNAL_TYPES

SCHEMA_VERSION = "1.2"   # 1.2: badword_max_weight, repeats.site_lines; 1.1: quality_signals.mojibake_frac/gambling_cues/money_cues/contact_mentions, clusters.representative_id

def span(*fields: tuple[str, pa.DataType], label: tuple[str, pa.DataType] | None = None) -> pa.DataType:
    """The one span type: ``start``/``end`` character offsets into the document text (end
    exclusive) plus the span's own fields; ``label`` (PII's ``type``) goes first."""
    head = [label] if label else []
    return pa.struct(head + [("start", pa.int32()), ("end", pa.int32())] + list(fields))


SPAN = span()


def _schema(name: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(fields, metadata={"thresher.table": name, "thresher.schema_version": SCHEMA_VERSION})


# Ingested documents: one row per kept input record (or per part of a split oversized record).
DOCUMENTS = _schema("documents", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("source", pa.string()),
    pa.field("date", pa.timestamp("ms", tz="UTC")),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("position", pa.int64(), nullable=False),   # record index inside source_file
    pa.field("format", pa.string(), nullable=False),    # jsonl | parquet | wet | warc | txt
    pa.field("notes", pa.list_(pa.string())),           # what ingest changed: invalid_utf8, truncated:N, ...
])

# Rejected rows of any stage: the record was valid input but a rule removed it.
REJECTED = _schema("rejected", [
    pa.field("id", pa.string()),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string()),
    pa.field("source_file", pa.string()),
    pa.field("position", pa.int64()),
])

# Dead letter: input that could not be read or parsed.
ERRORS = _schema("errors", [
    pa.field("stage", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("position", pa.int64()),                   # record index, or -1 for the whole file
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string()),
    pa.field("excerpt", pa.string()),                   # first bytes of the raw record, replaced-decoded
])

PARAGRAPH_SPAN = span(("lang", pa.string()), ("lang_score", pa.float32()), ("score", pa.float32()),
                      ("flags", pa.list_(pa.string())), ("toxicity", pa.float32()))
CATEGORY_SPAN = span(("category", pa.string()))
SCORED_SPAN = span(("score", pa.float32()), ("flags", pa.list_(pa.string())))
_ARROW_TYPES = {int: pa.int32(), float: pa.float32(), bool: pa.bool_(), str: pa.string()}
QUALITY_SIGNALS = pa.struct([(name, _ARROW_TYPES[tp]) for name, tp in SIGNAL_TYPES.items()])
PII_SPAN = span(label=("type", pa.string()))

# Annotated documents: every ingested document, with its signals. Stage-specific signal columns
# (quality signals, safety) are appended by their scorers; the base columns below always exist.
ANNOTATED = _schema("annotated", list(DOCUMENTS) + [
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float32()),
    pa.field("lang_script", pa.string()),
    pa.field("lang_detector", pa.string()),             # script | fasttext | lingua | langdetect | none
    pa.field("lang_mix", pa.map_(pa.string(), pa.float32())),
    pa.field("paragraphs", pa.list_(PARAGRAPH_SPAN)),
    # quality (filters/quality.py documents every signal; spans carry score and flags)
    pa.field("quality_score", pa.float32()),
    pa.field("quality_tier", pa.string()),             # high | medium | low
    pa.field("quality_failed_rules", pa.list_(pa.string())),
    pa.field("quality_signals", QUALITY_SIGNALS),
    pa.field("sentences", pa.list_(SCORED_SPAN)),
    # safety
    pa.field("pii", pa.list_(PII_SPAN)),                # email | phone | ip | credit_card | cn_id
    pa.field("badword_count", pa.int32()),
    pa.field("badword_distinct", pa.int32()),           # different list entries found
    pa.field("badword_score", pa.float32()),            # weighted distinct entries (weak 0.5); flag at >= 2
    pa.field("badword_max_weight", pa.float32()),       # heaviest entry found (< 1: weak entries only)
    pa.field("badword_ratio", pa.float32()),            # hits per word (per character for CJK)
    pa.field("badword_categories", pa.list_(pa.string())),
    pa.field("badword_spans", pa.list_(CATEGORY_SPAN)),
    pa.field("url_category", pa.string()),              # null when no URL list blocks the URL
    pa.field("toxicity_score", pa.float32()),           # null when no toxicity model is configured
    pa.field("annotate_notes", pa.list_(pa.string())),  # failed:<annotator> when a scorer failed on the doc
])

# Dedup clusters: one row per document; singletons have cluster_size 1.
CLUSTERS = _schema("clusters", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("cluster_size", pa.int64(), nullable=False),
    pa.field("is_representative", pa.bool_(), nullable=False),
    pa.field("match", pa.string()),                     # exact | near | none
    pa.field("representative_id", pa.string()),         # the id kept for the cluster (the row's own if kept)
])

# Repetition: documents holding paragraphs/sentences that also occur in other documents;
# ``count`` is the number of distinct documents holding the normalized unit.
COUNTED_SPAN = span(("count", pa.int64()))
REPEATS = _schema("repeats", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("paragraphs", pa.list_(COUNTED_SPAN)),
    pa.field("sentences", pa.list_(COUNTED_SPAN)),
    pa.field("site_lines", pa.list_(COUNTED_SPAN)),      # lines repeated on pages of the same host
])

# MinHash signatures (datasketch-compatible hash values), kept to dedup a later crawl against.
SIGNATURES = _schema("signatures", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("signature", pa.list_(pa.uint32())),
])

# Curated documents: the final text (cut and redacted) with the signals a tokenizer or analyst
# needs; cuts and redactions are offsets in the annotated text.
CUT_SPAN = span(("reason", pa.string()))
CURATED = _schema("curated", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("bucket", pa.string(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("lang", pa.string()),
    pa.field("lang_score", pa.float32()),
    pa.field("quality_score", pa.float32()),
    pa.field("quality_tier", pa.string()),
    pa.field("cluster_id", pa.string()),
    pa.field("cluster_size", pa.int64()),
    pa.field("url", pa.string()),
    pa.field("date", pa.timestamp("ms", tz="UTC")),
    pa.field("tokens", pa.int64()),
    pa.field("chars", pa.int64()),
    pa.field("doc_weight", pa.float64()),
    pa.field("repeats", pa.float64()),
    pa.field("toxicity_score", pa.float32()),
    pa.field("cuts", pa.list_(CUT_SPAN)),
    pa.field("redactions", pa.list_(PII_SPAN)),
    pa.field("actions", pa.list_(pa.string())),        # cut | redact | downweight:<why>
])

# The manifest's temporary spill of kept rows (``_tmp/``, removed when the job ends): the curated
# columns plus the document's topic, which the topic cap's weight factors are applied by when the
# curated shards are written (then dropped: it is not a curated column).
CURATED_SPILL = CURATED.append(pa.field("topic_id", pa.string()))

# Manifest index: one row per selected document.
# manifest.json: ``format`` and ``version`` name its layout (pipeline/manifest.py writes it,
# pipeline/manifest_reader.py and pipeline/export.py check it).
MANIFEST_FORMAT = "thresher-manifest"
MANIFEST_VERSION = 1

MANIFEST_INDEX = _schema("manifest_index", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("shard", pa.string(), nullable=False),
    pa.field("row", pa.int64(), nullable=False),
    pa.field("bucket", pa.string(), nullable=False),
    pa.field("weight", pa.float64(), nullable=False),
    pa.field("repeats", pa.float64(), nullable=False),
    pa.field("tokens", pa.int64(), nullable=False),
])

# Optional columns and tables, present only when dense embeddings are configured (issue 18); outputs
# of runs without them keep the schemas above, byte for byte.
EMBEDDING_FIELD = pa.field("embedding", pa.list_(pa.float16()))   # unit vector of the document; null: no
                                                                  # known token. Dimension in the metadata
SEMANTIC_CLUSTER_FIELDS = [
    pa.field("semantic_cluster_id", pa.string()),        # smallest id of the embedding-LSH component
    pa.field("semantic_cluster_size", pa.int64()),
    pa.field("semantic_representative_id", pa.string()),  # the id kept for the semantic cluster
]

# Topic assignment: one row per document with an embedding (spherical k-means per language).
TOPICS = _schema("topics", [
    pa.field("id", pa.string(), nullable=False),
    pa.field("topic_id", pa.string()),                  # "<lang>:<k>"
    pa.field("topic_distance", pa.float32()),           # 1 - cosine to the topic centroid
])


def with_embedding(schema: pa.Schema, dim: int, model_id: str) -> pa.Schema:
    """``schema`` plus the ``embedding`` column, its dimension and model recorded in the metadata."""
    meta = dict(schema.metadata or {})
    meta.update({b"thresher.embedding_dim": str(dim).encode(), b"thresher.embedding_model": model_id.encode()})
    return schema.append(EMBEDDING_FIELD).with_metadata(meta)


def with_semantic_clusters(schema: pa.Schema) -> pa.Schema:
    """The clusters schema plus the semantic cluster columns."""
    for f in SEMANTIC_CLUSTER_FIELDS:
        schema = schema.append(f)
    return schema


_BY_NAME = {s.metadata[b"thresher.table"].decode(): s for s in
            (DOCUMENTS, REJECTED, ERRORS, ANNOTATED, CLUSTERS, REPEATS, SIGNATURES, CURATED, MANIFEST_INDEX,
              TOPICS)}


def schema_by_name(name: str) -> pa.Schema:
    """Return the schema registered under ``name`` (documents, rejected, errors, ...)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {sorted(_BY_NAME)}") from None


def conform(rows: Iterable[Mapping[str, Any]], schema: pa.Schema, kept: Mapping[str, tuple] | None = None) -> pa.Table:
    """Build a table from row dicts, taking exactly the schema's columns (missing keys -> null).

    ``kept``: column name -> (Arrow array, Python values) the rows were read from (see
    ``pipeline.beam_io.table_rows``); a column whose values the rows still hold (==) and whose type is the
    schema's is taken as that array instead of being converted again (same table)."""
    rows = list(rows)
    columns = {}
    for f in schema:
        vals = [r.get(f.name) for r in rows]
        k = kept.get(f.name) if kept else None
        if (k is not None and len(k[1]) == len(vals) and k[0].type.equals(f.type)
                and (f.nullable or not k[0].null_count) and vals == k[1]):
            columns[f.name] = k[0]
        else:
            columns[f.name] = vals
    return pa.Table.from_pydict(columns, schema=schema)


def validate_table(table: pa.Table, schema: pa.Schema) -> None:
    """Raise ValueError naming every column that is missing or of the wrong type."""
    problems = []
    for field in schema:
        if field.name not in table.column_names:
            problems.append(f"missing column {field.name!r}")
        elif not table.schema.field(field.name).type.equals(field.type):
            problems.append(f"column {field.name!r} is {table.schema.field(field.name).type}, expected {field.type}")
        elif not field.nullable and table.column(field.name).null_count:
            problems.append(f"column {field.name!r} has nulls")
    if problems:
        raise ValueError("; ".join(problems))
